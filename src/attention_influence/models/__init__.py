"""Model loading: hub ids, local folders, GGUF files and the embedded default."""

from attention_influence.models.loading import (
    DEFAULT_MODEL,
    LoadedModel,
    ModelLoadError,
    load_model,
    resolve_device,
    resolve_dtype,
)

__all__ = ["DEFAULT_MODEL", "LoadedModel", "ModelLoadError", "load_model", "resolve_device", "resolve_dtype"]
