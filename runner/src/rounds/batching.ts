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

/** Why `policy` is not `asked`, or undefined. The delay only matters when batching is on (with max batch size 1 nothing waits). */
function differs(who: string, policy: BatchingPolicy, asked: BatchingPolicy): string | undefined {
  if (policy.maxBatchSize !== asked.maxBatchSize)
    return `${who} maxBatchSize ${policy.maxBatchSize} but the run asks ${asked.maxBatchSize}`;
  if (asked.maxBatchSize > 1 && policy.maxQueueDelayUs !== asked.maxQueueDelayUs)
    return `${who} maxQueueDelayUs ${policy.maxQueueDelayUs} but the run asks ${asked.maxQueueDelayUs}`;
  return undefined;
}

/**
 * Compares what the stack reports, and what its model server runs when the runner started one, with
 * the asked policy: both must agree, since either one merging requests makes the stack batched. A
 * proxy's `unknown` with no model server the runner knows stays unknown: recorded, not refused.
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
  if (reported === 'unknown' && !modelServer)
    return { applied: 'unknown (a proxy whose model server policy the runner does not know)' };
  const parts = [
    ...(reported !== 'unknown' ? [describePolicy(reported)] : []),
    ...(modelServer ? [`model server ${describePolicy(modelServer)}`] : []),
  ];
  const reason =
    (reported !== 'unknown' ? differs('reports', reported, asked) : undefined) ??
    (modelServer
      ? differs(`${reported === 'unknown' ? "reports 'unknown' and " : ''}its model server runs`, modelServer, asked)
      : undefined);
  return { applied: parts.join('; '), ...(reason && { reason }) };
}
