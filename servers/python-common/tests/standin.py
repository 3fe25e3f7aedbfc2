"""In-process STAND-INS for model servers (http.server in a thread), not Triton or TF Serving: they
speak just enough KServe v2 / TF Serving REST to test the clients, and answer whatever a test picks
(`mode`): a correct answer, garbage, a wrong shape, an error status, or nothing (hang). The real
Triton is tested from servers/<name>/src/triton.test.ts."""
from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple

HIDDEN = 4


def fake_embedding(ids: List[int], mask: List[int], types: List[int]) -> List[float]:
    """What the stand-ins answer for one row, so a test can tell that every input arrived intact."""
    return [float(sum(ids)), float(sum(mask)), float(sum(types)), 0.5]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server: '_Server'

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.stand_in._serve(self, b'')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get('content-length') or 0))
        self.server.stand_in._serve(self, body)

    def reply(self, status: int, body: bytes, headers: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        for k, v in {'content-type': 'application/json', **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: 'StandInModelServer'

    def process_request(self, request: Any, client_address: Any) -> None:
        self.stand_in.connections.add(request)
        self.stand_in.peers.add(client_address)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connections the tests cut on purpose


class StandInModelServer:
    """Start with start(); stop() also cuts open keep-alive connections, as a dying server would."""

    def __init__(self) -> None:
        self.mode = 'ok'
        self.port = 0
        self.requests: List[Tuple[str, str, Dict[str, str], bytes]] = []
        self.connections: Set[socket.socket] = set()
        self.peers: Set[Tuple[str, int]] = set()
        self.release = threading.Event()  # ends every 'hang'
        self._server: Optional[_Server] = None

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def start(self) -> 'StandInModelServer':
        self._server = _Server(('127.0.0.1', self.port), _Handler)
        self._server.stand_in = self
        self.port = self._server.server_address[1]
        self.release.clear()
        threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for c in list(self.connections):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.connections.clear()

    def _serve(self, h: _Handler, body: bytes) -> None:
        self.requests.append((h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, body))
        if self.mode == 'hang':
            self.release.wait(10)
            h.close_connection = True  # then hang up without an answer
            return
        if self.mode == 'garbage':
            h.reply(200, b'<html>not json</html>', {'content-type': 'text/html'})
            return
        if self.mode == 'unavailable':
            h.reply(503, b'{"error":"model is loading"}')
            return
        if self.mode == 'refuse':
            h.reply(400, b'{"error":"unexpected shape for input \'input_ids\'"}')
            return
        self.answer(h, body)

    def answer(self, h: _Handler, body: bytes) -> None:
        raise NotImplementedError


def _rows(flat: List[int], shape: List[int]) -> List[List[int]]:
    return [flat[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])]


class StandInKServe(StandInModelServer):
    """A stand-in for Triton's KServe v2 HTTP API (binary tensor extension and JSON). Extra modes:
    'wrong_shape', 'wrong_dtype', 'no_output', 'short_binary'."""

    def answer(self, h: _Handler, body: bytes) -> None:
        if h.command == 'GET' and h.path == '/v2':
            h.reply(200, b'{"name":"triton","version":"2.51.0","extensions":["binary_tensor_data"]}')
        elif h.command == 'GET' and h.path == '/v2/models/bert/ready':
            h.reply(200, b'')
        elif h.command == 'POST' and h.path == '/v2/models/bert/infer':
            self._infer(h, body)
        else:
            h.reply(404, b'{"error":"no such model"}')

    def _infer(self, h: _Handler, body: bytes) -> None:
        length = h.headers.get('inference-header-content-length')
        head = json.loads(body[: int(length)] if length else body)
        offset = int(length) if length else 0
        tensors: Dict[str, List[List[int]]] = {}
        for t in head['inputs']:
            assert t['datatype'] == 'INT64', t
            if 'data' in t:
                flat = t['data']
            else:
                size = t['parameters']['binary_data_size']
                flat = list(struct.unpack(f'<{size // 8}q', body[offset:offset + size]))
                offset += size
            tensors[t['name']] = _rows(flat, t['shape'])
        rows = [fake_embedding(*r) for r in zip(tensors['input_ids'], tensors['attention_mask'], tensors['token_type_ids'])]
        shape = [len(rows), HIDDEN]
        if self.mode == 'wrong_shape':
            shape = [len(rows) + 1, HIDDEN]
        flat_out = [v for r in rows for v in r]
        out: Dict[str, Any] = {'name': 'embedding', 'datatype': 'FP64' if self.mode == 'wrong_dtype' else 'FP32', 'shape': shape}
        if self.mode == 'no_output':
            out['name'] = 'pooled'
        other = {'name': 'extra', 'datatype': 'FP32', 'shape': [1], 'parameters': {'binary_data_size': 4}}
        if head['outputs'][0]['parameters']['binary_data']:
            data = struct.pack(f'<{len(flat_out)}f', *flat_out)
            out['parameters'] = {'binary_data_size': len(data) + (64 if self.mode == 'short_binary' else 0)}
            # An output before `embedding`, so the client must skip its bytes.
            reply = json.dumps({'model_name': 'bert', 'outputs': [other, out]}).encode()
            h.reply(200, reply + struct.pack('<f', 9.0) + data,
                    {'content-type': 'application/octet-stream', 'inference-header-content-length': str(len(reply))})
        else:
            out['data'] = flat_out
            h.reply(200, json.dumps({'model_name': 'bert', 'outputs': [out]}).encode())


class StandInTfServing(StandInModelServer):
    """A stand-in for TF Serving's REST API. Extra modes: 'keyed' (outputs as an object),
    'ragged', 'wrong_rows', 'no_outputs', 'loading'."""

    def answer(self, h: _Handler, body: bytes) -> None:
        if h.command == 'GET' and h.path == '/v1/models/bert':
            state = 'LOADING' if self.mode == 'loading' else 'AVAILABLE'
            h.reply(200, json.dumps({'model_version_status': [{'version': '1', 'state': state, 'status': {'error_code': 'OK'}}]}).encode())
        elif h.command == 'POST' and h.path == '/v1/models/bert:predict':
            req = json.loads(body)
            assert req['signature_name'] == 'serving_default', req
            i = req['inputs']
            rows: List[Any] = [fake_embedding(*r) for r in zip(i['input_ids'], i['attention_mask'], i['token_type_ids'])]
            if self.mode == 'ragged':
                rows[-1] = rows[-1][:-1]
            if self.mode == 'wrong_rows':
                rows.append(rows[0])
            answer: Dict[str, Any] = {'outputs': {'embedding': rows} if self.mode == 'keyed' else rows}
            h.reply(200, json.dumps({} if self.mode == 'no_outputs' else answer).encode())
        else:
            h.reply(404, b'{"error":"Servable not found for request: Latest(bert)"}')
