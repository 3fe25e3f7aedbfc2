"""The shared `main` of the Python servers (mirrors runServer in packages/core/src/main.ts).

The parent process parses the config, checks that the backend can run here (else exit 78), makes
sure the model exists, binds the socket itself (so PORT=0 works and the real port is known) and
hands it to the framework's process manager. Each worker loads the model and then records that it
is ready; the last one to do so prints the single `{"event":"listening",...}` line the runner
waits for, so the line means every worker can answer.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import threading
import socket
import sys
import tempfile
from time import perf_counter
from typing import TYPE_CHECKING, Any, Callable, Dict, NoReturn, Optional, Tuple

# Before tokenizers is imported anywhere: no Rayon pool per process (the Node tokenizer is
# single-threaded too), and no idle BLAS threads from numpy.
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

from .config import BACKEND_IDS, ConfigError, ServerConfig, parse_config  # noqa: E402
from .errors import Unavailable  # noqa: E402
from .model import locate_model  # noqa: E402
from .remote import base_url, check_options  # noqa: E402

if TYPE_CHECKING:
    from .service import Service

EXIT_UNAVAILABLE = 78  # EX_CONFIG: the runner shows the stack as skipped
EXIT_STARTUP_FAILURE = 3  # what uvicorn and gunicorn expect from a worker that cannot boot

_READY_DIR = 'SERVEBENCH_READY_DIR'
_URL = 'SERVEBENCH_URL'
_PARENT = 'SERVEBENCH_PARENT_PID'


def log(event: str, pid: Optional[int] = None, **fields: object) -> None:
    sys.stdout.write(json.dumps({'event': event, 'pid': pid or os.getpid(), **fields}, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def _die(server: str, message: str, code: int) -> NoReturn:
    sys.stderr.write(f'{server}: {message}\n')
    sys.stderr.flush()
    sys.exit(code)


def bind(host: str, port: int) -> Tuple[socket.socket, str]:
    """A listening socket and the URL it answers on."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.listen(2048)
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    shown = f'[{host}]' if ':' in host else host
    return sock, f'http://{shown}:{real_port}'


def run_main(server: str, serve: Callable[[ServerConfig, socket.socket], None]) -> NoReturn:
    """Parse, check, bind, serve until SIGTERM, exit. `serve` runs the framework's server on the socket."""
    try:
        config = parse_config(os.environ)
    except ConfigError as e:
        _die(server, str(e), 2)
    try:
        _check_backend(config)
        locate_model(config, ensure=True)
    except Unavailable as e:
        _die(server, str(e), EXIT_UNAVAILABLE)
    except Exception as e:
        _die(server, f'cannot start: {e}', 1)
    try:
        sock, url = bind(config.host, config.port)
    except OSError as e:
        _die(server, f'cannot listen on {config.host}:{config.port}: {e}', 1)
    ready_dir = tempfile.mkdtemp(prefix=f'servebench-{server}-')
    os.environ.update({_READY_DIR: ready_dir, _URL: url, _PARENT: str(os.getpid())})
    _stop_when_stdin_closes()
    code = 0
    try:
        serve(config, sock)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        failure = _read(os.path.join(ready_dir, 'failed'))
        shutil.rmtree(ready_dir, ignore_errors=True)
    if failure:
        status, _, message = failure.partition(' ')
        _die(server, message, int(status))
    sys.exit(code)


def _stop_when_stdin_closes() -> None:
    """With EXIT_ON_STDIN_CLOSE=1 (the runner holds the other end of the pipe), stop gracefully when
    stdin closes, so no server outlives a runner that was killed with SIGKILL."""
    if os.environ.get('EXIT_ON_STDIN_CLOSE') != '1':
        return

    def wait() -> None:
        # os.read on the raw fd: a daemon thread blocked inside sys.stdin's buffered reader holds its
        # lock at interpreter exit, and Python then aborts (SIGABRT) instead of exiting 0.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait, name='stdin-watch', daemon=True).start()


