"""The run pipeline: a job planned once on the driver, then one chunk pipeline (read -> prepare
-> score -> write) run by an executor: local (this process), Ray (a cluster) or datatrove (its
tasks, one shard each)."""

from __future__ import annotations

from attention_influence.errors import SettingError
from attention_influence.models import LoadedModel
from attention_influence.pipeline.job import ScoreJob, plan_job
from attention_influence.pipeline.ledger import ScoreSummary

ENGINES = ("local", "ray", "datatrove")


def check_engine_options(**options) -> None:
    """Counts of actors, tasks and workers: at least 1 (prepare_workers: at least 0); None: default."""
    for name, value in options.items():
        low = 0 if name == "prepare_workers" else 1
        if (
            name != "ray_address"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int) or value < low)
        ):
            raise SettingError(name, f"must be an integer >= {low}, got {value!r}")


def make_executor(
    engine: str = "local",
    loaded: LoadedModel | None = None,
    *,
    device: str | None = None,
    ray_address: str | None = None,
    ray_actors: int | None = None,
    tasks: int | None = None,
    workers: int | None = None,
    prepare_workers: int | None = None,
):
    """The executor named `engine` (its extra is checked here, before any work). `prepare_workers`:
    processes that read and tokenize ahead of the model (local; default: none on CPU, else up to 4)."""
    check_engine_options(ray_actors=ray_actors, tasks=tasks, workers=workers, prepare_workers=prepare_workers)
    if engine == "local":
        from attention_influence.pipeline.local import LocalExecutor

        return LocalExecutor(loaded, device=device, workers=prepare_workers)
    if engine == "ray":
        from attention_influence.pipeline.ray import RayExecutor

        return RayExecutor(ray_address, ray_actors)
    if engine == "datatrove":
        from attention_influence.pipeline.datatrove import DatatroveExecutor

        return DatatroveExecutor(tasks, workers)
    raise SettingError("engine", f"must be one of {', '.join(ENGINES)}, got {engine!r}")


def execute(job: ScoreJob, executor, progress: bool = True) -> ScoreSummary:
    """Score the job's shard (the local and Ray executors) or every shard (datatrove). RunError
    when the run is complete and not one record of it has a score (an empty corpus, a wrong
    --text-field, files that are not JSONL or Parquet): its outputs stay for inspection."""
    if hasattr(executor, "score"):
        summary = executor.score(job)
    else:
        from attention_influence.pipeline.shard import run_shard

        summary = run_shard(job, executor, progress)
    check_something_scored(job.out)
    return summary


def check_something_scored(out: str) -> None:
    """RunError when the run in `out` is complete and has no score at all, naming the reasons."""
    from attention_influence.errors import RunError
    from attention_influence.runs.rundir import SUMMARY, RunDir

    rundir = RunDir(out)
    total = rundir.read_json(SUMMARY)  # written when the last shard finishes
    if not isinstance(total, dict) or total.get("scored", 0) > 0:
        return
    records = total.get("records", 0)
    if not records:
        raise RunError(f"the corpus holds no records: nothing was scored into {rundir.uri}")
    reasons = sorted((total.get("reasons") or {}).items(), key=lambda item: -item[1])
    shown = "; ".join(f"{count:,} {reason}" for reason, count in reasons[:3])
    raise RunError(
        f"no record has a score: {records:,} read ({shown}); each is listed in {rundir.file('errors.jsonl')}"
        " (a wrong --text-field?)"
    )


__all__ = ["ENGINES", "ScoreJob", "ScoreSummary", "check_engine_options", "execute", "make_executor", "plan_job"]
