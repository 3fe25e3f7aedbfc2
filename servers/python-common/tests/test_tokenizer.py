"""The Python tokenizers package must give exactly the golden ids that HF tokenizers (Rust, via
Node) produced for packages/contract/fixtures/tokenize.json."""
import unittest

from servebench_py.tokenizer import BertTokenizer, read_vocab

from .support import golden, tiny_model


class Tokenizer(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        files = tiny_model()
        cls.tok = BertTokenizer(str(files.vocab), files.max_length)
        cls.fixtures = golden()

    def test_vocab(self) -> None:
        vocab = read_vocab(str(tiny_model().vocab))
        self.assertEqual(len(vocab), 30522)
        self.assertEqual([vocab[t] for t in ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]')], [0, 100, 101, 102, 103])

    def test_every_golden_fixture_alone_and_batched(self) -> None:
        cases = self.fixtures['cases']
        self.assertEqual(self.fixtures['maxLength'], self.tok.max_length)
        wrong = [c['name'] for c in cases if self.tok.encode([c['text']])[0] != c['input_ids']]
        self.assertEqual(wrong, [])
        self.assertEqual(self.tok.encode([c['text'] for c in cases]), [c['input_ids'] for c in cases])

    def test_literal_special_tokens_and_truncation(self) -> None:
        self.assertEqual(self.tok.encode(['a [MASK] b'])[0], [101, 1037, 103, 1038, 102])
        ids = self.tok.encode(['word ' * 1000])[0]
        self.assertEqual((len(ids), ids[0], ids[-1]), (512, 101, 102))

    def test_a_long_single_text_is_encoded_without_holding_the_gil(self) -> None:
        # encode() holds the GIL, encode_batch() releases it; a stand-in records which one ran.
        real = self.tok._tok
        calls = []

        class Recording:
            def encode(self, text):  # type: ignore[no-untyped-def]
                calls.append('encode')
                return real.encode(text)

            def encode_batch(self, texts):  # type: ignore[no-untyped-def]
                calls.append('encode_batch')
                return real.encode_batch(texts)

        long_text = 'a' + '\u0301' * 2000 + ' word' * 400
        expected = real.encode(long_text).ids
        self.tok._tok = Recording()
        try:
            self.assertEqual(self.tok.encode([long_text]), [expected])
            self.assertEqual(self.tok.encode(['short']), [real.encode('short').ids])
        finally:
            self.tok._tok = real
        self.assertEqual(calls, ['encode_batch', 'encode'])

    def test_lone_surrogates_become_nothing(self) -> None:
        # Node's binding turns them into U+FFFD, which BertNormalizer's clean_text drops.
        self.assertEqual(self.tok.encode(['x\ud800y', 'plain']), [self.tok.encode(['xy'])[0], self.tok.encode(['plain'])[0]])
        self.assertEqual(self.tok.encode(['\udfff'])[0], [101, 102])


if __name__ == '__main__':
    unittest.main()
