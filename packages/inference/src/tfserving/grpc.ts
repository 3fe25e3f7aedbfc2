import { BackendError, type Backend, type EncodedBatch, type Embeddings } from '../backend.js';
import { GrpcPool, grpcTarget, loadProto, serviceCtor } from '../triton/grpc-pool.js';
import {
  INPUTS,
  OUTPUT,
  bytesOf,
  embeddingsFrom,
  inputArrays,
  ModelServerBackend,
  type ModelServerOptions,
} from '../triton/remote.js';
import { SIGNATURE } from './rest.js';

interface TensorProto {
  dtype: string;
  tensor_shape: { dim: { size: number }[] } | null;
  tensor_content: Buffer;
  float_val: number[];
}

let services: { predict: ReturnType<typeof serviceCtor>; model: ReturnType<typeof serviceCtor> } | undefined;
/** tensorflow.serving.PredictionService and ModelService from proto/tensorflow_serving, loaded once. */
export function tfServingServices(): NonNullable<typeof services> {
  if (!services) {
    const pkg = loadProto(
      'tensorflow_serving/apis/prediction_service.proto',
      'tensorflow_serving/apis/model_service.proto',
    );
    services = {
      predict: serviceCtor(pkg, 'tensorflow.serving.PredictionService'),
      model: serviceCtor(pkg, 'tensorflow.serving.ModelService'),
    };
  }
  return services;
}

/** TF Serving over gRPC: PredictionService/Predict with int64 tensor_content; ModelService/GetModelStatus for readiness. */
export class TfServingGrpcBackend extends ModelServerBackend implements Backend {
  readonly id = 'tfserving-grpc';
  private readonly predict: GrpcPool;
  private readonly status: GrpcPool;
  private readonly label: string;
  private version: string | undefined;

  constructor(opts: Partial<ModelServerOptions>) {
    super(opts);
    const target = grpcTarget(this.o.url, '127.0.0.1:8500');
    this.label = `TF Serving gRPC at ${target}`;
    const s = tfServingServices();
    this.predict = new GrpcPool(s.predict, target, {
      label: this.label,
      connections: this.o.connections,
      keepAliveMs: this.o.keepAliveMs,
    });
    this.status = new GrpcPool(s.model, target, { label: this.label, connections: 1, keepAliveMs: 0 });
  }

  info(): Record<string, string> {
    return {
      runtime: 'TF Serving (gRPC)',
      model_server_url: this.predict.target,
      model: this.o.model,
      ...(this.version ? { model_version: this.version } : {}),
      signature: SIGNATURE,
      tensor_form: 'tensor_content',
      connections: String(this.o.connections),
      timeout_ms: String(this.o.timeoutMs),
    };
  }

  async load(): Promise<void> {}

  async ready(): Promise<boolean> {
    try {
      const r = await this.status.call<{ model_version_status: { version: number; state: string }[] }>(
        'GetModelStatus',
        { model_spec: { name: this.o.model } },
        this.o.timeoutMs,
      );
      const ok = r.model_version_status.find((v) => v.state === 'AVAILABLE');
      this.version = ok ? String(ok.version) : undefined;
      return ok !== undefined;
    } catch (e) {
      if (e instanceof BackendError) return false;
      throw e;
    }
  }

  async embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    const tensor_shape = { dim: [{ size: b.batch }, { size: b.seqLen }] };
    const arrays = inputArrays(b);
    const req = {
      model_spec: { name: this.o.model, signature_name: SIGNATURE },
      inputs: Object.fromEntries(
        INPUTS.map((name, i) => [name, { dtype: 'DT_INT64', tensor_shape, tensor_content: bytesOf(arrays[i]!) }]),
      ),
      output_filter: [OUTPUT],
    };
    const res = await this.predict.call<{ outputs: Record<string, TensorProto> }>(
      'Predict',
      req,
      this.o.timeoutMs,
      signal,
    );
    const t = res.outputs[OUTPUT];
    if (!t) throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label} answered without an "${OUTPUT}" output`);
    if (t.dtype !== 'DT_FLOAT')
      throw new BackendError('BAD_BACKEND_RESPONSE', `${this.label}: "${OUTPUT}" is ${t.dtype}, expected DT_FLOAT`);
    const shape = (t.tensor_shape?.dim ?? []).map((d) => d.size);
    return embeddingsFrom(this.label, b.batch, shape, t.tensor_content.byteLength > 0 ? t.tensor_content : t.float_val);
  }

  async close(): Promise<void> {
    this.predict.close();
    this.status.close();
  }
}
