// What the speedometer's parent and child say to each other (one JSON object per line).

/** The first line: the model and the pre-tokenized sequences it cycles through. */
export interface SpeedJob {
  onnx: string;
  ids: number[][];
  threads: number;
}

/** Each later line: a reading over `ms` milliseconds and at least `minCalls` calls. */
export interface SpeedRequest {
  ms: number;
  minCalls: number;
}

export type SpeedReply = { ready: true } | { medianMs: number; calls: number };
