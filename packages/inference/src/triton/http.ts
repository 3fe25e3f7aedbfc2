import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import { HttpPool, httpBase, jsonBody, statusError } from './http-pool.js';
import {
  INPUTS,
  OUTPUT,
  bytesOf,
  embeddingsFrom,
  inputArrays,
  ModelServerBackend,
  type ModelServerOptions,
} from './remote.js';

/** KServe v2 output tensor as Triton sends it, in JSON or with the binary data extension. */
interface V2Output {
  name?: unknown;
  datatype?: unknown;
  shape?: unknown;
  data?: unknown;
  parameters?: { binary_data_size?: unknown };
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

const HEADER_LENGTH = 'inference-header-content-length';

/**
 * Triton over the KServe v2 HTTP/REST protocol. Tensors go as the binary tensor data extension by
 * default (a JSON header, then raw little-endian bytes), or as JSON arrays with tensorForm 'json'.
 */
export class TritonHttpBackend extends ModelServerBackend implements Backend {
  readonly id = 'triton-http';
  private readonly pool: HttpPool;
  private readonly label: string;
  private metadata: ServerMetadata | undefined;

  constructor(opts: Partial<ModelServerOptions>) {
    super(opts);
    const base = httpBase(this.o.url, 'http://127.0.0.1:8000');
    this.label = `Triton at ${base.origin}`;
    this.pool = new HttpPool(base, {
      label: this.label,
      connections: this.o.connections,
      keepAliveMs: this.o.keepAliveMs,
      timeoutMs: this.o.timeoutMs,
    });
  }

  info(): Record<string, string> {
    const m = this.metadata;
    return {
      runtime: m ? `${m.name} ${m.version} (KServe v2 HTTP)` : 'Triton (not contacted yet)',
      model_server_url: this.pool.base.origin,
      model: this.o.model,
      tensor_form: this.o.tensorForm,
      connections: String(this.o.connections),
      timeout_ms: String(this.o.timeoutMs),
    };
  }

  /** Nothing to load in process; the model server may come up later, and ready() reports it. */
  async load(): Promise<void> {
    await this.serverMetadata().catch(() => undefined);
  }

  /** `/v2/models/<m>/ready` answers 200, and the server metadata is known. */
  async ready(): Promise<boolean> {
    try {
      const r = await this.pool.request('GET', `${this.modelPath()}/ready`);
      if (r.status !== 200) return false;
      await this.serverMetadata();
      return true;
    } catch (e) {
      if (e instanceof BackendError) return false;
      throw e;
    }
  }

  /** `GET /v2`: name, version and extensions (cached). */
  async serverMetadata(): Promise<ServerMetadata> {
    if (this.metadata) return this.metadata;
    const r = await this.pool.request('GET', '/v2');
    if (r.status !== 200) throw statusError(this.label, r);
    const j = jsonBody<Partial<ServerMetadata>>(this.label, r.body);
    this.metadata = {
      name: typeof j.name === 'string' ? j.name : 'unknown',
      version: typeof j.version === 'string' ? j.version : 'unknown',
      extensions: Array.isArray(j.extensions) ? j.extensions.map(String) : [],
    };
    return this.metadata;
  }

  async embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    const shape = [b.batch, b.seqLen];
    const arrays = inputArrays(b);
    const binary = this.o.tensorForm === 'binary';
    const header = {
      inputs: INPUTS.map((name, i) => ({
        name,
        shape,
        datatype: 'INT64',
        ...(binary
          ? { parameters: { binary_data_size: arrays[i]!.byteLength } }
          : { data: Array.from(arrays[i]!, Number) }),
      })),
      outputs: [{ name: OUTPUT, parameters: { binary_data: binary } }],
    };
    const json = Buffer.from(JSON.stringify(header));
    const r = binary
      ? await this.pool.request(
          'POST',
          `${this.modelPath()}/infer`,
          [json, ...arrays.map(bytesOf)],
          { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: json.byteLength },
          signal,
        )
      : await this.pool.request(
          'POST',
          `${this.modelPath()}/infer`,
          json,
          { 'content-type': 'application/json' },
          signal,
        );
    if (r.status !== 200) throw statusError(this.label, r);
    return this.parse(b.batch, r.body, r.headers[HEADER_LENGTH]);
  }

  /** Reads the `embedding` output from a JSON or binary-extension answer. */
  private parse(batch: number, body: Buffer, headerLength: string | string[] | undefined): Embeddings {
    const bad = (why: string) =>
      new BackendError('BAD_BACKEND_RESPONSE', `${this.label} sent a bad inference answer: ${why}`);
    const jsonLength = headerLength === undefined ? body.byteLength : Number(headerLength);
    if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.byteLength)
      throw bad(`${HEADER_LENGTH} ${String(headerLength)} for a ${body.byteLength}-byte body`);
    const head = jsonBody<{ outputs?: unknown }>(this.label, body.subarray(0, jsonLength));
    if (!Array.isArray(head.outputs)) throw bad('no "outputs" array');
    let offset = jsonLength;
    for (const out of head.outputs as V2Output[]) {
      const size = out.parameters?.binary_data_size;
      if (size !== undefined && (!Number.isInteger(size) || (size as number) < 0))
        throw bad(`binary_data_size ${JSON.stringify(size)}`);
      if (out.name !== OUTPUT) {
        offset += (size as number | undefined) ?? 0;
        continue;
      }
      if (out.datatype !== 'FP32') throw bad(`"${OUTPUT}" is ${JSON.stringify(out.datatype)}, expected FP32`);
      const shape = Array.isArray(out.shape) ? (out.shape as number[]) : [];
      if (size !== undefined) {
        const end = offset + (size as number);
        if (end > body.byteLength)
          throw bad(`"${OUTPUT}" claims ${String(size)} bytes but only ${body.byteLength - offset} follow the header`);
        return embeddingsFrom(this.label, batch, shape, body.subarray(offset, end));
      }
      if (!Array.isArray(out.data)) throw bad(`"${OUTPUT}" has neither data nor binary_data_size`);
      return embeddingsFrom(this.label, batch, shape, out.data as unknown[]);
    }
    throw bad(`no "${OUTPUT}" output`);
  }

  private modelPath(): string {
    return `/v2/models/${encodeURIComponent(this.o.model)}`;
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
