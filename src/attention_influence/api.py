"""The Python API: one function per `attninf` command, taking the same settings objects (or their
fields as keyword arguments). Every setting is validated before any work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from attention_influence.config import (
    DetectSettings,
    Fields,
    GuardSettings,
    ModelSettings,
    ScoreSettings,
    SelectSettings,
    build,
    select_settings,
)
from attention_influence.config import split_options as _split
from attention_influence.errors import RunError, SettingError
from attention_influence.heads import (
    DetectionPlan,
    HeadSet,
    detect_heads,
    parse_heads,
    probe_tokens_for,
    same_detection,
    shipped_heads,
)
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load_model, resolve_model
from attention_influence.pipeline import ScoreSummary, execute, make_executor, plan_job
from attention_influence.pipeline.estimate import ScorePlan, plan_score
from attention_influence.runs.rundir import RunDir
from attention_influence.scoring import Scorer
from attention_influence.selection import select

ENGINE_OPTIONS = ("ray_address", "ray_actors", "tasks", "workers", "prepare_workers")


def _inputs(inputs: Sequence[str] | str) -> list[str]:
    return [inputs] if isinstance(inputs, (str, Path)) else [str(i) for i in inputs]


def _model_settings(model, options: dict) -> ModelSettings:
    if isinstance(model, str):
        options = options | {"model": model}
    return build(ModelSettings, **options)


def _engine_options(options: dict) -> tuple[dict, dict]:
    engine = {k: options.pop(k) for k in ENGINE_OPTIONS if k in options}
    return engine, options


def score_corpus(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list | None = None,
    model: LoadedModel | str | None = None,
    settings: ScoreSettings | None = None,
    *,
    engine: str = "local",
    overwrite: bool = False,
    progress: bool = True,
    on_plan: Callable[[ScorePlan], None] | None = None,
    dry_run: bool = False,
    **options,
) -> ScoreSummary | ScorePlan:
    """Score every document of `inputs` into the run folder `out` (see runs/rundir.py) with
    `heads` masked (None: the heads shipped for the model; the embedded default has them).

    `options`: ScoreSettings fields (fields, max_length, truncate, batch_tokens, chunk_docs,
    shared_prefix, compile, on_error, num_shards, shard_index) when `settings` is not given,
    ModelSettings fields (device, dtype, trust_remote_code, allow_pickle), and the engine's
    (ray_address, ray_actors for "ray"; tasks, workers for "datatrove"). A folder holding a run
    with the same settings is resumed; other settings are refused unless `overwrite`.

    `on_plan(plan)` gets the ScorePlan (documents, tokens, domains, the model time measured on
    this device) before any scoring; `dry_run` returns that plan and scores nothing."""
    engine_options, options = _engine_options(dict(options))
    score_options, model_options = _split(options, ScoreSettings, ModelSettings)
    settings = settings or build(ScoreSettings, **score_options)
    model_settings = _model_settings(model, model_options)
    loaded = model if isinstance(model, LoadedModel) else None
    if heads is None:
        heads = _shipped(loaded, model_settings)
    executor = make_executor(engine, loaded, device=model_settings.device, **engine_options)
    return _score(inputs, out, heads, loaded, settings, model_settings, executor, overwrite, progress, on_plan, dry_run)


def _shipped(loaded: LoadedModel | None, model_settings: ModelSettings) -> str:
    """The shipped heads.json of the model (no detection in the score stage)."""
    model = loaded if loaded is not None else resolve_model(model_settings.model)
    shipped = shipped_heads(model.fingerprint)
    if shipped is None:
        raise SettingError("heads", f"no heads are shipped for {model.name}: give heads (run `attninf heads` first)")
    return str(shipped)


def _score(
    inputs, out, heads, loaded, settings, model_settings, executor, overwrite: bool, progress: bool, on_plan, dry_run
):
    job = plan_job(
        _inputs(inputs),
        str(out),
        heads,
        loaded or model_settings.model,
        settings,
        model_settings,
        executor=executor.name,
        device_type=executor.device_type(),
        overwrite=overwrite,
    )
    if on_plan is not None or dry_run:
        plan = _plan(job, executor)
        if on_plan is not None:
            on_plan(plan)
        if dry_run:
            return plan
    return execute(job, executor, progress)


def _plan(job, executor, loaded: LoadedModel | None = None, heads_known: bool = True) -> ScorePlan:
    """The job's plan; the local engine's model is loaded here (the executor then uses it) so
    that the time is measured on it."""
    if executor.name == "local" and heads_known:
        from attention_influence.pipeline.local import load_job_model

        loaded = executor.loaded = executor.loaded or load_job_model(job, executor.device)
    plan = plan_score(
        job,
        engine=executor.name,
        loaded=loaded if heads_known else None,
        tokenizer=loaded.tokenizer if loaded is not None else None,
        device=executor.device_type(),
    )
    if not heads_known:
        plan.heads, plan.heads_source = [], "detected first"
        plan.note = "it depends on the heads (where the shared prefix ends): it is measured after the detection"
    return plan


def resolve_heads(
    out: str,
    model: LoadedModel,
    detect: DetectSettings | None,
    progress: bool = True,
    on_plan: Callable[[DetectionPlan], None] | None = None,
    dry_run: bool = False,
) -> HeadSet | None:
    """The heads of a run given none: the shipped heads.json of the model when there is one;
    else the heads an earlier detection wrote into the run (same weights and settings); else a
    detection from `detect.sentences` (never from the corpus being scored), whose plan goes to
    `on_plan` first. None under `dry_run` when a detection would run."""
    shipped = shipped_heads(model.fingerprint)
    if shipped is not None and detect is None:
        return parse_heads(str(shipped))
    if detect is None or detect.sentences is None:
        raise SettingError(
            "heads",
            f"no heads are shipped for {model.name}: give heads (a heads.json or layer:head pairs), "
            "or sentences to detect them from (a text or JSONL file)",
        )
    earlier = RunDir(out).read_heads()
    if same_detection(earlier, model.fingerprint, detect, probe_tokens_for(detect, model.max_context)[0]):
        print("heads: reusing the heads this run detected with this model and these settings", file=sys.stderr)
        found = earlier
    else:
        found = detect_heads(model, None, detect, progress=progress, on_plan=on_plan, dry_run=dry_run)
        if dry_run:
            return None
    return HeadSet([tuple(h) for h in found["selected"]], "detected heads", found["fingerprint"], found)


def run(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list | None = None,
    model: LoadedModel | str | None = None,
    *,
    engine: str = "local",
    score: ScoreSettings | None = None,
    selection: SelectSettings | None = None,
    detect: DetectSettings | None = None,
    write_report: bool = True,
    overwrite: bool = False,
    progress: bool = True,
    on_plan: Callable[[DetectionPlan | ScorePlan], None] | None = None,
    dry_run: bool = False,
    **options,
) -> dict:
    """The whole job: heads (given, shipped, or detected), scores, the top fraction of each
    domain behind the guard, DIR/report.html. `options` are fields of ScoreSettings,
    SelectSettings (and the guard's thresholds, flat: min_tokens=32, ...), ModelSettings and the
    engine's options. Returns {"heads", "score", "selection", "report"}; with several
    shards, selection and report wait for the last shard (None until then).

    `on_plan(plan)` gets the DetectionPlan (when heads are detected) and the ScorePlan, each
    before its work; `dry_run` stops there and returns {"plans": [...]}."""
    engine_options, options = _engine_options(dict(options))
    if heads is None and detect is not None and detect.sentences is not None:
        from attention_influence.heads.detect import check_sentences

        check_sentences(detect.sentences)  # before the model loads
    score_options, select_options, guard_options, model_options = _split(
        options, ScoreSettings, SelectSettings, GuardSettings, ModelSettings
    )
    score = score or build(ScoreSettings, **score_options)
    selection = selection or select_settings(**select_options, **guard_options)
    model_settings = _model_settings(model, model_options)
    loaded = model if isinstance(model, LoadedModel) else None
    if heads is None or engine == "local":  # load the model once, here: detection and scoring share it
        loaded = loaded or load_model(resolve_model(model_settings.model), **_loading(model_settings))
    executor = make_executor(
        engine, loaded if engine == "local" else None, device=model_settings.device, **engine_options
    )
    plans: list = []

    def planned(plan) -> None:
        plans.append(plan)
        if on_plan is not None:
            on_plan(plan)

    if heads is None:
        heads = resolve_heads(str(out), loaded, detect, progress, planned, dry_run)
        if heads is None:  # a dry run that would detect heads: the corpus is planned without a time
            job = plan_job(
                _inputs(inputs), str(out), HeadSet([(0, 0)], "detected heads"), loaded, score, model_settings,
                executor=executor.name, device_type=executor.device_type(), overwrite=overwrite,
            )  # fmt: skip
            planned(_plan(job, executor, loaded, heads_known=False))
            return {"plans": plans}
    summary = _score(inputs, out, heads, loaded, score, model_settings, executor, overwrite, progress, planned, dry_run)
    if dry_run:
        return {"plans": plans}
    result = {"heads": parse_heads(heads).heads, "score": summary, "selection": None, "report": None}
    try:
        RunDir(out).check_complete()
    except RunError as waiting:
        print(f"attninf: {waiting}; select once every shard is done", file=sys.stderr)
        return result
    result["selection"] = select(str(out), selection, progress=progress)
    if write_report:
        result["report"] = report(str(out), model=loaded, progress=progress)  # the loaded model: not loaded twice
    return result


def _loading(settings: ModelSettings) -> dict:
    return {
        "device": settings.device,
        "dtype": settings.dtype,
        "trust_remote_code": settings.trust_remote_code,
        "allow_pickle": settings.allow_pickle,
    }


def report(
    out: str,
    heads_file: str | None = None,
    model: LoadedModel | str | None = None,
    *,
    use_model: bool = True,
    device: str = "auto",
    dtype: str = "auto",
    control_docs: int = 32,
    control_seed: int = 0,
    progress: bool = False,
) -> str:
    """Write DIR/report.html for a scored (and optionally selected) run; returns its path.

    With `use_model` (the default), the run's model (`model`, or the one its manifest names,
    loaded on `device` in `dtype`; its weights must be the run's) writes a token-level explain
    page for every listed document (DIR/explain/) and computes the random-heads control on
    `control_docs` documents per domain (DIR/control.json, seeded by `control_seed`; 0: none).
    Both are cached in the run folder. `use_model=False` renders without them, and says so."""
    from attention_influence.reports.html import write_report

    if isinstance(control_docs, bool) or not isinstance(control_docs, int) or control_docs < 0:
        raise SettingError("control_docs", f"must be an integer >= 0, got {control_docs!r}")
    if isinstance(control_seed, bool) or not isinstance(control_seed, int) or control_seed < 0:
        raise SettingError("control_seed", f"must be an integer >= 0, got {control_seed!r}")
    return write_report(
        out, heads_file, model, use_model=use_model, device=device, dtype=dtype, control_docs=control_docs,
        seed=control_seed, progress=progress,
    )  # fmt: skip


def compare(run_a: str, run_b: str, json_file: str | None = None) -> dict:
    """How two runs of the same corpus agree (two models, two head sets, bf16 against fp32, the
    guard on and off): per domain, the overlap of their selections (Jaccard, and the share of
    A's kept documents B also kept) and the Spearman correlation of their scores over the
    documents both scored, joined on (source, row) when they read the same files, else on the
    text hash. Written to `json_file` when given. RunError when they share no document."""
    from attention_influence.reports.compare import compare_runs

    return compare_runs(run_a, run_b, json_file)


def explain(
    text: str, model: LoadedModel | str | None = None, heads: HeadSet | str | list | None = None, **options
) -> list:
    """Per-token (token, loss_base, loss_masked, delta): where the masked heads matter in `text`
    (heads None: those shipped for the model; the embedded default has them)."""
    from attention_influence.reports.explain import explain as explain_tokens

    return explain_tokens(text, model, heads, **options)


__all__ = [
    "DetectSettings",
    "Fields",
    "GuardSettings",
    "HeadSet",
    "LoadedModel",
    "ModelSettings",
    "DetectionPlan",
    "ScorePlan",
    "ScoreSettings",
    "ScoreSummary",
    "Scorer",
    "SelectSettings",
    "compare",
    "detect_heads",
    "enable_masking",
    "explain",
    "load_model",
    "mask_heads",
    "parse_heads",
    "report",
    "run",
    "score_corpus",
    "select",
]
