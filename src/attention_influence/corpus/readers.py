"""Read corpus shards: JSONL (plain, .gz, .zst) and Parquet; files, folders and globs; local
paths or any fsspec URL. Every input row comes out as a Record, bad ones with an `error`."""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fsspec

from attention_influence.config import Fields
from attention_influence.corpus.streams import (
    COMPRESSIONS,
    DamagedStream,
    decompressed_blocks,
    sniff,
    split_lines,
    text_blocks,
)
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
    """The compression a file's name says (for outputs named after their input)."""
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gzip"
    if lower.endswith((".zst", ".zstd")):
        return "zstd"
    return None


def _not_jsonl(path: str, kind: str) -> str:
    """Why a file named as JSONL whose content is `kind` cannot be read."""
    if kind == "Parquet":
        return "a Parquet file (by its content), not JSONL: name it .parquet"
    return f"{kind}-compressed (by its content): JSONL is read plain, gzip- or zstd-compressed; recompress it"


def _parquet_fault(path: str, err: Exception) -> str:
    """Why a file named .parquet could not be read, naming what its content is when it is not Parquet."""
    try:
        with fsspec.open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        head = b"PAR1"
    kind = sniff(head)
    if kind in COMPRESSIONS:
        return (
            f"unreadable Parquet data (not Parquet: its content is {kind}-compressed; name it .jsonl.gz or .jsonl.zst)"
        )
    if kind is None and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        return "unreadable Parquet data (not Parquet: its content is JSON text; name it .jsonl)"
    if kind not in (None, "Parquet"):
        return f"unreadable Parquet data (not Parquet: its content is {kind})"
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"unreadable Parquet data ({first})"


def jsonl_blocks(path: str, raw) -> Iterator[bytes]:
    """The UTF-8 text of a JSONL file opened as `raw`, block by block: decompressed by what its
    first bytes say (gzip, zstd, plain: whatever its name says), its byte-order mark read.
    Raises _FileFault for a file that is something else (bzip2, xz, zip, Parquet)."""
    kind = sniff(raw.read(8))
    raw.seek(0)
    if kind is not None and kind not in COMPRESSIONS:
        raise _FileFault(0, _not_jsonl(path, kind))
    return text_blocks(decompressed_blocks(raw, kind))


TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{8}$")  # corpus/writers.py's unfinished outputs


def _protocol(fs: fsspec.AbstractFileSystem) -> str:
    return fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]


