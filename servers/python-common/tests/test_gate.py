"""The inference queue: one at a time, FIFO, at most max_waiting waiting, the rest shed."""
import threading
import unittest

from servebench_py.errors import ServeError
from servebench_py.gate import InferenceQueue


class Gate(unittest.TestCase):
    def test_admission_fifo_and_depth(self) -> None:
        q = InferenceQueue(max_waiting=2)
        release = threading.Event()
        started = threading.Event()
        order = []

        def first() -> str:
            started.set()
            release.wait(10)
            order.append('first')
            return 'first'

        f1 = q.submit(first)
        started.wait(10)
        f2 = q.submit(lambda: order.append('second') or 'second')
        f3 = q.submit(lambda: order.append('third') or 'third')
        self.assertEqual(q.depth, 3)
        with self.assertRaises(ServeError) as shed:
            q.submit(lambda: 'fourth')
        self.assertEqual((shed.exception.code, shed.exception.status, shed.exception.retry_after), ('OVERLOADED', 429, 1))
        with self.assertRaises(ServeError):
            q.check()
        release.set()
        self.assertEqual([f.result(10).value for f in (f1, f2, f3)], ['first', 'second', 'third'])
        self.assertEqual(order, ['first', 'second', 'third'])
        self.assertEqual(q.depth, 0)
        self.assertGreaterEqual(f2.result().queue_ms, 0)
        q.close()

    def test_zero_waiting_still_runs_one(self) -> None:
        q = InferenceQueue(max_waiting=0)
        self.assertEqual(q.submit(lambda: 42).result(10).value, 42)
        q.close()

    def test_a_failure_frees_its_slot(self) -> None:
        q = InferenceQueue(max_waiting=0)

        def boom() -> None:
            raise ValueError('boom')

        with self.assertRaises(ValueError):
            q.submit(boom).result(10)
        self.assertEqual(q.depth, 0)
        self.assertEqual(q.submit(lambda: 'ok').result(10).value, 'ok')
        q.close()


if __name__ == '__main__':
    unittest.main()
