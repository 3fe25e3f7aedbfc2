"""Issue 15: queued work is bounded in padded tokens (checked before tokenizing) and a predict whose
client has gone away is dropped at its turn or between the parts of its work; event-loop servers
tokenize a large body on a thread; fastapi learns of a disconnect from uvicorn, flask by peeking."""
import asyncio
import json
import socket
import sys
import threading
import unittest
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, List

import numpy as np

from servebench_py.cancel import RunCanceller
from servebench_py.service import INLINE_BODY_BYTES, MAX_CALL_TOKENS, Service, split_by_tokens

from .support import tiny_config, tiny_model
from .test_gate import wait_for

JSON = 'application/json'
SERVERS = Path(__file__).resolve().parents[2]


def texts_body(n: int, words: int) -> bytes:
    return json.dumps({'texts': [' '.join(f'word{k % 50}' for k in range(words)) for _ in range(n)]}).encode()


class Blocked:
    """A stand-in for the model call that holds the first call until released and counts every call."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls: List[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kw: Any) -> Any:
        self.calls.append(args[0].shape[0])
        self.entered.set()
        self.release.wait(10)
        return self.real(*args, **kw)


class Abandoned(unittest.TestCase):
    def setUp(self) -> None:
        self.service = Service(tiny_config(MAX_QUEUE_TOKENS='2000'), 'test', tiny_model(), {'server': 'unit test'})
        self.blocked = Blocked(self.service.backend.embed)
        self.service.backend.embed = self.blocked  # type: ignore[method-assign]

    def tearDown(self) -> None:
        self.blocked.release.set()
        self.service.close()

    def start(self, body: bytes, gone: Callable[[], bool] = lambda: False) -> Callable[[], Any]:
        out: List[Any] = []
        t = threading.Thread(target=lambda: out.append(self.service.predict(body, JSON, gone)))
        t.start()
        return lambda: (t.join(10), out[0])[1]

    def test_work_past_the_token_bound_is_shed_before_tokenizing(self) -> None:
        first = self.start(texts_body(8, 100))  # about 8 x 102 tokens: admitted on the idle queue
        self.blocked.entered.wait(10)
        encoded: List[int] = []
        real_encode = self.service.tokenizer.encode
        self.service.tokenizer.encode = lambda texts: encoded.append(len(texts)) or real_encode(texts)  # type: ignore[method-assign]
        shed = self.service.predict(texts_body(8, 100), JSON)  # 816 + 8 x 602 characters' bound > 2000
        self.assertEqual((shed.status, shed.headers.get('retry-after')), (429, '1'))
        self.assertIn('tokens of work admitted', json.loads(shed.body)['error']['message'])
        self.assertEqual(encoded, [], 'shed before tokenizing')
        small = self.start(b'{"text":"a small one"}')  # fits beside the first
        wait_for(lambda: self.service.queue.depth == 2)
        self.blocked.release.set()
        self.assertEqual((first().status, small().status), (200, 200))
        self.assertEqual(self.service.queue.tokens, 0)

    def test_a_queued_predict_whose_client_left_is_dropped(self) -> None:
        first = self.start(b'{"text":"running"}')
        self.blocked.entered.wait(10)
        left = threading.Event()
        abandoned = self.start(b'{"texts":["left","behind"]}', left.is_set)
        wait_for(lambda: self.service.queue.depth == 2)
        left.set()
        self.blocked.release.set()
        self.assertEqual(first().status, 200)
        self.assertEqual(abandoned().status, 504)
        self.assertEqual(self.blocked.calls, [1], 'the abandoned predict never reached the model')
        self.assertEqual((self.service.queue.depth, self.service.queue.tokens), (0, 0))

    def test_large_work_runs_in_parts_and_stops_after_the_part_in_progress(self) -> None:
        self.service = Service(tiny_config(), 'test', tiny_model(), {'server': 'unit test'})
        self.blocked = Blocked(self.service.backend.embed)
        self.service.backend.embed = self.blocked  # type: ignore[method-assign]
        left = threading.Event()
        heavy = self.start(texts_body(64, 300), left.is_set)  # 64 x 512 tokens (truncated): 4 parts of 16 texts
        self.blocked.entered.wait(10)
        left.set()
        self.blocked.release.set()
        self.assertEqual(heavy().status, 504)
        self.assertEqual(self.blocked.calls, [MAX_CALL_TOKENS // 512], 'only the first part was computed')
        self.assertEqual(self.service.queue.tokens, 0)

    def test_split_by_tokens(self) -> None:
        self.assertEqual(split_by_tokens([[1] * 3, [1] * 3, [1] * 5, [1]], 9), [[[1] * 3, [1] * 3], [[1] * 5], [[1]]])
        self.assertEqual(split_by_tokens([[1] * 20], 9), [[[1] * 20]])


class StopsARunInProgress(unittest.TestCase):
    def test_the_canceller_sets_terminate_once_the_client_is_gone(self) -> None:
        canceller = RunCanceller(tick_s=0.01)
        left = threading.Event()
        options, kept = SimpleNamespace(terminate=False), SimpleNamespace(terminate=False)
        canceller.watch(left.is_set, options)
        key = canceller.watch(left.is_set, kept)
        canceller.forget(key)  # its call ended first
        threading.Event().wait(0.05)
        self.assertFalse(options.terminate)
        left.set()
        wait_for(lambda: options.terminate)
        self.assertFalse(kept.terminate)

    def test_onnxruntime_stops_a_run_whose_client_left(self) -> None:
        service = Service(tiny_config(), 'test', tiny_model(), {'server': 'unit test'})
        real = service.backend._session
        seen: List[Any] = []

        class Session:
            """A stand-in for the session whose run lasts until it is told to terminate (the real one
            reads the flag between graph nodes: checked below)."""

            def run(self, names: Any, feeds: Any, run_options: Any = None) -> Any:
                seen.append(run_options)
                for _ in range(1000):
                    if run_options is not None and run_options.terminate:
                        raise RuntimeError('Exiting due to terminate flag being set to true.')
                    threading.Event().wait(0.01)
                return real.run(names, feeds)

        try:
            service.backend._session = Session()
            # The client leaves once its run has started.
            r = service.predict(b'{"text":"left while computing"}', JSON, lambda: bool(seen))
            self.assertEqual((r.status, json.loads(r.body)['error']['code']), (504, 'BACKEND_TIMEOUT'))
            self.assertTrue(seen[0].terminate)
            self.assertEqual(service.predict(b'{"text":"stays"}', JSON, lambda: False).status, 200)
            service.backend._session = real
            import onnxruntime as ort

            options = ort.RunOptions()
            options.terminate = True
            ids = np.ones((1, 4), dtype=np.int64)
            with self.assertRaisesRegex(Exception, 'terminate flag'):
                real.run(['embedding'], {'input_ids': ids, 'attention_mask': ids, 'token_type_ids': ids * 0}, options)
        finally:
            service.backend._session = real
            service.close()


class OffTheLoop(unittest.TestCase):
    def test_a_large_body_is_tokenized_on_a_thread(self) -> None:
        service = Service(tiny_config(), 'test', tiny_model(), {'server': 'unit test'})
        seen: List[str] = []
        real = service.tokenizer.encode
        service.tokenizer.encode = lambda texts: seen.append(threading.current_thread().name) or real(texts)  # type: ignore[method-assign]
        large = json.dumps({'text': 'a' + '\u0301' * INLINE_BODY_BYTES}).encode()

        async def main() -> None:
            loop = threading.current_thread().name
            for route in (service.predict_async, service.tokenize_async):
                seen.clear()
                self.assertEqual((await route(large, JSON)).status, 200)
                self.assertNotEqual(seen, [loop], route.__name__)
                self.assertEqual(len(seen), 1)
                seen.clear()
                self.assertEqual((await route(b'{"text":"short"}', JSON)).status, 200)
                self.assertEqual(seen, [loop], 'a small body stays on the loop')

        try:
            asyncio.run(main())
        finally:
            service.close()


def import_app(server: str) -> Any:
    """The server's app.py, when this venv has its framework (the unit tests run in both venvs)."""
    try:
        __import__(server)
    except ImportError:
        raise unittest.SkipTest(f'{server} is not installed in this venv') from None
    sys.path.insert(0, str(SERVERS / server / 'src'))
    try:
        sys.modules.pop('app', None)
        import app
        return app
    finally:
        sys.path.pop(0)
        sys.modules.pop('app', None)


