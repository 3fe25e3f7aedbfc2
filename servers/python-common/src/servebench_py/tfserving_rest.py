"""TF Serving's REST API: `POST /v1/models/<m>:predict` with the columnar `inputs` form (mirrors
packages/inference/src/tfserving/rest.ts)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import numpy as np

from .config import ModelServer
from .errors import ServeError
from .remote import INPUTS, OUTPUT, Embeddings, ModelServerBackend, embeddings_from, json_body, status_error

SIGNATURE = 'serving_default'


class TfServingRestBackend(ModelServerBackend):
    id = 'tfserving-rest'

    def __init__(self, o: ModelServer) -> None:
        super().__init__(o, 'http://127.0.0.1:8501', 'TF Serving', '/v1/models')
        self._version: Optional[str] = None

    def info(self) -> Dict[str, str]:
        return {
            'runtime': 'TF Serving (REST, Python client)',
            'model_server_url': self.origin,
            'model': self.o.model,
            **({'model_version': self._version} if self._version else {}),
            'signature': SIGNATURE,
            'tensor_form': 'json inputs (columnar)',
            'connections': str(self.o.connections),
            'timeout_ms': str(self.o.timeout_ms),
        }

    def load(self) -> None:
        pass

    def ready(self) -> bool:
        """`GET /v1/models/<m>` lists a version in state AVAILABLE."""
        try:
            r = self.pool.request('GET', self._model_path)
            if r.status != 200:
                return False
            j = json_body(self.label, r.body)
        except ServeError:
            return False
        versions = j.get('model_version_status') if isinstance(j, dict) else None
        ok = [v for v in versions if isinstance(v, dict) and v.get('state') == 'AVAILABLE'] if isinstance(versions, list) else []
        self._version = str(ok[0].get('version')) if ok and ok[0].get('version') is not None else None
        return bool(ok)

    def embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> Embeddings:
        inputs = {name: np.asarray(a, dtype=np.int64).tolist() for name, a in zip(INPUTS, (ids, mask, types))}
        body = json.dumps({'signature_name': SIGNATURE, 'inputs': inputs}, separators=(',', ':')).encode()
        r = self.pool.request('POST', f'{self._model_path}:predict', body, {'content-type': 'application/json'})
        if r.status != 200:
            raise status_error(self.label, r)
        # One output: `outputs` is the tensor itself; several: an object keyed by output name.
        j = json_body(self.label, r.body)
        outputs = j.get('outputs') if isinstance(j, dict) else None
        t = outputs.get(OUTPUT) if isinstance(outputs, dict) else outputs
        if not isinstance(t, list):
            raise ServeError('BAD_BACKEND_RESPONSE', f'{self.label} answered without "outputs" (or outputs.{OUTPUT})')
        dim = len(t[0]) if t and isinstance(t[0], list) else -1
        flat: List[Any] = []
        for row in t:
            if not isinstance(row, list) or len(row) != dim:
                raise ServeError('BAD_BACKEND_RESPONSE', f'{self.label} sent ragged or non-2-D "{OUTPUT}" rows')
            flat.extend(row)
        return embeddings_from(self.label, ids.shape[0], [len(t), dim], flat)

    def close(self) -> None:
        self.pool.close()
