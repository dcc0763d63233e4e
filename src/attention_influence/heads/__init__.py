"""Retrieval heads: which heads to mask, and (detection) how to find them."""

from attention_influence.heads.spec import HeadSet, HeadSpecError, parse_heads

__all__ = ["HeadSet", "HeadSpecError", "parse_heads"]