def _uri(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """An absolute URI for a path of `fs`: the real path for local files, protocol://path else."""
    if _protocol(fs) in ("file", "local"):  # a dangling link keeps its name: the reader lists it unreadable
        return os.path.realpath(path) if os.path.exists(path) else os.path.abspath(path)
    return fs.unstrip_protocol(path)


def _hidden_below(path: str, root: str) -> bool:
    """A path under `root` with a component starting with '.' (a hidden file or folder)."""
    below = path[len(root.rstrip("/")) :].strip("/")
    return any(part.startswith(".") for part in below.split("/"))


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Files, folders (searched recursively for supported files, hidden ones skipped) and globs
    -> sorted absolute URIs, each file once however many ways it was named."""
    files: list[str] = []
    for path in paths:
        if not isinstance(path, str) or not path:
            raise CorpusError(f"input must be a path or URL, got {path!r}")
        fs, _, _ = fsspec.get_fs_token_paths(path)
        local = fs._strip_protocol(path)
        if any(ch in path for ch in "*?["):
            root = local.split("*")[0].split("?")[0].split("[")[0]
            found = [p for p in fs.glob(local) if fs.isfile(p) and not _hidden_below(p, root)]
        elif fs.isdir(local):
            found = [p for p in fs.find(local) if is_supported(p) and not _hidden_below(p, local)]
        elif fs.exists(local):
            found = [local]
        else:
            raise CorpusError(f"input not found: {path}")
        found = [p for p in found if not TEMPORARY.search(p)]  # never an unfinished output
        if not found:
            raise CorpusError(f"no JSONL or Parquet files in {path}")
        for p in found:
            uri = _uri(fs, p)
            try:
                uri.encode("utf-8")
            except UnicodeEncodeError:
                raise CorpusError(f"file name is not valid UTF-8: {uri.encode('utf-8', 'replace').decode()}") from None
            files.append(uri)
    return sorted(dict.fromkeys(files))


def location(source: str, row: int) -> str:
    """`file:line` (1-based) for JSONL, `file row N` (0-based) for Parquet."""
    return f"{source} row {row}" if source.lower().endswith(PARQUET_SUFFIXES) else f"{source}:{row + 1}"


def default_domain(path: str) -> str:
    """The parent folder's name."""
    return posixpath.basename(posixpath.dirname(path.replace("\\", "/"))) or "default"


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _record(source: str, row: int, obj: object, fields: Fields, fallback_domain: str) -> Record:
    rid = f"{source}:{row}"
    if not isinstance(obj, dict):
        return Record(source, row, rid, fallback_domain, None, "not a JSON object")
    value = obj.get(fields.id)
    if value is not None and not _encodable(str(value)):
        return Record(source, row, rid, fallback_domain, None, f"id field {fields.id!r} is not valid UTF-8")
    rid = str(value) if value is not None else rid
    domain = obj.get(fields.domain_field)
    domain = str(domain) if domain not in (None, "") else fallback_domain
    if not _encodable(domain):
        return Record(
            source, row, rid, fallback_domain, None, f"domain field {fields.domain_field!r} is not valid UTF-8"
        )
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
    if not _encodable(text):  # lone surrogates (a JSON "\\ud800" escape): tokenizers reject them
        return Record(source, row, rid, domain, _SURROGATE.sub("\ufffd", text), flag=INVALID_UTF8)
    return Record(source, row, rid, domain, text)


DOMAIN_ORIGINS = ("field", "setting", "folder")  # how a record's domain is assigned, in this order


def domain_origin(obj: object, fields: Fields) -> str:
    """How a record's domain is assigned (as `_record` does): its domain field when set, else the
    `domain` setting when given, else the parent folder's name."""
    if isinstance(obj, dict) and obj.get(fields.domain_field) not in (None, ""):
        return "field"
    return "setting" if fields.domain else "folder"


def sample_records(path: str, fields: Fields, start: int = 0, limit: int = 64) -> tuple[list[tuple[Record, str]], bool]:
    """The first `limit` records of a file from row `start`, each with its domain origin, and
    whether the file ended within them (then they are all of its rows from `start`)."""
    fallback = fields.domain or default_domain(path)
    found: list[tuple[Record, str]] = []
    rows = iter_rows(path, fields.text, start)
    try:
        for row, obj, error, flag in rows:
            if len(found) >= limit:
                return found, False
            if error:
                record = Record(path, row, f"{path}:{row}", fallback, None, error)
            else:
                record = _record(path, row, obj, fields, fallback)
                record.flag = record.flag or (flag if record.error is None else None)
            found.append((record, domain_origin(obj, fields)))
    finally:
        rows.close()
    return found, True


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
        return json.loads(text.rstrip("\r\n")), None, flag  # the line's end is no part of a string left open
    except json.JSONDecodeError as err:
        return None, f"invalid JSON ({err.msg.removesuffix(' at')} at column {err.colno})", flag  # "... character at"
    except RecursionError:
        return None, "invalid JSON (nested too deeply)", flag


def _iter_jsonl(path: str, start: int = 0) -> Iterator[tuple[int, object, str | None, str | None]]:
    raw = _open_raw(path)
    row = 0
    try:
        with raw:
            for line in split_lines(jsonl_blocks(path, raw), MAX_LINE_BYTES):
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
        raise _FileFault(row, _parquet_fault(path, err)) from err


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


def exact_rows(path: str) -> int:
    """Rows of a file as the readers number them: Parquet metadata, or JSONL lines (a last line
    without a trailing newline counts). A damaged or unreadable file counts as the readers see
    it: its sound rows, then one row for the damage."""
    try:
        if path.lower().endswith(PARQUET_SUFFIXES):
            import pyarrow.parquet as pq

            with fsspec.open(path, "rb") as f:
                return pq.ParquetFile(f).metadata.num_rows
        count, last = 0, b"\n"
        with fsspec.open(path, "rb") as raw:
            for block in jsonl_blocks(path, raw):
                count += block.count(b"\n")
                last = block[-1:] or last
        return count + (last != b"\n")
    except Exception:  # noqa: BLE001 - EOFError, zlib/zstd/Arrow errors, OSError: let the reader say
        return max((row for row, *_ in iter_rows(path)), default=-1) + 1


def _parquet_range(path: str, fields: Fields, start: int, stop: int | None) -> Iterator[Record]:
    """Rows [start, stop) of a Parquet file; only the row groups that overlap them are read."""
    import pyarrow.parquet as pq

    fallback = fields.domain or default_domain(path)
    row = start
    try:
        with fsspec.open(path, "rb") as f:
            parquet, offset = pq.ParquetFile(f), 0
            if fields.text not in parquet.schema_arrow.names:
                reason = f"Parquet schema has no column {fields.text!r}"
                end = parquet.metadata.num_rows if stop is None else min(stop, parquet.metadata.num_rows)
                for row in range(start, end):  # every row listed, none read
                    yield Record(path, row, f"{path}:{row}", fallback, None, reason)
                return
            for group in range(parquet.num_row_groups):
                rows = parquet.metadata.row_group(group).num_rows
                if offset + rows > start and (stop is None or offset < stop):
                    row = offset
                    for batch in parquet.iter_batches(batch_size=1024, row_groups=[group]):  # memory: one batch
                        for obj in batch.to_pylist():
                            if row >= start and (stop is None or row < stop):
                                yield _record(path, row, obj, fields, fallback)
                            row += 1
                offset += rows
    except Exception as err:  # noqa: BLE001 - a damaged file is one listed record, as in read_records
        yield Record(path, row, f"{path}:{row}", fallback, None, _parquet_fault(path, err))


def read_range(path: str, fields: Fields | None = None, start: int = 0, stop: int | None = None) -> Iterator[Record]:
    """The records of rows [start, stop) of one file (stop None: to its end), in file order; JSONL
    rows before `start` are counted, not parsed; Parquet reads only the overlapping row groups."""
    fields = fields or Fields()
    if path.lower().endswith(PARQUET_SUFFIXES):
        yield from _parquet_range(path, fields, start, stop)
        return
    for record in read_records(path, fields, start):
        if stop is not None and record.row >= stop:
            return
        yield record
