"""The routing edge of the HTTP contract (mirrors packages/contract/src/edge.ts): exact paths, the
query ignored, percent-encoded unreserved characters decoded; OPTIONS on a route 204 + Allow, another
method on a route 405 + Allow, anything else 404."""
from __future__ import annotations

import re
from typing import Optional

ROUTE_METHOD = {
    '/hello_world': 'GET',
    '/tokenize': 'POST',
    '/predict': 'POST',
    '/healthz': 'GET',
    '/readyz': 'GET',
    '/metrics': 'GET',
}

_UNRESERVED = re.compile(r'%([46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])')


def canonical_path(target: str) -> str:
    """The path as routes are matched: query (and a stray '#...') dropped, unreserved escapes decoded."""
    path = re.split(r'[?#]', target, maxsplit=1)[0]
    return _UNRESERVED.sub(lambda m: chr(int(m.group(1), 16)), path) if '%' in path else path


def allow_header(path: str) -> Optional[str]:
    """`GET, HEAD, OPTIONS` or `OPTIONS, POST` for a route (alphabetical); None for any other path."""
    method = ROUTE_METHOD.get(path)
    if method is None:
        return None
    return 'GET, HEAD, OPTIONS' if method == 'GET' else 'OPTIONS, POST'
