import unittest

from servebench_py.config import ENV_DEFAULTS, ConfigError, parse_config


class Config(unittest.TestCase):
    def test_defaults_match_the_node_stacks(self) -> None:
        c = parse_config({})
        self.assertEqual((c.host, c.port, c.workers, c.model, c.model_seed, c.backend), ('127.0.0.1', 8080, 1, 'mini', 0, 'ort'))
        self.assertEqual((c.limits.max_body_bytes, c.limits.max_texts, c.limits.max_text_chars), (1048576, 64, 20000))
        self.assertEqual((c.max_queue, c.intra_op_threads, c.inter_op_threads, c.shutdown_grace_ms), (256, 1, 1, 10000))
        self.assertIsNone(c.models_dir)
        self.assertEqual(set(ENV_DEFAULTS), {
            'HOST', 'PORT', 'WORKERS', 'MODEL', 'MODEL_SEED', 'MODELS_DIR', 'BACKEND', 'DEVICE', 'INTRA_OP_THREADS',
            'INTER_OP_THREADS', 'MAX_BODY_BYTES', 'MAX_TEXTS', 'MAX_TEXT_CHARS', 'MAX_QUEUE', 'SHUTDOWN_GRACE_MS',
        })

    def test_errors_name_the_variable(self) -> None:
        for env, pattern in [
            ({'PORT': '70000'}, r'^PORT=70000 is invalid: expected an integer in \[0, 65535\]$'),
            ({'WORKERS': '0'}, r'^WORKERS=0 is invalid'),
            ({'MAX_QUEUE': 'many'}, r'^MAX_QUEUE=many is invalid'),
            ({'MODEL': 'huge'}, r'^MODEL=huge is invalid: expected tiny, mini, small or base$'),
            ({'DEVICE': 'tpu'}, r'^DEVICE=tpu is invalid'),
        ]:
            with self.assertRaisesRegex(ConfigError, pattern):
                parse_config(env)

    def test_frozen(self) -> None:
        with self.assertRaises(Exception):
            parse_config({}).port = 1  # type: ignore[misc]


if __name__ == '__main__':
    unittest.main()
