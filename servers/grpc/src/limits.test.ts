import http2 from 'node:http2';
import { once } from 'node:events';
import { startForTest, type TestServer } from '@servebench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './app.js';

let server: TestServer;
beforeAll(async () => {
  server = await startForTest('grpc', listen, { IDLE_TIMEOUT_MS: '300', MAX_CONNECTIONS: '8' });
}, 120_000);
afterAll(() => server?.close());

describe('grpc server: connection limits from the shared config', () => {
  it('advertises MAX_CONNECTIONS as its concurrent-stream limit', async () => {
    const session = http2.connect(server.baseUrl);
    session.on('error', () => undefined);
    await once(session, 'remoteSettings');
    expect(session.remoteSettings.maxConcurrentStreams).toBe(8);
    session.destroy();
  });

  it('closes a connection that stays idle past IDLE_TIMEOUT_MS (GOAWAY)', async () => {
    const session = http2.connect(server.baseUrl);
    session.on('error', () => undefined);
    const goaway = once(session, 'goaway');
    await once(session, 'remoteSettings');
    await goaway; // the test's own timeout is the bound; no wall-clock assertion
    await once(session, 'close');
  });
});
