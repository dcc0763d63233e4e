"""The Python API: one function per `attninf` command, taking the same settings objects (or their
fields as keyword arguments). Every setting is validated before any work.

`model` is, everywhere: a LoadedModel, a ModelSettings, a name (hub id, folder, .gguf file), or
None (the embedded default), with ModelSettings fields (device, dtype, trust_remote_code,
allow_pickle) as keyword arguments; models/loading.py `load` is the one way from settings to a
loaded model."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from attention_influence.config import (
    DetectSettings,
    EngineSettings,
    Fields,
    GuardSettings,
    ModelSettings,
    ScoreSettings,
    SelectSettings,
    build,
    select_settings,
    split_options,
)
from attention_influence.errors import RunError, SettingError
from attention_influence.heads import (
    DetectionPlan,
    HeadSet,
    detect_heads,
    detection_size,
    parse_heads,
    same_detection,
    shipped_head_set,
)
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load, load_model, resolve_device, resolve_model
from attention_influence.pipeline import ScoreSummary, execute, find_sources, make_executor, plan_job
from attention_influence.pipeline.estimate import ScorePlan, check_sample, plan_score
from attention_influence.runs.rundir import RunDir
from attention_influence.scoring import Scorer
from attention_influence.selection import select


def _inputs(inputs: Sequence[str] | str) -> list[str]:
    return [inputs] if isinstance(inputs, (str, Path)) else [str(i) for i in inputs]


def model_settings(model: LoadedModel | ModelSettings | str | None, options: dict) -> ModelSettings:
    """The ModelSettings `model` (and the ModelSettings fields among `options`) stand for."""
    if isinstance(model, LoadedModel):
        return model.settings or build(ModelSettings, model=model.name, **options)
    if isinstance(model, ModelSettings):
        if options:
            raise SettingError(next(iter(options)), "is given twice: in the ModelSettings and as an option")
        return model
    return build(ModelSettings, **options | ({"model": model} if model is not None else {}))


def _shipped(loaded: LoadedModel | None, settings: ModelSettings) -> HeadSet:
    """The heads shipped for the model (no detection in the score stage)."""
    source = loaded.source if loaded is not None and loaded.source else resolve_model(settings.model)
    return shipped_head_set(source.name, loaded.fingerprint if loaded is not None else source.fingerprint)


@dataclass
class _Job:
    """What scoring a corpus needs, checked before the model loads: settings, sources, executor."""

    inputs: list[str]
    out: str
    score: ScoreSettings
    model: ModelSettings
    engine: EngineSettings
    loaded: LoadedModel | None = None
    sources: list[str] = field(default_factory=list)
    executor: object = None

    def start(self) -> None:
        """Find the sources (bad inputs fail here, before any model loads), then build the executor."""
        self.sources = self.sources or find_sources(self.inputs, self.out)
        local = self.engine.engine == "local"
        self.executor = make_executor(self.engine, self.model.device, self.loaded if local else None)

    def plan(self, heads: HeadSet | str | list | None, overwrite: bool):
        executor = self.executor
        return plan_job(
            self.sources, self.out, heads, self.loaded or resolve_model(self.model.model), self.score, self.model,
            executor=executor.name, device_type=executor.device_type(), overwrite=overwrite,
        )  # fmt: skip


def _score(job: _Job, heads, overwrite: bool, progress: bool, on_plan, dry_run: bool) -> ScoreSummary | ScorePlan:
    """Plan the scoring job (to `on_plan`), then run it unless `dry_run` (which returns the plan)."""
    planned = job.plan(heads, overwrite)
    # A folder the scoring would refuse is refused now, before the model loads; with heads still to be
    # detected, the manifest is not complete yet: the scoring's claim checks it once they are known.
    if heads is not None:
        RunDir(planned.out).check_claim(planned.manifest, overwrite)
    if on_plan is not None or dry_run:
        plan = _plan(planned, job.executor, heads_known=heads is not None)
        if on_plan is not None:
            on_plan(plan)
        if dry_run:
            return plan
    return execute(planned, job.executor, progress)


def _plan(planned, executor, heads_known: bool = True) -> ScorePlan:
    """The job's plan, its time measured on the model the executor loads here (if it does: after
    the plan's sample is read, so a bad record under on_error="fail" stops it before)."""
    load = (lambda: executor.planning_model(planned)) if heads_known else None
    plan = plan_score(planned, engine=executor.name, load=load, device=executor.device_type())
    if not heads_known:
        plan.note = "it depends on the heads (where the shared prefix ends): it is measured after the detection"
    return plan


