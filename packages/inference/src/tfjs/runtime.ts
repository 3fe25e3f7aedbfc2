import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import { BackendError } from '../backend.js';

export type Tf = typeof TF;

/** Runtimes in the order `tfjs` (auto) tries them. */
export const TFJS_RUNTIMES = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'] as const;
export type TfjsRuntimeId = (typeof TFJS_RUNTIMES)[number];

export interface TfjsRuntime {
  id: TfjsRuntimeId;
  tf: Tf;
  /** runtime, versions and the thread count actually in use. */
  info: Record<string, string>;
}

const NODE_PACKAGES = { 'tfjs-node': '@tensorflow/tfjs-node', 'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu' } as const;
const require = createRequire(import.meta.url);

const versionOf = (pkg: string): string => {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

/** Throws BACKEND_CONFIG, without side effects, when `id` cannot possibly run on this machine. */
export function probeRuntime(id: TfjsRuntimeId): void {
  if (id === 'tfjs-wasm') return;
  const pkg = NODE_PACKAGES[id];
  try {
    require.resolve(pkg);
  } catch {
    throw new BackendError(
      'BACKEND_CONFIG',
      `BACKEND=${id} needs ${pkg}, which is not installed (its install downloads libtensorflow, so it is optional); install it with network access, or use BACKEND=tfjs-wasm`,
    );
  }
  // tfjs-node-gpu runs on the CPU when CUDA is missing; refuse instead of falling back silently.
  if (id === 'tfjs-node-gpu' && !existsSync('/dev/nvidiactl') && !existsSync('/dev/nvidia0')) {
    throw new BackendError(
      'BACKEND_CONFIG',
      `BACKEND=${id} needs an NVIDIA GPU and none is present (/dev/nvidia0 missing); use BACKEND=tfjs-node or tfjs-wasm`,
    );
  }
}

// The TensorFlow.js engine is process-global: one runtime per process.
let active: { id: TfjsRuntimeId; runtime: Promise<TfjsRuntime> } | undefined;

/** Loads and initialises one runtime; never falls back to another. */
export async function loadRuntime(id: TfjsRuntimeId, threads: number): Promise<TfjsRuntime> {
  probeRuntime(id);
  if (active && active.id !== id) {
    throw new BackendError(
      'BACKEND_CONFIG',
      `this process already runs TensorFlow.js on ${active.id}; the engine is global, so it cannot also run ${id}`,
    );
  }
  if (!active) {
    const runtime = id === 'tfjs-wasm' ? loadWasm(threads) : loadNode(id, threads);
    active = { id, runtime };
    runtime.catch(() => {
      if (active?.runtime === runtime) active = undefined;
    });
  }
  return active.runtime;
}

async function loadWasm(threads: number): Promise<TfjsRuntime> {
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Node reads the .wasm binaries from disk by path; point tfjs at the installed package.
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  // tfjs 4.x disables wasm threads under Node (tensorflow/tfjs#3830), so XNNPACK reports 1.
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm')))
    throw new BackendError('BACKEND_CONFIG', 'the TensorFlow.js wasm backend failed to initialise');
  tf.enableProdMode();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    id: 'tfjs-wasm',
    tf,
    info: {
      runtime: `tfjs-wasm ${wasm.version_wasm}`,
      tfjs_core: tf.version_core,
      wasm_binary: simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm',
      threads: String(wasm.getThreadsCount()),
      threads_requested: String(threads),
    },
  };
}

async function loadNode(id: 'tfjs-node' | 'tfjs-node-gpu', threads: number): Promise<TfjsRuntime> {
  const pkg = NODE_PACKAGES[id];
  // libtensorflow reads its thread pool sizes from these when it starts; respect explicit ones.
  process.env.TF_NUM_INTRAOP_THREADS ??= String(threads);
  process.env.TF_NUM_INTEROP_THREADS ??= '1';
  let mod: { default?: Tf } & Tf;
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch (e) {
    throw new BackendError(
      'BACKEND_CONFIG',
      `${pkg} is installed but failed to load (is libtensorflow missing?): ${(e as Error).message}`,
      { cause: e },
    );
  }
  const tf = mod.default ?? mod;
  if (!(await tf.setBackend('tensorflow')))
    throw new BackendError('BACKEND_CONFIG', `${pkg} did not register its "tensorflow" backend`);
  tf.enableProdMode();
  return {
    id,
    tf,
    info: {
      runtime: `${id} ${versionOf(pkg)}`,
      tfjs_core: tf.version_core,
      threads: process.env.TF_NUM_INTRAOP_THREADS,
      inter_op_threads: process.env.TF_NUM_INTEROP_THREADS,
    },
  };
}
