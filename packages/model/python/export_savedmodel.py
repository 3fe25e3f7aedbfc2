"""Exports a forged servebench BERT (model.onnx + config.json) as a TF Serving SavedModel.

The same math as the ONNX graph (packages/model/src/graph.ts) over the same initializers, read
from the ONNX file, so TF Serving serves the weights ORT and Triton serve. Layout written:

    <out>/<model name>/<version>/saved_model.pb + variables/

with the `serving_default` signature: int64 [batch, seq] input_ids, attention_mask and
token_type_ids in, float32 [batch, hidden] `embedding` out (masked mean pooling).

    python export_savedmodel.py --onnx models/mini-s0/model.onnx --out models/tfserving/mini-s0
"""
from __future__ import annotations

import argparse
import json
import os
import sys

MASK_NEGATIVE = -10000.0
MIN_TOKEN_COUNT = 1e-9


def read_onnx_weights(path: str) -> dict:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def read_config(onnx_path: str) -> dict:
    with open(os.path.join(os.path.dirname(os.path.abspath(onnx_path)), "config.json"), encoding="utf-8") as f:
        return json.load(f)


def build_module(weights: dict, cfg: dict):
    import tensorflow as tf

    hidden, heads, eps = cfg["hiddenSize"], cfg["numHeads"], float(cfg["layerNormEps"])
    head_dim = hidden // heads

    class Bert(tf.Module):
        def __init__(self):
            super().__init__(name="servebench_bert")
            # Variables, not constants: TF Serving's usual layout keeps weights in variables/.
            self.w = {k.replace(".", "/"): tf.Variable(v, trainable=False, name=k.replace(".", "_")) for k, v in weights.items()}

        def _get(self, name):
            return self.w[name.replace(".", "/")]

        def _dense(self, x, p):
            return tf.matmul(x, self._get(f"{p}.weight")) + self._get(f"{p}.bias")

        def _norm(self, x, p):
            mean = tf.reduce_mean(x, axis=-1, keepdims=True)
            c = x - mean
            var = tf.reduce_mean(tf.square(c), axis=-1, keepdims=True)
            return c * tf.math.rsqrt(var + eps) * self._get(f"{p}.weight") + self._get(f"{p}.bias")

        @tf.function(input_signature=[
            tf.TensorSpec([None, None], tf.int64, name="input_ids"),
            tf.TensorSpec([None, None], tf.int64, name="attention_mask"),
            tf.TensorSpec([None, None], tf.int64, name="token_type_ids"),
        ])
        def serve(self, input_ids, attention_mask, token_type_ids):
            b, s = tf.shape(input_ids)[0], tf.shape(input_ids)[1]
            word = tf.gather(self._get("embeddings.word_embeddings.weight"), input_ids)
            typ = tf.gather(self._get("embeddings.token_type_embeddings.weight"), token_type_ids)
            pos = self._get("embeddings.position_embeddings.weight")[:s]
            h = self._norm(tf.reshape(word + pos[tf.newaxis] + typ, [b * s, hidden]), "embeddings.LayerNorm")
            mask = tf.cast(attention_mask, tf.float32)
            bias = tf.reshape((1.0 - mask) * MASK_NEGATIVE, [b, 1, 1, s])
            scale = 1.0 / float(head_dim) ** 0.5

            def split(x):
                return tf.transpose(tf.reshape(x, [b, s, heads, head_dim]), [0, 2, 1, 3])

            for layer in range(cfg["numLayers"]):
                p = f"encoder.layer.{layer}"
                q = split(self._dense(h, f"{p}.attention.self.query"))
                k = split(self._dense(h, f"{p}.attention.self.key"))
                v = split(self._dense(h, f"{p}.attention.self.value"))
                scores = tf.matmul(q, k, transpose_b=True) * scale + bias
                ctx = tf.reshape(tf.transpose(tf.matmul(tf.nn.softmax(scores, axis=-1), v), [0, 2, 1, 3]), [b * s, hidden])
                h1 = self._norm(self._dense(ctx, f"{p}.attention.output.dense") + h, f"{p}.attention.output.LayerNorm")
                x = self._dense(h1, f"{p}.intermediate.dense")
                gelu = 0.5 * x * (1.0 + tf.math.erf(x / 2.0 ** 0.5))
                h = self._norm(self._dense(gelu, f"{p}.output.dense") + h1, f"{p}.output.LayerNorm")

            mask3 = tf.reshape(mask, [b, s, 1])
            summed = tf.reduce_sum(tf.reshape(h, [b, s, hidden]) * mask3, axis=1)
            return {"embedding": summed / tf.maximum(tf.reduce_sum(mask3, axis=1), MIN_TOKEN_COUNT)}

    return Bert()


def export(onnx_path: str, out: str, model_name: str = "bert", version: int = 1) -> str:
    import tensorflow as tf

    cfg = read_config(onnx_path)
    module = build_module(read_onnx_weights(onnx_path), cfg)
    target = os.path.join(out, model_name, str(version))
    tf.saved_model.save(module, target, signatures={"serving_default": module.serve})
    with open(os.path.join(out, model_name, "servebench.json"), "w", encoding="utf-8") as f:
        json.dump({"source": os.path.abspath(onnx_path), "sha256": cfg.get("sha256"), "tensorflow": tf.__version__, "version": version}, f, indent=2)
    return target


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True, help="a forged model.onnx (config.json must sit beside it)")
    ap.add_argument("--out", required=True, help="repository root; the SavedModel goes to <out>/<model>/<version>")
    ap.add_argument("--model", default="bert", help="model name in the repository (default bert)")
    ap.add_argument("--version", type=int, default=1)
    a = ap.parse_args(argv)
    print(json.dumps({"event": "exported", "path": export(a.onnx, a.out, a.model, a.version)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
