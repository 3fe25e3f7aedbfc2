"""Real Triton Inference Server on CPU serving a servebench Triton repository, model in Triton's Python backend.

The repository is the one packages/model writes for Triton's onnxruntime backend
(<repo>/<model>/config.pbtxt + <repo>/<model>/1/model.onnx). The tritonserver binary that ships in
nvidia-pytriton has only the Python backend, so this script derives a Python-backend repository
from it in a temporary directory: the same config.pbtxt (max_batch_size, dynamic_batching, instance
group, inputs, outputs, parameters) with `backend: "python"`, python_model.py as 1/model.py, and the
original model.onnx passed as a parameter. The model then runs in onnxruntime inside Triton's own
Python backend stub, one stub process per instance, with Triton's HTTP and gRPC frontends and
its dynamic batcher in front. pytriton itself is not used at run time: tritonserver is started
directly, with a backend directory prepared here the way pytriton prepares its own.

    python serve.py --repo models/triton/tiny-s0 --http-port 8000 --grpc-port 8001 --metrics-port 8002

Prints one JSON line {"event": "serving", ...} once the server and the model are ready. Stops on
SIGTERM or SIGINT (tritonserver first), and when stdin closes with --exit-on-stdin-close; exits
non-zero if tritonserver dies on its own.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.request
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
# Python-backend settings pytriton uses too: small shared-memory pools that grow on demand.
SHM_DEFAULT_BYTES = 4 * 1024 * 1024
# Triton APIs that need the admin header (--http-restricted-api, --grpc-restricted-protocol): loading or unloading models
# and registering shared memory regions. Inference, health, metadata and statistics stay open.
RESTRICTED_APIS = "model-repository,shared-memory"
RESTRICTED_HEADER = "servebench-admin-key"
SHM_GROWTH_BYTES = 1024 * 1024


def use_own_libpython(env: dict[str, str]) -> None:
    """Makes Triton's Python backend stub load this interpreter's libpython.

    The stub (pytriton/tritonserver/python_backend_stubs/3.X) links `libpython3.X.so.1.0` by name.
    If the loader finds another build first (Debian's 3.11.2 beside a pyenv 3.11.7), the stub runs
    one interpreter over the other's standard library and the model fails to load with
    "'_thread.RLock' object has no attribute '_recursion_count'". tritonserver passes its
    environment on to the stubs, so putting our LIBDIR first there is enough.
    """
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and os.path.isdir(libdir):
        prepend(env, "LD_LIBRARY_PATH", libdir)


def prepend(env: dict[str, str], key: str, *paths: str) -> None:
    old = env.get(key, "")
    env[key] = ":".join([*paths, *([old] if old else [])])


def pytriton_dist() -> tuple[str, str]:
    """(pytriton/tritonserver, nvidia_pytriton.libs) of the installed nvidia-pytriton wheel."""
    from importlib.util import find_spec

    spec = find_spec("pytriton")  # located, not imported: nothing of pytriton runs here
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("nvidia-pytriton is not installed in this Python")
    root = os.path.abspath(list(spec.submodule_search_locations)[0])
    return os.path.join(root, "tritonserver"), os.path.join(os.path.dirname(root), "nvidia_pytriton.libs")


def read_config(repo: str, model: str):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    path = os.path.join(repo, model, "config.pbtxt")
    with open(path, encoding="utf-8") as f:
        cfg = text_format.Parse(f.read(), model_config_pb2.ModelConfig())
    if cfg.name and cfg.name != model:
        raise SystemExit(f"{path}: name {cfg.name!r} does not match the model folder {model!r}")
    return cfg


def prepare_workspace(work: str, dist: str, repo: str, model: str, cfg) -> tuple[str, str]:
    """Writes <work>/backends/python (links to the wheel's backend and this Python's stub) and
    <work>/repo/<model> (the Python-backend variant of the repository). Returns (backends, repo)."""
    from google.protobuf import text_format

    backends = os.path.join(work, "backends")
    python = os.path.join(backends, "python")
    os.makedirs(python)
    for name in ("libtriton_python.so", "triton_python_backend_utils.py"):
        os.symlink(os.path.join(dist, "backends", "python", name), os.path.join(python, name))
    stub = os.path.join(dist, "python_backend_stubs", f"{sys.version_info[0]}.{sys.version_info[1]}", "triton_python_backend_stub")
    if not os.path.exists(stub):
        raise SystemExit(f"nvidia-pytriton has no Python backend stub for Python {sys.version_info[0]}.{sys.version_info[1]} ({stub})")
    os.symlink(stub, os.path.join(python, "triton_python_backend_stub"))

    onnx = os.path.abspath(os.path.join(repo, model, "1", "model.onnx"))
    if not os.path.isfile(onnx):
        raise SystemExit(f"{onnx} is missing")
    cfg.backend = "python"
    cfg.platform = ""
    cfg.parameters["onnx_model"].string_value = onnx
    out = os.path.join(work, "repo")
    os.makedirs(os.path.join(out, model, "1"))
    with open(os.path.join(out, model, "config.pbtxt"), "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(cfg))
    os.symlink(os.path.join(HERE, "python_model.py"), os.path.join(out, model, "1", "model.py"))
    return backends, out


def gone(pid: int) -> bool:
    """No process `pid` and no process group `pid` (serve.py leads the group the runner starts)."""
    for probe in (os.kill, os.killpg):
        try:
            probe(pid, 0)
            return False
        except ProcessLookupError:
            pass
        except PermissionError:
            return False
    return True


def remove_leftovers(min_age_s: float = 60) -> None:
    """Removes what an earlier serve.py killed with SIGKILL (its group with it) could not: its
    workspace (<tmp>/servebench-triton-<pid>-*) and the Python backend's shared-memory regions
    (/dev/shm/servebench_<pid>_*). Only for pids that are gone, and only old enough entries."""
    now = time.time()
    for pattern, sep in ((os.path.join(tempfile.gettempdir(), "servebench-triton-*"), "-"), ("/dev/shm/servebench_*", "_")):
        for path in glob.glob(pattern):
            pid = os.path.basename(path).split(sep)[2 if sep == "-" else 1]
            try:
                if not pid.isdigit() or now - os.lstat(path).st_mtime < min_age_s or not gone(int(pid)):
                    continue
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
            except OSError:
                pass


def die_with_parent() -> None:
    """In the child before exec: SIGTERM to tritonserver if serve.py dies (as pytriton does)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through an http_proxy


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with LOCAL.open(url, timeout=2) as r:
            return r.status, r.read()
    except OSError:
        return 0, b""


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

    cfg = read_config(a.repo, a.model)
    threads = int(cfg.parameters["intra_op_thread_count"].string_value or "1") if "intra_op_thread_count" in cfg.parameters else 1
    instances = max(1, sum(g.count for g in cfg.instance_group) or 1)
    # No dynamic_batching block means Triton merges no requests (the run's batching is off).
    batching = cfg.HasField("dynamic_batching")
    db = cfg.dynamic_batching
    dist, libs = pytriton_dist()

    stopping = threading.Event()

    def on_signal(_signum, _frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.exit_on_stdin_close:
        # A runner killed with SIGKILL cannot stop us; its end of the pipe closing still tells us.
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts interpreter exit.
        def watch_stdin():
            while os.read(0, 4096):
                pass
            stopping.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    remove_leftovers()
    work = tempfile.mkdtemp(prefix=f"servebench-triton-{os.getpid()}-")
    try:
        backends, repo = prepare_workspace(work, dist, a.repo, a.model, cfg)
        env = dict(os.environ)
        # Loader path: our libpython first (see use_own_libpython), then the wheel's bundled libraries
        # (the stub's RPATH is relative to where it lies in the wheel).
        prepend(env, "LD_LIBRARY_PATH", libs)
        use_own_libpython(env)
        # The stub's interpreter is isolated (no PYTHONPATH, no venv): python_model.py puts this first on sys.path.
        env["SERVEBENCH_SITE_PACKAGES"] = sysconfig.get_paths()["purelib"]
        admin_key = secrets.token_hex(16)
        cmd = [
            os.path.join(dist, "bin", "tritonserver"),
            "--model-repository", repo,
            "--backend-directory", backends,
            "--cache-directory", os.path.join(dist, "caches"),
            "--backend-config", f"python,shm-region-prefix-name=servebench_{os.getpid()}_",
            "--backend-config", f"python,shm-default-byte-size={SHM_DEFAULT_BYTES}",
            "--backend-config", f"python,shm-growth-byte-size={SHM_GROWTH_BYTES}",
            "--http-address", a.host, "--http-port", str(a.http_port),
            "--grpc-address", a.host, "--grpc-port", str(a.grpc_port),
            "--metrics-address", a.host, "--metrics-port", str(a.metrics_port),
            "--allow-gpu-metrics", "false",
            # Model control and shared memory only for a caller holding a per-start secret header
            # (never printed): a local client cannot load models or map shared memory into the server.
            # tritonserver 2.51 spells the gRPC flag --grpc-restricted-protocol (later: --grpc-restricted-api).
            "--http-restricted-api", f"{RESTRICTED_APIS}:{RESTRICTED_HEADER}={admin_key}",
            "--grpc-restricted-protocol", f"{RESTRICTED_APIS}:{RESTRICTED_HEADER}={admin_key}",
            "--strict-readiness", "true",
            "--exit-on-error", "true",
            "--exit-timeout-secs", "5",
            "--log-verbose", str(a.log_verbose),
        ]
        if stopping.is_set():
            return 0
        # Same process group as serve.py (the runner stops the group); stdin is not passed on.
        server = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        return supervise(a, server, stopping, {
            "model": a.model,
            "max_batch_size": cfg.max_batch_size,
            "dynamic_batching": batching,
            "max_queue_delay_us": db.max_queue_delay_microseconds if batching else None,
            "preferred_batch_size": list(db.preferred_batch_size) if batching else [],
            "instances": instances,
            "intra_op_threads": threads,
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)


def supervise(a, server: subprocess.Popen, stopping: threading.Event, info: dict) -> int:
    """Announces readiness, then waits for a stop request (stopping tritonserver) or its exit."""
    base = f"http://{a.host}:{a.http_port}"
    announced = False
    while server.poll() is None and not stopping.is_set():
        if not announced and http_get(f"{base}/v2/health/ready")[0] == 200 and http_get(f"{base}/v2/models/{a.model}/ready")[0] == 200:
            status, body = http_get(f"{base}/v2")
            meta = json.loads(body) if status == 200 else {}
            print(json.dumps({
                "event": "serving",
                "pid": os.getpid(),
                "tritonserver_pid": server.pid,
                "http": base,
                "grpc": f"{a.host}:{a.grpc_port}",
                **info,
                "tritonserver": meta.get("version", "?"),
                "backend": "python",
                "onnxruntime": version("onnxruntime"),
                "nvidia_pytriton": version("nvidia-pytriton"),
            }), flush=True)
            announced = True
        stopping.wait(0.1 if not announced else 0.5)
    if server.poll() is not None:
        code = server.returncode
        print(f"serve.py: tritonserver exited with {code} {'after the stop request' if stopping.is_set() else 'on its own'}", file=sys.stderr, flush=True)
        if stopping.is_set() and code == 0:
            return 0
        return code if code > 0 else 1
    # Stop: SIGINT as pytriton does; Triton unloads the model (its stubs exit) within its exit timeout.
    server.send_signal(signal.SIGINT)
    try:
        code = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        code = server.wait()
    return 0 if code == 0 else (code if code > 0 else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
