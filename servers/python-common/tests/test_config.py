import unittest
from dataclasses import FrozenInstanceError

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
            'MODEL_SERVER_URL', 'MODEL_SERVER_MODEL', 'MODEL_SERVER_TIMEOUT_MS', 'MODEL_SERVER_CONNECTIONS',
            'MODEL_SERVER_KEEPALIVE_MS', 'TRITON_HTTP_TENSORS',
            'HEADERS_TIMEOUT_MS', 'REQUEST_TIMEOUT_MS', 'IDLE_TIMEOUT_MS', 'MAX_CONNECTIONS', 'MAX_QUEUE_TOKENS',
            'MAX_BATCH_SIZE', 'MAX_QUEUE_DELAY_US', 'PREFERRED_BATCH_SIZES',
            'SEND_TIMEOUT_MS',
        })
        # Batching off by default, as in packages/core/src/config.ts (lifecycle.ts compares the two tables).
        b = c.batching
        self.assertEqual((b.max_batch_size, b.max_queue_delay_us, b.preferred_batch_sizes), (1, 2000, ()))
        self.assertEqual(c.max_queue_tokens, 262144)  # the Node stacks' MAX_QUEUE_TOKENS
        m = c.model_server
        self.assertEqual((m.url, m.model, m.timeout_ms, m.connections, m.keep_alive_ms, m.tensor_form), ('', 'bert', 10000, 4, 60000, 'binary'))

    def test_batching(self) -> None:
        b = parse_config({'MAX_BATCH_SIZE': '32', 'MAX_QUEUE_DELAY_US': '500', 'PREFERRED_BATCH_SIZES': ' 16, 8,16 '}).batching
        self.assertEqual((b.max_batch_size, b.max_queue_delay_us, b.preferred_batch_sizes), (32, 500, (8, 16)))
        self.assertEqual(parse_config({'MAX_QUEUE_DELAY_US': '0'}).batching.max_queue_delay_us, 0)

    def test_errors_name_the_variable(self) -> None:
        for env, pattern in [
            ({'PORT': '70000'}, r'^PORT=70000 is invalid: expected an integer in \[0, 65535\]$'),
            ({'WORKERS': '0'}, r'^WORKERS=0 is invalid'),
            ({'MAX_QUEUE': 'many'}, r'^MAX_QUEUE=many is invalid'),
            ({'MODEL': 'huge'}, r'^MODEL=huge is invalid: expected tiny, mini, small, base, all-minilm-l6-v2, all-minilm-l6-v2-int8, a Hugging Face directory, or an ONNX export'),
            ({'DEVICE': 'tpu'}, r'^DEVICE=tpu is invalid'),
            ({'MODEL_SERVER_TIMEOUT_MS': '0'}, r'^MODEL_SERVER_TIMEOUT_MS=0 is invalid: expected an integer in \[1, 3600000\]$'),
            ({'MODEL_SERVER_CONNECTIONS': '1025'}, r'^MODEL_SERVER_CONNECTIONS=1025 is invalid: expected an integer in \[1, 1024\]$'),
            ({'MODEL_SERVER_KEEPALIVE_MS': '-1'}, r'^MODEL_SERVER_KEEPALIVE_MS=-1 is invalid: expected an integer in \[0, 3600000\]$'),
            ({'TRITON_HTTP_TENSORS': 'protobuf'}, r'^TRITON_HTTP_TENSORS=protobuf is invalid: expected binary or json$'),
            # The same messages as the Node stacks (packages/core/src/config.test.ts).
            ({'MAX_BATCH_SIZE': '0'}, r'^MAX_BATCH_SIZE=0 is invalid'),
            ({'MAX_BATCH_SIZE': '2.5'}, r'^MAX_BATCH_SIZE=2\.5 is invalid'),
            ({'MAX_QUEUE_DELAY_US': '-1'}, r'^MAX_QUEUE_DELAY_US=-1 is invalid'),
            ({'MAX_QUEUE_DELAY_US': 'soon'}, r'^MAX_QUEUE_DELAY_US=soon is invalid'),
            ({'MAX_BATCH_SIZE': '16', 'PREFERRED_BATCH_SIZES': '8,32'}, r'^PREFERRED_BATCH_SIZES=8,32 is invalid: "32" .*\[1, 16\] \(MAX_BATCH_SIZE\)'),
            ({'MAX_BATCH_SIZE': '16', 'PREFERRED_BATCH_SIZES': '4,,8'}, r'^PREFERRED_BATCH_SIZES=4,,8 is invalid'),
            ({'PREFERRED_BATCH_SIZES': '4'}, r'^PREFERRED_BATCH_SIZES=4 is invalid: .*\[1, 1\] \(MAX_BATCH_SIZE\)'),
        ]:
            with self.assertRaisesRegex(ConfigError, pattern):
                parse_config(env)

    def test_frozen(self) -> None:
        with self.assertRaises(FrozenInstanceError):
            parse_config({}).port = 1  # type: ignore[misc]


if __name__ == '__main__':
    unittest.main()
