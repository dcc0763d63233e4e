"""Selection at scale: 10 million synthetic score rows in 3 domains, 3 shards x 10 score files,
pointing into 30 Parquet source files; `attninf select` (thresholds + selected documents) is
timed in a child process whose peak memory (ru_maxrss) is reported.

    PYTHONPATH=src python bench/select_scale.py [--rows 10000000] [--fraction 0.2] [--by docs]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SOURCES = 30


def make_run(folder: Path, rows: int, seed: int = 0) -> None:
    """A finished run of 3 shards in `folder`/run and the source documents its scores point to."""
    from attention_influence.runs.rundir import RunDir
    from attention_influence.runs.schema import SCORE_SCHEMA, text_hash
    from attention_influence.runs.sources import describe

    rng = np.random.default_rng(seed)
    per_source = -(-rows // SOURCES)
    (folder / "sources").mkdir()
    parts = []
    for index, start in enumerate(range(0, rows, per_source)):
        n = min(per_source, rows - start)
        source = str(folder / "sources" / f"shard-{index:03d}.parquet")
        texts = [f"document {start + i}" for i in range(n)]
        pq.write_table(
            pa.table({"id": pa.array(np.arange(start, start + n).astype(str)), "text": pa.array(texts)}), source
        )
        base = rng.uniform(1, 4, n)
        masked = base * (1 + rng.gamma(2.0, 0.02, n))
        scores = pa.table(
            {
                "id": pa.array(np.arange(start, start + n).astype(str)),
                "domain": pa.array(rng.choice(np.array(["code", "general", "math"]), n)),
                "source": pa.array([source] * n),
                "row": pa.array(np.arange(n)),
                "n_tokens": pa.array(rng.integers(50, 4000, n)),
                "loss_base": pa.array(base),
                "loss_masked": pa.array(masked),
                "score": pa.array((masked - base) / base),
                "reason": pa.nulls(n, pa.string()),
                "truncated": pa.array(np.zeros(n, bool)),
                "flag": pa.nulls(n, pa.string()),
                "text_hash": pa.array([text_hash(t) for t in texts]),
                "repetition": pa.array(rng.uniform(0, 0.3, n)),
            },
            schema=SCORE_SCHEMA,
        )
        parts.append((source, scores))
    run = RunDir(folder / "run")
    manifest = {"executor": "local", "model": {"name": "bench", "fingerprint": "none"}, "dtype": "float32"}
    manifest |= {"heads": [[0, 0]], "settings": {"fields": {"text": "text", "id": "id", "domain_field": "domain"}}}
    run.claim(manifest | {"sources": [describe(source).as_dict() for source, _ in parts]})
    for shard in range(3):
        run.start_shard(3, shard)
    for index, (_, scores) in enumerate(parts):
        run.write_chunk(index, 0, scores, [])
    for shard in range(3):
        run.finish_shard(3, shard, {})


def child(out: str, fraction: float, by: str, write_documents: bool) -> None:
    from attention_influence.selection import select

    start = time.perf_counter()
    report = select(out, fraction=fraction, by=by, write_documents=write_documents)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "total": report["total"]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--by", default="docs")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-documents", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.fraction, args.by, not args.no_documents)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        make_run(Path(tmp), args.rows)
        print(f"made {args.rows:,} score rows in {time.perf_counter() - start:.1f} s", flush=True)
        for documents in (False, True):
            command = [
                sys.executable,
                __file__,
                "--child",
                f"{tmp}/run",
                "--fraction",
                str(args.fraction),
                "--by",
                args.by,
            ]
            result = json.loads(subprocess.check_output(command + ([] if documents else ["--no-documents"])))
            what = "thresholds + selected documents" if documents else "thresholds + selection.json"
            print(
                f"{what:<32} {result['seconds']:6.1f} s  peak {result['peak_mb']:7.0f} MB  "
                f"selected {result['total']['selected']:,} of {result['total']['documents']:,} ({args.by})"
            )


if __name__ == "__main__":
    main()
