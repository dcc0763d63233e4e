"""Typed settings of every stage, validated once where they are built. The CLI and the Python
API build the same objects; an invalid value raises SettingError naming the setting and the
values it allows."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from attention_influence.errors import SettingError


def _integer(name: str, value: Any, low: int, high: int | None = None, optional: bool = False) -> None:
    if value is None and optional:
        return
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise SettingError(name, f"must be {allowed}, got {value!r}")


def _fraction(name: str, value: Any, optional: bool = False, closed_low: bool = False) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (0 <= value <= 1 if closed_low else 0 < value <= 1)
    if not ok:
        raise SettingError(name, f"must be a number in {'[0' if closed_low else '(0'}, 1], got {value!r}")


def _choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise SettingError(name, f"must be one of {', '.join(map(str, allowed))}, got {value!r}")


def _text(name: str, value: Any, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise SettingError(name, f"must be a non-empty string, got {value!r}")


@dataclass(frozen=True)
class ModelSettings:
    """Which model, where, in which precision."""

    model: str | os.PathLike | None = None  # hub id, local folder, .gguf file; None: the embedded SmolLM2-135M-Instruct
    device: str = "auto"  # auto: cuda when present, else cpu
    dtype: str = "auto"  # auto: bfloat16 on cuda, float32 on cpu
    trust_remote_code: bool = False
    allow_pickle: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.model, os.PathLike):  # a pathlib.Path to a folder or a .gguf file
            object.__setattr__(self, "model", os.fspath(self.model))
        _text("model", self.model, optional=True)
        _text("device", self.device)
        _choice("dtype", self.dtype, ("auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16"))


@dataclass(frozen=True)
class Fields:
    """Which record fields hold the text, the id and the domain; `domain` is the fallback domain
    (default: the parent folder's name)."""

    text: str = "text"
    id: str = "id"
    domain_field: str = "domain"
    domain: str | None = None

    def __post_init__(self) -> None:
        for name in ("text", "id", "domain_field"):
            _text(f"{name}_field" if name != "domain_field" else name, getattr(self, name))
        _text("domain", self.domain, optional=True)


ON_ERROR = ("skip", "fail")
MIN_LENGTH = 16  # shorter windows leave the heads (almost) no context to retrieve from: scores near 0
MAX_DEFAULT_LENGTH = 4096  # the default window: the model's context, at most this (the paper's selector context)


def resolve_max_length(max_length: int | None, context: int) -> int:
    """Tokens per window: `max_length`, or (None) the model's `context` capped at MAX_DEFAULT_LENGTH;
    SettingError when it lies outside [MIN_LENGTH, context]."""
    if max_length is None:
        return min(context, MAX_DEFAULT_LENGTH)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not MIN_LENGTH <= max_length <= context:
        raise SettingError(
            "max_length", f"must be an integer in [{MIN_LENGTH}, {context}] (the model's context), got {max_length!r}"
        )
    return max_length


@dataclass(frozen=True)
class ScoreSettings:
    """Everything that decides the scores of a run (recorded in its manifest) and how the work
    is cut (chunks, shards)."""

    fields: Fields = field(default_factory=Fields)
    max_length: int | None = None  # tokens per window; None: the model's context, at most 4096
    truncate: bool = False  # score only the first window of long documents
    batch_tokens: int | None = None  # tokens per batch; None: sized for the device
    chunk_docs: int = 1024  # input rows per score file (a restart skips finished ones)
    shared_prefix: bool = True  # layers below the first masked head run once
    compile: bool | None = None  # torch.compile the decoder layers; None: on for CUDA
    pack: bool | None = None  # documents packed into rows (no padding); None: on for CUDA
    on_error: str = "skip"  # bad records: list them (skip) or stop at the first (fail)
    num_shards: int = 1
    shard_index: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.fields, Fields):
            raise SettingError("fields", f"must be a Fields, got {type(self.fields).__name__}")
        _integer("max_length", self.max_length, MIN_LENGTH, optional=True)
        _integer("batch_tokens", self.batch_tokens, 1, optional=True)
        _integer("chunk_docs", self.chunk_docs, 1)
        _choice("on_error", self.on_error, ON_ERROR)
        _integer("num_shards", self.num_shards, 1)
        _integer("shard_index", self.shard_index, 0, self.num_shards - 1)

    def recorded(self) -> dict:
        """The settings a run's manifest records: those that change a score or the part files."""
        return {
            "fields": {f.name: getattr(self.fields, f.name) for f in fields(Fields)},
            "max_length": self.max_length,
            "truncate": self.truncate,
            "chunk_docs": self.chunk_docs,
        }