class FastapiDisconnect(unittest.TestCase):
    def test_a_client_that_disconnects_cancels_its_queued_predict(self) -> None:
        app_module = import_app('fastapi')
        service = Service(tiny_config(), 'test', tiny_model(), {'server': 'unit test'})
        blocked = Blocked(service.backend.embed)
        service.backend.embed = blocked  # type: ignore[method-assign]
        asgi = app_module.build_app(service)

        async def request(body: bytes, disconnect: asyncio.Event) -> List[Any]:
            sent: List[Any] = []
            messages = [{'type': 'http.request', 'body': body, 'more_body': False}]

            async def receive() -> Any:
                if messages:
                    return messages.pop(0)
                await disconnect.wait()  # as uvicorn: after the body, receive() waits for the disconnect
                return {'type': 'http.disconnect'}

            async def send(m: Any) -> None:
                sent.append(m)

            scope = {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': 'POST', 'scheme': 'http',
                     'path': '/predict', 'raw_path': b'/predict', 'root_path': '', 'query_string': b'',
                     'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode())],
                     'client': ('127.0.0.1', 1), 'server': ('127.0.0.1', 2)}
            await asgi(scope, receive, send)
            return sent

        async def main() -> None:
            stays, leaves = asyncio.Event(), asyncio.Event()
            first = asyncio.ensure_future(request(b'{"text":"running"}', stays))
            await asyncio.get_running_loop().run_in_executor(None, blocked.entered.wait, 10)
            second = asyncio.ensure_future(request(b'{"text":"abandoned"}', leaves))
            while service.queue.depth < 2:
                await asyncio.sleep(0.001)
            leaves.set()
            await asyncio.sleep(0.05)  # the watcher sees the disconnect
            blocked.release.set()
            statuses = [m['status'] for r in await asyncio.gather(first, second) for m in r if m['type'] == 'http.response.start']
            self.assertEqual(statuses, [200, 504])
            self.assertEqual(blocked.calls, [1], 'the abandoned predict never reached the model')

        try:
            asyncio.run(main())
        finally:
            blocked.release.set()
            service.close()


class FlaskPeek(unittest.TestCase):
    def test_client_gone_sees_a_closed_or_reset_peer(self) -> None:
        client_gone = import_app('flask').client_gone
        for how in ('close', 'reset'):
            a, b = socket.socketpair()
            try:
                gone = client_gone(a)
                self.assertFalse(gone())
                b.sendall(b'GET /next HTTP/1.1\r\n')  # a pipelined request: still here, and nothing is consumed
                self.assertFalse(gone())
                self.assertEqual(a.recv(3), b'GET')
                a.recv(100)
                b.close() if how == 'close' else b.shutdown(socket.SHUT_WR)
                self.assertTrue(gone())
            finally:
                a.close()
                b.close()
        self.assertFalse(client_gone(None)())


if __name__ == '__main__':
    unittest.main()
