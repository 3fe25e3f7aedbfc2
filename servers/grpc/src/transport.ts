import * as grpc from '@grpc/grpc-js';
import { ERRORS, type ErrorCode } from '@servebench/contract';
import { METADATA_KEYS } from '@servebench/contract/grpc';

// grpc-js answers some malformed requests itself, before any handler runs, and for a few of them the
// status blames the server: INTERNAL for a compressed message that does not decompress, for an
// unparsable grpc-timeout header and for a request its deserializer rejects, UNIMPLEMENTED for a
// unary call that ends before one whole message (or sends two). These are the client's mistakes;
// here they become the contract's INVALID_ARGUMENT / INVALID_REQUEST, and an oversized message keeps
// grpc-js's RESOURCE_EXHAUSTED but gains the contract code BODY_TOO_LARGE. The grpc-js texts are
// matched exactly: the gRPC fuzz suite in @servebench/contract fails if an upgrade changes them.

/** grpc-js's status object as a server call's sendStatus takes it. */
type PartialStatus = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

interface Rewrite {
  from: grpc.status;
  details: RegExp;
  code: ErrorCode;
  message?: string;
}

const REWRITES: readonly Rewrite[] = [
  {
    from: grpc.status.INTERNAL,
    details: /^Failed to decompress message$/,
    code: 'INVALID_REQUEST',
    message: 'the compressed message does not decompress',
  },
  {
    from: grpc.status.INTERNAL,
    details: /^Invalid grpc-timeout value/,
    code: 'INVALID_REQUEST',
    message: 'the grpc-timeout header is not valid',
  },
  {
    from: grpc.status.INTERNAL,
    details: /^Error deserializing request/,
    code: 'INVALID_REQUEST',
    message: 'the request is not a valid protobuf message',
  },
  {
    from: grpc.status.UNIMPLEMENTED,
    details: /^Received no request message for /,
    code: 'INVALID_REQUEST',
    message: 'the call ended before one whole request message',
  },
  {
    from: grpc.status.UNIMPLEMENTED,
    details: /^Received a second request message for /,
    code: 'INVALID_REQUEST',
    message: 'a unary call carries exactly one request message',
  },
  {
    from: grpc.status.RESOURCE_EXHAUSTED,
    details: /^Received message (larger than max|that decompresses to a size larger than)/,
    code: 'BODY_TOO_LARGE',
  },
];

/** The contract's status for one of grpc-js's own answers, or the status unchanged. */
export function contractStatus(s: PartialStatus): PartialStatus {
  if (s.metadata?.get(METADATA_KEYS.errorCode).length) return s;
  const rule = REWRITES.find((r) => r.from === s.code && r.details.test(s.details ?? ''));
  if (!rule) return s;
  const metadata = s.metadata?.clone() ?? new grpc.Metadata();
  metadata.set(METADATA_KEYS.errorCode, rule.code);
  return { code: grpc.status[ERRORS[rule.code].grpc], details: rule.message ?? s.details, metadata };
}

/**
 * A server interceptor that must come first: it receives grpc-js's innermost call object, whose own
 * sendStatus is what the transport-level rejections above go through (they never pass the outer
 * interceptor chain), so the rewrite is installed on that object rather than by wrapping it.
 * Returning the same object adds no layer to the call path.
 */
export const contractStatusInterceptor: grpc.ServerInterceptor = (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (s) => send(contractStatus(s));
  return call as grpc.ServerInterceptingCall;
};
