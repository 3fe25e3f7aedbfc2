import { describeConformance } from '@servebench/contract/vitest';
import { inProcessEmbedder } from '@servebench/core/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { pythonUnavailable, startPythonServer, type PythonServer } from '../../python-common/testing/server.js';

const workspace = new URL('..', import.meta.url).pathname;
const unavailable = pythonUnavailable(workspace);
if (unavailable) console.warn(`fastapi tests skipped: ${unavailable}`);

// The whole HTTP contract against the real server process; embeddings must equal the Node stacks' ORT run.
describe.skipIf(unavailable)('fastapi (uvicorn, 1 worker)', () => {
  let server: PythonServer;
  let embed: (texts: string[]) => Promise<number[][]>;
  beforeAll(async () => {
    embed = await inProcessEmbedder('tiny'); // also makes sure the tiny model exists
    server = await startPythonServer(workspace);
  }, 120_000);
  afterAll(() => server?.stop());

  describeConformance('fastapi', () => ({ baseUrl: server.baseUrl, embed, tolerance: 1e-5 }));
});
