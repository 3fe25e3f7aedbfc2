"""The Flask app: route wiring only; everything else is in servebench_py.Service."""
from __future__ import annotations

import socket
from typing import Any, Callable, Dict, Optional

import flask
import gunicorn
from flask import Flask, Response, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from servebench_py.body import LimitedBody
from servebench_py.errors import ServeError
from servebench_py.serve import boot_worker
from servebench_py.service import Reply, Service, error_reply

READ_CHUNK = 64 * 1024


def runtime_info(threads: int) -> Dict[str, str]:
    return {'server': f'flask {flask.__version__} on gunicorn {gunicorn.__version__} (gthread, {threads} threads)'}


def create_app(threads: int) -> Flask:
    """gunicorn loads this once in each worker process (no preload: ORT must not cross a fork)."""
    return build_app(boot_worker('flask', runtime_info(threads)))


def send(r: Reply) -> Response:
    return Response(r.body, status=r.status, headers=r.headers)


def read_body(limit: int) -> bytes:
    # The raw WSGI stream (gunicorn de-chunks it), read to the end even past the limit.
    body = LimitedBody(limit, request.environ.get('CONTENT_LENGTH') or None)
    stream = request.environ['wsgi.input']
    try:
        while True:
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                break
            body.feed(chunk)
    except OSError:
        raise ServeError('INVALID_REQUEST', 'the request body could not be read') from None
    except ParseException:
        # gunicorn de-chunks the body only as it is read, so a malformed chunk (bad size, bare LF, missing
        # CRLF, Content-Length in the trailers) fails here. The Node stacks' parser answers these 400 and
        # closes; so does this, as the stream past the bad chunk cannot be framed into a next request.
        raise ServeError('INVALID_REQUEST', 'the request is not valid HTTP/1.1', close=True) from None
    return body.result()


def client_gone(sock: Optional[socket.socket]) -> Callable[[], bool]:
    """Whether the client has closed its connection (FIN or reset), peeked without blocking or consuming
    anything: gunicorn gives the app no other sign of it. A pipelined next request still counts as here."""

    def gone() -> bool:
        if sock is None:
            return False
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b''
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    return gone


def build_app(service: Service) -> Flask:
    """Never listens. Fairness: no extensions, no request logging (gunicorn's access log is off)."""
    app = Flask('servebench_flask')
    # No implicit OPTIONS handler: a method the contract does not list gets its JSON 405.
    app.config['PROVIDE_AUTOMATIC_OPTIONS'] = False
    # Exact paths (servebench_py/edge.py): werkzeug would otherwise answer //hello_world as /hello_world.
    app.url_map.merge_slashes = False
    limit = service.config.limits.max_body_bytes

    @app.get('/hello_world')
    def hello() -> Response:
        return send(service.hello())

    @app.get('/healthz')
    def healthz() -> Response:
        return send(service.health())

    @app.get('/readyz')
    def readyz() -> Response:
        return send(service.ready())

    @app.get('/metrics')
    def metrics() -> Response:
        return send(service.metrics_text())

    @app.post('/tokenize')
    def tokenize() -> Response:
        return send(service.tokenize(read_body(limit), request.headers.get('content-type')))

    @app.post('/predict')
    def predict() -> Response:
        # A client that goes away cancels its work: dropped at its turn, or after the part in progress.
        gone = client_gone(request.environ.get('gunicorn.socket'))
        return send(service.predict(read_body(limit), request.headers.get('content-type'), gone))

    # werkzeug strips every leading slash before matching, so //hello_world would be /hello_world.
    routed = app.wsgi_app

    def exact_paths(environ: Dict[str, Any], start_response: Any) -> Any:
        if environ.get('PATH_INFO', '').startswith('//'):
            target = environ.get('RAW_URI') or environ['PATH_INFO']
            return send(service.unrouted(environ.get('REQUEST_METHOD', 'GET'), target))(environ, start_response)
        return routed(environ, start_response)

    app.wsgi_app = exact_paths  # type: ignore[method-assign]

    @app.errorhandler(Exception)
    def on_error(e: Exception) -> Response:
        if isinstance(e, (MethodNotAllowed, NotFound)):
            return send(service.unrouted(request.method, request.environ.get('RAW_URI') or request.path))
        if isinstance(e, HTTPException):
            code = 'INVALID_REQUEST' if (e.code or 500) < 500 else 'INTERNAL'
            return send(error_reply(ServeError(code, e.description or e.name)))
        return send(error_reply(e))

    return app
