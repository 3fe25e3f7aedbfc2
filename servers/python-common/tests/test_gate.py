"""The inference queue: `concurrency` at a time, FIFO, at most max_waiting waiting, the rest shed."""
import threading
import unittest
from typing import Any, Callable, List

from servebench_py.errors import ServeError
from servebench_py.gate import InferenceQueue


def wait_for(cond: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(10_000):
        if cond():
            return
        done.wait(0.001)
    raise AssertionError('condition never held')


class Gate(unittest.TestCase):
    def check_admission_and_order(self, start: Callable[[InferenceQueue, Callable[[], Any]], Callable[[], Any]]) -> None:
        q = InferenceQueue(max_waiting=2)
        release, entered = threading.Event(), threading.Event()
        order: List[str] = []

        def first() -> str:
            entered.set()
            release.wait(10)
            order.append('first')
            return 'first'

        results = [start(q, first)]
        entered.wait(10)
        results.append(start(q, lambda: order.append('second') or 'second'))
        wait_for(lambda: q.depth == 2)
        results.append(start(q, lambda: order.append('third') or 'third'))
        wait_for(lambda: q.depth == 3)
        with self.assertRaises(ServeError) as shed:
            q.submit(lambda: 'fourth')
        self.assertEqual((shed.exception.code, shed.exception.status, shed.exception.retry_after), ('OVERLOADED', 429, 1))
        with self.assertRaises(ServeError):
            q.run(lambda: 'fourth')
        release.set()
        timed = [r() for r in results]
        self.assertEqual([t.value for t in timed], ['first', 'second', 'third'])
        self.assertEqual(order, ['first', 'second', 'third'])
        self.assertEqual(q.depth, 0)
        self.assertTrue(all(t.queue_ms >= 0 and t.infer_ms >= 0 for t in timed))
        q.close()

    def test_submit_on_the_executor(self) -> None:
        self.check_admission_and_order(lambda q, fn: q.submit(fn).result)

    def test_run_on_the_calling_threads(self) -> None:
        def start(q: InferenceQueue, fn: Callable[[], Any]) -> Callable[[], Any]:
            out: List[Any] = []
            t = threading.Thread(target=lambda: out.append(q.run(fn)))
            t.start()
            return lambda: (t.join(10), out[0])[1]

        self.check_admission_and_order(start)

    def test_zero_waiting_still_runs_one(self) -> None:
        q = InferenceQueue(max_waiting=0)
        self.assertEqual(q.submit(lambda: 42).result(10).value, 42)
        self.assertEqual(q.run(lambda: 43).value, 43)
        q.close()

    def test_a_failure_frees_its_turn(self) -> None:
        q = InferenceQueue(max_waiting=0)

        def boom() -> None:
            raise ValueError('boom')

        with self.assertRaises(ValueError):
            q.submit(boom).result(10)
        with self.assertRaises(ValueError):
            q.run(boom)
        self.assertEqual(q.depth, 0)
        self.assertEqual(q.run(lambda: 'ok').value, 'ok')
        q.close()

    def test_two_at_a_time_with_concurrency_2(self) -> None:
        q = InferenceQueue(max_waiting=1, concurrency=2)
        release = threading.Event()
        inside: List[str] = []

        def hold(name: str) -> Callable[[], str]:
            def fn() -> str:
                inside.append(name)
                release.wait(10)
                return name
            return fn

        a, b = q.submit(hold('a')), q.submit(hold('b'))
        wait_for(lambda: len(inside) == 2)  # both run at once
        c = q.submit(hold('c'))
        wait_for(lambda: q.depth == 3)
        self.assertEqual(inside, ['a', 'b'])
        with self.assertRaises(ServeError):
            q.submit(lambda: 'shed')  # 2 running + 1 waiting is the bound
        release.set()
        self.assertEqual([f.result(10).value for f in (a, b, c)], ['a', 'b', 'c'])
        self.assertEqual(q.depth, 0)
        q.close()


if __name__ == '__main__':
    unittest.main()
