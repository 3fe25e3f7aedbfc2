// Compose mapping: which compose services a stack needs, the port variable, the images a compose
// config names, and the env file a server container reads.
import type { StackSpec } from '../discover.js';
import { LaunchError } from './types.js';

/**
 * Model servers the proxy backends need, by backend prefix: their compose service, the port variables
 * compose.yaml reads for them (the launcher picks free ports: host network), and the URL a server uses
 * to reach them over loopback, from those ports in that order.
 */
const MODEL_SERVERS: Array<{
  prefix: string;
  service: string;
  ports: string[];
  url: (backend: string, ports: number[]) => string;
}> = [
  {
    prefix: 'triton-',
    service: 'triton',
    ports: ['TRITON_HTTP_PORT', 'TRITON_GRPC_PORT', 'TRITON_METRICS_PORT'],
    url: (b, [http, grpc]) => (b === 'triton-grpc' ? `127.0.0.1:${grpc}` : `http://127.0.0.1:${http}`),
  },
  {
    prefix: 'tfserving-',
    service: 'tfserving',
    ports: ['TFSERVING_PORT', 'TFSERVING_REST_PORT'],
    url: (b, [grpc, rest]) => (b === 'tfserving-grpc' ? `127.0.0.1:${grpc}` : `http://127.0.0.1:${rest}`),
  },
];

export interface ModelServerService {
  service: string;
  /** compose.yaml's port variables for it, e.g. TRITON_HTTP_PORT. */
  ports: string[];
  /** The server's MODEL_SERVER_URL once the ports are chosen. */
  url(ports: number[]): string;
}

/** The compose services a stack needs: its server's, plus a model server for proxy backends. */
export function servicesOf(stack: StackSpec): { server: string; modelServer?: ModelServerService } {
  const server = stack.server.compose ?? stack.server.id;
  const m = MODEL_SERVERS.find((x) => stack.backend.startsWith(x.prefix));
  return m
    ? { server, modelServer: { service: m.service, ports: m.ports, url: (p) => m.url(stack.backend, p) } }
    : { server };
}

/** One compose project per stack (`<run project>-fastify-triton-http`): stacks kept up side by side never share a service. */
export const stackProject = (runProject: string, stackId: string): string =>
  `${runProject}-${stackId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;

/** GPU stacks get compose.gpu.yaml: the -gpu backends and anything run with DEVICE=cuda. */
export const needsGpu = (backend: string, env: Record<string, string>): boolean =>
  backend.endsWith('-gpu') || env.DEVICE === 'cuda';

/** `fastify` -> `FASTIFY_PORT`, the variable compose.yaml reads for the service's port. */
export const portVar = (service: string): string => `${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;

/** services.<name>.image from `config` output: JSON (v2 --format json) or the normalized YAML both versions print. */
export function parseConfigImages(text: string): Map<string, string> {
  const images = new Map<string, string>();
  if (text.trimStart().startsWith('{')) {
    const cfg = JSON.parse(text) as { services?: Record<string, { image?: string }> };
    for (const [name, svc] of Object.entries(cfg.services ?? {})) if (svc.image) images.set(name, svc.image);
    return images;
  }
  let inServices = false;
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      current = undefined;
      continue;
    }
    if (!inServices) continue;
    const svc = /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (svc) {
      current = svc[1];
      continue;
    }
    const img = /^ {4}image:\s*(.+?)\s*$/.exec(line);
    if (img && current) images.set(current, img[1]!.replace(/^(['"])(.*)\1$/, '$2'));
  }
  return images;
}

/** The env file the server container reads (compose.yaml: env_file). One KEY=VALUE a line, no quoting. */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\r\n]/.test(v))
        throw new LaunchError('spawn', `cannot pass ${k} through an env file`);
      return `${k}=${v}\n`;
    })
    .join('');
}
