"""Score one shard of a run here, whoever places its chunks: claim the run folder, lock the shard,
restart the sources that changed, run the chunks, check the accounting, mark the shard done.
The local and Ray executors are ShardExecutors: they only place the chunks (`chunks`)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence

from attention_influence.corpus.readers import exact_rows
from attention_influence.errors import RunError
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import ChunkCounts
from attention_influence.progress import Progress
from attention_influence.runs.plan import ChunkRange, shard_plan
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.sources import describe
from attention_influence.runs.summary import ScoreSummary
from attention_influence.scoring.memory import peak_memory_bytes


class ShardExecutor:
    """An executor that scores a job's shard from this process: `score` runs `run_shard`, and
    `chunks` places the shard's chunks (a thread here, Ray actors)."""

    name: str

    def chunks(
        self, job: ScoreJob, rundir: RunDir, ranges: Sequence[ChunkRange], bar: Progress
    ) -> Iterator[ChunkCounts]:
        """Score every chunk of `ranges`, yielding each chunk's counts as it is written; moves
        `bar` as work is done (`update`), or found done (`skip`)."""
        raise NotImplementedError

    def score(self, job: ScoreJob, progress: bool = True) -> ScoreSummary:
        return run_shard(job, self, progress)


def stale_chunk(job: ScoreJob, source: int, chunk: int) -> None:
    """Say that a chunk's part file no longer matched its source, so it was scored again."""
    print(
        f"attninf: chunk {chunk} of {job.sources[source]} no longer matched its scores: scored again", file=sys.stderr
    )


def _restart_changed(job: ScoreJob, rundir: RunDir, changed: dict[int, str], ranges: Sequence[ChunkRange]) -> None:
    """Sources of this shard that changed since they were scored are scored again from scratch."""
    mine = {r.source: r for r in ranges}
    for index, why in sorted(changed.items()):
        if index not in mine:
            continue  # another shard's: that shard restarts it, select refuses until then
        piece = mine[index]
        if piece.first != 0 or piece.stop is not None:
            raise RunError(f"{why}; it is split among shards: score the whole run again (overwrite)")
        print(f"attninf: {why}: scoring it again", file=sys.stderr)
        rundir.remove_source(index)
        rundir.update_source(index, describe(piece.path).as_dict())


def _count_rows(ranges: Sequence[ChunkRange], chunk_docs: int, bar: Progress) -> None:
    """The shard's row count, for the bar's total and ETA (JSONL files are read to count)."""
    total = 0
    for piece in ranges:
        start, stop = piece.rows(chunk_docs)
        rows = exact_rows(piece.path)
        total += max(0, (rows if stop is None else min(stop, rows)) - start)
    bar.set_total(total)


def run_shard(job: ScoreJob, executor: ShardExecutor, progress: bool = True) -> ScoreSummary:
    """Score shard `job.settings.shard_index` of `job.settings.num_shards` into `job.out`."""
    settings = job.settings
    rundir = RunDir(job.out)
    ranges = shard_plan(job.sources, settings.chunk_docs, settings.num_shards, settings.shard_index)
    changed = rundir.claim(job.manifest, job.overwrite)
    summary = ScoreSummary(executor=executor.name)
    with rundir.scoring(settings.num_shards, settings.shard_index):
        rundir.check_same(job.manifest)  # still ours now that the lock is held (no overwrite in between)
        _restart_changed(job, rundir, changed, ranges)
        if job.heads_info and rundir.read_heads() != job.heads_info:
            rundir.write_heads(job.heads_info)
        previous = rundir.shard_summary(settings.num_shards, settings.shard_index)  # a finished shard run again
        rundir.start_shard(settings.num_shards, settings.shard_index)
        start = time.perf_counter()
        with Progress("score", enabled=progress) as bar:
            threading.Thread(target=_count_rows, args=(ranges, settings.chunk_docs, bar), daemon=True).start()
            for counts in executor.chunks(job, rundir, ranges, bar):
                summary.add(counts)
                rundir.heartbeat()
        summary.seconds = time.perf_counter() - start
        summary.peak_memory_bytes = max(summary.peak_memory_bytes, peak_memory_bytes("cpu"))
        rundir.finish_shard(settings.num_shards, settings.shard_index, _what_scoring_did(summary, previous))
    return summary


def _what_scoring_did(summary: ScoreSummary, previous: dict | None) -> dict:
    """The shard's summary for DIR/summary.json: this process's, or, when it found every chunk
    finished and scored nothing (a finished run run again, to select anew), the summary of the
    process that scored them, so that the run's time and tokens/s stay the scoring's."""
    unchanged = previous is not None and previous.get("records") == summary.records
    if unchanged and summary.nothing_scored:
        return previous
    return summary.as_dict()
