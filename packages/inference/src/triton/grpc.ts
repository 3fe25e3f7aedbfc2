import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import { GrpcPool, grpcTarget, loadProto, serviceCtor } from './grpc-pool.js';
import {
  INPUTS,
  OUTPUT,
  bytesOf,
  embeddingsFrom,
  inputArrays,
  ModelServerBackend,
  type ModelServerOptions,
} from './remote.js';
import type { ServerMetadata } from './http.js';

interface InferOutput {
  name: string;
  datatype: string;
  shape: number[];
  contents: { fp32_contents: number[] } | null;
}
interface InferResponse {
  outputs: InferOutput[];
  raw_output_contents: Buffer[];
}

let service: ReturnType<typeof serviceCtor> | undefined;
/** inference.GRPCInferenceService from proto/triton/grpc_service.proto, loaded once. */
export function tritonService(): ReturnType<typeof serviceCtor> {
  service ??= serviceCtor(loadProto('triton/grpc_service.proto'), 'inference.GRPCInferenceService');
  return service;
}

/** Triton over the KServe v2 gRPC protocol (inference.GRPCInferenceService), tensors in raw_input_contents. */
export class TritonGrpcBackend extends ModelServerBackend implements Backend {
  readonly id = 'triton-grpc';
  private readonly pool: GrpcPool;
  private readonly label: string;
  private metadata: ServerMetadata | undefined;

  constructor(opts: Partial<ModelServerOptions>) {
    super(opts);
    const target = grpcTarget(this.o.url, '127.0.0.1:8001');
    this.label = `Triton gRPC at ${target}`;
    this.pool = new GrpcPool(tritonService(), target, {
      label: this.label,
      connections: this.o.connections,
      keepAliveMs: this.o.keepAliveMs,
    });
  }

  info(): Record<string, string> {
    const m = this.metadata;
    return {
      runtime: m ? `${m.name} ${m.version} (KServe v2 gRPC)` : 'Triton (not contacted yet)',
      model_server_url: this.pool.target,
      model: this.o.model,
      tensor_form: 'raw_input_contents',
      connections: String(this.o.connections),
      timeout_ms: String(this.o.timeoutMs),
    };
  }

  async load(): Promise<void> {
    await this.serverMetadata().catch(() => undefined);
  }

  async ready(): Promise<boolean> {
    try {
      const r = await this.pool.call<{ ready: boolean }>(
        'ModelReady',
        { name: this.o.model, version: '' },
        this.o.timeoutMs,
      );
      if (!r.ready) return false;
      await this.serverMetadata();
      return true;
    } catch (e) {
      if (e instanceof BackendError) return false;
      throw e;
    }
  }

  async serverMetadata(): Promise<ServerMetadata> {
    this.metadata ??= await this.pool.call<ServerMetadata>('ServerMetadata', {}, this.o.timeoutMs);
    return this.metadata;
  }

  async embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    const shape = [b.batch, b.seqLen];
    const req = {
      model_name: this.o.model,
      inputs: INPUTS.map((name) => ({ name, datatype: 'INT64', shape })),
      outputs: [{ name: OUTPUT }],
      raw_input_contents: inputArrays(b).map(bytesOf),
    };
    const res = await this.pool.call<InferResponse>('ModelInfer', req, this.o.timeoutMs, signal);
    const i = res.outputs.findIndex((o) => o.name === OUTPUT);
    const out = res.outputs[i];
    if (!out) throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label} answered without an "${OUTPUT}" output`);
    if (out.datatype !== 'FP32')
      throw new BackendError(
        'BAD_BACKEND_RESPONSE',
        `${this.label}: "${OUTPUT}" is ${JSON.stringify(out.datatype)}, expected FP32`,
      );
    const raw = res.raw_output_contents[i];
    if (raw) return embeddingsFrom(this.label, b.batch, out.shape, raw);
    if (out.contents) return embeddingsFrom(this.label, b.batch, out.shape, out.contents.fp32_contents);
    throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label}: "${OUTPUT}" has no contents`);
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
