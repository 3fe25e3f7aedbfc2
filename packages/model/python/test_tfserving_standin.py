"""servebench's tfserving-grpc client against a TEST STAND-IN built from TF Serving's official Python
API (tensorflow-serving-api: PredictionService, ModelService) running the exported SavedModel in
TensorFlow. It is not TF Serving (which cannot be installed here) and never appears in results; it
checks the hand-written protos' wire format against the official ones, end to end, plus the export.
"""
from __future__ import annotations

import json
import os
import subprocess
from concurrent import futures

import grpc
import pytest
import tensorflow as tf
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc

from export_savedmodel import export

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.environ.get("SERVEBENCH_MODELS_DIR", os.path.join(HERE, "..", "..", "..", "models"))


class Prediction(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, loaded):
        self.fn = loaded.signatures["serving_default"]
        self.requests = []

    def Predict(self, request, context):
        self.requests.append(request)
        out = self.fn(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
        res = predict_pb2.PredictResponse()
        res.model_spec.CopyFrom(request.model_spec)
        for name in request.output_filter or out.keys():
            res.outputs[name].CopyFrom(tf.make_tensor_proto(out[name].numpy()))
        return res


class Models(model_service_pb2_grpc.ModelServiceServicer):
    def GetModelStatus(self, request, context):
        res = get_model_status_pb2.GetModelStatusResponse()
        if request.model_spec.name == "bert":
            v = res.model_version_status.add()
            v.version = 1
            v.state = get_model_status_pb2.ModelVersionStatus.AVAILABLE
        return res


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    onnx_path = os.path.join(MODELS, "tiny-s0", "model.onnx")
    out = tmp_path_factory.mktemp("tfs")
    export(onnx_path, str(out))
    prediction = Prediction(tf.saved_model.load(str(out / "bert" / "1")))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(prediction, server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(Models(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", onnx_path, prediction
    server.stop(grace=None)


def test_tfserving_grpc_client_speaks_the_official_protos(standin):
    target, onnx_path, prediction = standin
    r = subprocess.run(["node", os.path.join(HERE, "tfserving_client_check.mjs"), target, onnx_path], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["ready"] is True
    assert got["info"]["model_version"] == "1"
    assert (got["batch"], got["dim"]) == (3, 128)
    assert got["maxDiff"] < 1e-4
    req = prediction.requests[-1]
    assert (req.model_spec.name, req.model_spec.signature_name, list(req.output_filter)) == ("bert", "serving_default", ["embedding"])
    assert {k: (v.dtype, [d.size for d in v.tensor_shape.dim]) for k, v in req.inputs.items()} == {
        n: (tf.int64.as_datatype_enum, [3, 6]) for n in ("input_ids", "attention_mask", "token_type_ids")
    }
