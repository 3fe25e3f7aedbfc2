import * as grpc from '@grpc/grpc-js';
import { ERRORS, ServeError, validateTexts, type ReadyResponse } from '@servebench/contract';
import { METADATA_KEYS, decodeTextField, forEachField, readyReply } from '@servebench/contract/grpc';
import { serverTiming, toServeError, type Service } from '@servebench/core';

/** What the lenient request decoder hands a handler: the texts, or the contract error to answer with. */
export type Texts = string[] | ServeError;
type Cb = grpc.sendUnaryData<unknown>;
type Call = grpc.ServerUnaryCall<Texts, unknown>;
type EmptyCall = grpc.ServerUnaryCall<object | ServeError, unknown>;

/** Never throws: grpc-js would answer a throwing deserializer with INTERNAL instead of INVALID_ARGUMENT. */
export function decodeTexts(buf: Buffer): Texts {
  try {
    return decodeTextField(buf);
  } catch (e) {
    return toServeError(e);
  }
}

/** HelloRequest / ReadyRequest have no fields: any well-formed message is accepted, bad bytes are a contract error. */
export function decodeEmpty(buf: Buffer): object | ServeError {
  try {
    forEachField(buf, () => undefined);
    return {};
  } catch (e) {
    return toServeError(e);
  }
}

/** The contract error as a gRPC status, with its code (and retry-after) in the trailers. */
function fail(cb: Cb, e: unknown): number {
  const err = toServeError(e);
  const metadata = new grpc.Metadata();
  metadata.set(METADATA_KEYS.errorCode, err.code);
  if (err.retryAfter !== undefined) metadata.set('retry-after', String(err.retryAfter));
  cb({ code: grpc.status[ERRORS[err.code].grpc], details: err.message, metadata });
  return err.status;
}

/** Layer timings as trailing metadata, in the same form as the HTTP Server-Timing header. */
function timing(t: Record<string, number>, batch?: number): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set(METADATA_KEYS.serverTiming, serverTiming(t, batch));
  return m;
}

const encoding = (ids: number[]) => ({
  input_ids: ids,
  attention_mask: ids.map(() => 1),
  token_type_ids: ids.map(() => 0),
});

/** The servebench.v1.Serving handlers over the shared core. */
export function handlers(service: Service): grpc.UntypedServiceImplementation {
  const texts = (req: Texts, single: boolean): string[] => {
    if (req instanceof ServeError) throw req;
    // proto3: an absent text is "", and the last occurrence of a singular field wins.
    return validateTexts(single ? { text: req.at(-1) ?? '' } : { texts: req }, service.config.limits).texts;
  };
  const observe = (route: string, status: number, t0: number) =>
    service.metrics.observe(route, status, (performance.now() - t0) / 1000);

  const tokenize = (single: boolean) => (call: Call, cb: Cb) => {
    const t0 = performance.now();
    try {
      const { ids, ms } = service.tokenizeTexts(texts(call.request, single));
      cb(null, single ? encoding(ids[0]!) : { results: ids.map(encoding) }, timing({ tokenize: ms }));
      observe('tokenize', 200, t0);
    } catch (e) {
      observe('tokenize', fail(cb, e), t0);
    }
  };

  const predict = (single: boolean) => async (call: Call, cb: Cb) => {
    const t0 = performance.now();
    // A deadline or a client cancel aborts the work, so the call frees its queue slot.
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    call.on('cancelled', onCancel);
    if (call.cancelled) abort.abort();
    try {
      const r = await service.predictTexts(texts(call.request, single), abort.signal);
      // Predict hands the Float32Array to its serializer as is (embedding-wire.ts); PredictBatch goes through protobufjs.
      cb(
        null,
        single ? { embedding: r.vectors[0] } : { embeddings: r.vectors.map((v) => ({ values: Array.from(v) })) },
        timing({ ...r.timing }, r.batch),
      );
      observe('predict', 200, t0);
    } catch (e) {
      observe('predict', fail(cb, e), t0);
    } finally {
      // Once answered, a late 'cancelled' has no work to stop (and abort() would build a DOMException per call).
      call.off('cancelled', onCancel);
    }
  };

  // grpc-js ignores what a handler returns: an async handler's rejection is answered as a contract error
  // here rather than left unhandled (which would end the process).
  const unary =
    <C>(h: (call: C, cb: Cb) => Promise<void>) =>
    (call: C, cb: Cb): void => {
      h(call, cb).catch((e: unknown) => fail(cb, e));
    };

  return {
    HelloWorld: (call: EmptyCall, cb: Cb) => {
      if (call.request instanceof ServeError) return void fail(cb, call.request);
      service.metrics.hello();
      cb(null, { hello: 'World' });
    },
    Tokenize: tokenize(true),
    TokenizeBatch: tokenize(false),
    Predict: unary(predict(true)),
    PredictBatch: unary(predict(false)),
    Ready: unary(async (call: EmptyCall, cb: Cb) => {
      if (call.request instanceof ServeError) return void fail(cb, call.request);
      const r = await service.ready();
      if (r.status === 200) return cb(null, readyReply(JSON.parse(r.body) as ReadyResponse));
      const body = JSON.parse(r.body) as { error: { message: string } };
      fail(cb, new ServeError('NOT_READY', body.error.message));
    }),
  };
}
