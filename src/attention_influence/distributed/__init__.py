"""Scale-out: deterministic sharding, resumable chunked scoring, the Ray engine, datatrove steps."""

from attention_influence.distributed.sharding import ShardSlice, shard_slices

__all__ = ["ShardSlice", "shard_slices"]
