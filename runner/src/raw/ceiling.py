"""A runtime ceiling for onnxruntime (Python): back-to-back calls on pre-tokenized input through the
same OrtBackend the Python servers use. Reads the job (runner/src/raw/ceiling-types.ts) as JSON on
stdin and writes one JSON reply line; counts a call when it completes inside the measured interval,
into the window it completed in, as the runner's load engine does."""
import json
import math
import os
import sys
import time


def main() -> dict:
    parent = os.getppid()
    job = json.load(sys.stdin)
    from servebench_py.backend import OrtBackend, pack_batch

    backend = OrtBackend(job['onnx'], 'cpu', job['threads'], 1)
    backend.load()
    b = job['batch']
    ids = job['ids']
    batches = [pack_batch(ids[i:i + b], 0) for i in range(0, len(ids) - b + 1, b)]
    if not batches:
        raise ValueError(f'fewer sequences ({len(ids)}) than one batch of {b}')
    t0 = time.perf_counter() * 1000
    meas_start = t0 + job['warmupMs']
    meas_end = meas_start + job['durationMs']
    window = job['windowMs']
    counts = [0] * max(1, math.ceil(job['durationMs'] / window))
    calls = 0
    call_ms = 0.0
    n = 0
    while True:
        start = time.perf_counter() * 1000
        if start >= meas_end:
            break
        if n % 64 == 0 and os.getppid() != parent:
            sys.exit(1)  # orphaned (the runner was SIGKILLed): stop rather than finish alone
        backend.embed(*batches[n % len(batches)])
        n += 1
        done = time.perf_counter() * 1000
        if meas_start <= done < meas_end:
            counts[min(len(counts) - 1, int((done - meas_start) // window))] += b
            calls += 1
            call_ms += done - start
    duration_ms = meas_end - meas_start
    windows = []
    for w, c in enumerate(counts):
        length = min(window, duration_ms - w * window)
        windows.append(c / (length / 1000) if length > 0 else 0)
    completed = sum(counts)
    run = {
        'completed': completed,
        'durationS': duration_ms / 1000,
        'rps': completed / (duration_ms / 1000),
        'windows': windows,
        'meanCallMs': call_ms / calls if calls else 0,
    }
    info = dict(backend.info())
    with open('/proc/self/status') as f:
        info['cpus_allowed'] = next((l.split()[1] for l in f if l.startswith('Cpus_allowed_list:')), '?')
    return {'ok': True, 'run': run, 'info': info}


if __name__ == '__main__':
    try:
        reply = main()
    except ImportError as e:
        reply = {'ok': False, 'error': f'onnxruntime (Python) is not importable: {e}', 'unavailable': True}
    except Exception as e:  # reported to the runner, which records the ceiling as failed with this reason
        reply = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
    sys.stdout.write(json.dumps(reply) + '\n')
    sys.exit(0 if reply['ok'] else 1)
