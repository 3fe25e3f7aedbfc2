/** Paths of the HTTP contract, shared by servers, tests and the runner. */
export const ROUTES = {
  hello: '/hello_world',
  tokenize: '/tokenize',
  predict: '/predict',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const;

export const TASKS = ['hello_world', 'tokenize', 'predict'] as const;
export type Task = (typeof TASKS)[number];

export const TASK_ROUTE: Readonly<Record<Task, string>> = {
  hello_world: ROUTES.hello,
  tokenize: ROUTES.tokenize,
  predict: ROUTES.predict,
};

export const HELLO_BODY = '{"Hello":"World"}';

/** Request limits. Every server enforces the same values; they are reported by /readyz. */
export interface Limits {
  maxBodyBytes: number;
  maxTexts: number;
  maxTextChars: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxTexts: 64,
  maxTextChars: 20_000,
});
