"""Dynamic batching in the Python peers (MAX_BATCH_SIZE > 1, the in-process ort backend): concurrent requests
share model calls and each gets exactly the rows it would get alone; MAX_BATCH_SIZE=1 is one call per request."""
import asyncio
import json
import re
import threading
import time
import unittest
from typing import Any, List

import numpy as np

from servebench_py.batcher import DynamicBatcher
from servebench_py.errors import ServeError
from servebench_py.service import Service

from .support import tiny_config, tiny_model

JSON = 'application/json'
TEXTS = [f'sentence number {i} about serving bert models quickly' for i in range(16)]


def recording(service: Service) -> List[int]:
    """Wraps the service's model so each call's batch size (rows) is recorded."""
    sizes: List[int] = []
    real = service.backend.embed

    def embed(ids: np.ndarray, *args: Any, **kwargs: Any) -> List[List[float]]:
        sizes.append(int(ids.shape[0]))
        return real(ids, *args, **kwargs)

    service.backend.embed = embed  # type: ignore[method-assign]
    return sizes


def body(text: str) -> bytes:
    return json.dumps({'text': text}).encode()


def concurrently(service: Service, texts: List[str]) -> List[List[float]]:
    """One predict per text, all released at once from their own threads (as gunicorn's gthread workers)."""
    out: List[Any] = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def one(i: int) -> None:
        start.wait()
        r = service.predict(body(texts[i]), JSON)
        out[i] = (r.status, json.loads(r.body))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for status, b in out:
        assert status == 200, b
    return [b['embedding'] for _, b in out]


