"""Triton over the KServe v2 HTTP/REST protocol (mirrors packages/inference/src/triton/http.ts).

Tensors go as the binary tensor data extension by default (a JSON header, then raw little-endian
bytes; Inference-Header-Content-Length says where the JSON ends), or as JSON arrays with
TRITON_HTTP_TENSORS=json."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import numpy as np

from .config import ModelServer
from .errors import ServeError
from .remote import INPUTS, OUTPUT, Embeddings, ModelServerBackend, embeddings_from, is_int, json_body, status_error

HEADER_LENGTH = 'inference-header-content-length'


class TritonHttpBackend(ModelServerBackend):
    id = 'triton-http'

    def __init__(self, o: ModelServer) -> None:
        super().__init__(o, 'http://127.0.0.1:8000', 'Triton', '/v2/models')
        self._metadata: Optional[Dict[str, str]] = None

    def info(self) -> Dict[str, str]:
        m = self._metadata
        return {
            'runtime': f'{m["name"]} {m["version"]} (KServe v2 HTTP, Python client)' if m else 'Triton (not contacted yet)',
            'model_server_url': self.origin,
            'model': self.o.model,
            'tensor_form': self.o.tensor_form,
            'connections': str(self.o.connections),
            'timeout_ms': str(self.o.timeout_ms),
        }

    def load(self) -> None:
        """Nothing to load in process; the model server may come up later, and ready() reports it."""
        try:
            self.server_metadata()
        except ServeError:
            pass

    def ready(self) -> bool:
        """`/v2/models/<m>/ready` answers 200, and the server metadata is known."""
        try:
            if self.pool.request('GET', f'{self._model_path}/ready').status != 200:
                return False
            self.server_metadata()
            return True
        except ServeError:
            return False

    def server_metadata(self) -> Dict[str, str]:
        """`GET /v2`: name and version (cached)."""
        if self._metadata is None:
            r = self.pool.request('GET', '/v2')
            if r.status != 200:
                raise status_error(self.label, r)
            j = json_body(self.label, r.body)
            j = j if isinstance(j, dict) else {}
            self._metadata = {k: j[k] if isinstance(j.get(k), str) else 'unknown' for k in ('name', 'version')}
        return self._metadata

    def embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> Embeddings:
        arrays = [np.ascontiguousarray(a, dtype='<i8') for a in (ids, mask, types)]
        shape = list(ids.shape)
        binary = self.o.tensor_form == 'binary'
        header = {
            'inputs': [
                {'name': name, 'shape': shape, 'datatype': 'INT64',
                 **({'parameters': {'binary_data_size': a.nbytes}} if binary else {'data': a.ravel().tolist()})}
                for name, a in zip(INPUTS, arrays)
            ],
            'outputs': [{'name': OUTPUT, 'parameters': {'binary_data': binary}}],
        }
        head = json.dumps(header, separators=(',', ':')).encode()
        path = f'{self._model_path}/infer'
        if binary:
            body = b''.join([head, *(a.tobytes() for a in arrays)])
            r = self.pool.request('POST', path, body, {'content-type': 'application/octet-stream', HEADER_LENGTH: str(len(head))})
        else:
            r = self.pool.request('POST', path, head, {'content-type': 'application/json'})
        if r.status != 200:
            raise status_error(self.label, r)
        return self._parse(ids.shape[0], r.body, r.headers.get(HEADER_LENGTH))

    def _parse(self, batch: int, body: bytes, header_length: Optional[str]) -> Embeddings:
        """Reads the `embedding` output from a JSON or binary-extension answer."""
        def bad(why: str) -> ServeError:
            return ServeError('BAD_BACKEND_RESPONSE', f'{self.label} sent a bad inference answer: {why}')

        try:
            json_length = len(body) if header_length is None else int(header_length)
        except ValueError:
            json_length = -1
        if json_length < 0 or json_length > len(body):
            raise bad(f'{HEADER_LENGTH} {header_length} for a {len(body)}-byte body')
        head = json_body(self.label, body[:json_length])
        outputs = head.get('outputs') if isinstance(head, dict) else None
        if not isinstance(outputs, list):
            raise bad('no "outputs" array')
        offset = json_length
        for out in outputs:
            out = out if isinstance(out, dict) else {}
            params = out.get('parameters')
            size = params.get('binary_data_size') if isinstance(params, dict) else None
            if size is not None and (not is_int(size) or size < 0):
                raise bad(f'binary_data_size {json.dumps(size)}')
            if out.get('name') != OUTPUT:
                offset += size or 0
                continue
            if out.get('datatype') != 'FP32':
                raise bad(f'"{OUTPUT}" is {json.dumps(out.get("datatype"))}, expected FP32')
            shape: List[Any] = out['shape'] if isinstance(out.get('shape'), list) else []
            if size is not None:
                end = offset + size
                if end > len(body):
                    raise bad(f'"{OUTPUT}" claims {size} bytes but only {len(body) - offset} follow the header')
                return embeddings_from(self.label, batch, shape, body[offset:end])
            if not isinstance(out.get('data'), list):
                raise bad(f'"{OUTPUT}" has neither data nor binary_data_size')
            return embeddings_from(self.label, batch, shape, out['data'])
        raise bad(f'no "{OUTPUT}" output')

    def close(self) -> None:
        self.pool.close()
