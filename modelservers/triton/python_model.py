"""The servebench BERT encoder as a Triton Python-backend model: onnxruntime inside the backend stub.

serve.py links this file as `<repo>/<model>/1/model.py` of a Python-backend repository it derives
from the onnxruntime-backend one, so the model runs in Triton's own stub process (no proxy hop).
Parameters read from config.pbtxt: `onnx_model` (path of model.onnx), `intra_op_thread_count`,
`inter_op_thread_count`.

Triton's dynamic batcher hands execute() several requests at once, each with its own
[rows, seq_len] int64 inputs. They run as one onnxruntime call: every input is padded with 0 to the
longest seq_len (attention_mask 0 there, which the graph's masked mean pooling ignores), and the
[rows, hidden] output is split back per request.
"""
from __future__ import annotations

import json
import os
import sys

# The stub's interpreter is isolated (it ignores PYTHONPATH and has only the base Python's
# site-packages): serve.py names the venv's site-packages, where numpy and onnxruntime are, here.
for _p in reversed([p for p in os.environ.get("SERVEBENCH_SITE_PACKAGES", "").split(os.pathsep) if p]):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

try:
    import triton_python_backend_utils as pb_utils  # only inside Triton's stub
except ImportError:  # imported by tests
    pb_utils = None


def make_session(onnx_path: str, intra_op_threads: int = 1, inter_op_threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = intra_op_threads
    so.inter_op_num_threads = inter_op_threads
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])


def check_request(inputs: dict[str, np.ndarray]) -> str | None:
    """Why one request's inputs cannot run (inputs of different shapes, not [rows, seq_len]), or None."""
    shapes = {name: a.shape for name, a in inputs.items()}
    if len(set(shapes.values())) != 1:
        return f"inputs of one request must have the same shape, got {shapes}"
    shape = next(iter(shapes.values()))
    if len(shape) != 2:
        return f"inputs must be [rows, seq_len], got {list(shape)}"
    return None


def pad_batch(requests: list[dict[str, np.ndarray]], names: list[str]) -> tuple[dict[str, np.ndarray], list[int]]:
    """Concatenates per-request [rows_i, seq_i] inputs along rows, right-padded with 0 to the longest seq."""
    rows = [r[names[0]].shape[0] for r in requests]
    seq = max(r[names[0]].shape[1] for r in requests)
    if len(requests) == 1:
        return {n: np.ascontiguousarray(requests[0][n], dtype=np.int64) for n in names}, rows
    out: dict[str, np.ndarray] = {}
    for n in names:
        a = np.zeros((sum(rows), seq), dtype=np.int64)
        at = 0
        for r, k in zip(requests, rows):
            x = r[n]
            a[at : at + k, : x.shape[1]] = x
            at += k
        out[n] = a
    return out, rows


def run_batch(session, names: list[str], output: str, requests: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """One onnxruntime call for all requests; the output rows of each, in order."""
    feed, rows = pad_batch(requests, names)
    (y,) = session.run([output], feed)
    y = np.ascontiguousarray(y, dtype=np.float32)
    return np.split(y, np.cumsum(rows)[:-1]) if len(rows) > 1 else [y]


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        self.inputs = [i["name"] for i in config["input"]]
        self.output = config["output"][0]["name"]
        self.session = make_session(
            params["onnx_model"],
            int(params.get("intra_op_thread_count") or 1),
            int(params.get("inter_op_thread_count") or 1),
        )

    def execute(self, requests):
        responses: list = [None] * len(requests)
        good: list[tuple[int, dict[str, np.ndarray]]] = []
        for i, request in enumerate(requests):
            inputs = {n: pb_utils.get_input_tensor_by_name(request, n).as_numpy() for n in self.inputs}
            why = check_request(inputs)
            if why:
                responses[i] = pb_utils.InferenceResponse(error=pb_utils.TritonError(why))
            else:
                good.append((i, inputs))
        if good:
            try:
                outs = run_batch(self.session, self.inputs, self.output, [x for _, x in good])
            except Exception as e:  # noqa: BLE001 - onnxruntime's error goes back to each caller
                outs = [e] * len(good)
            for (i, _), y in zip(good, outs):
                responses[i] = (
                    pb_utils.InferenceResponse(error=pb_utils.TritonError(f"onnxruntime: {y}"))
                    if isinstance(y, Exception)
                    else pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(self.output, y)])
                )
        return responses

    def finalize(self):
        self.session = None
