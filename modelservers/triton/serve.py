"""Real Triton Inference Server on CPU, started by pytriton, serving a servebench Triton repository.

The repository is the one packages/model writes for Triton's onnxruntime backend
(<repo>/<model>/config.pbtxt + <repo>/<model>/1/model.onnx). The tritonserver binary that ships
in nvidia-pytriton has only the Python backend, so the model runs in onnxruntime (Python) inside
the pytriton callable, while Triton's own HTTP and gRPC frontends and its dynamic batcher (with
the max_batch_size / max_queue_delay / preferred sizes / instance count read from config.pbtxt)
handle every request.

    python serve.py --repo models/triton/tiny-s0 --http-port 8000 --grpc-port 8001 --metrics-port 8002

Prints one JSON line {"event": "serving", ...} once Triton is up; readiness is for the caller to
probe (GET /v2/health/ready and /v2/models/<model>/ready). Stops on SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import sysconfig
import threading


def use_own_libpython() -> None:
    """Makes Triton's Python backend stub load this interpreter's libpython.

    The stub (pytriton/tritonserver/python_backend_stubs/3.X) links `libpython3.X.so.1.0` by name.
    If the loader finds another build first (Debian's 3.11.2 beside a pyenv 3.11.7), the stub runs
    one interpreter over the other's standard library and the model fails to load with
    "'_thread.RLock' object has no attribute '_recursion_count'". pytriton passes os.environ on to
    tritonserver, so putting our LIBDIR first here is enough.
    """
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and os.path.isdir(libdir):
        old = os.environ.get("LD_LIBRARY_PATH", "")
        os.environ["LD_LIBRARY_PATH"] = libdir + (":" + old if old else "")


def read_config(repo: str, model: str):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    path = os.path.join(repo, model, "config.pbtxt")
    with open(path, encoding="utf-8") as f:
        cfg = text_format.Parse(f.read(), model_config_pb2.ModelConfig())
    if cfg.name and cfg.name != model:
        raise SystemExit(f"{path}: name {cfg.name!r} does not match the model folder {model!r}")
    return cfg


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True, help="model repository root")
    ap.add_argument("--model", default="bert")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--grpc-port", type=int, required=True)
    ap.add_argument("--metrics-port", type=int, required=True)
    ap.add_argument("--log-verbose", type=int, default=0)
    ap.add_argument("--exit-on-stdin-close", action="store_true", help="stop when stdin closes (the runner holds the other end)")
    a = ap.parse_args(argv)

    use_own_libpython()
    import numpy as np
    import onnxruntime as ort
    from pytriton.decorators import batch
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    cfg = read_config(a.repo, a.model)
    threads = int(cfg.parameters["intra_op_thread_count"].string_value or "1") if "intra_op_thread_count" in cfg.parameters else 1
    instances = max(1, sum(g.count for g in cfg.instance_group) or 1)
    onnx_path = os.path.join(a.repo, a.model, "1", "model.onnx")

    def make_infer():
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        names = [i.name for i in cfg.input]

        @batch
        def infer(**inputs):
            out = session.run([o.name for o in cfg.output], {n: inputs[n] for n in names})
            return {o.name: v for o, v in zip(cfg.output, out)}

        return infer

    dtype = {"TYPE_INT64": np.int64, "TYPE_FP32": np.float32}
    tensors = lambda xs: [Tensor(name=x.name, dtype=dtype[model_config_type_name(x.data_type)], shape=tuple(x.dims)) for x in xs]
    db = cfg.dynamic_batching
    model_config = ModelConfig(
        max_batch_size=cfg.max_batch_size,
        batcher=DynamicBatcher(
            max_queue_delay_microseconds=db.max_queue_delay_microseconds,
            preferred_batch_size=list(db.preferred_batch_size) or None,
        ),
    )
    triton_config = TritonConfig(
        http_address=a.host,
        http_port=a.http_port,
        grpc_address=a.host,
        grpc_port=a.grpc_port,
        metrics_address=a.host,
        metrics_port=a.metrics_port,
        allow_gpu_metrics=False,
        log_verbose=a.log_verbose,
        exit_on_error=True,
        strict_readiness=True,
        exit_timeout_secs=5,
    )

    def on_signal(_signum, _frame):
        raise KeyboardInterrupt  # leaves triton.serve(); the context manager stops tritonserver

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.exit_on_stdin_close:
        # A runner killed with SIGKILL cannot stop us; its end of the pipe closing still tells us.
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts interpreter exit.
        def watch_stdin():
            while os.read(0, 4096):
                pass
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch_stdin, daemon=True).start()

    with Triton(config=triton_config) as triton:
        triton.bind(
            model_name=a.model,
            infer_func=[make_infer() for _ in range(instances)],
            inputs=tensors(cfg.input),
            outputs=tensors(cfg.output),
            config=model_config,
            strict=True,
        )
        print(json.dumps({
            "event": "serving",
            "pid": os.getpid(),
            "http": f"http://{a.host}:{a.http_port}",
            "grpc": f"{a.host}:{a.grpc_port}",
            "model": a.model,
            "max_batch_size": cfg.max_batch_size,
            "max_queue_delay_us": db.max_queue_delay_microseconds,
            "instances": instances,
            "intra_op_threads": threads,
            "onnxruntime": ort.__version__,
            "pytriton": pytriton_version(),
        }), flush=True)
        try:
            triton.serve()
        except KeyboardInterrupt:
            pass
    return 0


def model_config_type_name(value: int) -> str:
    from tritonclient.grpc import model_config_pb2

    return model_config_pb2.DataType.Name(value)


def pytriton_version() -> str:
    from importlib.metadata import version

    return version("nvidia-pytriton")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
