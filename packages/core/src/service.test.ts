import { describe, expect, it } from 'vitest';
import { parseServerConfig } from './config.js';
import { Service } from './service.js';
import { TEST_ENV } from './testing.js';

async function readyBody(env: Record<string, string>): Promise<Record<string, unknown>> {
  const service = new Service(parseServerConfig({ ...TEST_ENV, MODEL_THREAD: 'main', ...env }), 'test');
  await service.load();
  try {
    const r = await service.ready();
    expect(r.status).toBe(200);
    return JSON.parse(r.body) as Record<string, unknown>;
  } finally {
    await service.close();
  }
}

describe('/readyz reports the batching policy the stack applies (issue 27)', () => {
  it('batching off: one request per model call, no delay', async () => {
    expect((await readyBody({ MAX_BATCH_SIZE: '1', MAX_QUEUE_DELAY_US: '2000' })).batching).toEqual({
      maxBatchSize: 1,
      maxQueueDelayUs: 0,
    });
  });

  it("batching on: the shared batcher's size and delay", async () => {
    expect((await readyBody({ MAX_BATCH_SIZE: '16', MAX_QUEUE_DELAY_US: '500' })).batching).toEqual({
      maxBatchSize: 16,
      maxQueueDelayUs: 500,
    });
  });
});
