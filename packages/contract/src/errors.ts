/** Stable error codes of the contract, with the HTTP status and gRPC status each maps to. */
export const ERRORS = {
  INVALID_JSON: { http: 400, grpc: 'INVALID_ARGUMENT' },
  INVALID_UTF8: { http: 400, grpc: 'INVALID_ARGUMENT' },
  INVALID_REQUEST: { http: 400, grpc: 'INVALID_ARGUMENT' },
  EMPTY_TEXTS: { http: 400, grpc: 'INVALID_ARGUMENT' },
  TOO_MANY_TEXTS: { http: 400, grpc: 'INVALID_ARGUMENT' },
  TEXT_TOO_LONG: { http: 400, grpc: 'INVALID_ARGUMENT' },
  NOT_FOUND: { http: 404, grpc: 'UNIMPLEMENTED' },
  METHOD_NOT_ALLOWED: { http: 405, grpc: 'UNIMPLEMENTED' },
  BODY_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 'INVALID_ARGUMENT' },
  OVERLOADED: { http: 429, grpc: 'RESOURCE_EXHAUSTED' },
  INTERNAL: { http: 500, grpc: 'INTERNAL' },
  BAD_BACKEND_RESPONSE: { http: 502, grpc: 'UNAVAILABLE' },
  NOT_READY: { http: 503, grpc: 'UNAVAILABLE' },
  BACKEND_UNAVAILABLE: { http: 503, grpc: 'UNAVAILABLE' },
  BACKEND_TIMEOUT: { http: 504, grpc: 'DEADLINE_EXCEEDED' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The one error type servers throw; a single handler per server turns it into a response. */
export class ServeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, sent as Retry-After when shedding load. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ServeError';
    this.code = code;
    this.status = ERRORS[code].http;
    this.retryAfter = retryAfter;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.hasOwn(ERRORS, x);
}
