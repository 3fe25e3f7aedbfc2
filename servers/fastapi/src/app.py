"""The FastAPI app: route wiring only; everything else is in servebench_py.Service."""
from __future__ import annotations

import asyncio
import threading
from typing import Dict

import fastapi
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from servebench_py.body import LimitedBody
from servebench_py.errors import ServeError
from servebench_py.serve import boot_worker
from servebench_py.service import Reply, Service, error_reply

MAX_HEADER_BYTES = 16 * 1024
# HEAD wherever GET (the contract's edge, servebench_py/edge.py); FastAPI's @get alone answers HEAD with 405.
GET = ['GET', 'HEAD']


def runtime_info() -> Dict[str, str]:
    def has(module: str) -> bool:
        try:
            __import__(module)
            return True
        except ImportError:
            return False

    # What uvicorn's "auto" picks: the C loop and parser when installed.
    loop = 'uvloop' if has('uvloop') else 'asyncio'
    http = 'httptools' if has('httptools') else 'h11'
    return {'server': f'fastapi {fastapi.__version__} on uvicorn {uvicorn.__version__} ({loop}, {http})'}


def create_app() -> ASGIApp:
    """uvicorn's app factory, called once in each worker process."""
    return limit_headers(build_app(boot_worker('fastapi', runtime_info())))


def limit_headers(app: ASGIApp) -> ASGIApp:
    """431 for requests whose headers exceed 16 KiB, as Node's HTTP parser does (maxHeaderSize);
    uvicorn's httptools protocol has no such limit."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and sum(len(k) + len(v) for k, v in scope['headers']) > MAX_HEADER_BYTES:
            await send({'type': 'http.response.start', 'status': 431, 'headers': [(b'connection', b'close'), (b'content-length', b'0')]})
            await send({'type': 'http.response.body', 'body': b''})
            return
        await app(scope, receive, send)

    return guarded


def send(r: Reply) -> Response:
    return Response(content=r.body, status_code=r.status, headers=r.headers)


async def watch_disconnect(receive: Receive, gone: threading.Event) -> None:
    """Sets `gone` when the client goes away. The body has been read, so uvicorn's receive() now waits
    until the connection is lost (or the answer is sent; the handler cancels this first)."""
    try:
        while (await receive())['type'] != 'http.disconnect':
            pass
    except Exception:
        pass  # a receive that fails means the connection is broken too
    gone.set()


async def read_body(request: Request, limit: int) -> bytes:
    body = LimitedBody(limit, request.headers.get('content-length'))
    try:
        async for chunk in request.stream():
            body.feed(chunk)
    except ClientDisconnect:
        raise ServeError('INVALID_REQUEST', 'the request body could not be read') from None
    return body.result()


def build_app(service: Service) -> FastAPI:
    """Never listens. Fairness: no docs or OpenAPI routes (they would answer what must be 404),
    no slash redirects, no middleware, access log off (in main.py)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False)
    limit = service.config.limits.max_body_bytes

    @app.api_route('/hello_world', methods=GET)
    async def hello() -> Response:
        return send(service.hello())

    @app.api_route('/healthz', methods=GET)
    async def healthz() -> Response:
        return send(service.health())

    @app.api_route('/readyz', methods=GET)
    def readyz() -> Response:
        # Sync on purpose: FastAPI runs it on its thread pool, so a proxy backend's probe of its
        # model server (up to MODEL_SERVER_TIMEOUT_MS) never blocks the event loop.
        return send(service.ready())

    @app.api_route('/metrics', methods=GET)
    async def metrics() -> Response:
        return send(service.metrics_text())

    @app.post('/tokenize')
    async def tokenize(request: Request) -> Response:
        try:
            raw = await read_body(request, limit)
        except ServeError as e:
            return send(error_reply(e))
        return send(await service.tokenize_async(raw, request.headers.get('content-type')))

    @app.post('/predict')
    async def predict(request: Request) -> Response:
        try:
            raw = await read_body(request, limit)
        except ServeError as e:
            return send(error_reply(e))
        # A client that goes away cancels its work: dropped when its turn comes, or after the part in progress.
        gone = threading.Event()
        watch = asyncio.ensure_future(watch_disconnect(request.receive, gone))
        try:
            return send(await service.predict_async(raw, request.headers.get('content-type'), gone.is_set))
        finally:
            watch.cancel()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        if e.status_code in (404, 405):
            raw = request.scope.get('raw_path')
            return send(service.unrouted(request.method, raw.decode('latin-1') if raw else request.url.path))
        return send(error_reply(ServeError('INVALID_REQUEST' if e.status_code < 500 else 'INTERNAL', str(e.detail))))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, e: Exception) -> Response:
        return send(error_reply(e))

    return app
