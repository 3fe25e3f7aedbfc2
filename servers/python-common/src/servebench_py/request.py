"""Request body validation with exactly the rules of packages/contract/src/request.ts."""
from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

from .config import Limits
from .errors import ServeError

# What JavaScript's trim() strips (WhiteSpace and LineTerminator). Python's str.strip() differs: it
# also strips \x1c-\x1f and \x85, and keeps \ufeff.
JS_WHITESPACE = '\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'


def is_json_content_type(value: Optional[str]) -> bool:
    """`application/json` or `application/<x>+json`, any parameters."""
    if not value:
        return False
    media = value.split(';', 1)[0].strip(JS_WHITESPACE).lower()
    return media == 'application/json' or (media.startswith('application/') and media.endswith('+json'))


def _no_constants(name: str) -> Any:
    # JSON.parse rejects NaN and Infinity; Python's json accepts them unless told not to.
    raise ValueError(f'{name} is not JSON')


def parse_texts_body(raw: bytes, content_type: Optional[str], limits: Limits) -> Tuple[List[str], bool]:
    """The texts a body carries, and whether it used `text` (so the answer is unwrapped)."""
    if not is_json_content_type(content_type):
        raise ServeError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json')
    if len(raw) > limits.max_body_bytes:
        raise ServeError('BODY_TOO_LARGE', f'body exceeds {limits.max_body_bytes} bytes')
    try:
        # utf-8-sig: TextDecoder drops a leading BOM too.
        source = raw.decode('utf-8-sig')
    except UnicodeDecodeError:
        raise ServeError('INVALID_UTF8', 'body is not valid UTF-8') from None
    try:
        body = json.loads(source, parse_constant=_no_constants)
    except ValueError:
        raise ServeError('INVALID_JSON', 'body is not valid JSON') from None
    except RecursionError:
        # Deeper than Python's parser recurses (about 1,000 levels); V8's JSON.parse goes on and the Node
        # stacks reject the shape, as here: no request of the contract nests beyond two levels.
        raise ServeError('INVALID_REQUEST', 'body nests too deeply to be a request') from None
    return validate_texts(body, limits)


def validate_texts(body: Any, limits: Limits) -> Tuple[List[str], bool]:
    if not isinstance(body, dict):
        raise ServeError('INVALID_REQUEST', 'body must be a JSON object with "text" or "texts"')
    keys = list(body)
    if len(keys) != 1 or keys[0] not in ('text', 'texts'):
        raise ServeError('INVALID_REQUEST', 'body must have exactly one field: "text" (string) or "texts" (string[])')
    if keys[0] == 'text':
        text = body['text']
        if not isinstance(text, str):
            raise ServeError('INVALID_REQUEST', '"text" must be a string')
        _check_length(text, 'text', limits)
        return [text], True
    texts = body['texts']
    if not isinstance(texts, list):
        raise ServeError('INVALID_REQUEST', '"texts" must be an array of strings')
    if not texts:
        raise ServeError('EMPTY_TEXTS', '"texts" must not be empty')
    if len(texts) > limits.max_texts:
        raise ServeError('TOO_MANY_TEXTS', f'"texts" has {len(texts)} items; the limit is {limits.max_texts}')
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ServeError('INVALID_REQUEST', f'"texts[{i}]" must be a string')
        _check_length(t, f'texts[{i}]', limits)
    return texts, False


def utf16_length(text: str) -> int:
    """JavaScript's `text.length`: astral characters count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _check_length(text: str, where: str, limits: Limits) -> None:
    # The limit is in UTF-16 code units, as in the Node stacks; only count them when it matters.
    n = len(text)
    if n * 2 > limits.max_text_chars:
        n = utf16_length(text)
    if n > limits.max_text_chars:
        raise ServeError('TEXT_TOO_LONG', f'"{where}" has {n} characters; the limit is {limits.max_text_chars}')
