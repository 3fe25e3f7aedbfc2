import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { contractStatus } from './transport.js';

// Findings of the gRPC fuzz suite (@servebench/contract/grpc abuse.ts) that grpc-js answers itself,
// before any handler runs. The suite's matrix replays each one against the real server.
const rewrite = (code: grpc.status, details: string) => {
  const s = contractStatus({ code, details, metadata: null });
  return { status: grpc.status[s.code], code: s.metadata?.get('servebench-error-code')[0], details: s.details };
};

describe('grpc-js transport answers get their contract status', () => {
  it('regression: a gzip message that does not decompress was INTERNAL', () => {
    expect(rewrite(grpc.status.INTERNAL, 'Failed to decompress message')).toMatchObject({
      status: 'INVALID_ARGUMENT',
      code: 'INVALID_REQUEST',
    });
  });
  it('regression: an unparsable grpc-timeout was INTERNAL and echoed the header', () => {
    expect(rewrite(grpc.status.INTERNAL, 'Invalid grpc-timeout value "soon"')).toEqual({
      status: 'INVALID_ARGUMENT',
      code: 'INVALID_REQUEST',
      details: 'the grpc-timeout header is not valid',
    });
  });
  it('regression: garbage bytes to HelloWorld / Ready (protobufjs deserializer) were INTERNAL', () => {
    expect(rewrite(grpc.status.INTERNAL, 'Error deserializing request')).toMatchObject({
      status: 'INVALID_ARGUMENT',
      code: 'INVALID_REQUEST',
    });
  });
  it('a call without one whole message (length prefix past the data) or with two is INVALID_ARGUMENT, not UNIMPLEMENTED', () => {
    expect(
      rewrite(
        grpc.status.UNIMPLEMENTED,
        'Received no request message for server streaming method /servebench.v1.Serving/Predict',
      ),
    ).toMatchObject({ status: 'INVALID_ARGUMENT', code: 'INVALID_REQUEST' });
    expect(
      rewrite(grpc.status.UNIMPLEMENTED, 'Received a second request message for server streaming method /x/y'),
    ).toMatchObject({ status: 'INVALID_ARGUMENT', code: 'INVALID_REQUEST' });
  });
  it('an oversized message stays RESOURCE_EXHAUSTED and gains BODY_TOO_LARGE', () => {
    expect(
      rewrite(grpc.status.RESOURCE_EXHAUSTED, 'Received message larger than max (10485765 vs 1048576)'),
    ).toMatchObject({ status: 'RESOURCE_EXHAUSTED', code: 'BODY_TOO_LARGE' });
  });
  it('leaves everything else alone: unknown methods, handler errors, real server faults', () => {
    expect(rewrite(grpc.status.UNIMPLEMENTED, 'The server does not implement the method /a/b')).toMatchObject({
      status: 'UNIMPLEMENTED',
      code: undefined,
    });
    expect(rewrite(grpc.status.INTERNAL, 'Error serializing response')).toMatchObject({
      status: 'INTERNAL',
      code: undefined,
    });
    const m = new grpc.Metadata();
    m.set('servebench-error-code', 'OVERLOADED');
    expect(
      contractStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'Received message larger than max', metadata: m })
        .metadata,
    ).toBe(m);
  });
});
