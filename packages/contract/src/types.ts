import type { Limits } from './routes.js';

export type TextsRequest = { text: string } | { texts: string[] };

export interface Encoding {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
}

/** `{"text"}` answers one Encoding; `{"texts"}` answers `{"results": Encoding[]}`. */
export type TokenizeResponse = Encoding | { results: Encoding[] };

/** `{"text"}` answers `{"embedding"}`; `{"texts"}` answers `{"embeddings"}`. */
export type PredictResponse = { embedding: number[] } | { embeddings: number[][] };

/**
 * The dynamic batching policy a stack actually applies: maxBatchSize 1 (and no delay) means no request
 * merging. `unknown` when it cannot tell: a proxy stack whose model server batches by a policy it was
 * not told. The runner compares it with the run's policy and refuses a label that disagrees.
 */
export type ReadyBatching = { maxBatchSize: number; maxQueueDelayUs: number } | 'unknown';

export interface ReadyResponse {
  status: 'ready';
  server: string;
  backend: string;
  backend_info: Record<string, string>;
  model: { name: string; seed: number; hidden_size: number; max_length: number; sha256: string };
  limits: { max_body_bytes: number; max_texts: number; max_text_chars: number };
  batching: ReadyBatching;
}

export function limitsBody(l: Limits): ReadyResponse['limits'] {
  return { max_body_bytes: l.maxBodyBytes, max_texts: l.maxTexts, max_text_chars: l.maxTextChars };
}
