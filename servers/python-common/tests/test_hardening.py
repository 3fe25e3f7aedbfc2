"""Issue 15: an over-limit body fails at the limit, 413 closes the connection, no model-server
address reaches a client, and the connection limits share the Node stacks' variables and defaults."""
import json
import socket
import threading
import unittest

from servebench_py.body import LimitedBody, discard_cap
from servebench_py.config import parse_config
from servebench_py.errors import ServeError
from servebench_py.service import error_reply
from servebench_py.timeouts import limit_send, linger


class Hardening(unittest.TestCase):
    def test_an_endless_body_is_cut_off(self) -> None:
        body = LimitedBody(10, None)
        body.feed(b'x' * 11)  # past the limit: dropped, read on so the client gets its 413, not a reset
        with self.assertRaises(ServeError) as e:
            for _ in range(discard_cap(10) // 11 + 2):
                body.feed(b'x' * 11)  # ...but only up to discard_cap: an endless chunked body is cut off
        self.assertEqual(e.exception.code, 'BODY_TOO_LARGE')

    def test_a_huge_declared_body_fails_before_any_read(self) -> None:
        with self.assertRaises(ServeError):
            LimitedBody(10, str(discard_cap(10) + 1))  # so no 100 Continue is sent for it
        body = LimitedBody(10, '20')  # over the limit but small: read (and dropped), then 413
        body.feed(b'x' * 20)
        with self.assertRaises(ServeError):
            body.result()

    def test_413_closes_the_connection(self) -> None:
        r = error_reply(ServeError('BODY_TOO_LARGE', 'body exceeds 10 bytes'))
        self.assertEqual(r.status, 413)
        self.assertEqual(r.headers.get('connection'), 'close')
        self.assertNotIn('connection', error_reply(ServeError('INVALID_JSON', 'x')).headers)

    def test_a_request_whose_framing_is_lost_closes_the_connection(self) -> None:
        # flask: a malformed chunked body (gunicorn's ParseException) answers 400 and closes, as on Node.
        r = error_reply(ServeError('INVALID_REQUEST', 'the request is not valid HTTP/1.1', close=True))
        self.assertEqual((r.status, r.headers.get('connection')), (400, 'close'))
        self.assertEqual(json.loads(r.body)['error']['code'], 'INVALID_REQUEST')

    def test_a_client_still_sending_after_its_413_reads_it(self) -> None:
        # Closing with unread body resets the connection: the client's next write fails and it may
        # never read its answer. linger() reads on until the client closes.
        for lingers in (True, False):
            with socket.create_server(('127.0.0.1', 0)) as ls, socket.create_connection(ls.getsockname()) as c:
                s, _ = ls.accept()
                c.sendall(b'x' * 100_000)  # a body the server never reads
                s.sendall(b'413')
                closer = threading.Thread(target=linger, args=(s, 5.0)) if lingers else threading.Thread(target=s.close)
                closer.start()
                try:
                    for _ in range(50):  # the client is still sending...
                        c.sendall(b'x' * 65536)
                    reply = c.recv(16)  # ...then reads its answer and sees the end
                    end = c.recv(16)
                    outcome = 'answered' if (reply, end) == (b'413', b'') else repr((reply, end))
                except OSError as e:
                    outcome = type(e).__name__
                c.close()
                closer.join()
                s.close()
            self.assertEqual(outcome == 'answered', lingers, outcome)

    def test_a_send_to_a_client_that_stopped_reading_fails_after_the_send_timeout(self) -> None:
        # gunicorn's worker thread writes with a blocking sendall: without SO_SNDTIMEO it waits forever.
        with socket.create_server(('127.0.0.1', 0)) as ls, socket.create_connection(ls.getsockname()):
            s, _ = ls.accept()
            limit_send(s, 0.2)
            outcome: list = []

            def send() -> None:
                try:
                    s.sendall(b'x' * (64 << 20))  # far more than both sockets' buffers; the client never reads
                    outcome.append('sent')
                except OSError as e:
                    outcome.append(type(e).__name__)

            t = threading.Thread(target=send, daemon=True)
            t.start()
            t.join(10)  # bounded: a send that never fails leaves the outcome empty
            s.close()
        self.assertEqual(outcome, ['BlockingIOError'])

    def test_no_model_server_address_in_errors(self) -> None:
        for msg in ('triton-http at http://127.0.0.1:8000 is unreachable', 'connect to [::1]:8501 failed', 'localhost:8000 timed out'):
            r = error_reply(ServeError('BACKEND_UNAVAILABLE', msg))
            text = json.loads(r.body)['error']['message']
            self.assertNotRegex(text, r'127\.0\.0\.1|::1|:8\d\d\d|localhost')
            self.assertIn('the model server', text)

    def test_connection_limits_match_the_node_defaults(self) -> None:
        c = parse_config({}).connections
        self.assertEqual(
            (c.headers_timeout_ms, c.request_timeout_ms, c.idle_timeout_ms, c.max_connections, c.send_timeout_ms),
            (10000, 30000, 30000, 768, 30000),
        )
        self.assertEqual(parse_config({'IDLE_TIMEOUT_MS': '250'}).connections.idle_timeout_ms, 250)


if __name__ == '__main__':
    unittest.main()
