"""The exported SavedModel, loaded by TensorFlow, gives ORT's embeddings to 1e-4 (same weights, same math)."""
from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest
import tensorflow as tf

from export_savedmodel import export

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.environ.get("SERVEBENCH_MODELS_DIR", os.path.join(HERE, "..", "..", "..", "models"))
TOLERANCE = 1e-4


def batch(lengths: list[int], seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    seq = max(lengths)
    ids = np.zeros((len(lengths), seq), np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for r, n in enumerate(lengths):
        ids[r, :n] = np.concatenate([[101], rng.integers(1000, 30000, n - 2), [102]])
        mask[r, :n] = 1
        types[r, n // 2:n] = 1  # a second segment, so token_type_embeddings matter
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


@pytest.fixture(scope="module", params=["tiny-s0", "mini-s0"])
def exported(request, tmp_path_factory):
    onnx_path = os.path.join(MODELS, request.param, "model.onnx")
    if not os.path.exists(onnx_path):
        pytest.fail(f"{onnx_path} is missing: run `npm run build` (the model forge) first")
    out = tmp_path_factory.mktemp(request.param)
    export(onnx_path, str(out))
    return onnx_path, tf.saved_model.load(str(out / "bert" / "1"))


@pytest.mark.parametrize("lengths", [[5], [3, 17, 9], [64, 2], [128]])
def test_savedmodel_matches_ort(exported, lengths):
    onnx_path, loaded = exported
    feeds = batch(lengths)
    want = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"]).run(["embedding"], feeds)[0]
    got = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in feeds.items()})["embedding"].numpy()
    assert got.shape == want.shape == (len(lengths), want.shape[1])
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want)) < TOLERANCE


def test_signature_is_what_tf_serving_clients_send(exported):
    _, loaded = exported
    sig = loaded.signatures["serving_default"]
    inputs = {k: (v.dtype, v.shape.as_list()) for k, v in sig.structured_input_signature[1].items()}
    assert inputs == {n: (tf.int64, [None, None]) for n in ("input_ids", "attention_mask", "token_type_ids")}
    assert {k: v.dtype for k, v in sig.structured_outputs.items()} == {"embedding": tf.float32}
