// A stand-in model session for model-thread tests, run on a real worker thread: each call records
// its first input id in the shared `gate` and blocks until the test opens the gate.
import type { ModelSession } from '../model-thread.js';

/** gate[0]: calls started; gate[1]: 0 = closed, 1 = open; gate[2 + n]: first input id of the n-th call started. */
export interface StandInSessionInit {
  gate: SharedArrayBuffer;
}

export async function openStandInSession(init: StandInSessionInit): Promise<ModelSession> {
  const gate = new Int32Array(init.gate);
  return {
    info: { runtime: 'stand-in' },
    async run(b) {
      const n = Atomics.add(gate, 0, 1);
      Atomics.store(gate, 2 + n, Number(b.inputIds[0]));
      Atomics.wait(gate, 1, 0);
      return { data: Float32Array.of(Number(b.inputIds[0])), dim: 1 };
    },
    close: async () => undefined,
  };
}
