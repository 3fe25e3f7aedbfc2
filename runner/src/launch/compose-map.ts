// Compose mapping: which compose services a stack needs, the port variable, the images a compose
// config names, and the env file a server container reads.
import type { StackSpec } from '../discover.js';
import { LaunchError } from './types.js';

/** Model servers the proxy backends need, by backend prefix, with the URL a server uses to reach them. */
const MODEL_SERVERS: Array<{ prefix: string; service: string; url: (backend: string) => string }> = [
  {
    prefix: 'triton-',
    service: 'triton',
    url: (b) => (b === 'triton-grpc' ? '127.0.0.1:8001' : 'http://127.0.0.1:8000'),
  },
  {
    prefix: 'tfserving-',
    service: 'tfserving',
    url: (b) => (b === 'tfserving-grpc' ? '127.0.0.1:8500' : 'http://127.0.0.1:8501'),
  },
];

/** The compose services a stack needs: its server's, plus a model server for proxy backends. */
export function servicesOf(stack: StackSpec): { server: string; modelServer?: { service: string; url: string } } {
  const server = stack.server.compose ?? stack.server.id;
  const m = MODEL_SERVERS.find((x) => stack.backend.startsWith(x.prefix));
  return m ? { server, modelServer: { service: m.service, url: m.url(stack.backend) } } : { server };
}

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