@dataclass(frozen=True)
class EngineOption:
    """An option of one engine: its flag is --NAME with dashes; None always means its default."""

    engine: str
    kind: type  # int or str
    low: int | None  # the least integer allowed
    help: str


ENGINES = ("local", "ray", "datatrove")  # where the chunks of a run are scored (pipeline/executors.py)
ENGINE_OPTIONS: dict[str, EngineOption] = {
    "prepare_workers": EngineOption(
        "local", int, 0, "processes that read and tokenize ahead of the model (default: 0 on CPU, up to 4 on CUDA)"
    ),
    "ray_address": EngineOption("ray", str, None, "Ray cluster to join (default: start a local one)"),
    "ray_actors": EngineOption("ray", int, 1, "scoring actors (default: one per GPU, else per CPU)"),
    "tasks": EngineOption("datatrove", int, 1, "datatrove tasks = shards (default: --workers)"),
    "workers": EngineOption("datatrove", int, 1, "datatrove tasks at a time (default: one per GPU, else 1)"),
}


@dataclass(frozen=True)
class EngineSettings:
    """The engine that scores a run's chunks and its options (ENGINE_OPTIONS; those not given take
    their defaults). An option of another engine is an error: it would be ignored."""

    engine: str = "local"
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _choice("engine", self.engine, ENGINES)
        for name, value in self.options.items():
            option = ENGINE_OPTIONS.get(name)
            if option is None:
                raise SettingError(name, f"is not an engine option (known: {', '.join(ENGINE_OPTIONS)})")
            if value is None:
                continue
            if option.engine != self.engine:
                raise SettingError(name, f"is an option of the {option.engine} engine, not of {self.engine}")
            if option.kind is int:
                _integer(name, value, option.low)
            else:
                _text(name, value)

    def option(self, name: str):
        """The option's value; None: its default."""
        return self.options.get(name)

    @classmethod
    def split(cls, options: dict, engine: str | EngineSettings = "local") -> tuple[EngineSettings, dict]:
        """(the engine's settings, the other options) from keyword options that may hold engine options."""
        if isinstance(engine, EngineSettings):
            return engine, options
        mine = {name: options[name] for name in ENGINE_OPTIONS if name in options}
        rest = {name: value for name, value in options.items() if name not in ENGINE_OPTIONS}
        return cls(engine, {k: v for k, v in mine.items() if v is not None}), rest


@dataclass(frozen=True)
class DetectSettings:
    """Retrieval-head detection (METHOD.md section 1)."""

    sentences: str | None = None  # text or JSONL file the probe values come from
    num_probes: int | None = None  # None: the paper's 800 on a GPU, 32 on a CPU (heads/plan.py)
    probe_tokens: int | None = None  # None: the paper's 4096 on a GPU, 768 on a CPU; capped at the model's context
    seed: int = 0
    top_frac: float = 0.05
    top_k: int | None = None  # overrides top_frac
    verify: bool = False
    verify_probes: int | None = None
    verify_draws: int = 16
    verify_draw_probes: int | None = None
    max_hours: float = 2.0  # a detection planned to take longer is refused (0: no limit)

    def __post_init__(self) -> None:
        _integer("num_probes", self.num_probes, 1, optional=True)
        _integer("probe_tokens", self.probe_tokens, 64, optional=True)
        _integer("seed", self.seed, 0)
        _fraction("top_frac", self.top_frac)
        _integer("top_k", self.top_k, 1, optional=True)
        _integer("verify_probes", self.verify_probes, 1, optional=True)
        _integer("verify_draws", self.verify_draws, 1)
        _integer("verify_draw_probes", self.verify_draw_probes, 1, optional=True)
        _number("max_hours", self.max_hours, 0)


