import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import { HttpPool, httpBase, jsonBody, statusError } from '../triton/http-pool.js';
import {
  INPUTS,
  OUTPUT,
  embeddingsFrom,
  inputArrays,
  ModelServerBackend,
  type ModelServerOptions,
} from '../triton/remote.js';

export const SIGNATURE = 'serving_default';

/** A [batch, seqLen] int64 array as the nested rows the `inputs` (columnar) form wants. */
function rows(a: BigInt64Array, batch: number, seqLen: number): number[][] {
  return Array.from({ length: batch }, (_, r) => Array.from(a.subarray(r * seqLen, (r + 1) * seqLen), Number));
}

/** TF Serving's REST API: `POST /v1/models/<m>:predict` with the columnar `inputs` form. */
export class TfServingRestBackend extends ModelServerBackend implements Backend {
  readonly id = 'tfserving-rest';
  private readonly pool: HttpPool;
  private readonly label: string;
  private version: string | undefined;

  constructor(opts: Partial<ModelServerOptions>) {
    super(opts);
    const base = httpBase(this.o.url, 'http://127.0.0.1:8501');
    this.label = `TF Serving at ${base.origin}`;
    this.pool = new HttpPool(base, {
      label: this.label,
      connections: this.o.connections,
      keepAliveMs: this.o.keepAliveMs,
      timeoutMs: this.o.timeoutMs,
    });
  }

  info(): Record<string, string> {
    return {
      runtime: 'TF Serving (REST)',
      model_server_url: this.pool.base.origin,
      model: this.o.model,
      ...(this.version ? { model_version: this.version } : {}),
      signature: SIGNATURE,
      tensor_form: 'json inputs (columnar)',
      connections: String(this.o.connections),
      timeout_ms: String(this.o.timeoutMs),
    };
  }

  async load(): Promise<void> {}

  /** `GET /v1/models/<m>` lists a version in state AVAILABLE. */
  async ready(): Promise<boolean> {
    try {
      const r = await this.pool.request('GET', this.modelPath());
      if (r.status !== 200) return false;
      const j = jsonBody<{ model_version_status?: { version?: string; state?: string }[] }>(this.label, r.body);
      const ok = j.model_version_status?.find((v) => v.state === 'AVAILABLE');
      this.version = ok?.version;
      return ok !== undefined;
    } catch (e) {
      if (e instanceof BackendError) return false;
      throw e;
    }
  }

  async embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    const arrays = inputArrays(b);
    const inputs = Object.fromEntries(INPUTS.map((name, i) => [name, rows(arrays[i]!, b.batch, b.seqLen)]));
    const body = Buffer.from(JSON.stringify({ signature_name: SIGNATURE, inputs }));
    const r = await this.pool.request(
      'POST',
      `${this.modelPath()}:predict`,
      body,
      { 'content-type': 'application/json' },
      signal,
    );
    if (r.status !== 200) throw statusError(this.label, r);
    // One output: `outputs` is the tensor itself; several: an object keyed by output name.
    const j = jsonBody<{ outputs?: unknown }>(this.label, r.body);
    const t = Array.isArray(j.outputs) ? j.outputs : (j.outputs as Record<string, unknown> | undefined)?.[OUTPUT];
    if (!Array.isArray(t))
      throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label} answered without "outputs" (or outputs.${OUTPUT})`);
    const dim = Array.isArray(t[0]) ? (t[0] as unknown[]).length : -1;
    const flat: unknown[] = [];
    for (const row of t) {
      if (!Array.isArray(row) || row.length !== dim)
        throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label} sent ragged or non-2-D "${OUTPUT}" rows`);
      for (const v of row) flat.push(v);
    }
    return embeddingsFrom(this.label, b.batch, [t.length, dim], flat);
  }

  private modelPath(): string {
    return `/v1/models/${encodeURIComponent(this.o.model)}`;
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
