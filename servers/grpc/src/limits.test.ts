import http2 from 'node:http2';
import { once } from 'node:events';
import { ServingClient, grpcTarget } from '@servebench/contract/grpc';
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

/** An HTTP/2 connection: 'accepted' once the server's SETTINGS arrive, 'closed' if it is closed first. */
function connect(
  baseUrl: string,
): Promise<{ outcome: 'accepted' | 'closed' | 'no answer'; session: http2.ClientHttp2Session }> {
  const session = http2.connect(baseUrl);
  session.on('error', () => undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ outcome: 'no answer', session }), 5000);
    session.once('remoteSettings', () => (clearTimeout(timer), resolve({ outcome: 'accepted', session })));
    session.once('close', () => (clearTimeout(timer), resolve({ outcome: 'closed', session })));
  });
}

describe('grpc server: MAX_CONNECTIONS caps connections, as on the HTTP stacks', () => {
  it('closes connections beyond it at once; the ones held keep being served', async () => {
    // The default idle timeout (30 s): the held connections stay open for the whole test.
    const capped = await startForTest('grpc', listen, { MAX_CONNECTIONS: '4' });
    const client = new ServingClient(grpcTarget(capped.baseUrl));
    const sessions: http2.ClientHttp2Session[] = [];
    try {
      expect(await client.health()).toBe('SERVING'); // the client's channel is the first connection
      const held = await Promise.all(Array.from({ length: 3 }, () => connect(capped.baseUrl)));
      sessions.push(...held.map((c) => c.session));
      expect(held.map((c) => c.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
      const extra = await Promise.all(Array.from({ length: 3 }, () => connect(capped.baseUrl)));
      sessions.push(...extra.map((c) => c.session));
      expect(extra.map((c) => c.outcome)).toEqual(['closed', 'closed', 'closed']);
      expect(await client.health()).toBe('SERVING');
      // A freed slot takes a new connection.
      held[0]!.session.destroy();
      await once(held[0]!.session, 'close');
      let again = await connect(capped.baseUrl);
      for (let i = 0; i < 20 && again.outcome !== 'accepted'; i++) {
        await new Promise((r) => setTimeout(r, 50)); // the server sees the close a moment after the client
        again = await connect(capped.baseUrl);
      }
      sessions.push(again.session);
      expect(again.outcome).toBe('accepted');
    } finally {
      for (const s of sessions) s.destroy();
      client.close();
      await capped.close();
    }
  }, 60_000);
});
