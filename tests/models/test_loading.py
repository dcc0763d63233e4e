"""Model loading: embedded GGUF default (converted once, cached), local folders, clear errors."""

from __future__ import annotations

import time

import pytest
import torch

from attention_influence.models import ModelLoadError, load_model
from attention_influence.models.loading import cache_dir, embedded_gguf, resolve_dtype
from tests.conftest import tiny_llama


@pytest.mark.slow
def test_embedded_default_is_smollm2(embedded) -> None:
    config = embedded.model.config
    assert (config.model_type, config.num_hidden_layers, config.num_attention_heads) == ("llama", 30, 9)
    assert config.num_key_value_heads == 3 and config.vocab_size == 49152
    assert embedded.fingerprint.startswith("sha256:") and embedded.dtype == torch.float32
    assert not embedded.model.training


@pytest.mark.slow
def test_embedded_reload_uses_the_safetensors_cache(embedded) -> None:
    folders = list((cache_dir() / "gguf").glob(f"{embedded_gguf().stem}-*"))
    assert folders and all((f / "model.safetensors").is_file() for f in folders)
    stamp = max(f.stat().st_mtime_ns for f in folders)
    start = time.perf_counter()
    again = load_model(None, device="cpu")
    elapsed = time.perf_counter() - start
    assert max(f.stat().st_mtime_ns for f in folders) == stamp  # nothing converted again
    assert again.fingerprint == embedded.fingerprint
    print(f"embedded reload: {elapsed:.2f} s")


@pytest.mark.slow
def test_gguf_path_loads_like_the_default(embedded) -> None:
    loaded = load_model(str(embedded_gguf()), device="cpu")
    assert loaded.fingerprint == embedded.fingerprint


def test_local_folder_loads(tmp_path) -> None:
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    model = tiny_llama()
    model.save_pretrained(tmp_path)
    vocab = {f"t{i}": i for i in range(97)}
    PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")), unk_token="t0"
    ).save_pretrained(tmp_path)
    loaded = load_model(str(tmp_path), device="cpu")
    assert loaded.model.config.num_hidden_layers == 3 and loaded.fingerprint.startswith("files:")
    assert loaded.tokenizer.pad_token_id is not None
    assert load_model(tmp_path, device="cpu").fingerprint == loaded.fingerprint  # a pathlib.Path works as well


def test_missing_model_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="model not found"):
        load_model(str(tmp_path / "nope"), device="cpu")
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(str(tmp_path / "nope.gguf"), device="cpu")


def test_dtype_auto_is_float32_on_cpu_and_bfloat16_on_cuda() -> None:
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    assert resolve_dtype("auto", torch.device("cuda")) == torch.bfloat16
    with pytest.raises(ModelLoadError):
        resolve_dtype("float8", torch.device("cpu"))


def test_a_folder_fingerprint_changes_when_its_weights_do(tmp_path) -> None:
    """A checkpoint retrained and saved again into the same folder is another model: a resume must
    not take the old weights' chunks as its own (config, tokenizer and file sizes all unchanged)."""
    import shutil

    from attention_influence.models import resolve_model

    tiny_llama(seed=0).save_pretrained(tmp_path / "m")
    first = resolve_model(str(tmp_path / "m")).fingerprint
    assert resolve_model(str(tmp_path / "m")).fingerprint == first  # stable while nothing changes
    shutil.copy(tmp_path / "m" / "config.json", tmp_path / "config.json")
    weights = tmp_path / "m" / "model.safetensors"
    size = weights.stat().st_size
    time.sleep(0.01)
    tiny_llama(seed=1).save_pretrained(tmp_path / "m")  # same shapes, other values
    assert (
        weights.stat().st_size == size
        and (tmp_path / "m" / "config.json").read_bytes() == (tmp_path / "config.json").read_bytes()
    )
    assert resolve_model(str(tmp_path / "m")).fingerprint != first