def _check_backend(config: ServerConfig) -> None:
    """Raises Unavailable when this machine cannot run the backend. Imports nothing heavy: numpy and
    onnxruntime start threads, and the gunicorn parent must fork without any (a worker inheriting a
    lock held by a thread that is gone deadlocks at exit). Workers check the rest when they load."""
    if config.backend not in BACKEND_IDS:
        raise Unavailable(f'BACKEND={config.backend} is not available in the Python stacks; available: {", ".join(BACKEND_IDS)}')
    if config.backend != 'ort':
        # A proxy: only the model server's URL and name to check here; ready() asks the server itself.
        check_options(config.model_server)
        base_url(config.model_server.url, 'http://127.0.0.1')
    for module in ('onnxruntime', 'tokenizers', 'numpy') if config.backend == 'ort' else ('tokenizers', 'numpy'):
        if importlib.util.find_spec(module) is None:
            raise Unavailable(f'{module} is not installed in this Python environment')
    if config.device == 'cuda' and not (os.path.exists('/dev/nvidiactl') or os.path.exists('/dev/nvidia0')):
        raise Unavailable('DEVICE=cuda was requested but no NVIDIA GPU is present (/dev/nvidia0 missing); use DEVICE=cpu')


def boot_worker(server: str, runtime: Dict[str, str]) -> 'Service':
    """Runs in each worker before it serves: loads tokenizer and model, then reports readiness.
    On failure it records why (for the parent's exit status) and exits like a failed worker.
    `runtime` names the server's own software, for /readyz's backend_info."""
    from .service import Service

    config = parse_config(os.environ)
    t0 = perf_counter()
    try:
        service = Service(config, server, locate_model(config, ensure=False), runtime)
    except Exception as e:
        status = EXIT_UNAVAILABLE if isinstance(e, Unavailable) else 1
        _record_failure(status, f'cannot start: {e}')
        sys.stderr.write(f'{server}: worker {os.getpid()} cannot start: {e}\n')
        sys.exit(EXIT_STARTUP_FAILURE)
    _announce_ready(server, config, round((perf_counter() - t0) * 1000))
    return service


def on_stop_signals(handler: Callable[[int, Any], None]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def exit_now(*_: object) -> None:
    """A stop signal before the server serves: nothing is in flight, so exit 0 right away."""
    raise SystemExit(0)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except OSError:
        return None


def _write_new(path: str, text: str) -> bool:
    """Creates `path` with `text` unless it exists; True if this call created it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    return True


def _record_failure(status: int, message: str) -> None:
    d = os.environ.get(_READY_DIR)
    if d:
        _write_new(os.path.join(d, 'failed'), f'{status} {message}')
        # uvicorn's supervisor would restart a worker that died of anything but a startup failure;
        # stop the parent either way, so it can exit with this status.
        parent = os.environ.get(_PARENT)
        if parent and int(parent) != os.getpid():
            os.kill(int(parent), signal.SIGTERM)


def _announce_ready(server: str, config: ServerConfig, load_ms: int) -> None:
    d = os.environ.get(_READY_DIR)
    if not d:
        return
    mine = os.path.join(d, f'ready-{os.getpid()}')
    tmp = f'{mine}.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(str(load_ms))
    os.replace(tmp, mine)
    # Each worker writes before it counts, so the last one to finish always sees them all.
    ready = [n for n in os.listdir(d) if n.startswith('ready-') and not n.endswith('.tmp')]
    if len(ready) < config.workers or not _write_new(os.path.join(d, 'announced'), ''):
        return
    load_ms = max(int(_read(os.path.join(d, n)) or 0) for n in ready)
    log('listening', pid=int(os.environ[_PARENT]), server=server, url=os.environ[_URL], backend=config.backend, model=config.model,
        workers=config.workers, loadMs=load_ms)