def score_corpus(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list | None = None,
    model: LoadedModel | ModelSettings | str | None = None,
    settings: ScoreSettings | None = None,
    *,
    engine: str | EngineSettings = "local",
    overwrite: bool = False,
    progress: bool = True,
    on_plan: Callable[[ScorePlan], None] | None = None,
    dry_run: bool = False,
    **options,
) -> ScoreSummary | ScorePlan:
    """Score every document of `inputs` into the run folder `out` (see runs/rundir.py) with
    `heads` masked (None: the heads shipped for the model; the embedded default has them).

    `options`: ScoreSettings fields (fields, max_length, truncate, batch_tokens, chunk_docs,
    shared_prefix, compile, pack, on_error, num_shards, shard_index) when `settings` is not
    given, ModelSettings fields (device, dtype, trust_remote_code, allow_pickle), and the
    engine's options (config.ENGINE_OPTIONS: prepare_workers for "local", ray_address and
    ray_actors for "ray", tasks and workers for "datatrove"). A folder holding a run with the
    same settings is resumed; other settings are refused unless `overwrite`.

    `on_plan(plan)` gets the ScorePlan (documents, tokens, domains, the model time measured on
    this device) before any scoring; `dry_run` returns that plan and scores nothing."""
    engine, options = EngineSettings.split(options, engine)
    score_options, model_options = split_options(options, ScoreSettings, ModelSettings)
    job = _Job(
        _inputs(inputs),
        str(out),
        settings or build(ScoreSettings, **score_options),
        model_settings(model, model_options),
        engine,
        model if isinstance(model, LoadedModel) else None,
    )
    job.start()
    heads = _shipped(job.loaded, job.model) if heads is None else heads
    return _score(job, heads, overwrite, progress, on_plan, dry_run)


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
    if detect is None or detect.sentences is None:
        return shipped_head_set(model.name, model.fingerprint)
    earlier = RunDir(out).read_heads()
    probes, _, tokens, _ = detection_size(detect, model.max_context, model.device.type)
    if same_detection(earlier, model.fingerprint, detect, probes, tokens):
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
    model: LoadedModel | ModelSettings | str | None = None,
    *,
    engine: str | EngineSettings = "local",
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
    engine, options = EngineSettings.split(options, engine)
    score_options, select_options, guard_options, model_options = split_options(
        options, ScoreSettings, SelectSettings, GuardSettings, ModelSettings
    )
    selection = selection or select_settings(**select_options, **guard_options)
    job = _Job(_inputs(inputs), str(out), score or build(ScoreSettings, **score_options),
               model_settings(model, model_options), engine, model if isinstance(model, LoadedModel) else None)  # fmt: skip
    detecting = heads is None and detect is not None and detect.sentences is not None
    if detecting:
        from attention_influence.heads.detect import check_sentences

        check_sentences(detect.sentences)  # before the model loads
    if job.loaded is None and (detecting or engine.engine == "local"):
        job.sources = find_sources(job.inputs, job.out)  # bad inputs fail before the model loads
        check_sample(job.sources, job.score)  # and a bad record the plan reads, under on_error="fail"
        job.loaded = load(job.model)  # once, here: detection and scoring share it
    job.start()
    if heads is None and not detecting:
        heads = _shipped(job.loaded, job.model)
    plans: list = []

    def planned(plan) -> None:
        plans.append(plan)
        if on_plan is not None:
            on_plan(plan)

    heads = resolve_heads(str(out), job.loaded, detect, progress, planned, dry_run) if heads is None else heads
    if dry_run:
        _score(job, heads, overwrite, progress, planned, dry_run=True)
        return {"plans": plans}
    summary = _score(job, heads, overwrite, progress, planned, dry_run=False)
    model = (job.loaded or job.model) if write_report else None
    return _select_and_report(str(out), heads, summary, selection, model, progress)


