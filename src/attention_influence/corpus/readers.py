"""Read corpus shards: JSONL (plain, .gz, .zst) and Parquet; files, folders and globs; local
paths or any fsspec URL. Every input row comes out as a Record, bad ones with an `error`."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fsspec

from attention_influence.corpus.streams import DamagedStream, decompressed_blocks, split_lines
from attention_influence.errors import InputError

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
MAX_LINE_BYTES = 16 << 20  # a longer line or text is listed as an error, never held in memory
INVALID_UTF8 = "invalid UTF-8 (replaced)"  # a flag: the record is still scored
_SURROGATE = re.compile("[\ud800-\udfff]")


class CorpusError(InputError):
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
    flag: str | None = None  # scored, but repaired on the way (INVALID_UTF8)


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
        files.extend(p for p in found if ".tmp-" not in p)  # never an unfinished output
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
    if "\x00" in text:
        return Record(source, row, rid, domain, None, "NUL byte in text")
    if len(text) > MAX_LINE_BYTES // 4 and len(text.encode("utf-8", "replace")) > MAX_LINE_BYTES:
        return Record(source, row, rid, domain, None, f"text longer than {MAX_LINE_BYTES >> 20} MB")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (a JSON "\\ud800" escape): tokenizers reject them
        return Record(source, row, rid, domain, _SURROGATE.sub("\ufffd", text), flag=INVALID_UTF8)
    return Record(source, row, rid, domain, text)


def iter_raw(path: str) -> Iterator[tuple[int, object, str | None]]:
    """(row, parsed object or None, error) for every row of a file."""
    for row, obj, error, _ in iter_rows(path):
        yield row, obj, error


def iter_rows(
    path: str, text_field: str | None = None, start: int = 0
) -> Iterator[tuple[int, object, str | None, str | None]]:
    """(row, parsed object or None, error, flag) for every row of a file from row `start` (JSONL
    rows before it are counted, not parsed); never raises for bad data: a file that cannot be
    opened, or the damaged tail of one, is one row with an error."""
    try:
        if path.lower().endswith(PARQUET_SUFFIXES):
            yield from (item for item in _iter_parquet(path, text_field) if item[0] >= start)
        else:
            yield from _iter_jsonl(path, start)
    except _FileFault as fault:
        yield fault.row, None, fault.reason, None


class _FileFault(Exception):
    def __init__(self, row: int, reason: str):
        self.row, self.reason = row, reason


def _open_raw(path: str):
    try:
        return fsspec.open(path, "rb").open()
    except OSError as err:
        raise _FileFault(0, f"unreadable file ({err.strerror or type(err).__name__})") from err


def _parse_line(line: bytes) -> tuple[object, str | None, str | None]:
    """(object, error, flag) of one JSONL line."""
    if b"\x00" in line:
        return None, "NUL byte in line", None
    flag = None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text, flag = line.decode("utf-8", errors="replace"), INVALID_UTF8
    try:
        return json.loads(text), None, flag
    except json.JSONDecodeError as err:
        return None, f"invalid JSON ({err.msg} at column {err.colno})", flag
    except RecursionError:
        return None, "invalid JSON (nested too deeply)", flag


def _iter_jsonl(path: str, start: int = 0) -> Iterator[tuple[int, object, str | None, str | None]]:
    raw = _open_raw(path)
    row = 0
    try:
        with raw:
            for line in split_lines(decompressed_blocks(raw, _compression(path)), MAX_LINE_BYTES):
                if row < start:  # another shard's row
                    pass
                elif line is None:
                    yield row, None, f"line longer than {MAX_LINE_BYTES >> 20} MB", None
                elif line.strip():
                    yield row, *_parse_line(line)
                row += 1
    except DamagedStream as err:
        raise _FileFault(row, str(err)) from err
    except OSError as err:
        raise _FileFault(row, f"read error ({err.strerror or err})") from err


def _iter_parquet(path: str, text_field: str | None) -> Iterator[tuple[int, object, str | None, str | None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = _open_raw(path)
    row = 0
    try:
        with raw:
            parquet = pq.ParquetFile(raw)
            if text_field is not None and text_field not in parquet.schema_arrow.names:
                reason = f"Parquet schema has no column {text_field!r}"
                for row in range(parquet.metadata.num_rows):  # every row listed, none read
                    yield row, None, reason, None
                return
            for batch in parquet.iter_batches(batch_size=1024):
                for obj in batch.to_pylist():
                    yield row, obj, None, None
                    row += 1
    except (pa.ArrowException, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _FileFault(row, f"unreadable Parquet data ({first})") from err


def read_records(path: str, fields: Fields | None = None, start: int = 0) -> Iterator[Record]:
    """Every row of one file from row `start` as a Record (bad rows carry an error, never raise)."""
    fields = fields or Fields()
    fallback = fields.domain or default_domain(path)
    for row, obj, error, flag in iter_rows(path, fields.text, start):
        if error:
            yield Record(source=path, row=row, id=f"{path}:{row}", domain=fallback, text=None, error=error)
        else:
            record = _record(path, row, obj, fields, fallback)
            record.flag = record.flag or (flag if record.error is None else None)
            yield record


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
