// The verify step's batching check (issue 27): the policy a stack reports on /readyz (or, for a proxy
// that cannot tell, the policy its model server was started with) must be the one the run asked of it,
// or the stack is not measured under the run's "dynamic batching" or "no dynamic batching" label.
import type { ReadyBatching } from '@servebench/contract';

export interface BatchingPolicy {
  maxBatchSize: number;
  maxQueueDelayUs: number;
}

/** The policy a stack was asked to run: MAX_BATCH_SIZE / MAX_QUEUE_DELAY_US of its launch environment (the run's, or its --stack-env). */
export function askedPolicy(env: Record<string, string | undefined>): BatchingPolicy {
  return { maxBatchSize: Number(env.MAX_BATCH_SIZE ?? 1), maxQueueDelayUs: Number(env.MAX_QUEUE_DELAY_US ?? 0) };
}

export const describePolicy = (p: BatchingPolicy | 'unknown'): string =>
  p === 'unknown'
    ? 'unknown'
    : p.maxBatchSize > 1
      ? `maxBatchSize ${p.maxBatchSize}, maxQueueDelayUs ${p.maxQueueDelayUs}`
      : 'off (maxBatchSize 1)';

export interface BatchingCheck {
  /** What the stack applies, for its backend info: a policy, with where it was read, or unknown. */
  applied: string;
  /** Set when it disagrees with the run: why, naming both numbers. */
  reason?: string;
}

/**
 * Compares the reported policy with the asked one. The delay only matters when batching is on (with
 * max batch size 1 nothing waits). `unknown` from a proxy stack falls back to its model server's policy
 * when the runner started that server; with neither it stays unknown, which is recorded, not refused.
 */
export function checkBatching(
  asked: BatchingPolicy,
  reported: ReadyBatching | undefined,
  modelServer?: BatchingPolicy,
): BatchingCheck {
  if (reported === undefined) {
    return {
      applied: 'not reported',
      reason: `reports no batching policy on /readyz, so its label cannot be checked; the run asks ${describePolicy(asked)}`,
    };
  }
  const [policy, who] =
    reported !== 'unknown'
      ? [reported, 'reports']
      : modelServer
        ? [modelServer, "reports 'unknown' and its model server runs"]
        : [undefined, ''];
  if (!policy) return { applied: 'unknown (a proxy whose model server policy the runner does not know)' };
  const applied = `${describePolicy(policy)}${reported === 'unknown' ? ' (its model server)' : ''}`;
  if (policy.maxBatchSize !== asked.maxBatchSize)
    return { applied, reason: `${who} maxBatchSize ${policy.maxBatchSize} but the run asks ${asked.maxBatchSize}` };
  if (asked.maxBatchSize > 1 && policy.maxQueueDelayUs !== asked.maxQueueDelayUs)
    return {
      applied,
      reason: `${who} maxQueueDelayUs ${policy.maxQueueDelayUs} but the run asks ${asked.maxQueueDelayUs}`,
    };
  return { applied };
}
