// What the Triton and TF Serving launchers share: how their process is started, and how a stack is
// pointed at it.
import { spawnChild } from './child.js';
import type { ModelServerOptions } from './modelserver.js';
import { MODEL } from './types.js';
import { pinnedCommand } from '../placement/affinity.js';

/** Starts a model server pinned to the run's CPUs, its output appended to the run's log (the last 6,000 chars kept). */
export function spawnModelServer(argv: string[], o: Pick<ModelServerOptions, 'cpus' | 'logFile'>) {
  return spawnChild({
    argv: pinnedCommand(argv, o.cpus),
    env: process.env,
    logFile: o.logFile,
    appendLog: true,
    tailChars: 6000,
  });
}

/** The stack's environment (its gRPC or HTTP client's URL, and the model name) and both endpoints. */
export function modelServerEndpoints(useGrpc: boolean, base: string, grpcPort: number) {
  const grpc = `127.0.0.1:${grpcPort}`;
  return { env: { MODEL_SERVER_URL: useGrpc ? grpc : base, MODEL_SERVER_MODEL: MODEL }, urls: { http: base, grpc } };
}
