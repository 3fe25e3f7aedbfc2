import {
  HELLO_BODY,
  ServeError,
  classifyUnrouted,
  limitsBody,
  parseTextsBody,
  type Encoding,
  type ReadyBatching,
  type ReadyResponse,
} from '@servebench/contract';
import {
  BackendError,
  MODEL_SERVER_BACKEND_IDS,
  Pipeline,
  QueueFullError,
  createBackend,
  serverTiming,
  WordPieceTokenizer,
  type PredictResult,
} from '@servebench/inference';
import { ensureModel, type ModelFiles } from '@servebench/model';
import { readFileSync } from 'node:fs';
import type { ServerConfig } from './config.js';
import { embeddingJson } from './embedding-json.js';
import { Metrics } from './metrics.js';

/** What a framework adapter sends: status, headers and an already-serialised JSON body. */
export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const json = (status: number, body: string, extra?: Record<string, string>): Reply => ({
  status,
  body,
  headers: { 'content-type': JSON_TYPE, ...extra },
});

/** Maps any thrown value to the contract's error reply; internals never reach the client. */
export function errorReply(e: unknown): Reply {
  const err = toServeError(e);
  const extra: Record<string, string> = err.retryAfter !== undefined ? { 'retry-after': String(err.retryAfter) } : {};
  return json(err.status, JSON.stringify(err.toBody()), extra);
}

/** Any thrown value as a contract error; unexpected ones are logged and become a bare INTERNAL. */
export function toServeError(e: unknown): ServeError {
  if (e instanceof ServeError) return e;
  if (e instanceof QueueFullError) return new ServeError('OVERLOADED', e.message, 1);
  if (e instanceof BackendError) {
    if (e.code === 'BACKEND_CONFIG')
      return new ServeError('NOT_READY', 'the model backend is not usable; see the server log');
    return new ServeError(e.code, redactAddresses(e.message));
  }
  console.error('unexpected error:', e);
  return new ServeError('INTERNAL', 'internal error');
}

/** Backend messages name the model server's address; clients get "the model server" instead. */
export function redactAddresses(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"',)]+/gi, 'the model server')
    .replace(
      /(?:\[[0-9a-f:.]+\]|\b(?:\d{1,3}\.){3}\d{1,3}|\blocalhost|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}\b/gi,
      'the model server',
    );
}

const encoding = (ids: number[]): Encoding => ({
  input_ids: ids,
  attention_mask: new Array<number>(ids.length).fill(1),
  token_type_ids: new Array<number>(ids.length).fill(0),
});

/**
 * The framework-independent core of every reference server: validation, tokenizing, predicting,
 * error mapping, readiness and metrics. Framework adapters only wire routes to these methods.
 */
export class Service {
  readonly config: Readonly<ServerConfig>;
  readonly metrics: Metrics;
  private pipeline: Pipeline | undefined;
  private files: ModelFiles | undefined;

  constructor(
    config: Readonly<ServerConfig>,
    readonly serverName: string,
  ) {
    this.config = config;
    this.metrics = new Metrics(() => this.pipeline?.queueDepth ?? 0);
  }

