// Which stacks the run cross-checks: stand-in participants built on StackParticipant's prototype.
import { describe, expect, it } from 'vitest';
import { crossCheckTargets } from './crosscheck-stage.js';
import { PROFILES, type RunSettings } from './profiles.js';
import type { Participant } from './rounds/participant.js';
import { StackParticipant } from './rounds/stack.js';

function standin(id: string, protocol: string, status = 'ok'): StackParticipant {
  const p = Object.create(StackParticipant.prototype) as StackParticipant;
  Object.defineProperty(p, 'id', { value: id });
  Object.defineProperty(p, 'protocol', { value: protocol });
  Object.defineProperty(p, 'result', { value: { status } });
  return p;
}

const raw = { id: 'raw+ort' } as Participant;
const all = [
  raw,
  standin('a+ort', 'http', 'skipped'),
  standin('b+ort', 'http'),
  standin('c+ort', 'grpc'),
  standin('d+ort', 'http'),
];
const s = (crosscheck: RunSettings['crosscheck']) => ({ ...PROFILES.smoke!, crosscheck }) as RunSettings;

describe('crossCheckTargets', () => {
  it('auto: the first measured HTTP stack and the first gRPC stack', () => {
    expect(crossCheckTargets(all, s('auto')).map((p) => p.id)).toEqual(['b+ort', 'c+ort']);
  });
  it('takes named stacks (measured ones only) and none', () => {
    expect(crossCheckTargets(all, s(['d+ort', 'a+ort'])).map((p) => p.id)).toEqual(['d+ort']);
    expect(crossCheckTargets(all, s('none'))).toEqual([]);
  });
});
