"""The Ray executor (extra `ray`): a Ray Data pipeline over the shard's chunk ranges. CPU actors
read and prepare chunks (`prepare_chunk`), an actor pool holding one model per GPU (or per CPU
slot without GPUs) scores and writes them (`score_chunk`), exactly as the local executor does;
the driver only counts. A chunk is one row, so it is never split between two actors."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence

import pyarrow as pa

from attention_influence.errors import AttninfError, missing_extra
from attention_influence.pipeline.chunks import PreparedChunk, prepare_chunk, read_chunks, score_chunk
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import ChunkCounts
from attention_influence.pipeline.shard import ShardExecutor, stale_chunk
from attention_influence.progress import Progress
from attention_influence.runs.plan import ChunkRange
from attention_influence.runs.rundir import RunDir


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise missing_extra("ray", "the Ray engine") from err
    return ray


class PrepareChunks:
    """CPU actors: a chunk range -> one row per chunk (the PreparedChunk, pickled)."""

    def __init__(self, job: ScoreJob, rundir_uri: str):
        self.job, self.rundir, self.tokenizer = job, RunDir(rundir_uri), None

    def __call__(self, item: pa.Table) -> Iterator[pa.Table]:
        if self.tokenizer is None:
            from attention_influence.models import load_tokenizer

            self.tokenizer = load_tokenizer(self.job.model, self.job.model_settings.trust_remote_code)
        (piece,) = [pickle.loads(blob) for blob in item["range"].to_pylist()]
        for chunk in read_chunks(self.job, [piece]):
            prepared = prepare_chunk(self.job, self.rundir, self.tokenizer, chunk)
            yield pa.table({"chunk": [pickle.dumps(prepared)]})


class ScoreChunks:
    """One model per actor, loaded on the first chunk: scores, writes, returns the counts."""

    def __init__(self, job: ScoreJob, rundir_uri: str, threads: int):
        self.job, self.rundir, self.threads, self.scorer = job, RunDir(rundir_uri), threads, None

    def __call__(self, batch: pa.Table) -> pa.Table:
        import torch

        from attention_influence.pipeline.local import build_scorer, load_job_model
        from attention_influence.scoring.memory import peak_memory_bytes

        if self.scorer is None:
            torch.set_num_threads(self.threads)
            self.scorer = build_scorer(self.job, load_job_model(self.job))
        out = []
        for blob in batch["chunk"].to_pylist():
            prepared: PreparedChunk = pickle.loads(blob)
            counts = score_chunk(self.job, self.rundir, self.scorer, prepared)
            counts.peak_memory_bytes = peak_memory_bytes(self.scorer.loaded.device)
            out.append({"counts": pickle.dumps(counts), "stale": prepared.stale})
        return pa.Table.from_pylist(out)


def actor_resources(ray, actors: int | None) -> tuple[int, dict, int]:
    """(actors, Ray resources per actor, torch threads per actor): a GPU each, else CPU slots,
    leaving one CPU for reading and tokenizing."""
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), max(int(resources.get("CPU", 1)), 1)
    if gpus:
        count = actors or gpus
        return count, {"num_gpus": 1, "num_cpus": 1}, max(1, (cpus - 1) // count)
    count = actors or max(1, cpus - 1)
    per_actor = min(1.0, max(cpus - 1, 1) / count)
    return count, {"num_cpus": per_actor}, max(1, int(per_actor))


def _user_error(err: BaseException) -> BaseException | None:
    """The AttninfError an actor raised, unwrapped from Ray's exceptions (whose classes Ray
    derives from the cause's, with its traceback as the message)."""
    found, seen = None, set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, AttninfError) and not type(err).__module__.startswith("ray"):
            found = err
        err = getattr(err, "cause", None) or err.__cause__
    if found is not None and found.args and isinstance(found.args[0], str):
        found.args = (found.args[0].splitlines()[0],)  # Ray appends its retry advice to the message
    return found


class RayExecutor(ShardExecutor):
    """Joins the Ray cluster at `ray_address` (default: starts a local one); `ray_actors` scoring
    actors (default: one per GPU, else per CPU slot), each loading the job's model."""

    name = "ray"

    def __init__(
        self, loaded=None, device: str = "auto", ray_address: str | None = None, ray_actors: int | None = None
    ):
        self.address, self.actors = ray_address, ray_actors
        self.ray = import_ray()

    def planning_model(self, job: ScoreJob) -> None:
        return None  # the actors load the model

    def _init(self):
        if not self.ray.is_initialized():
            self.ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        self.ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts documents and tokens

    def device_type(self) -> str:
        self._init()
        return "cuda" if self.ray.cluster_resources().get("GPU", 0) else "cpu"

    def chunks(
        self, job: ScoreJob, rundir: RunDir, ranges: Sequence[ChunkRange], bar: Progress
    ) -> Iterator[ChunkCounts]:
        ray = self.ray
        self._init()
        if not ranges:
            return
        count, per_actor, threads = actor_resources(ray, self.actors)
        items = [{"range": pickle.dumps(piece)} for piece in ranges]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(
            PrepareChunks,
            batch_size=1,
            batch_format="pyarrow",
            fn_constructor_args=(job, rundir.uri),
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=count),
            num_cpus=0.5,
        )
        ds = ds.repartition(target_num_rows_per_block=1)  # a block per chunk: chunks spread over the actors
        ds = ds.map_batches(
            ScoreChunks,
            batch_size=1,
            batch_format="pyarrow",
            fn_constructor_args=(job, rundir.uri, threads),
            compute=ray.data.ActorPoolStrategy(size=count),
            **per_actor,
        )
        try:
            for row in ds.iter_rows():
                counts: ChunkCounts = pickle.loads(row["counts"])
                if row["stale"]:
                    stale_chunk(job, counts.source, counts.chunk)
                (bar.skip if counts.resumed else bar.update)(counts.records, counts.tokens)
                yield counts
        except Exception as err:
            cause = _user_error(err)
            if cause is not None:
                raise cause from None
            raise
