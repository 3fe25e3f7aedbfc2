import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** tsx's ESM API, resolved from here so it works whatever the cwd is. */
function tsxApiUrl(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports?: Record<string, { import?: { default?: string } }>;
  };
  const rel = pkg.exports?.['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/**
 * Starts a worker from a compiled `.js` module, or, when running from TypeScript sources (vitest,
 * tsx), from the `.ts` beside it with tsx registered inside the worker (Node 20 does not apply
 * `--import tsx` from a Worker's execArgv).
 */
export function spawnWorker(js: URL, options: WorkerOptions = {}): Worker {
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(js.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(ts))) throw new Error(`worker module not found: ${fileURLToPath(js)}`);
  const boot = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
