// After the rounds: the engine against wrk (first HTTP stack) and ghz (first gRPC stack), or the
// stacks --crosscheck names, on hello_world at the matrix's highest hello_world concurrency.
import { crossCheckServer, type CrossCheckResult } from './crosscheck.js';
import type { RunSettings } from './profiles.js';
import type { Participant } from './rounds/participant.js';
import { StackParticipant } from './rounds/stack.js';

/** Alternating rounds per stack (medians are compared). */
export const CROSSCHECK_ROUNDS = 2;

export function crossCheckTargets(participants: readonly Participant[], s: RunSettings): StackParticipant[] {
  const stacks = participants.filter(
    (p): p is StackParticipant => p instanceof StackParticipant && p.result.status === 'ok',
  );
  if (s.crosscheck === 'none') return [];
  if (Array.isArray(s.crosscheck)) return stacks.filter((p) => s.crosscheck!.includes(p.id));
  return ['http', 'grpc'].flatMap((proto) => stacks.find((p) => p.protocol === proto) ?? []);
}

export async function runCrossChecks(
  participants: readonly Participant[],
  s: RunSettings,
  note: (line: string) => void,
): Promise<CrossCheckResult[]> {
  const out: CrossCheckResult[] = [];
  for (const p of crossCheckTargets(participants, s)) {
    const levels = p.matrix.filter((k) => k.task === 'hello_world').map((k) => k.concurrency);
    if (!levels.length) continue;
    if (!(await p.begin())) continue;
    const server = p.running();
    if (!server) continue;
    const connections = Math.max(...levels);
    note(`${p.id}: cross-check against ${p.protocol === 'grpc' ? 'ghz' : 'wrk'} on hello_world c=${connections}`);
    const r = await crossCheckServer(
      { stack: p.id, protocol: p.protocol === 'grpc' ? 'grpc' : 'http', host: server.host, port: server.port },
      {
        connections,
        durationS: s.durationS,
        warmupS: s.warmupS,
        rounds: CROSSCHECK_ROUNDS,
        ...(s.placement ? { loadCpus: s.placement.load } : {}),
      },
    );
    note(
      `${p.id}: ${r.status === 'ok' ? `engine/${r.tool} = ${r.ratio!.toFixed(3)} (${r.agrees ? 'within' : 'OUTSIDE'} 10%)` : `${r.tool} ${r.status}: ${r.reason}`}`,
    );
    out.push(r);
    await p.end();
  }
  return out;
}
