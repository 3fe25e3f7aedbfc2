import { AsyncLocalStorage } from 'node:async_hooks';

/** The abort signal of the HTTP request being served (set by hardenHttp around every route handler). */
const current = new AsyncLocalStorage<AbortSignal>();

/** Runs fn with `signal` as the current request's signal. */
export function withRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return current.run(signal, fn);
}

/** Aborts when the client of the request being served goes away before its answer; undefined outside a request. */
export function requestSignal(): AbortSignal | undefined {
  return current.getStore();
}
