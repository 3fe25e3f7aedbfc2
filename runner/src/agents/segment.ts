// Segment i/N of a cell's load: the agent's share of the connections and of the arrival rate.
import type { LoadSpec } from '../load/types.js';
import { AgentError } from './errors.js';

export interface Segment {
  /** 0-based. */
  index: number;
  count: number;
}

export function parseSegment(text: string): Segment {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 0 && index < count))
    throw new AgentError('AGENT_BAD_SEGMENT', `segment ${JSON.stringify(text)}: expected i/N with 0 <= i < N`);
  return { index, count };
}

/** Near-equal integer parts of n; the first ones take the remainder. */
export function shareOf(n: number, seg: Segment): number {
  return Math.floor(n / seg.count) + (seg.index < n % seg.count ? 1 : 0);
}

/**
 * The LoadSpec one agent runs: its share of the connections (and of maxRequests), the arrival rate in
 * proportion to its connections (as the engine splits across threads), and a seed of its own.
 */
export function segmentSpec(spec: LoadSpec, seg: Segment): LoadSpec {
  const connections = shareOf(spec.concurrency, seg);
  if (connections < 1)
    throw new AgentError(
      'AGENT_BAD_SEGMENT',
      `segment ${seg.index}/${seg.count} of concurrency ${spec.concurrency} has no connections: use at most ${spec.concurrency} agents`,
    );
  const out: LoadSpec = {
    ...spec,
    concurrency: connections,
    seed: ((spec.seed ?? 1) + Math.imul(seg.index + 1, 0x85ebca6b)) >>> 0,
  };
  if (spec.rate !== undefined) out.rate = (spec.rate * connections) / spec.concurrency;
  if (spec.maxRequests !== undefined) {
    const max = shareOf(spec.maxRequests, seg);
    if (max < 1) throw new AgentError('AGENT_BAD_SEGMENT', `maxRequests ${spec.maxRequests} < ${seg.count} agents`);
    out.maxRequests = max;
  }
  return out;
}
