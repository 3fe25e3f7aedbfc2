"""Finds the model: a generated one (<root>/<name>-s<seed>/{model.onnx,vocab.txt,config.json}), or a
real model / Hugging Face directory / ONNX export converted once into <root>/converted/.

The model forge is TypeScript (packages/model); the runner generates the model before it starts a
stack. When the files are missing, this asks the forge's CLI to make them, as the Node stacks'
ensureModel would; a converted model is always located through the CLI (its folder is keyed by the
sha256 of the source files). Either way the files' sha256 is checked against config.json at load.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from .config import MODEL_NAMES, ServerConfig


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
        """The checkpoint's tokenizer max length (256 for all-MiniLM-L6-v2); generated models: maxPositions."""
        return int(self._tokenizer.get('maxLength', self.manifest['maxPositions']))

    @property
    def lowercase(self) -> bool:
        return bool(self._tokenizer.get('lowercase', True))

    @property
    def strip_accents(self) -> bool:
        return bool(self._tokenizer.get('stripAccents', self.lowercase))

    @property
    def _tokenizer(self) -> Dict[str, Any]:
        t = self.manifest.get('tokenizer')
        return t if isinstance(t, dict) else {}


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def _complete(d: Path, config: Optional[ServerConfig]) -> Optional[ModelFiles]:
    files = ModelFiles(d, d / 'model.onnx', d / 'vocab.txt', {})
    try:
        manifest = json.loads((d / 'config.json').read_text(encoding='utf-8'))
        ok = (
            (config is None or (manifest.get('name') == config.model and manifest.get('seed') == config.model_seed))
            and isinstance(manifest.get('sha256'), str)
            and manifest.get('outputs') == ['embedding']
        )
        if ok:
            for path, key in ((files.onnx, 'sha256'), (files.vocab, 'vocabSha256')):
                got = _sha256(path)
                if got != manifest.get(key):
                    raise ModelError(f'{path} has sha256 {got}, but {d / "config.json"} records {manifest.get(key)}: truncated or modified')
    except (OSError, ValueError):
        return None
    return ModelFiles(d, files.onnx, files.vocab, manifest) if ok else None


def _converted(config: ServerConfig) -> ModelFiles:
    """A named real model, HF directory or ONNX export: the forge's CLI converts (or finds) it and says where."""
    cli = repo_root() / 'packages' / 'model' / 'dist' / 'cli.js'
    node = shutil.which('node')
    if not node or not cli.exists():
        raise ModelError(f'MODEL={config.model} needs the model forge: build it (npm run build -w packages/model) and put node on PATH')
    args = [node, str(cli), '--ensure', config.model, '--json']
    if config.models_dir:
        args += ['--root', str(Path(config.models_dir).resolve())]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    if r.returncode != 0:
        raise ModelError(f'preparing MODEL={config.model} failed: {r.stderr.strip()[-800:]}')
    where = json.loads(r.stdout.strip().splitlines()[-1])
    found = _complete(Path(where['dir']), None)
    if not found:
        raise ModelError(f'the converted model in {where["dir"]} is incomplete')
    return found


def locate_model(config: ServerConfig, ensure: bool) -> ModelFiles:
    if config.model not in MODEL_NAMES:
        return _converted(config)
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
