"""A run folder and how a run is cut: RunDir (layout, manifest, locks, parts, completion), the
chunk and shard plan, source fingerprints, the score columns."""

from attention_influence.runs.plan import ChunkRange, shard_plan
from attention_influence.runs.rundir import RunDir

__all__ = ["ChunkRange", "RunDir", "shard_plan"]
