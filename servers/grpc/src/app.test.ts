import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ServeError } from '@servebench/contract';
import { ServingClient, grpcTarget, methodPath } from '@servebench/contract/grpc';
import { describeGrpcConformance, referenceTokenizer } from '@servebench/contract/grpc-vitest';
import { inProcessEmbedder, startForTest, type TestServer } from '@servebench/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listen } from './app.js';

let server: TestServer;
let embed: (texts: string[]) => Promise<number[][]>;
let target: string;
let tokenize: Awaited<ReturnType<typeof referenceTokenizer>>;
beforeAll(async () => {
  [server, embed, tokenize] = await Promise.all([
    startForTest('grpc', listen),
    inProcessEmbedder('tiny'),
    referenceTokenizer(),
  ]);
  target = grpcTarget(server.baseUrl);
}, 120_000);
afterAll(() => server?.close());

describeGrpcConformance('grpc', () => ({ target, embed, tokenize, tolerance: 1e-6 }));

/** predictTexts that hangs until its signal aborts, and hands that signal to the test. */
function hangingPredict(): Promise<AbortSignal> {
  return new Promise((seen) => {
    vi.spyOn(server.service, 'predictTexts').mockImplementationOnce((_texts, signal) => {
      seen(signal!);
      return new Promise((_, reject) =>
        signal!.addEventListener('abort', () => reject(new ServeError('BACKEND_TIMEOUT', 'cancelled'))),
      );
    });
  });
}

describe('grpc server: cancellation frees the work', () => {
  it('aborts predictTexts when the client deadline passes', async () => {
    const signal = hangingPredict();
    const client = new ServingClient(target);
    const r = await client.call('Predict', { text: 'slow' }, { timeoutMs: 300 });
    client.close();
    expect(grpc.status[r.code]).toBe('DEADLINE_EXCEEDED');
    const s = await signal;
    await vi.waitFor(() => expect(s.aborted).toBe(true));
  });

  it('aborts predictTexts when the client cancels', async () => {
    const signal = hangingPredict();
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    const raw = (b: Buffer) => b;
    const call = client.makeUnaryRequest(methodPath('Predict'), raw, raw, Buffer.alloc(0), () => undefined);
    const s = await signal;
    call.cancel();
    await vi.waitFor(() => expect(s.aborted).toBe(true));
    client.close();
  });
});

describe('grpc server: reflection', () => {
  it('lists Serving and Health, as grpcurl and ghz need', async () => {
    const root = dirname(createRequire(import.meta.url).resolve('@grpc/reflection'));
    const proto = join(root, '../proto/grpc/reflection/v1/reflection.proto');
    type Reply = {
      list_services_response?: { service: { name: string }[] };
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
    };
    type Reflection = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Reply> };
    const def = grpc.loadPackageDefinition(loadSync(proto, { keepCase: true })) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (t: string, c: grpc.ChannelCredentials) => Reflection } } };
    };
    const client = new def.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure());
    const stream = client.ServerReflectionInfo();
    const reply = new Promise<string[]>((resolve, reject) => {
      stream.once('data', (m: Reply) => resolve((m.list_services_response?.service ?? []).map((x) => x.name)));
      stream.once('error', reject);
    });
    stream.write({ list_services: '' });
    const names = await reply;
    // The health descriptor must not carry grpc-health-check's List call: its map field breaks grpcurl.
    const files = new Promise<string>((resolve, reject) => {
      stream.once('data', (m: Reply) =>
        resolve(Buffer.concat(m.file_descriptor_response?.file_descriptor_proto ?? []).toString('latin1')),
      );
      stream.once('error', reject);
    });
    stream.write({ file_containing_symbol: 'grpc.health.v1.Health' });
    const health = await files;
    stream.end();
    client.close();
    expect(names).toEqual(expect.arrayContaining(['servebench.v1.Serving', 'grpc.health.v1.Health']));
    expect(health).toContain('HealthCheckResponse');
    expect(health).not.toContain('HealthListResponse');
  });
});