def _number(name: str, value: Any, low: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= low
    if not ok:
        raise SettingError(name, f"must be a finite number >= {low:g}, got {value!r}")


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SettingError(name, f"must be true or false, got {value!r}")


# too_short's limit in a domain: at most this share of its token-weighted median (the length of the document
# holding its median token). The short documents of a domain of short ones are real text ranked among their
# own: short complete functions of the standard library (typical 78 tokens) lost 52 of 300 at half their plain
# median, 4 of them in their top 20%; 3 at 0.15 of the typical length, none of the top 20% (docs/guard.md);
# ads in a domain of articles stay out.
SHORT_OF_MEDIAN = 0.15


@dataclass(frozen=True)
class GuardSettings:
    """The selection guard (docs/guard.md, METHOD.md section 7): documents whose text can be
    copied from structure earlier in the document are excluded before ranking, each with its
    reason. Every threshold is a share of the text (or a token count): none depends on the
    selector model's loss scale or on the language. Measured on whole documents of both sides
    (bench/fidelity.py); a rule is off at its neutral value (min_tokens 0, a max_* at 1);
    `enabled=False` turns every rule off."""

    enabled: bool = True
    # tokens (at most SHORT_OF_MEDIAN of the domain's typical document): the rise of a few dozen is noise
    min_tokens: int = 55
    max_templated_text: float = 0.55  # share of the text in lines repeating an earlier line's structure
    max_list_text: float = 0.6  # share of the text in list items, not sentences
    max_field_text: float = 0.25  # share of the text in short "label: value" lines
    max_structured_text: float = 0.6  # share of the text in templated, list and label: value lines together
    max_digit_share: float = 0.5  # share of letters and digits that are digits
    max_repetition: float = 0.48  # Gopher's duplicate word n-gram character fraction (a text written twice: 0.5)
    max_repeated_sentences: float = 0.5  # share of the text in sentences repeating an earlier one's frame

    def __post_init__(self) -> None:
        _flag("guard", self.enabled)
        _integer("min_tokens", self.min_tokens, 0)
        for item in fields(self):
            if item.name.startswith("max_"):
                _fraction(item.name, getattr(self, item.name), closed_low=True)


BY = ("docs", "tokens")
OUTPUT_LAYOUTS = ("per-source", "hf")  # selected/: one file per input file | data/train-*.parquet shards


@dataclass(frozen=True)
class SelectSettings:
    """Per-domain top-fraction selection (METHOD.md section 4), guarded (GuardSettings): the
    fraction is taken of all scored documents of a domain, only the ones the guard lets through
    are ranked. `guard` may be given as True/False (the default guard, or none)."""

    fraction: float = 0.2  # kept per domain, of documents or tokens
    by: str = "docs"
    guard: GuardSettings = field(default_factory=GuardSettings)
    output_layout: str = "per-source"  # selected/ as one file per input file, or "hf": data/train-*.parquet

    def __post_init__(self) -> None:
        _fraction("fraction", self.fraction)
        _choice("by", self.by, BY)
        _choice("output_layout", self.output_layout, OUTPUT_LAYOUTS)
        if isinstance(self.guard, bool):
            object.__setattr__(self, "guard", GuardSettings(enabled=self.guard))
        if not isinstance(self.guard, GuardSettings):
            raise SettingError("guard", f"must be a GuardSettings or true/false, got {type(self.guard).__name__}")


GUARD_OPTIONS = tuple(f.name for f in fields(GuardSettings) if f.name != "enabled")


def select_settings(**options: Any) -> SelectSettings:
    """SelectSettings from keyword options: its own fields (fraction, by, guard) and the guard's
    thresholds given flat (min_tokens=32, max_repetition=0.2, ...); `guard=False` turns the guard
    off, and a threshold given with it is an error (it would have no effect)."""
    thresholds = {name: options.pop(name) for name in GUARD_OPTIONS if name in options}
    guard = options.pop("guard", True)
    if thresholds:
        if guard is False or (isinstance(guard, GuardSettings) and not guard.enabled):
            name = next(iter(thresholds))
            raise SettingError(name, "has no effect with the guard off (guard=False / --no-guard): drop one of them")
        guard = replace(guard, **thresholds) if isinstance(guard, GuardSettings) else GuardSettings(**thresholds)
    return build(SelectSettings, also=GUARD_OPTIONS, guard=guard, **options)


def build(cls: type, also: tuple[str, ...] = (), **options: Any) -> Any:
    """`cls(**options)`, with an unknown option reported as a SettingError that lists the known
    ones: `cls`'s fields and `also` (names the caller took out of the options before)."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(options) - known)
    if unknown:
        listed = ", ".join(sorted(known | set(also)))
        raise SettingError(unknown[0], f"is not a setting of {cls.__name__} (known: {listed})")
    return cls(**options)


def split_options(options: dict, *classes: type) -> list[dict]:
    """Split keyword options among settings classes by field name; a name no class has is an error."""
    parts: list[dict] = [{} for _ in classes]
    for name, value in options.items():
        for part, cls in zip(parts, classes, strict=True):
            if name in {f.name for f in fields(cls)}:
                part[name] = value
                break
        else:
            known = sorted({f.name for cls in classes for f in fields(cls)})
            raise SettingError(name, f"is not a known option (known: {', '.join(known)})")
    return parts


__all__ = [
    "ENGINES",
    "ENGINE_OPTIONS",
    "DetectSettings",
    "EngineSettings",
    "Fields",
    "GuardSettings",
    "ModelSettings",
    "ScoreSettings",
    "SelectSettings",
    "build",
    "replace",
    "select_settings",
    "split_options",
]
