"""The columns of a score row (DIR/scores/*.parquet), one per input record that was read."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from attention_influence.measures import MEASURE_COLUMNS

SCORE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("domain", pa.string()),
        ("source", pa.string()),  # absolute URI of the input file
        ("row", pa.int64()),  # 0-based row in `source` (JSONL: line index)
        ("n_tokens", pa.int64()),
        ("loss_base", pa.float64()),
        ("loss_masked", pa.float64()),
        ("score", pa.float64()),  # None when `reason` says why there is none
        ("reason", pa.string()),
        ("truncated", pa.bool_()),
        ("flag", pa.string()),  # scored, but the input was repaired (invalid UTF-8 replaced)
        ("text_hash", pa.string()),  # text_hash(text): select and resume check the source still holds it
    ]
    + [(name, pa.float64()) for name in MEASURE_COLUMNS]  # measures/
)


def text_hash(text: str) -> str:
    """64-bit blake2b of the text's UTF-8 bytes, hex."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