class Batched(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.alone = Service(tiny_config(), 'test', tiny_model(), {'server': 'unit test'})
        cls.want = [json.loads(cls.alone.predict(body(t), JSON).body)['embedding'] for t in TEXTS]

    @classmethod
    def tearDownClass(cls) -> None:
        cls.alone.close()

    def service(self, **env: str) -> Service:
        s = Service(tiny_config(**env), 'test', tiny_model(), {'server': 'unit test'})
        self.addCleanup(s.close)
        return s

    def assert_same(self, got: List[List[float]]) -> None:
        diff = float(np.max(np.abs(np.array(got) - np.array(self.want))))
        self.assertLessEqual(diff, 1e-5)

    def test_max_batch_size_8_merges_concurrent_requests_and_each_gets_its_own_rows(self) -> None:
        s = self.service(MAX_BATCH_SIZE='8', MAX_QUEUE_DELAY_US='50000')
        sizes = recording(s)
        got = concurrently(s, TEXTS)
        self.assertGreater(max(sizes), 1, sizes)
        self.assertLessEqual(max(sizes), 8, sizes)
        self.assertEqual(sum(sizes), len(TEXTS))
        self.assert_same(got)
        metrics = s.metrics_text().body.decode()
        self.assertRegex(metrics, re.compile(rf'^servebench_batch_size_count {float(len(sizes))}$', re.M))
        self.assertRegex(metrics, re.compile(rf'^servebench_batch_size_sum {float(len(TEXTS))}$', re.M))

    def test_readyz_reports_the_policy_applied(self) -> None:
        on = json.loads(self.service(MAX_BATCH_SIZE='16', MAX_QUEUE_DELAY_US='500').ready().body)
        self.assertEqual(on['batching'], {'maxBatchSize': 16, 'maxQueueDelayUs': 500})
        off = json.loads(self.service(MAX_BATCH_SIZE='1', MAX_QUEUE_DELAY_US='2000').ready().body)
        self.assertEqual(off['batching'], {'maxBatchSize': 1, 'maxQueueDelayUs': 0})

    def test_event_loop_servers_batch_too(self) -> None:
        s = self.service(MAX_BATCH_SIZE='8', MAX_QUEUE_DELAY_US='50000')
        sizes = recording(s)

        async def all_at_once() -> List[Any]:
            return await asyncio.gather(*(s.predict_async(body(t), JSON) for t in TEXTS))

        replies = asyncio.run(all_at_once())
        self.assertEqual([r.status for r in replies], [200] * len(TEXTS))
        self.assertGreater(max(sizes), 1, sizes)
        self.assert_same([json.loads(r.body)['embedding'] for r in replies])

    def test_max_batch_size_1_is_one_call_per_request(self) -> None:
        s = self.service(MAX_BATCH_SIZE='1')
        self.assertIsNone(s.batcher)
        sizes = recording(s)
        got = concurrently(s, TEXTS)
        self.assertEqual(sizes, [1] * len(TEXTS))
        self.assert_same(got)
        self.assertRegex(s.metrics_text().body.decode(), re.compile(r'^servebench_batch_size_bucket\{le="1\.0"\} 16\.0$', re.M))


class Policy(unittest.TestCase):
    """The batch-forming rules of packages/inference/src/batcher.ts, with a stand-in model."""

    def batcher(self, calls: List[List[int]], **kw: Any) -> DynamicBatcher:
        gate = threading.Event()

        def embed(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> List[List[float]]:
            gate.wait(5)  # the first call holds the model until every request is queued
            calls.append([int(x) for x in mask.sum(axis=1)])
            return [[float(n)] for n in mask.sum(axis=1)]

        b = DynamicBatcher(embed, max_queue_size=64, pad_id=0, **{'max_queue_delay_us': 0, **kw})
        self.addCleanup(b.close)
        self.open = gate.set
        return b

    def run_all(self, b: DynamicBatcher, requests: List[List[List[int]]]) -> List[Any]:
        first = b.submit(requests[0])
        time.sleep(0.05)  # the first request is in the model; the rest queue behind it
        rest = [b.submit(r) for r in requests[1:]]
        self.open()
        return [f.result(5) for f in [first, *rest]]

    def test_a_batch_is_cut_at_max_batch_size_and_a_request_is_never_split(self) -> None:
        calls: List[List[int]] = []
        b = self.batcher(calls, max_batch_size=4)
        out = self.run_all(b, [[[1, 2]]] + [[[1, 2, 3]]] * 5 + [[[1, 2, 3]] * 6])
        self.assertEqual(calls, [[2], [3, 3, 3, 3], [3], [3] * 6])
        self.assertEqual([len(r.value) for r in out], [1, 1, 1, 1, 1, 1, 6])

    def test_a_long_request_waits_for_a_later_batch_rather_than_pad_short_ones(self) -> None:
        calls: List[List[int]] = []
        b = self.batcher(calls, max_batch_size=8)
        self.run_all(b, [[[1]], [[1, 2]], [list(range(40))], [[1, 2]], [[1, 2]]])
        self.assertEqual(calls, [[1], [2, 2, 2], [40]])

    def test_a_request_whose_client_left_leaves_the_queue_and_the_batch(self) -> None:
        calls: List[List[int]] = []
        b = self.batcher(calls, max_batch_size=8)
        first = b.submit([[1]])
        time.sleep(0.05)
        left = b.submit([[1, 2, 3]], gone=lambda: True)
        stays = b.submit([[1, 2]], gone=lambda: False)
        self.open()
        self.assertEqual(len(stays.result(5).value), 1)
        first.result(5)
        with self.assertRaisesRegex(ServeError, 'cancelled while queued'):
            left.result(5)
        self.assertEqual(calls, [[1], [2]])

    def test_the_oldest_request_waits_at_most_the_queue_delay(self) -> None:
        calls: List[List[int]] = []
        b = self.batcher(calls, max_batch_size=8, max_queue_delay_us=100_000)
        self.open()
        t0 = time.perf_counter()
        r = b.submit([[1, 2]]).result(5)
        waited = time.perf_counter() - t0
        self.assertEqual(calls, [[2]])
        self.assertGreaterEqual(waited, 0.09)
        self.assertLess(waited, 2)
        self.assertGreaterEqual(r.queue_ms, 90)

    def test_a_preferred_size_dispatches_without_waiting_out_the_delay(self) -> None:
        calls: List[List[int]] = []
        b = self.batcher(calls, max_batch_size=8, max_queue_delay_us=5_000_000, preferred_batch_sizes=(2,))
        self.open()
        t0 = time.perf_counter()
        futures = [b.submit([[1, 2]]), b.submit([[1, 2]])]
        for f in futures:
            f.result(5)
        self.assertLess(time.perf_counter() - t0, 2)
        self.assertEqual(calls, [[2, 2]])


if __name__ == '__main__':
    unittest.main()
