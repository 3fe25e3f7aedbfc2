// Deletes a list of objects and waits until they are gone: run by a session's SIGINT handler as a
// separate, synchronous node process (`node reaper.js` with {target, objects} as JSON on stdin), so the
// deletions finish even when another SIGINT handler of the runner calls process.exit right after ours.
import { readFileSync } from 'node:fs';
import { clientKubeApi, kubeConfig, type ApiTarget } from './api.js';
import type { K8sObject } from './render.js';
import { K8sSession } from './session.js';

interface ReaperInput {
  target: ApiTarget;
  objects: K8sObject[];
}

async function main(): Promise<void> {
  const input = JSON.parse(readFileSync(0, 'utf8')) as ReaperInput;
  const log = (l: string) => process.stderr.write(`servebench k8s reaper: ${l}\n`);
  const session = new K8sSession(clientKubeApi(kubeConfig(input.target)), { log });
  await session.remove(input.objects, 90_000);
}

main().catch((e: Error) => {
  process.stderr.write(`servebench k8s reaper: ${e.message}\n`);
  process.exitCode = 1;
});
