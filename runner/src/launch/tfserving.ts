// TF Serving from a tensorflow_model_server binary or a local tensorflow/serving image.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ensureTfServingRepo } from '@servebench/model';
import { awaitReady, freePorts, stopGroup } from './child.js';
import type { LaunchedModelServer, ModelServerOptions } from './modelserver.js';
import { modelServerEndpoints, spawnModelServer } from './modelserver-child.js';
import { httpGet } from './ready.js';
import { LaunchError, MODEL } from './types.js';

/**
 * Where TF Serving could come from here: a local tensorflow/serving image, published on 127.0.0.1
 * only. tensorflow_model_server binds every interface (0.0.0.0 is hard-coded for gRPC and REST and no
 * flag sets an address, tensorflow/serving#1969), so its binary on PATH is refused rather than run.
 */
export function findTfServing(env: NodeJS.ProcessEnv = process.env): { image: string } | { reason: string } {
  const image = 'tensorflow/serving';
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status === 0) return { image };
  for (const d of (env.PATH ?? '').split(':')) {
    const b = join(d, 'tensorflow_model_server');
    if (d && existsSync(b)) {
      return {
        reason:
          `TF Serving refused: ${b} would listen on every interface (tensorflow_model_server hard-codes 0.0.0.0 ` +
          `and has no address flag, tensorflow/serving#1969); the runner only starts it from a local ${image} image, ` +
          'whose ports it publishes on 127.0.0.1 only.',
      };
    }
  }
  const docker = r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ');
  return {
    reason:
      `TF Serving cannot run here: no tensorflow_model_server on PATH and no local ${image} image ` +
      `(docker image inspect ${image}: ${docker}). TF Serving ships only as that container image (Docker Hub) ` +
      `or a binary from its own apt repository, and neither is reachable from this machine; PyPI has only its client API.`,
  };
}

/** The contract's largest request (64 texts): TF Serving's max_batch_size bounds one request's rows. */
const MIN_TFSERVING_BATCH = 64;
/** Where the container sees the batching parameters file. */
const BATCHING_FILE_IN_CONTAINER = '/config/batching_parameters.pbtxt';

/**
 * TF Serving's --batching_parameters_file for the run's policy (text BatchingParameters). A batch
 * holds at most the run's max batch size (max_execution_batch_size) and waits at most its queue delay
 * (batch_timeout_micros). max_batch_size is the largest request accepted, so a 64-text request is
 * split into executions of the run's size rather than refused. One batch thread: one model call at a
 * time, as Triton's single instance and the in-process stacks. Variable-length inputs are padded, as
 * every batcher here pads to the longest sequence.
 */
export function tfServingBatchingParameters(o: { maxBatchSize: number; maxQueueDelayUs: number }): string {
  return [
    `max_batch_size { value: ${Math.max(MIN_TFSERVING_BATCH, o.maxBatchSize)} }`,
    `batch_timeout_micros { value: ${o.maxQueueDelayUs} }`,
    'num_batch_threads { value: 1 }',
    // The stacks' own queue bound (MAX_QUEUE 256): one batch per waiting request at worst.
    'max_enqueued_batches { value: 256 }',
    'enable_large_batch_splitting { value: true }',
    `max_execution_batch_size { value: ${o.maxBatchSize} }`,
    'pad_variable_length_inputs: true',
    '',
  ].join('\n');
}

/**
 * The docker command line that serves the SavedModel at basePath, ports published on 127.0.0.1 only.
 * With batchingFile (batching on) TF Serving batches with it; without it, no --enable_batching, so
 * every request is its own model call.
 */
