"""Finds the generated model (<root>/<name>-s<seed>/{model.onnx,vocab.txt,config.json}).

The model forge is TypeScript (packages/model); the runner generates the model before it starts a
stack. When the files are missing, this asks the forge's CLI to make them, as the Node stacks'
ensureModel would.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from .config import ServerConfig


class ModelError(Exception):
    pass


@dataclass(frozen=True)
class ModelFiles:
    dir: Path
    onnx: Path
    vocab: Path
    manifest: Dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.manifest['name'])

    @property
    def seed(self) -> int:
        return int(self.manifest['seed'])

    @property
    def sha256(self) -> str:
        return str(self.manifest['sha256'])

    @property
    def hidden_size(self) -> int:
        return int(self.manifest['hiddenSize'])

    @property
    def max_length(self) -> int:
        return int(self.manifest['maxPositions'])


def repo_root() -> Path:
    """The nearest ancestor holding turbo.json."""
    here = Path(__file__).resolve()
    for d in here.parents:
        if (d / 'turbo.json').exists():
            return d
    raise ModelError(f'no turbo.json above {here}; set MODELS_DIR')


def model_dir(config: ServerConfig) -> Path:
    root = Path(config.models_dir) if config.models_dir else repo_root() / 'models'
    return root.resolve() / f'{config.model}-s{config.model_seed}'


def _complete(d: Path, config: ServerConfig) -> Optional[ModelFiles]:
    files = ModelFiles(d, d / 'model.onnx', d / 'vocab.txt', {})
    try:
        manifest = json.loads((d / 'config.json').read_text(encoding='utf-8'))
        # config.json is written last, so matching sizes mean the other files are complete.
        ok = (
            manifest.get('name') == config.model
            and manifest.get('seed') == config.model_seed
            and isinstance(manifest.get('sha256'), str)
            and manifest.get('outputs') == ['embedding']
            and files.onnx.stat().st_size == manifest.get('onnxBytes')
            and files.vocab.stat().st_size == manifest.get('vocabBytes')
        )
    except (OSError, ValueError):
        return None
    return ModelFiles(d, files.onnx, files.vocab, manifest) if ok else None


def locate_model(config: ServerConfig, ensure: bool) -> ModelFiles:
    d = model_dir(config)
    found = _complete(d, config)
    if found or not ensure:
        if not found:
            raise ModelError(f'model files are missing or incomplete in {d}')
        return found
    cli = repo_root() / 'packages' / 'model' / 'dist' / 'cli.js'
    node = shutil.which('node')
    if not node or not cli.exists():
        raise ModelError(f'model files are missing in {d}; generate them with: node packages/model/dist/cli.js --ensure {config.model}')
    args = [node, str(cli), '--ensure', config.model, '--seed', str(config.model_seed)]
    if config.models_dir:
        args += ['--root', str(Path(config.models_dir).resolve())]
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ})
    found = _complete(d, config)
    if r.returncode != 0 or not found:
        raise ModelError(f'generating the model failed: {r.stderr.strip()[-500:]}')
    return found
