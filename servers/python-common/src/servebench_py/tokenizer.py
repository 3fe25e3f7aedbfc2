"""bert-base-uncased WordPiece with the Hugging Face `tokenizers` package (Rust core).

Built from the same tokenizer.json document as packages/contract/scripts/reference.ts, which
produced the golden ids in packages/contract/fixtures/tokenize.json.
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Sequence

from tokenizers import Tokenizer

from .request import JS_WHITESPACE

SPECIAL_TOKENS = ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]')


def read_vocab(path: str) -> Dict[str, int]:
    """One token a line, id = line index, as reference.ts's vocabMap reads it."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return {line.rstrip(JS_WHITESPACE): i for i, line in enumerate(lines)}


def tokenizer_json(vocab: Dict[str, int], max_length: int, lowercase: bool = True, strip_accents: Optional[bool] = None) -> str:
    special = [
        {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
        for t in SPECIAL_TOKENS
    ]
    cls, sep = ({'SpecialToken': {'id': t, 'type_id': 0}} for t in ('[CLS]', '[SEP]'))
    doc = {
        'version': '1.0',
        'truncation': {'direction': 'Right', 'max_length': max_length, 'strategy': 'LongestFirst', 'stride': 0},
        'padding': None,
        'added_tokens': special,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': strip_accents, 'lowercase': lowercase},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [cls, {'Sequence': {'id': 'A', 'type_id': 0}}, sep],
            'pair': [
                cls,
                {'Sequence': {'id': 'A', 'type_id': 0}},
                sep,
                {'Sequence': {'id': 'B', 'type_id': 1}},
                {'SpecialToken': {'id': '[SEP]', 'type_id': 1}},
            ],
            'special_tokens': {t: {'id': t, 'ids': [vocab[t]], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {
            'type': 'WordPiece',
            'unk_token': '[UNK]',
            'continuing_subword_prefix': '##',
            'max_input_chars_per_word': 100,
            'vocab': vocab,
        },
    }
    return json.dumps(doc)


# The longest single text encoded without releasing the GIL (well under a millisecond); longer ones use encode_batch.
GIL_HELD_CHARS = 1024


def _replace_lone_surrogates(text: str) -> str:
    # A JSON "\ud800" escape decodes to a lone surrogate, which Rust strings cannot hold. Node's
    # binding turns it into U+FFFD (which BertNormalizer then drops), so do the same.
    return text.encode('utf-16', 'surrogatepass').decode('utf-16', 'replace')


class BertTokenizer:
    def __init__(self, vocab_path: str, max_length: int, lowercase: bool = True, strip_accents: Optional[bool] = None) -> None:
        vocab = read_vocab(vocab_path)
        self.max_length = max_length
        self.pad_id = vocab['[PAD]']
        self._tok = Tokenizer.from_str(tokenizer_json(vocab, max_length, lowercase, strip_accents))

    def encode(self, texts: Sequence[str]) -> List[List[int]]:
        """input_ids with [CLS]/[SEP], truncated to max_length; never padded."""
        try:
            return self._encode(texts)
        except (UnicodeEncodeError, TypeError):
            return self._encode([_replace_lone_surrogates(t) for t in texts])

    def _encode(self, texts: Sequence[str]) -> List[List[int]]:
        # encode() holds the GIL for the whole call, encode_batch() releases it: a long text (20,000
        # characters take 7 ms or more) must not stop the server's other threads (issue 15, /healthz).
        if len(texts) == 1 and len(texts[0]) <= GIL_HELD_CHARS:
            return [self._tok.encode(texts[0]).ids]
        return [e.ids for e in self._tok.encode_batch(list(texts))]
