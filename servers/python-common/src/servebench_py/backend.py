"""onnxruntime (Python), in process, on the model file the Node stacks use."""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from .errors import ServeError, Unavailable


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

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def embed(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> List[List[float]]:
        session = self._session
        if session is None:
            raise ServeError('BACKEND_UNAVAILABLE', 'onnxruntime session is not loaded')
        (out,) = session.run(['embedding'], {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types})
        if out.dtype != np.float32 or out.ndim != 2 or out.shape[0] != ids.shape[0]:
            raise ServeError('BAD_BACKEND_RESPONSE', 'onnxruntime returned no [batch, hidden] float32 "embedding" output')
        return out.tolist()
