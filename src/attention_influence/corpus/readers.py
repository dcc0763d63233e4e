"""Read corpus shards: JSONL (plain, .gz, .zst) and Parquet; files, folders and globs; local
paths or any fsspec URL. Every input row comes out as a Record, bad ones with an `error`."""

from __future__ import annotations

import io
import json
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fsspec

JSONL_SUFFIXES = (
    ".jsonl",
    ".json",
    ".ndjson",
    ".jsonl.gz",
    ".json.gz",
    ".ndjson.gz",
    ".jsonl.zst",
    ".json.zst",
    ".ndjson.zst",
    ".jsonl.zstd",
)
PARQUET_SUFFIXES = (".parquet",)
MAX_LINE_BYTES = 64 << 20


class CorpusError(ValueError):
    """An input path or file that cannot be read at all."""


@dataclass
class Record:
    """One input row. `text` is None and `error` says why when the row is unusable."""

    source: str
    row: int  # 0-based row (JSONL: line index) within `source`
    id: str
    domain: str
    text: str | None
    error: str | None = None


def is_supported(path: str) -> bool:
    return path.lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES)


def _compression(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gzip"
    if lower.endswith((".zst", ".zstd")):
        return "zstd"
    return None


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Files, folders (searched recursively for supported files) and globs -> sorted file list."""
    files: list[str] = []
    for path in paths:
        fs, _, _ = fsspec.get_fs_token_paths(path)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        prefix = "" if protocol in ("file", "local") else f"{protocol}://"
        if any(ch in path for ch in "*?["):
            found = [prefix + p if not p.startswith(prefix) else p for p in fs.glob(path)]
            found = [p for p in found if fs.isfile(p)]
        elif fs.isdir(path):
            found = [prefix + p if not p.startswith(prefix) else p for p in fs.find(path)]
            found = [p for p in found if is_supported(p)]
        elif fs.exists(path):
            found = [path]
        else:
            raise CorpusError(f"input not found: {path}")
        if not found:
            raise CorpusError(f"no JSONL or Parquet files in {path}")
        files.extend(found)
    return sorted(dict.fromkeys(files))


def default_domain(path: str) -> str:
    """The parent folder's name."""
    return posixpath.basename(posixpath.dirname(path.replace("\\", "/"))) or "default"


@dataclass
class Fields:
    """Which fields hold the text, id and domain; `domain` is the fallback domain."""

    text: str = "text"
    id: str = "id"
    domain_field: str = "domain"
    domain: str | None = None


def _record(source: str, row: int, obj: object, fields: Fields, fallback_domain: str) -> Record:
    rid = f"{source}:{row}"
    if not isinstance(obj, dict):
        return Record(source, row, rid, fallback_domain, None, "not a JSON object")
    value = obj.get(fields.id)
    rid = str(value) if value is not None else rid
    domain = obj.get(fields.domain_field)
    domain = str(domain) if domain not in (None, "") else fallback_domain
    text = obj.get(fields.text)
    if text is None:
        return Record(source, row, rid, domain, None, f"missing text field {fields.text!r}")
    if not isinstance(text, str):
        return Record(source, row, rid, domain, None, f"text field {fields.text!r} is not a string")
    if not text.strip():
        return Record(source, row, rid, domain, None, "empty text")
    return Record(source, row, rid, domain, text)


def iter_raw(path: str) -> Iterator[tuple[int, object, str | None]]:
    """(row, parsed object or None, error) for every row of a file."""
    if path.lower().endswith(PARQUET_SUFFIXES):
        yield from _iter_parquet(path)
    else:
        yield from _iter_jsonl(path)


def _iter_jsonl(path: str) -> Iterator[tuple[int, object, str | None]]:
    with fsspec.open(path, "rb", compression=_compression(path)) as raw:
        stream = io.BufferedReader(raw, 1 << 20) if not isinstance(raw, io.BufferedReader) else raw
        row = 0
        while True:
            line = stream.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the huge line
                    line = stream.readline(MAX_LINE_BYTES)
                yield row, None, f"line longer than {MAX_LINE_BYTES >> 20} MB"
                row += 1
                continue
            if line.strip():
                text = line.decode("utf-8", errors="replace")
                try:
                    yield row, json.loads(text), None
                except json.JSONDecodeError as err:
                    yield row, None, f"invalid JSON ({err.msg} at column {err.colno})"
            row += 1


def _iter_parquet(path: str) -> Iterator[tuple[int, object, str | None]]:
    import pyarrow.parquet as pq

    with fsspec.open(path, "rb") as f:
        parquet = pq.ParquetFile(f)
        row = 0
        for batch in parquet.iter_batches(batch_size=1024):
            for obj in batch.to_pylist():
                yield row, obj, None
                row += 1


def read_records(path: str, fields: Fields | None = None) -> Iterator[Record]:
    """Every row of one file as a Record (bad rows carry an error, never raise)."""
    fields = fields or Fields()
    fallback = fields.domain or default_domain(path)
    for row, obj, error in iter_raw(path):
        if error:
            yield Record(source=path, row=row, id=f"{path}:{row}", domain=fallback, text=None, error=error)
        else:
            yield _record(path, row, obj, fields, fallback)


def count_rows(path: str) -> int | None:
    """Row count for progress/ETA: Parquet metadata, or a newline count for JSONL."""
    try:
        if path.lower().endswith(PARQUET_SUFFIXES):
            import pyarrow.parquet as pq

            with fsspec.open(path, "rb") as f:
                return pq.ParquetFile(f).metadata.num_rows
        count = 0
        with fsspec.open(path, "rb", compression=_compression(path)) as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                count += block.count(b"\n")
        return count
    except Exception:  # noqa: BLE001 - only a progress estimate
        return None
