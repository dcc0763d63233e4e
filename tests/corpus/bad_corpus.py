"""A corpus seeded with every kind of bad record the readers must account for."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

GOOD = [
    "Natalia sold clips to 48 of her friends in April, and then half as many in May.",
    "The river flows north through the valley before it reaches the old stone bridge.",
    "def add(a, b):\n    return a + b\n",
    "Weng earns 12 dollars an hour for babysitting; yesterday she did 50 minutes.",
]
HUGE_LINE_BYTES = 50 << 20

# line -> the reason the reader gives it (None: scored)
JSONL_LINES: list[tuple[bytes, str | None]] = [
    (json.dumps({"text": GOOD[0], "id": "good-0"}).encode(), None),
    (b'{"text": "unterminated', "invalid JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'"just a string"', "not a JSON object"),
    (b'{"body": "no text field here"}', "missing text field 'text'"),
    (b'{"text": 42}', "text field 'text' is not a string"),
    (b'{"text": null}', "missing text field 'text'"),
    (b'{"text": ["a", "list"]}', "text field 'text' is not a string"),
    (b'{"text": ""}', "empty text"),
    (b'{"text": " \\n\\t  "}', "empty text"),
    (b'{"text": "bad byte \xff\xfe in a sentence about apples and pears."}', None),  # flagged, scored
    (b'{"text": "lone surrogate \\ud800 in a sentence about rivers."}', None),  # flagged, scored
    (b'{"text": "raw NUL \x00 byte"}', "NUL byte in line"),
    (b'{"text": "escaped NUL \\u0000 byte"}', "NUL byte in text"),
    (json.dumps({"text": GOOD[1], "id": "good-1"}).encode(), None),
]
FLAGGED = 2  # the two invalid-UTF-8 lines above


def _truncated(data: bytes, compress) -> bytes:
    packed = compress(data)
    return packed[: len(packed) * 2 // 3]


def _zstd_blocks(data: bytes) -> bytes:
    """zstd as streaming writers make it: a block flushed every 256 bytes (a block is the unit
    that survives truncation)."""
    stream = zstandard.ZstdCompressor().compressobj()
    packed = [
        stream.compress(data[i : i + 256]) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        for i in range(0, len(data), 256)
    ]
    return b"".join(packed) + stream.flush()


def write_bad_corpus(root: Path) -> dict[str, Path]:
    """Write the seeded corpus under root/{math,general}/ and return its files by kind."""
    math, general = root / "math", root / "general"
    math.mkdir(parents=True)
    general.mkdir(parents=True)
    files = {"mixed": math / "mixed.jsonl"}
    files["mixed"].write_bytes(b"\n".join(line for line, _ in JSONL_LINES) + b"\n\n")  # blank lines are no records
    files["huge"] = general / "huge.jsonl"
    with open(files["huge"], "wb") as f:
        f.write(json.dumps({"text": GOOD[2]}).encode() + b"\n")
        f.write(b'{"text": "' + b"x" * HUGE_LINE_BYTES + b'"}\n')
        f.write(json.dumps({"text": GOOD[3]}).encode() + b"\n")
    shards = b"".join(json.dumps({"text": f"Line {i} of a shard: {GOOD[i % 4]}"}).encode() + b"\n" for i in range(20))
    files["gz"] = general / "cut.jsonl.gz"
    files["gz"].write_bytes(_truncated(shards, lambda d: gzip.compress(d, mtime=0)))
    files["zst"] = general / "cut.jsonl.zst"
    files["zst"].write_bytes(_truncated(shards, _zstd_blocks))
    files["parquet"] = general / "good.parquet"
    pq.write_table(pa.table({"text": [GOOD[0], "", None], "id": ["p0", "p1", "p2"]}), files["parquet"])
    files["no_text_column"] = general / "no_text.parquet"
    pq.write_table(pa.table({"content": ["a", "b", "c"]}), files["no_text_column"])
    files["not_parquet"] = general / "garbage.parquet"
    files["not_parquet"].write_bytes(os.urandom(300))
    files["unreadable"] = general / "dangling.jsonl"
    os.symlink(root / "gone.jsonl", files["unreadable"])
    return files