def _select_and_report(out: str, heads, summary, selection: SelectSettings, model, progress: bool) -> dict:
    """After scoring: the selection and the report with `model` (None: no report), once every
    shard is done."""
    result = {"heads": parse_heads(heads).heads, "score": summary, "selection": None, "report": None}
    try:
        RunDir(out).check_complete()
    except RunError as waiting:
        print(f"attninf: {waiting}; select once every shard is done", file=sys.stderr)
        return result
    result["selection"] = select(out, selection, progress=progress)
    if model is not None:
        result["report"] = report(out, model=model, progress=progress)  # a loaded model is not loaded twice
    return result


def report(
    out: str,
    heads_file: str | None = None,
    model: LoadedModel | ModelSettings | str | None = None,
    *,
    use_model: bool = True,
    control_docs: int = 32,
    control_seed: int = 0,
    progress: bool = False,
    **options,
) -> str:
    """Write DIR/report.html for a scored (and optionally selected) run; returns its path.

    With `use_model` (the default), the run's model (`model`, or the one its manifest names,
    loaded with the ModelSettings fields in `options`: device, dtype, trust_remote_code,
    allow_pickle; its weights must be the run's) writes a token-level explain page for every
    listed document (DIR/explain/) and computes the random-heads control on `control_docs`
    documents per domain (DIR/control.json, seeded by `control_seed`; 0: none). Both are cached
    in the run folder. `use_model=False` renders without them, and says so."""
    from attention_influence.reports.html import write_report

    if isinstance(control_docs, bool) or not isinstance(control_docs, int) or control_docs < 0:
        raise SettingError("control_docs", f"must be an integer >= 0, got {control_docs!r}")
    if isinstance(control_seed, bool) or not isinstance(control_seed, int) or control_seed < 0:
        raise SettingError("control_seed", f"must be an integer >= 0, got {control_seed!r}")
    loader = model if isinstance(model, LoadedModel) else model_settings(model, options)  # model None: the run's
    return write_report(
        out, heads_file, loader, use_model=use_model, control_docs=control_docs, seed=control_seed, progress=progress
    )


def compare(run_a: str, run_b: str, json_file: str | None = None) -> dict:
    """How two runs of the same corpus agree (two models, two head sets, bf16 against fp32, the
    guard on and off): per domain, the overlap of their selections (Jaccard, and the share of
    A's kept documents B also kept) and the Spearman correlation of their scores over the
    documents both scored, joined on (source, row) when they read the same files, else on the
    text hash. Written to `json_file` when given. RunError when they share no document."""
    from attention_influence.reports.compare import compare_runs

    return compare_runs(run_a, run_b, json_file)


def explain(
    text: str,
    model: LoadedModel | ModelSettings | str | None = None,
    heads: HeadSet | str | list | None = None,
    *,
    max_length: int | None = None,
    **options,
) -> list:
    """Per-token (token, loss_base, loss_masked, delta): where the masked heads matter in `text`
    (heads None: those shipped for the model; the embedded default has them). `options`:
    ModelSettings fields (device, dtype, trust_remote_code, allow_pickle)."""
    from attention_influence.reports.explain import explain_text

    loaded = model if isinstance(model, LoadedModel) else load(model_settings(model, options))
    heads = shipped_head_set(loaded.name, loaded.fingerprint) if heads is None else heads
    return explain_text(Scorer(loaded, heads, max_length=max_length), text)


__all__ = [
    "DetectSettings",
    "EngineSettings",
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
    "resolve_device",
    "run",
    "score_corpus",
    "select",
]
