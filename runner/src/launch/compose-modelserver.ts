// The model server container behind a proxy stack under `--launcher compose`: Triton from the local
// servebench-triton image (modelservers/triton/serve.py, as the process launcher runs it) serving the
// repository the runner writes under models/, on free loopback ports (host network). The server
// container reaches it at MODEL_SERVER_URL over 127.0.0.1.
import { isAbsolute, relative, sep } from 'node:path';
import type { ModelFiles } from '@servebench/model';
import type { RunSettings } from '../profiles.js';
import type { BatchingPolicy } from '../rounds/batching.js';
import type { FollowedContainer } from './compose-container.js';
import type { ModelServerService } from './compose-map.js';
import { httpGet, httpOk } from './ready.js';
import { tritonBatching, tritonInfo, writeRunTritonRepo } from './triton.js';
import { LaunchError, MODEL } from './types.js';

/** What a model server container is made from: the run's model and batching settings. */
export interface ComposeModelServerConfig {
  files: ModelFiles;
  settings: Pick<RunSettings, 'maxBatchSize' | 'maxQueueDelayUs' | 'intraOpThreads'>;
}

export interface PreparedModelServer {
  /** Variables compose.yaml interpolates into the service: its ports and repository. */
  composeEnv: Record<string, string>;
  /** For the server container: MODEL_SERVER_URL (loopback) and MODEL_SERVER_MODEL. */
  serverEnv: Record<string, string>;
  /** One readiness probe of the running container. */
  ready(c: FollowedContainer): Promise<boolean>;
  /** What ran, for the stack's backendInfo (the keys the process launcher gives). */
  info(c: FollowedContainer): Promise<Record<string, string>>;
  /** The batching policy the model server runs, when known. */
  batching(c: FollowedContainer): BatchingPolicy | undefined;
}

/**
 * Writes what the model server needs (Triton: the run's repository, the one the process launcher
 * serves) and names its ports. `modelsDir` is what compose mounts at /models.
 */
export async function prepareModelServer(
  ms: ModelServerService,
  ports: number[],
  o: { modelsDir: string; config?: ComposeModelServerConfig; image: string },
): Promise<PreparedModelServer> {
  const composeEnv = Object.fromEntries(ms.ports.map((v, i) => [v, String(ports[i])]));
  const serverEnv = { MODEL_SERVER_URL: ms.url(ports), MODEL_SERVER_MODEL: MODEL };
  if (ms.service !== 'triton') {
    // TF Serving: its image cannot be pulled here, so this path only names ports and probes REST.
    const rest = `http://127.0.0.1:${composeEnv.TFSERVING_REST_PORT}`;
    return {
      composeEnv,
      serverEnv,
      ready: () => httpOk(`${rest}/v1/models/${MODEL}`),
      info: async () => ({ model_server: `tfserving (${o.image})` }),
      // compose.yaml starts it without --enable_batching.
      batching: () => ({ maxBatchSize: 1, maxQueueDelayUs: 0 }),
    };
  }
  if (!o.config) {
    throw new LaunchError(
      'spawn',
      'the compose launcher was given no model files: a triton-* stack needs them for its repository',
    );
  }
  const repo = await writeRunTritonRepo({ files: o.config.files, ...o.config.settings });
  const rel = relative(o.modelsDir, repo.root);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new LaunchError(
      'spawn',
      `the Triton repository ${repo.root} lies outside ${o.modelsDir}, which compose mounts`,
    );
  }
  composeEnv.TRITON_REPO = rel.split(sep).join('/');
  const base = `http://127.0.0.1:${composeEnv.TRITON_HTTP_PORT}`;
  return {
    composeEnv,
    serverEnv,
    // The server, the model, and serve.py's "serving" line (what it runs), as for the process launcher.
    ready: async (c) =>
      (await httpOk(`${base}/v2/health/ready`)) &&
      (await httpOk(`${base}/v2/models/${MODEL}/ready`)) &&
      c.event('serving') !== undefined,
    info: async (c) => {
      const meta = JSON.parse((await httpGet(`${base}/v2`))?.body ?? '{}') as { name?: string; version?: string };
      const info = tritonInfo(c.event('serving') ?? {}, meta, repo.root);
      return { ...info, launcher: `${info.launcher}, container ${o.image}` };
    },
    batching: (c) => tritonBatching(c.event('serving') ?? {}),
  };
}
