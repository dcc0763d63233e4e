"""The datatrove step of the datatrove executor: task `rank` of `world_size` scores shard `rank`
of the run with the local executor, on the GPU `local_device` gives its process."""

from __future__ import annotations

from collections.abc import Iterator

from attention_influence.pipeline.datatrove import _import_datatrove
from attention_influence.pipeline.job import ScoreJob

_import_datatrove()
from datatrove.pipeline.base import PipelineStep  # noqa: E402 - after the one-line error for a missing extra


class ScoreShards(PipelineStep):
    """Scores shard `rank` of `world_size` of a job; passes any documents through."""

    name = "AttentionInfluence shard"
    type = "🎯 - SCORER"

    def __init__(self, job: ScoreJob):
        super().__init__()
        self.job = job

    def run(self, data, rank: int = 0, world_size: int = 1) -> Iterator:
        from attention_influence.pipeline.datatrove import local_device
        from attention_influence.pipeline.local import LocalExecutor

        device = local_device(rank, self.job.model_settings.device)
        summary = LocalExecutor(device=device).score(self.job.shard(world_size, rank), progress=False)
        self.stat_update("documents", value=summary.records)
        self.stat_update("scored", value=summary.scored)
        yield from data or ()
