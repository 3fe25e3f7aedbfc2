import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { SERVICE_NAME, loadServingDefinition } from '@servebench/contract/grpc';
import type { Listening, ServerConfig, Service } from '@servebench/core';
import { HealthImplementation } from 'grpc-health-check';
import { decodeEmpty, decodeTexts, handlers } from './handlers.js';
import { fastPredictSerialize } from './embedding-wire.js';
import { contractStatusInterceptor } from './transport.js';

// src/ and dist/ both sit one level below the package root, next to proto/.
const HEALTH_PROTO = fileURLToPath(new URL('../proto/health.proto', import.meta.url));

/** Methods whose requests carry texts; the others take an empty message. Both decoders turn bad bytes into contract errors. */
const TEXT_METHODS = new Set(['Tokenize', 'TokenizeBatch', 'Predict', 'PredictBatch']);

/** A connection is asked to reconnect (GOAWAY, calls in flight finish) after this long. */
export const MAX_CONNECTION_AGE_MS = 600_000;
/** HTTP/2 session memory (MB) before new streams are refused: room for many 1 MiB messages, not unbounded. */
export const MAX_SESSION_MEMORY_MB = 64;

export interface GrpcApp {
  server: grpc.Server;
  health: HealthImplementation;
}

/** Builds the gRPC server with Serving, grpc.health.v1 and reflection; never listens. */
export function buildApp(service: Service): GrpcApp {
  const limit = service.config.limits.maxBodyBytes;
  // Message size limit = the contract's body limit; larger messages get RESOURCE_EXHAUSTED.
  // The interceptor gives grpc-js's own answers to malformed requests their contract status.
  const c = service.config.connections;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': limit,
    // Slow or idle clients (issue 15): calls in flight per connection capped like HTTP's connections,
    // an idle connection (no call) closed like an idle HTTP one, long-lived ones rotated, and the
    // memory a session may buffer bounded (grpc-js leaves it unlimited by default).
    'grpc.max_concurrent_streams': c.maxConnections,
    // grpc-js checks idleness once per period and, when the check lands a hair early, waits a whole
    // period more: half the period keeps the close within IDLE_TIMEOUT_MS (measured: 61.8 s at 30 s).
    'grpc.max_connection_idle_ms': Math.max(1, Math.ceil(c.idleTimeoutMs / 2)),
    'grpc.max_connection_age_ms': MAX_CONNECTION_AGE_MS,
    'grpc.max_connection_age_grace_ms': c.requestTimeoutMs,
    'grpc-node.max_session_memory': MAX_SESSION_MEMORY_MB,
    interceptors: [contractStatusInterceptor],
  });
  const definition = loadServingDefinition([HEALTH_PROTO]);
  const serving = definition[SERVICE_NAME] as grpc.ServiceDefinition;
  const lenient = Object.fromEntries(
    Object.entries(serving).map(([name, m]) => [
      name,
      {
        ...m,
        requestDeserialize: TEXT_METHODS.has(name) ? decodeTexts : decodeEmpty,
        // Predict replies are written from the Float32Array (embedding-wire.ts), byte-identical to protobufjs.
        ...(name === 'Predict' ? { responseSerialize: fastPredictSerialize(m.responseSerialize) } : {}),
      },
    ]),
  ) as grpc.ServiceDefinition;
  server.addService(lenient, handlers(service));
  // NOT_SERVING until listen() has seen the model answer.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);
  return { server, health };
}

const setHealth = (health: HealthImplementation, s: 'SERVING' | 'NOT_SERVING') => {
  health.setStatus('', s);
  health.setStatus(SERVICE_NAME, s);
};

/**
 * Listens on config.host:config.port (0 = any free port), plaintext HTTP/2. grpc-js has no connection
 * cap (grpc.max_concurrent_streams caps calls per connection), so a plain TCP server accepts and
 * hands each connection to grpc-js (its connection injector), with MAX_CONNECTIONS as its
 * maxConnections: Node closes a connection past it at once, as on the HTTP stacks.
 */
export async function listen(service: Service, config: Readonly<ServerConfig>): Promise<Listening> {
  const { server, health } = buildApp(service);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const tcp = net.createServer((socket) => injector.injectConnection(socket));
  tcp.maxConnections = config.connections.maxConnections;
  tcp.listen(config.port, config.host);
  await once(tcp, 'listening');
  if ((await service.ready()).status === 200) setHealth(health, 'SERVING');
  return {
    port: (tcp.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        setHealth(health, 'NOT_SERVING');
        tcp.close();
        // Lets in-flight calls finish; runServer's SHUTDOWN_GRACE_MS timer bounds the wait.
        server.tryShutdown(() => resolve());
      }),
  };
}
