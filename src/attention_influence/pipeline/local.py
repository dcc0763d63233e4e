"""The local executor: this process reads and prepares chunks in a background thread (tokens,
measures, hashes run ahead of the model) while the model scores the previous one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from attention_influence.models import LoadedModel, load_model, resolve_device
from attention_influence.pipeline.chunks import prepare_chunk, read_chunks, score_chunk
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import ChunkCounts
from attention_influence.pipeline.prefetch import prefetch
from attention_influence.progress import Progress
from attention_influence.runs.plan import ChunkRange
from attention_influence.runs.rundir import RunDir
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.memory import peak_memory_bytes


def build_scorer(job: ScoreJob, loaded: LoadedModel) -> Scorer:
    settings = job.settings
    options = dict(max_length=settings.max_length, truncate=settings.truncate, shared_prefix=settings.shared_prefix)
    if settings.batch_tokens is not None:
        options["batch_tokens"] = settings.batch_tokens
    if settings.compile:
        options["compile"] = True
    return Scorer(loaded, list(job.heads), **options)


def load_job_model(job: ScoreJob, device: str | None = None) -> LoadedModel:
    """The job's model, loaded in this process (on `device`, else the job's device setting)."""
    ms = job.model_settings
    return load_model(
        job.model,
        device=device or ms.device,
        dtype=ms.dtype,
        trust_remote_code=ms.trust_remote_code,
        allow_pickle=ms.allow_pickle,
    )


class LocalExecutor:
    """Chunks prepared in a background thread and scored here, in order."""

    name = "local"

    def __init__(self, loaded: LoadedModel | None = None, device: str | None = None, depth: int = 2):
        self.loaded, self.device, self.depth = loaded, device, depth

    def device_type(self) -> str:
        if self.loaded is not None:
            return self.loaded.device.type
        return resolve_device(self.device or "auto").type

    def run(self, job: ScoreJob, rundir: RunDir, ranges: Sequence[ChunkRange], bar: Progress) -> Iterator[ChunkCounts]:
        loaded = self.loaded or load_job_model(job, self.device)
        scorer = build_scorer(job, loaded)
        prepare = lambda chunk: prepare_chunk(job, rundir, loaded.tokenizer, chunk)  # noqa: E731
        for _, prepared in prefetch(read_chunks(job, ranges), prepare, self.depth):
            if prepared.stale:
                import sys

                print(
                    f"attninf: chunk {prepared.chunk} of {job.sources[prepared.source]} no longer matches its scores: "
                    "scoring it again",
                    file=sys.stderr,
                )
            counts = score_chunk(job, rundir, scorer, prepared, on_batch=bar.update)
            if counts.resumed:
                bar.skip(counts.records, counts.tokens)
            counts.peak_memory_bytes = peak_memory_bytes(loaded.device)
            yield counts
