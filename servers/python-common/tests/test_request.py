"""servebench_py.request must accept and reject exactly what packages/contract/src/request.ts does."""
import unittest

from servebench_py.config import Limits
from servebench_py.errors import ServeError
from servebench_py.request import is_json_content_type, parse_texts_body, utf16_length

LIMITS = Limits(max_body_bytes=1024, max_texts=3, max_text_chars=10)


def code_of(raw: bytes, content_type: str = 'application/json', limits: Limits = LIMITS) -> str:
    try:
        parse_texts_body(raw, content_type, limits)
    except ServeError as e:
        return e.code
    return 'OK'


class ContentType(unittest.TestCase):
    def test_json_types(self) -> None:
        for ok in ('application/json', 'Application/JSON; charset=utf-8', ' application/json ', 'application/problem+json', '\ufeffapplication/json'):
            self.assertTrue(is_json_content_type(ok), ok)
        for bad in (None, '', 'text/plain', 'application/jsonx', 'text/json', 'multipart/form-data; boundary=x'):
            self.assertFalse(is_json_content_type(bad), bad)


class Parse(unittest.TestCase):
    def test_shapes(self) -> None:
        self.assertEqual(parse_texts_body(b'{"text":"a"}', 'application/json', LIMITS), (['a'], True))
        self.assertEqual(parse_texts_body(b'{"texts":["a","b"]}', 'application/json', LIMITS), (['a', 'b'], False))
        # JSON.parse keeps the last duplicate key, and so does json.loads.
        self.assertEqual(parse_texts_body(b'{"text":1,"text":"b"}', 'application/json', LIMITS), (['b'], True))

    def test_errors_in_order(self) -> None:
        cases = {
            (b'{"text":"a"}', 'text/plain'): 'UNSUPPORTED_MEDIA_TYPE',
            (b'x' * 1025, 'text/plain'): 'UNSUPPORTED_MEDIA_TYPE',
            (b'x' * 1025, 'application/json'): 'BODY_TOO_LARGE',
            (b'{"text":"\xff"}', 'application/json'): 'INVALID_UTF8',
            (b'{"text":"\xc0\xaf"}', 'application/json'): 'INVALID_UTF8',
            (b'{"text":"\xed\xa0\x80"}', 'application/json'): 'INVALID_UTF8',  # an encoded surrogate
            (b'', 'application/json'): 'INVALID_JSON',
            (b'{"text": NaN}', 'application/json'): 'INVALID_JSON',
            (b'{"text": Infinity}', 'application/json'): 'INVALID_JSON',
            (b'{"text":"a"} x', 'application/json'): 'INVALID_JSON',
            (b'null', 'application/json'): 'INVALID_REQUEST',
            (b'["a"]', 'application/json'): 'INVALID_REQUEST',
            (b'{}', 'application/json'): 'INVALID_REQUEST',
            (b'{"text":"a","extra":1}', 'application/json'): 'INVALID_REQUEST',
            (b'{"__proto__":"a"}', 'application/json'): 'INVALID_REQUEST',
            (b'{"text":true}', 'application/json'): 'INVALID_REQUEST',
            (b'{"texts":"a"}', 'application/json'): 'INVALID_REQUEST',
            (b'{"texts":["a",1]}', 'application/json'): 'INVALID_REQUEST',
            (b'{"texts":[]}', 'application/json'): 'EMPTY_TEXTS',
            (b'{"texts":["a","a","a","a"]}', 'application/json'): 'TOO_MANY_TEXTS',
            (b'{"text":"aaaaaaaaaaa"}', 'application/json'): 'TEXT_TOO_LONG',
        }
        for (raw, ct), code in cases.items():
            self.assertEqual(code_of(raw, ct), code, raw[:40])

    def test_deep_nesting_is_invalid_request_like_node_not_a_crash(self) -> None:
        # V8 parses it and the shape check rejects it; Python's parser gives up first: the same code either way.
        big = Limits(max_body_bytes=10**6, max_texts=3, max_text_chars=10)
        self.assertEqual(code_of(b'{"text":' + b'[' * 100_000 + b']' * 100_000 + b'}', limits=big), 'INVALID_REQUEST')

    def test_bom_is_dropped_like_text_decoder(self) -> None:
        self.assertEqual(code_of(b'\xef\xbb\xbf{"text":"a"}'), 'OK')

    def test_lone_surrogate_escape_is_text(self) -> None:
        self.assertEqual(parse_texts_body(b'{"text":"x\\ud800y"}', 'application/json', LIMITS), (['x\ud800y'], True))

    def test_length_counts_utf16_units_like_javascript(self) -> None:
        self.assertEqual(utf16_length('a\U0001F600'), 3)
        self.assertEqual(utf16_length('\u00e9\u6771'), 2)
        self.assertEqual(code_of('{"text":"\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600"}'.encode()), 'OK')  # 10 units
        self.assertEqual(code_of('{"text":"a\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600"}'.encode()), 'TEXT_TOO_LONG')  # 11


if __name__ == '__main__':
    unittest.main()
