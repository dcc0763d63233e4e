"""A scoring job: everything a worker needs to score chunks of a run, checked once on the driver
before any work (inputs, output location, model, heads, lengths) and small enough to pickle to
every worker (no model weights: workers load the model themselves)."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, replace

import fsspec

from attention_influence.config import ModelSettings, ScoreSettings, resolve_max_length
from attention_influence.corpus.readers import expand_inputs
from attention_influence.errors import RunError, SettingError
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.models import LoadedModel, ModelSource, load_config, max_context, resolve_dtype, resolve_model
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.sources import describe_all


@dataclass(frozen=True)
class ScoreJob:
    """What every worker of a run needs; `manifest` is the run's run.json."""

    out: str  # the run folder's URI
    model: ModelSource
    model_settings: ModelSettings
    heads: tuple[tuple[int, int], ...]
    heads_info: dict  # the heads.json the heads came from, or one made for a list (kept with the run)
    settings: ScoreSettings  # max_length resolved
    sources: tuple[str, ...]  # input URIs, in manifest order
    manifest: dict
    overwrite: bool = False
    heads_source: str = ""  # where the heads came from: "list", a heads.json path, "detected heads"

    def shard(self, num_shards: int, shard_index: int) -> ScoreJob:
        """The same job for another shard (datatrove tasks)."""
        return replace(self, settings=replace(self.settings, num_shards=num_shards, shard_index=shard_index))


def _location(path: str) -> tuple[str, str, bool]:
    """(protocol, absolute path without wildcards, whether it is a folder that is scanned)."""
    fs, _, _ = fsspec.get_fs_token_paths(path)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    local = fs._strip_protocol(path)
    parts = local.split("/")
    wild = [i for i, part in enumerate(parts) if any(ch in part for ch in "*?[")]
    if wild:  # a glob reads below its fixed prefix
        local = "/".join(parts[: wild[0]]) or "/"
    if protocol in ("file", "local"):
        local = os.path.realpath(local)
    return protocol, posixpath.normpath(local), bool(wild) or fs.isdir(local)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check_output_location(inputs: list[str], out: str) -> None:
    """Refuse an output folder inside an input folder (a later run would read the outputs as
    corpus) and one that is or contains an input (overwrite would remove it)."""
    out_protocol, out_path, _ = _location(out)
    for given in inputs:
        protocol, path, is_folder = _location(given)
        if protocol != out_protocol:
            continue
        if is_folder and _inside(out_path, path):
            raise RunError(f"the output folder {out} is inside the input folder {given}: choose one outside it")
        if _inside(path, out_path):
            raise RunError(f"the output folder {out} is or contains the input {given}: choose another output folder")


def check_heads(heads: HeadSet, model: ModelSource, config) -> None:
    """Heads that exist in the model, at least one, detected on these weights when from a file."""
    if not heads.heads:
        raise SettingError("heads", f"{heads.source} selects no heads: nothing would be masked")
    if heads.model_fingerprint and heads.model_fingerprint != model.fingerprint:
        raise SettingError(
            "heads",
            f"{heads.source} was detected on another model (fingerprint {heads.model_fingerprint[:24]}), "
            f"not {model.name} ({model.fingerprint[:24]}): detect heads for this model, or give layer:head pairs",
        )
    layers, per_layer = config.num_hidden_layers, config.num_attention_heads
    for layer, head in heads.heads:
        if not 0 <= layer < layers:
            raise SettingError("heads", f"head {layer}:{head}: layer out of range (model has {layers} layers)")
        if not 0 <= head < per_layer:
            raise SettingError("heads", f"head {layer}:{head}: head out of range (layer {layer} has {per_layer} heads)")


def find_sources(inputs: list[str], out: str) -> list[str]:
    """The input files (absolute URIs, each once) of `inputs` (files, folders, globs), checked
    before any work: an output folder inside an input folder, or holding an input, is refused."""
    if isinstance(inputs, str) or not inputs:
        raise SettingError("inputs", f"must be a non-empty list of paths or URLs, got {inputs!r}")
    check_output_location(list(inputs), out)
    return expand_inputs(list(inputs))


def _model_config(model: LoadedModel | ModelSource | str | None, model_settings: ModelSettings, device_type: str):
    """(ModelSource, text config, dtype) of the job's model, without loading its weights."""
    if isinstance(model, LoadedModel):
        source = model.source or ModelSource(model.name, model.name, model.fingerprint)
        return source, model.model.config.get_text_config(), model.dtype
    source = model if isinstance(model, ModelSource) else resolve_model(model or model_settings.model)
    config = load_config(source, model_settings.trust_remote_code)
    import torch

    return source, config, resolve_dtype(model_settings.dtype, torch.device(device_type))


def plan_job(
    sources: list[str],
    out: str,
    heads: HeadSet | str | list | None,
    model: LoadedModel | ModelSource | str | None,
    settings: ScoreSettings,
    model_settings: ModelSettings,
    *,
    executor: str,
    device_type: str,
    overwrite: bool = False,
) -> ScoreJob:
    """Check everything that can be checked before scoring, and build the job and its manifest.
    `sources`: from `find_sources`. `device_type` is where the model will run ('cuda' or
    'cpu'), which decides dtype 'auto'. `heads` None: they are to be detected (the job can be
    planned, not run)."""
    source, config, dtype = _model_config(model, model_settings, device_type)
    head_set = HeadSet([], "detected first") if heads is None else parse_heads(heads)
    if heads is not None:
        check_heads(head_set, source, config)
    settings = replace(settings, max_length=resolve_max_length(settings.max_length, max_context(config)))
    manifest = {
        "executor": executor,
        "model": {"name": source.name, "fingerprint": source.fingerprint},
        "dtype": str(dtype).removeprefix("torch."),
        "heads": [list(h) for h in head_set.heads],
        "settings": settings.recorded(),
        "sources": [info.as_dict() for info in describe_all(sources)],
    }
    info = head_set.info or {
        "model": source.name,
        "fingerprint": source.fingerprint,
        "source": head_set.source,
        "selected": manifest["heads"],
    }
    heads = tuple(head_set.heads)
    return ScoreJob(
        RunDir(out).uri, source, model_settings, heads, info, settings, tuple(sources), manifest, overwrite,
        head_set.source,
    )  # fmt: skip
