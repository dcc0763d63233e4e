"""The local executor: chunks are read in a background thread and prepared (text hashes,
measures, tokens) ahead of the model, in that thread (CPU: the model needs every core) or in a
pool of worker processes (CUDA: so the GPU never waits for Python), while the model scores."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from attention_influence.models import LoadedModel, load, load_tokenizer, resolve_device
from attention_influence.pipeline.chunks import Chunk, PreparedChunk, prepare_chunk, read_chunks, score_chunk
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import ChunkCounts
from attention_influence.pipeline.prefetch import prefetch
from attention_influence.pipeline.shard import ShardExecutor, stale_chunk
from attention_influence.progress import Progress
from attention_influence.runs.plan import ChunkRange
from attention_influence.runs.rundir import RunDir
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.memory import peak_memory_bytes


def build_scorer(job: ScoreJob, loaded: LoadedModel, *, eager: bool = False) -> Scorer:
    """The job's Scorer; None settings take the engine's per-device defaults (sizes from the
    device's memory, packing and compilation on CUDA), resolved here so that the job's settings,
    not an earlier preparation of the model, decide. `eager`: never compile (a short probe)."""
    s = job.settings
    cuda = loaded.device.type == "cuda"
    return Scorer(
        loaded,
        list(job.heads),
        max_length=s.max_length,
        truncate=s.truncate,
        batch_tokens=s.batch_tokens,
        shared_prefix=s.shared_prefix,
        compile=False if eager else (cuda if s.compile is None else s.compile),
        pack=cuda if s.pack is None else s.pack,
    )


def load_job_model(job: ScoreJob, device: str | None = None) -> LoadedModel:
    """The job's model, loaded in this process (on `device`, else the job's device setting)."""
    return load(job.model_settings, device, source=job.model)


_worker: tuple | None = None  # (job, rundir, tokenizer) of a prepare worker process


def _start_worker(job: ScoreJob) -> None:
    global _worker
    _worker = (job, RunDir(job.out), load_tokenizer(job.model, job.model_settings.trust_remote_code))


def _prepare_in_worker(chunk: Chunk) -> PreparedChunk:
    job, rundir, tokenizer = _worker
    return prepare_chunk(job, rundir, tokenizer, chunk)


def default_workers(device_type: str) -> int:
    """Prepare workers: none on CPU (the model uses every core), else up to 4, leaving 2 cores."""
    return 0 if device_type == "cpu" else max(1, min(4, (os.cpu_count() or 2) - 2))


class LocalExecutor(ShardExecutor):
    """Chunks read ahead in a thread, prepared there or in `prepare_workers` processes, scored here
    in order, on `loaded` (else the job's model, loaded on `device` when the work starts)."""

    name = "local"

    def __init__(
        self,
        loaded: LoadedModel | None = None,
        device: str = "auto",
        prepare_workers: int | None = None,
        depth: int = 2,
    ):
        """`prepare_workers`: prepare processes (None: `default_workers` for the device; 0: a thread)."""
        self.loaded, self.device, self.depth, self.workers = loaded, device, depth, prepare_workers

    def device_type(self) -> str:
        if self.loaded is not None:
            return self.loaded.device.type
        return resolve_device(self.device or "auto").type

    def planning_model(self, job: ScoreJob) -> LoadedModel:
        self.loaded = self.loaded or load_job_model(job, self.device)
        return self.loaded

    @contextlib.contextmanager
    def _prepared(self, job: ScoreJob, rundir: RunDir, ranges: Sequence[ChunkRange], tokenizer) -> Iterator:
        """(chunk, PreparedChunk) in order, prepared ahead of the consumer."""
        workers = default_workers(self.device_type()) if self.workers is None else self.workers
        if workers == 0:
            yield prefetch(read_chunks(job, ranges), lambda c: prepare_chunk(job, rundir, tokenizer, c), self.depth)
            return
        context = multiprocessing.get_context("spawn")  # never fork a process that holds CUDA
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(job,)) as pool:
            futures = prefetch(read_chunks(job, ranges), lambda c: pool.submit(_prepare_in_worker, c), 2 * workers)
            try:
                yield ((chunk, future.result()) for chunk, future in futures)
            finally:
                futures.close()  # stops the reading thread before the pool shuts down

    def chunks(
        self, job: ScoreJob, rundir: RunDir, ranges: Sequence[ChunkRange], bar: Progress
    ) -> Iterator[ChunkCounts]:
        loaded = self.planning_model(job)
        scorer = build_scorer(job, loaded)
        bar.begin()  # loading the model is not scoring: the rates start here
        with self._prepared(job, rundir, ranges, loaded.tokenizer) as chunks:
            for _, prepared in chunks:
                if prepared.stale:
                    stale_chunk(job, prepared.source, prepared.chunk)
                counts = score_chunk(job, rundir, scorer, prepared, on_batch=bar.update)
                if counts.resumed:
                    bar.skip(counts.records, counts.tokens)
                counts.peak_memory_bytes = peak_memory_bytes(loaded.device)
                yield counts
