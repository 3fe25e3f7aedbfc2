"""python_model.py's batching against plain onnxruntime: requests of different sequence lengths run
as one padded batch must give each request the embeddings it gets alone.

    .venv/bin/python -m unittest test_python_model.py     (needs a forged model: models/triton/*/bert/1/model.onnx)
"""
from __future__ import annotations

import glob
import os
import unittest

import numpy as np

import python_model as pm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAMES = ["input_ids", "attention_mask", "token_type_ids"]


def request(rng: np.random.Generator, rows: int, seq: int) -> dict[str, np.ndarray]:
    ids = rng.integers(1000, 3000, size=(rows, seq), dtype=np.int64)
    mask = np.ones((rows, seq), dtype=np.int64)
    for r in range(rows):  # rows of one request are padded too, as the clients send them
        n = int(rng.integers(2, seq + 1))
        ids[r, n:] = 0
        mask[r, n:] = 0
    ids[:, 0] = 101
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros((rows, seq), dtype=np.int64)}


class PaddedBatchTest(unittest.TestCase):
    def test_mixed_lengths_equal_each_request_alone(self):
        models = sorted(glob.glob(os.path.join(ROOT, "models", "triton", "*", "bert", "1", "model.onnx")))
        if not models:
            self.skipTest("no forged model under models/triton (run the runner or its model tests first)")
        rng = np.random.default_rng(7)
        for path in models:
            with self.subTest(model=path):
                session = pm.make_session(path)
                reqs = [request(rng, rows, seq) for rows, seq in [(1, 3), (4, 17), (2, 9), (1, 64), (3, 1 + 1)]]
                batched = pm.run_batch(session, NAMES, "embedding", reqs)
                self.assertEqual(len(batched), len(reqs))
                for r, got in zip(reqs, batched):
                    (want,) = session.run(["embedding"], r)
                    self.assertEqual(got.shape, want.shape)
                    self.assertEqual(got.dtype, np.float32)
                    self.assertLess(float(np.abs(got - want).max()), 1e-5)

    def test_pad_batch_layout(self):
        a = {n: np.full((1, 2), 5, dtype=np.int64) for n in NAMES}
        b = {n: np.full((2, 4), 7, dtype=np.int64) for n in NAMES}
        feed, rows = pm.pad_batch([a, b], NAMES)
        self.assertEqual(rows, [1, 2])
        np.testing.assert_array_equal(feed["attention_mask"], [[5, 5, 0, 0], [7, 7, 7, 7], [7, 7, 7, 7]])

    def test_check_request(self):
        ok = {n: np.zeros((2, 3), dtype=np.int64) for n in NAMES}
        self.assertIsNone(pm.check_request(ok))
        self.assertIn("same shape", pm.check_request({**ok, "attention_mask": np.zeros((2, 4), dtype=np.int64)}))
        self.assertIn("[rows, seq_len]", pm.check_request({n: np.zeros((6,), dtype=np.int64) for n in NAMES}))


if __name__ == "__main__":
    unittest.main()
