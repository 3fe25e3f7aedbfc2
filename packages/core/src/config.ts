import { DEFAULT_LIMITS, type Limits } from '@servebench/contract';
import { isModelConfigName, type ModelConfigName } from '@servebench/model';

export interface ServerConfig {
  host: string;
  port: number;
  workers: number;
  model: ModelConfigName;
  modelSeed: number;
  /** Where generated models live; undefined means the repo's models/ folder. */
  modelsDir: string | undefined;
  backend: string;
  device: 'cpu' | 'cuda';
  intraOpThreads: number;
  interOpThreads: number;
  limits: Limits;
  /** Requests allowed to wait for the backend before new ones are shed with 429. */
  maxQueue: number;
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Every environment variable a server reads, with its default. Documented in the README. */
export const ENV_DEFAULTS = {
  HOST: '127.0.0.1',
  PORT: '8080',
  WORKERS: '1',
  MODEL: 'mini',
  MODEL_SEED: '0',
  MODELS_DIR: '',
  BACKEND: 'ort',
  DEVICE: 'cpu',
  INTRA_OP_THREADS: '1',
  INTER_OP_THREADS: '1',
  MAX_BODY_BYTES: String(DEFAULT_LIMITS.maxBodyBytes),
  MAX_TEXTS: String(DEFAULT_LIMITS.maxTexts),
  MAX_TEXT_CHARS: String(DEFAULT_LIMITS.maxTextChars),
  MAX_QUEUE: '256',
  SHUTDOWN_GRACE_MS: '10000',
} as const;

type Env = Record<string, string | undefined>;

function int(env: Env, key: keyof typeof ENV_DEFAULTS, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key] ?? ENV_DEFAULTS[key];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key}=${raw} is invalid: expected an integer in [${min}, ${max}]`);
  }
  return n;
}

/** Parses the environment once, at the edge, into a frozen config. Throws ConfigError with the variable name. */
export function parseServerConfig(env: Env): Readonly<ServerConfig> {
  const model = env.MODEL ?? ENV_DEFAULTS.MODEL;
  if (!isModelConfigName(model)) throw new ConfigError(`MODEL=${model} is invalid: expected tiny, mini, small or base`);
  const device = env.DEVICE ?? ENV_DEFAULTS.DEVICE;
  if (device !== 'cpu' && device !== 'cuda') throw new ConfigError(`DEVICE=${device} is invalid: expected cpu or cuda`);
  return Object.freeze({
    host: env.HOST || ENV_DEFAULTS.HOST,
    port: int(env, 'PORT', 0, 65535),
    workers: int(env, 'WORKERS', 1, 64),
    model,
    modelSeed: int(env, 'MODEL_SEED', 0, 2 ** 31 - 1),
    modelsDir: env.MODELS_DIR || undefined,
    backend: env.BACKEND || ENV_DEFAULTS.BACKEND,
    device,
    intraOpThreads: int(env, 'INTRA_OP_THREADS', 1, 256),
    interOpThreads: int(env, 'INTER_OP_THREADS', 1, 256),
    limits: Object.freeze({
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 64, 256 * 1024 * 1024),
      maxTexts: int(env, 'MAX_TEXTS', 1, 100_000),
      maxTextChars: int(env, 'MAX_TEXT_CHARS', 1, 100_000_000),
    }),
    maxQueue: int(env, 'MAX_QUEUE', 0, 1_000_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
  });
}
