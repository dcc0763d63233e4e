"""Checks that run before any work is done, so bad arguments cost a one-line error, not a run:
the selection fraction, where the output goes, whether DIR already holds another run, and
whether a heads.json belongs to the loaded model. (Whether a run is complete enough to select
from is distributed/resume.py's check_complete.)"""

from __future__ import annotations

import math
import os
import posixpath

import fsspec

from attention_influence.corpus.writers import exists, join, read_json
from attention_influence.errors import UserError

# run.json keys that change the scores; a run with the same values may resume in the same DIR
RUN_SETTINGS = ("fingerprint", "heads", "inputs", "fields", "max_length", "truncate", "dtype")
# what `attninf score|select` writes into DIR (removed by --overwrite; nothing else is touched)
RUN_OUTPUTS = ("scores", "errors.jsonl", "errors-*.jsonl", "score_summary.json", "selection.json", "selected")


class ArgumentError(UserError):
    """An argument is invalid or would destroy data; the message says which and why."""


COUNTS = ("num_probes", "probe_tokens", "top_k", "verify_draws", "verify_probes", "verify_draw_probes")


def check_counts(options: dict) -> None:
    """Counts that must be at least 1 (None: the default applies)."""
    for name in COUNTS:
        value = options.get(name)
        if value is not None and value < 1:
            raise ArgumentError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    top_frac = options.get("top_frac")
    if top_frac is not None and not (math.isfinite(top_frac) and 0 < top_frac <= 1):
        raise ArgumentError(f"--top-frac must be in (0, 1], got {top_frac}")


def check_fraction(fraction: float) -> None:
    if not (isinstance(fraction, (int, float)) and math.isfinite(fraction) and 0 < fraction <= 1):
        raise ArgumentError(f"--fraction must be in (0, 1], got {fraction}")


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
    corpus) and one that is or contains an input (--overwrite would remove it)."""
    out_protocol, out_path, _ = _location(out)
    for given in inputs:
        protocol, path, is_folder = _location(given)
        if protocol != out_protocol:
            continue
        if is_folder and _inside(out_path, path):
            raise ArgumentError(f"--out {out} is inside the input folder {given}: choose an output folder outside it")
        if _inside(path, out_path):
            raise ArgumentError(f"--out {out} is or contains the input {given}: choose another output folder")


def _differences(old: dict, new: dict) -> list[str]:
    return [key for key in RUN_SETTINGS if key in old and key in new and old[key] != new[key]]


def claim_output(out: str, settings: dict, overwrite: bool) -> None:
    """Allow DIR when it is new, holds a run with the same settings (resume), or `overwrite` is
    set; then the previous run's outputs (and only those) are removed."""
    run_json = join(out, "run.json")
    fs, _, (local,) = fsspec.get_fs_token_paths(out)
    if not fs.exists(fs._strip_protocol(run_json)):
        return
    try:
        old = read_json(run_json)
    except (OSError, ValueError) as err:
        raise ArgumentError(f"{run_json} is unreadable ({err}): use --overwrite or another --out") from err
    changed = _differences(old if isinstance(old, dict) else {}, settings)
    if not changed:
        return
    if not overwrite:
        raise ArgumentError(
            f"--out {out} holds a run with other settings ({', '.join(changed)} differ): "
            "use --overwrite to replace it, or another --out"
        )
    for name in RUN_OUTPUTS:
        for path in fs.glob(f"{local.rstrip('/')}/{name}"):
            fs.rm(path, recursive=True)


def check_run_heads(out: str, heads: list) -> None:
    """Refuse to replace DIR/heads.json with heads that the run DIR holds was not scored with
    (claim_output would refuse the run later, after the file was gone)."""
    run_json = join(out, "run.json")
    try:
        old = read_json(run_json) if exists(run_json) else None
    except (OSError, ValueError):
        return  # claim_output says what is wrong with it
    if isinstance(old, dict) and _differences(old, {"heads": [list(h) for h in heads]}):
        raise ArgumentError(
            f"--out {out} holds a run with other settings (heads differ): "
            "use --overwrite to replace it, or another --out"
        )


def check_heads_model(heads_fingerprint: str | None, heads_source: str, model_name: str, fingerprint: str) -> None:
    """A heads.json records the fingerprint of the model it was detected on; refuse another."""
    if heads_fingerprint and heads_fingerprint != fingerprint:
        raise ArgumentError(
            f"{heads_source} was detected on another model (fingerprint {heads_fingerprint[:24]}), "
            f"not {model_name} ({fingerprint[:24]}): detect heads for this model, or pass --heads as layer:head pairs"
        )
