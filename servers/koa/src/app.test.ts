import { describeConformance } from '@servebench/contract/vitest';
import { inProcessEmbedder, startForTest, type TestServer } from '@servebench/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { listen } from './app.js';

let server: TestServer;
let embed: (texts: string[]) => Promise<number[][]>;
beforeAll(async () => {
  [server, embed] = await Promise.all([startForTest('koa', listen), inProcessEmbedder('tiny')]);
}, 120_000);
afterAll(() => server?.close());

describeConformance('koa', () => ({ baseUrl: server.baseUrl, embed, tolerance: 1e-6 }));
