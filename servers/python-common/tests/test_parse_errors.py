"""A request the server's HTTP parser rejects gets the contract's JSON error and a close, as on the Node
stacks (packages/core/src/http.ts answerClientError), not gunicorn's HTML page or uvicorn's text."""
import json
import unittest

from servebench_py.timeouts import BAD_REQUEST_RESPONSE

try:
    from gunicorn.http import errors
except ImportError:  # the fastapi venv has no gunicorn
    errors = None


def parts(answer: bytes) -> tuple:
    head, body = answer.split(b'\r\n\r\n', 1)
    lines = head.decode().split('\r\n')
    headers = dict(line.split(': ', 1) for line in lines[1:])
    return lines[0], headers, json.loads(body)


class ParserAnswers(unittest.TestCase):
    def test_the_400_is_the_node_stacks_answer(self) -> None:
        status, headers, body = parts(BAD_REQUEST_RESPONSE)
        self.assertEqual(status, 'HTTP/1.1 400 Bad Request')
        self.assertEqual(headers['connection'], 'close')
        self.assertEqual(int(headers['content-length']), len(BAD_REQUEST_RESPONSE.split(b'\r\n\r\n', 1)[1]))
        self.assertEqual(body, {'error': {'code': 'INVALID_REQUEST', 'message': 'the request is not valid HTTP/1.1'}})

    @unittest.skipIf(errors is None, 'gunicorn is not installed in this venv')
    def test_gunicorn_parse_errors_get_the_contract_answer(self) -> None:
        from servebench_py.gunicorn_worker import client_error_answer

        for exc in (errors.InvalidRequestLine('GARBAGE'), errors.InvalidHeader('no colon'), errors.InvalidChunkSize(b'zz')):
            self.assertEqual(client_error_answer(exc), BAD_REQUEST_RESPONSE, type(exc).__name__)
        self.assertEqual(parts(client_error_answer(errors.LimitRequestLine(9000, 8190)))[0], 'HTTP/1.1 414 URI Too Long')
        self.assertEqual(parts(client_error_answer(errors.LimitRequestHeaders('x')))[0], 'HTTP/1.1 431 Request Header Fields Too Large')
        # Not the client's fault, or another status: gunicorn answers as before.
        self.assertIsNone(client_error_answer(ValueError('app bug')))
        self.assertIsNone(client_error_answer(errors.UnsupportedTransferCoding('gzip')))


if __name__ == '__main__':
    unittest.main()
