"""Model backends: onnxruntime (Python) in process, on the model file the Node stacks use, and the
proxies to a model server (mirrors packages/inference/src/factory.ts)."""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple

import numpy as np

from .config import BACKEND_IDS, ServerConfig
from .errors import ServeError, Unavailable


class Backend(Protocol):
    id: str

    def load(self) -> None: ...

    def ready(self) -> bool: ...

    def info(self) -> Dict[str, str]: ...

    def embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> List[List[float]]: ...

    def close(self) -> None: ...


def create_backend(config: ServerConfig, model_path: str) -> Backend:
    """The one place that maps BACKEND to an implementation. Raises Unavailable for an unusable configuration."""
    if config.backend == 'ort':
        return OrtBackend(model_path, config.device, config.intra_op_threads, config.inter_op_threads)
    if config.backend == 'triton-http':
        from .triton_http import TritonHttpBackend

        return TritonHttpBackend(config.model_server)
    if config.backend == 'tfserving-rest':
        from .tfserving_rest import TfServingRestBackend

        return TfServingRestBackend(config.model_server)
    raise Unavailable(f'BACKEND={config.backend} is not available in the Python stacks; available: {", ".join(BACKEND_IDS)}')


def pack_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, attention_mask, token_type_ids, padded to the longest sequence (never to the model maximum)."""
    seq_len = max(len(s) for s in sequences)
    ids = np.full((len(sequences), seq_len), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), seq_len), dtype=np.int64)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1
    return ids, mask, np.zeros_like(ids)


class OrtBackend:
    id = 'ort'
    # embed() takes `gone` and stops a call in progress (cancel.py); the proxies do not.
    cancellable = True

    def __init__(self, model_path: str, device: str, intra_op_threads: int, inter_op_threads: int) -> None:
        self.model_path = model_path
        self.device = device
        self.intra_op_threads = intra_op_threads
        self.inter_op_threads = inter_op_threads
        self._session = None

    def load(self) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        # Set explicitly so that stacks compare at equal thread counts.
        so.intra_op_num_threads = self.intra_op_threads
        so.inter_op_num_threads = self.inter_op_threads
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.device == 'cuda' and 'CUDAExecutionProvider' not in ort.get_available_providers():
            raise Unavailable('DEVICE=cuda was requested but this onnxruntime has no CUDA provider (install onnxruntime-gpu)')
        # Only the provider asked for: CUDA never falls back to CPU silently.
        providers = ['CUDAExecutionProvider'] if self.device == 'cuda' else ['CPUExecutionProvider']
        self._session = ort.InferenceSession(self.model_path, so, providers=providers)

    def info(self) -> Dict[str, str]:
        import onnxruntime as ort

        return {
            'runtime': f'onnxruntime {ort.__version__} (Python)',
            'device': self.device,
            'intra_op_threads': str(self.intra_op_threads),
            'inter_op_threads': str(self.inter_op_threads),
        }

    def ready(self) -> bool:
        return self._session is not None

    def close(self) -> None:
        pass  # the session lives as long as the worker; a request still in flight may use it

    def embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray, gone: Optional[Callable[[], bool]] = None) -> List[List[float]]:
        """With `gone`, a call whose client goes away stops between graph nodes (ServeError BACKEND_TIMEOUT)."""
        session = self._session
        if session is None:
            raise ServeError('BACKEND_UNAVAILABLE', 'onnxruntime session is not loaded')
        feeds = {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types}
        if gone is None:
            (out,) = session.run(['embedding'], feeds)
        else:
            import onnxruntime as ort

            from .cancel import CANCELLER

            run_options = ort.RunOptions()
            key = CANCELLER.watch(gone, run_options)
            try:
                (out,) = session.run(['embedding'], feeds, run_options)
            except Exception:
                if run_options.terminate:
                    raise ServeError('BACKEND_TIMEOUT', 'the request was cancelled while computing: its client went away') from None
                raise
            finally:
                CANCELLER.forget(key)
        if out.dtype != np.float32 or out.ndim != 2 or out.shape[0] != ids.shape[0]:
            raise ServeError('BAD_BACKEND_RESPONSE', 'onnxruntime returned no [batch, hidden] float32 "embedding" output')
        return out.tolist()
