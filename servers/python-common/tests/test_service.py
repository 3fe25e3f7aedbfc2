"""Service replies: shapes, Server-Timing, 429 with Retry-After, no internals in errors."""
import json
import re
import threading
import unittest
from typing import Any

from servebench_py.service import Service

from .support import tiny_config, tiny_model

JSON = 'application/json'


class ServiceReplies(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.service = Service(tiny_config(MAX_QUEUE='1'), 'test', tiny_model(), {'server': 'unit test'})

    @classmethod
    def tearDownClass(cls) -> None:
        cls.service.close()

    def body(self, reply: Any) -> Any:
        return json.loads(reply.body)

    def test_ready(self) -> None:
        r = self.service.ready()
        body = self.body(r)
        self.assertEqual((r.status, body['status'], body['server'], body['backend']), (200, 'ready', 'test', 'ort'))
        self.assertEqual((body['model']['name'], body['model']['hidden_size'], body['model']['max_length']), ('tiny', 128, 512))
        self.assertEqual(body['limits'], {'max_body_bytes': 1048576, 'max_texts': 64, 'max_text_chars': 20000})
        self.assertRegex(body['backend_info']['runtime'], r'^onnxruntime \d')

    def test_predict_and_tokenize(self) -> None:
        r = self.service.predict(b'{"texts":["hello world","a"]}', JSON)
        self.assertEqual(r.status, 200)
        self.assertEqual([len(v) for v in self.body(r)['embeddings']], [128, 128])
        self.assertRegex(r.headers['server-timing'], r'^queue;dur=\d+\.\d{3}, tokenize;dur=\d+\.\d{3}, infer;dur=\d+\.\d{3}$')
        r = self.service.tokenize(b'{"text":"hello world"}', JSON)
        self.assertEqual(self.body(r), {'input_ids': [101, 7592, 2088, 102], 'attention_mask': [1, 1, 1, 1], 'token_type_ids': [0, 0, 0, 0]})
        self.assertRegex(r.headers['server-timing'], r'^tokenize;dur=\d+\.\d{3}$')

    def test_overload_is_shed_with_429_and_retry_after(self) -> None:
        backend = self.service.backend
        real = backend.embed
        release, entered = threading.Event(), threading.Event()

        def blocked(*args: Any) -> Any:
            entered.set()
            release.wait(10)
            return real(*args)

        backend.embed = blocked  # type: ignore[method-assign]
        try:
            results = []
            running = threading.Thread(target=lambda: results.append(self.service.predict(b'{"text":"one"}', JSON)))
            running.start()
            entered.wait(10)
            waiting = threading.Thread(target=lambda: results.append(self.service.predict(b'{"text":"two"}', JSON)))
            waiting.start()
            while self.service.queue.depth < 2:
                threading.Event().wait(0.001)
            shed = self.service.predict(b'{"text":"three"}', JSON)  # MAX_QUEUE=1: one runs, one waits
            self.assertEqual(shed.status, 429)
            self.assertEqual(shed.headers['retry-after'], '1')
            self.assertEqual(self.body(shed)['error']['code'], 'OVERLOADED')
            release.set()
            running.join(10)
            waiting.join(10)
            self.assertEqual([r.status for r in results], [200, 200])
        finally:
            backend.embed = real  # type: ignore[method-assign]
            release.set()
        self.assertIn('servebench_requests_total{route="predict",status="429"} 1.0', self.service.metrics_text().body.decode())

    def test_unexpected_errors_are_bare_internal(self) -> None:
        backend = self.service.backend
        real = backend.embed

        def broken(*_: Any) -> Any:
            raise RuntimeError('/secret/path.py line 1')

        backend.embed = broken  # type: ignore[method-assign]
        try:
            r = self.service.predict(b'{"text":"x"}', JSON)
        finally:
            backend.embed = real  # type: ignore[method-assign]
        self.assertEqual((r.status, self.body(r)), (500, {'error': {'code': 'INTERNAL', 'message': 'internal error'}}))

    def test_metrics_names(self) -> None:
        self.service.hello()
        self.service.tokenize(b'{"text":"x"}', JSON)
        text = self.service.metrics_text().body.decode()
        for name in ('servebench_requests_total', 'servebench_request_duration_seconds_bucket', 'servebench_hello_world_total',
                     'servebench_queue_depth', 'process_resident_memory_bytes',
                     # Per model call, as the Node stacks' (packages/core/src/metrics.ts): same name and buckets.
                     'servebench_batch_size_bucket{le="4096.0"}'):
            self.assertRegex(text, re.compile(f'^{name}', re.M))
        self.assertNotIn('_created', text)


if __name__ == '__main__':
    unittest.main()
