#!/usr/bin/env node
import { runServer, type StartFn } from '@servebench/core';
import { listen } from './app.js';

// `tfjs` (auto) may pick any runtime, so name the one that loaded before the listening line.
const start: StartFn = async (service, config) => {
  const ready = JSON.parse((await service.ready()).body) as { backend_info?: Record<string, string> };
  process.stdout.write(
    `${JSON.stringify({ event: 'backend_runtime', pid: process.pid, backend: config.backend, ...ready.backend_info })}\n`,
  );
  return listen(service, config);
};

// The runner always sets BACKEND per stack; a bare `node dist/main.js` runs `tfjs` (auto).
await runServer('tfjs', start, { ...process.env, BACKEND: process.env.BACKEND || 'tfjs' });
