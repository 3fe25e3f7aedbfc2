export * from './errors.js';
export * from './exit.js';
export * from './net.js';
export * from './routes.js';
export * from './edge.js';
export * from './types.js';
export * from './schemas.js';
export * from './request.js';
export * from './openapi.js';
export * from './fixtures.js';
export {
  CHECKS,
  runConformance,
  fetchReady,
  maxAbsDiff,
  expectError,
  type Check,
  type CheckOutcome,
  type ConformanceContext,
} from './conformance/checks.js';
export { call, postJson, postLarge, type HttpReply } from './conformance/http.js';
export {
  ABUSE_CHECKS,
  abuseCases,
  errorCodeOf,
  newAbuseTally,
  sendCase,
  type AbuseCase,
  type AbuseTally,
  type CaseReply,
} from './conformance/abuse.js';
export { EDGE_CHECKS, edgeCases } from './conformance/edge.js';
