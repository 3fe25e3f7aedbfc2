// Writes bert-base-uncased's tokenizer.json (real vocab, truncation 512) to the path given:
//   npx tsx packages/contract/scripts/write-tokenizer-json.ts /tmp/tokenizer.json
// Needs no native binding; check-rust-reference.sh feeds it to the Rust crate.
import { writeFileSync } from 'node:fs';
import { vocabText } from '../../model/src/vocab.js';
import { MAX_LENGTH, bertBaseUncasedTokenizerJson } from './reference.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: write-tokenizer-json.ts <path>');
  process.exit(2);
}
writeFileSync(out, bertBaseUncasedTokenizerJson(vocabText(), MAX_LENGTH));
console.log(`wrote ${out}`);
