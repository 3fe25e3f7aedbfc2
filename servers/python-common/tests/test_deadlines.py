"""Issue 15, gunicorn (flask): a body that does not arrive within REQUEST_TIMEOUT_MS gets 408 and the
connection is shut, by one watchdog thread rather than a timer thread per request; a body read in time
and an answer started in time end the deadline. (HEADERS_TIMEOUT_MS, armed by gunicorn_worker.py, is
probed end to end by runner/src/reliability/hardening.test.ts.)"""
import io
import socket
import threading
import unittest
from typing import Any, Dict, List

from servebench_py.config import parse_config
from servebench_py.timeouts import TIMEOUT_RESPONSE, Watchdog, deadline_wsgi

from .test_gate import wait_for


class WatchdogDeadlines(unittest.TestCase):
    def test_expires_once_and_disarm_tells_whether_it_had(self) -> None:
        w = Watchdog(tick_s=0.01)
        fired: List[str] = []
        late = w.arm(0.02, lambda: fired.append('late'))
        kept = w.arm(60, lambda: fired.append('kept'))
        wait_for(lambda: fired == ['late'])
        self.assertFalse(w.disarm(late))
        self.assertTrue(w.disarm(kept))
        self.assertFalse(w.disarm(kept))
        self.assertEqual(fired, ['late'])


def environ_for(sock: socket.socket, body: Any, length: str) -> Dict[str, Any]:
    return {'gunicorn.socket': sock, 'wsgi.input': body, 'CONTENT_LENGTH': length, 'REQUEST_METHOD': 'POST'}


class BodyDeadline(unittest.TestCase):
    def setUp(self) -> None:
        self.limits = parse_config({'REQUEST_TIMEOUT_MS': '50'}).connections
        self.server, self.client = socket.socketpair()
        self.client.settimeout(5)

    def tearDown(self) -> None:
        self.server.close()
        self.client.close()

    def test_a_body_that_does_not_arrive_in_time_gets_408_and_the_socket_is_shut(self) -> None:
        stalled = threading.Event()

        class Stalled(io.RawIOBase):
            def read(self, size: int = -1) -> bytes:
                stalled.wait(5)  # a client trickling its body: nothing arrives in time
                return b''

        def app(environ: Dict[str, Any], start_response: Any) -> List[bytes]:
            environ['wsgi.input'].read(100)
            return [b'']

        guarded = deadline_wsgi(app, self.limits, Watchdog(tick_s=0.01))
        t = threading.Thread(target=guarded, args=(environ_for(self.server, Stalled(), '1000'), lambda *a: None))
        t.start()
        got = b''
        while len(got) < len(TIMEOUT_RESPONSE):
            chunk = self.client.recv(4096)
            if not chunk:
                break
            got += chunk
        self.assertEqual(got, TIMEOUT_RESPONSE)
        self.assertEqual(self.client.recv(10), b'', 'closed after the 408')
        self.assertTrue(TIMEOUT_RESPONSE.startswith(b'HTTP/1.1 408 '))
        stalled.set()
        t.join(5)

    def test_a_body_read_in_time_ends_the_deadline(self) -> None:
        done = threading.Event()

        def app(environ: Dict[str, Any], start_response: Any) -> List[bytes]:
            self.assertEqual(environ['wsgi.input'].read(100), b'{}')
            self.assertEqual(environ['wsgi.input'].read(100), b'')
            done.wait(0.3)  # a long computation after the body: no 408 for it
            start_response('200 OK', [])
            return [b'ok']

        guarded = deadline_wsgi(app, self.limits, Watchdog(tick_s=0.01))
        self.assertEqual(guarded(environ_for(self.server, io.BytesIO(b'{}'), '2'), lambda *a: None), [b'ok'])
        self.server.sendall(b'still open')
        self.assertEqual(self.client.recv(100), b'still open')


if __name__ == '__main__':
    unittest.main()
