"""Model loading: hub ids, local folders, GGUF files and the embedded default."""

from attention_influence.models.loading import (
    DEFAULT_MODEL,
    LoadedModel,
    ModelLoadError,
    ModelSource,
    load,
    load_config,
    load_model,
    load_tokenizer,
    max_context,
    obtain,
    resolve_device,
    resolve_dtype,
    resolve_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "LoadedModel",
    "ModelLoadError",
    "ModelSource",
    "load",
    "load_config",
    "load_model",
    "load_tokenizer",
    "max_context",
    "obtain",
    "resolve_device",
    "resolve_dtype",
    "resolve_model",
]