  /** Generates the model on first use, then loads tokenizer and backend. */
  async load(): Promise<void> {
    const c = this.config;
    this.files = await ensureModel(c.model, { seed: c.modelSeed, root: c.modelsDir });
    const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(this.files.vocab, 'utf8'), {
      // The checkpoint's tokenizer settings (max length 256 for all-MiniLM-L6-v2; 512 for the generated models).
      ...this.files.tokenizer,
    });
    const backend = createBackend({ ...c, modelPath: this.files.onnx });
    await backend.load();
    this.pipeline = new Pipeline(tokenizer, backend, {
      maxQueue: c.maxQueue,
      maxQueueTokens: c.maxQueueTokens,
      batching: c.batching,
      observer: this.metrics,
    });
  }

  async close(): Promise<void> {
    await this.pipeline?.backend.close();
  }

  hello(): Reply {
    this.metrics.hello();
    return json(200, HELLO_BODY);
  }

  health(): Reply {
    return json(200, '{"status":"ok"}');
  }

  async ready(): Promise<Reply> {
    const p = this.pipeline;
    const f = this.files;
    if (!p || !f || !(await p.backend.ready().catch(() => false))) {
      return errorReply(new ServeError('NOT_READY', 'the model is not loaded or the backend does not answer'));
    }
    const body: ReadyResponse = {
      status: 'ready',
      server: this.serverName,
      backend: p.backend.id,
      backend_info: p.backend.info(),
      model: {
        name: f.config.name,
        seed: f.seed,
        hidden_size: f.config.hiddenSize,
        max_length: p.tokenizer.maxLength,
        sha256: f.sha256,
      },
      limits: limitsBody(this.config.limits),
      batching: this.batchingApplied(p),
    };
    return json(200, JSON.stringify(body));
  }

  /**
   * The batching policy requests actually get: the shared batcher's when it runs (in front of a proxy's
   * model server too), else one request per model call (no delay). Without it a proxy's requests are
   * merged, or not, by its model server, whose policy this stack is not told: `unknown` (the runner
   * checks the model server it started instead).
   */
  private batchingApplied(p: Pipeline): ReadyBatching {
    const b = this.config.batching;
    if (p.batching) return { maxBatchSize: b.maxBatchSize, maxQueueDelayUs: b.maxQueueDelayUs };
    if ((MODEL_SERVER_BACKEND_IDS as readonly string[]).includes(p.backend.id)) return 'unknown';
    return { maxBatchSize: 1, maxQueueDelayUs: 0 };
  }

  async metricsText(): Promise<Reply> {
    const m = await this.metrics.text();
    return { status: 200, body: m.body, headers: { 'content-type': m.contentType } };
  }

  /** Token ids for already-validated texts (for non-HTTP adapters such as gRPC). Throws contract errors. */
  tokenizeTexts(texts: readonly string[]): { ids: number[][]; ms: number } {
    return this.ready_().tokenize(texts);
  }

  /** Embeddings for already-validated texts (for non-HTTP adapters such as gRPC). Throws. */
  predictTexts(texts: readonly string[], signal?: AbortSignal): Promise<PredictResult> {
    return this.ready_().predict(texts, signal);
  }

  tokenize(raw: Uint8Array, contentType: string | undefined): Reply {
    const t0 = performance.now();
    let reply: Reply;
    try {
      const { texts, single } = parseTextsBody(raw, contentType, this.config.limits);
      const { ids, ms } = this.tokenizeTexts(texts);
      const body = single ? encoding(ids[0]!) : { results: ids.map(encoding) };
      reply = json(200, JSON.stringify(body), { 'server-timing': serverTiming({ tokenize: ms }) });
    } catch (e) {
      reply = errorReply(e);
    }
    this.metrics.observe('tokenize', reply.status, (performance.now() - t0) / 1000);
    return reply;
  }

  async predict(raw: Uint8Array, contentType: string | undefined, signal?: AbortSignal): Promise<Reply> {
    const t0 = performance.now();
    let reply: Reply;
    try {
      const { texts, single } = parseTextsBody(raw, contentType, this.config.limits);
      // Cancelled when the client goes away (requestSignal), so abandoned work leaves the queue.
      const r = await this.predictTexts(texts, signal);
      // Written straight from the Float32Array rows: byte-identical to JSON.stringify of Array.from(row).
      reply = json(200, embeddingJson(r.vectors, single), { 'server-timing': serverTiming(r.timing, r.batch) });
    } catch (e) {
      reply = errorReply(e);
    }
    this.metrics.observe('predict', reply.status, (performance.now() - t0) / 1000);
    return reply;
  }

  notFound(): Reply {
    return errorReply(
      new ServeError('NOT_FOUND', 'no such route; see GET /hello_world, POST /tokenize, POST /predict'),
    );
  }

  /** 405 METHOD_NOT_ALLOWED with the route's `Allow` header. */
  methodNotAllowed(allow: string): Reply {
    const reply = errorReply(new ServeError('METHOD_NOT_ALLOWED', `method not allowed; this route accepts ${allow}`));
    reply.headers.allow = allow;
    return reply;
  }

  /**
   * The answer to any request no route handler took (a framework's not-found or 405 hook calls this
   * with the raw method and target): OPTIONS on a route 204 + Allow, another method 405 + Allow, else 404.
   */
  unrouted(method: string, target: string): Reply {
    const u = classifyUnrouted(method, target);
    if (u.kind === 'missing') return this.notFound();
    if (u.kind === 'method') return this.methodNotAllowed(u.allow);
    return { status: 204, body: '', headers: { allow: u.allow } };
  }

  private ready_(): Pipeline {
    if (!this.pipeline) throw new ServeError('NOT_READY', 'the model is still loading');
    return this.pipeline;
  }
}