export function tfServingArgv(o: {
  image: string;
  basePath: string;
  grpcPort: number;
  restPort: number;
  batchingFile?: string;
}): string[] {
  const flags = ['--port=8500', '--rest_api_port=8501', `--model_name=${MODEL}`];
  if (o.batchingFile) flags.push('--enable_batching=true', `--batching_parameters_file=${BATCHING_FILE_IN_CONTAINER}`);
  // Bridge network with both ports published on 127.0.0.1 only (not --network host: TF Serving binds 0.0.0.0).
  return [
    'docker',
    'run',
    '--rm',
    '-i',
    '-p',
    `127.0.0.1:${o.grpcPort}:8500`,
    '-p',
    `127.0.0.1:${o.restPort}:8501`,
    '-v',
    `${o.basePath}:/models/${MODEL}:ro`,
    ...(o.batchingFile ? ['-v', `${o.batchingFile}:${BATCHING_FILE_IN_CONTAINER}:ro`] : []),
    o.image,
    ...flags,
    `--model_base_path=/models/${MODEL}`,
  ];
}

/**
 * Writes the run's batching parameters beside the model server's log (in the run's folder) when the
 * run batches; undefined when it does not.
 */
export async function writeTfServingBatching(
  o: Pick<ModelServerOptions, 'logFile' | 'maxBatchSize' | 'maxQueueDelayUs'>,
): Promise<string | undefined> {
  if (o.maxBatchSize <= 1) return undefined;
  const file = `${o.logFile.replace(/\.log$/, '')}.batching_parameters.pbtxt`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, tfServingBatchingParameters(o));
  return file;
}

/** TF Serving from a tensorflow_model_server binary or a local tensorflow/serving image, over a SavedModel export. */
export async function launchTfServing(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const where = findTfServing();
  if ('reason' in where) throw new LaunchError('spawn', where.reason, true);
  let repo;
  try {
    repo = await ensureTfServingRepo(
      o.files,
      join(dirname(o.files.dir), 'tfserving', basename(o.files.dir)), // mini-s0, or a converted model's <name>-<source key>
      { modelName: MODEL },
    );
  } catch (e) {
    throw new LaunchError('spawn', `TF Serving cannot run here: ${(e as Error).message}`, true);
  }
  const [grpc, rest] = (await freePorts(2)) as [number, number];
  const batchingFile = await writeTfServingBatching(o);
  const t0 = performance.now();
  const argv = tfServingArgv({
    image: where.image,
    basePath: repo.basePath,
    grpcPort: grpc,
    restPort: rest,
    batchingFile,
  });
  const p = spawnModelServer(argv, o);
  const stop = () => stopGroup(p, 20_000);
  const base = `http://127.0.0.1:${rest}`;
  let coldStartMs: number;
  try {
    coldStartMs = await awaitReady(p, {
      what: 'TF Serving',
      t0,
      timeoutMs: o.readyTimeoutMs,
      intervalMs: 100,
      ready: async () => {
        const r = await httpGet(`${base}/v1/models/${MODEL}`);
        const j =
          r?.status === 200 ? (JSON.parse(r.body) as { model_version_status?: { state?: string }[] }) : undefined;
        return j?.model_version_status?.some((v) => v.state === 'AVAILABLE') ?? false;
      },
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    kind: 'tfserving',
    pid: p.pid,
    ...modelServerEndpoints(o.backend === 'tfserving-grpc', base, grpc),
    info: {
      model_server: `docker image ${where.image} (ports published on 127.0.0.1 only)`,
      model_repository: repo.basePath,
      dynamic_batching: batchingFile
        ? `max_execution_batch_size ${o.maxBatchSize}, batch_timeout_micros ${o.maxQueueDelayUs}, num_batch_threads 1 (${batchingFile})`
        : 'off (no --enable_batching)',
    },
    // Set by its flags (TF Serving has no API that reads the batching parameters back).
    batching: batchingFile
      ? { maxBatchSize: o.maxBatchSize, maxQueueDelayUs: o.maxQueueDelayUs }
      : { maxBatchSize: 1, maxQueueDelayUs: 0 },
    coldStartMs,
    exited: p.exited,
    logTail: p.logTail,
    stop,
  };
}
