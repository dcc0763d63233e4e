"""The run pipeline: a job planned once on the driver, then one chunk pipeline (read -> prepare
-> score -> write) run by an executor: local (this process), Ray (a cluster) or datatrove (its
tasks, one shard each)."""

from __future__ import annotations

from attention_influence.pipeline.executors import Executor, make_executor
from attention_influence.pipeline.job import ScoreJob, find_sources, plan_job
from attention_influence.runs.summary import ScoreSummary


def execute(job: ScoreJob, executor: Executor, progress: bool = True) -> ScoreSummary:
    """Score the job with `executor`. RunError when the run is complete and not one record of it
    has a score (an empty corpus, a wrong --text-field, files that are not JSONL or Parquet): its
    outputs stay for inspection."""
    summary = executor.score(job, progress)
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


__all__ = ["Executor", "ScoreJob", "ScoreSummary", "execute", "find_sources", "make_executor", "plan_job"]
