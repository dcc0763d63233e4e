"""Write outputs atomically (a hidden temporary name, then rename) to local paths or fsspec URLs."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


def _commit(fs: fsspec.AbstractFileSystem, tmp: str, path: str) -> None:
    fs.mv(tmp, path)


@contextlib.contextmanager
def _temporary(path: str) -> Iterator[tuple[fsspec.AbstractFileSystem, str]]:
    """(fs, temporary path) to write; renamed to `path` on success, removed on any failure
    (disk full, interrupt), so a reader never sees a half-written file under the final name."""
    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    folder, name = local.rsplit("/", 1)
    fs.makedirs(folder, exist_ok=True)
    tmp = f"{folder}/.{name}.tmp-{uuid.uuid4().hex[:8]}"  # hidden: dataset readers skip it
    try:
        yield fs, tmp
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm(tmp)
        raise
    _commit(fs, tmp, local)


def atomic_write_bytes(path: str, data: bytes) -> None:
    with _temporary(path) as (fs, tmp), fs.open(tmp, "wb") as f:
        f.write(data)


def write_json(path: str, obj: object) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def read_json(path: str) -> object:
    with fsspec.open(path, "rb") as f:
        return json.loads(f.read())


def exists(path: str) -> bool:
    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    return fs.exists(local)


def write_table(path: str, table: pa.Table) -> None:
    """Parquet, atomically."""
    with _temporary(path) as (fs, tmp), fs.open(tmp, "wb") as f:
        pq.write_table(table, f)


def write_jsonl(path: str, rows: Iterable[dict], compression: str | None = None) -> None:
    """JSONL (optionally gzip/zstd), atomically."""
    with _temporary(path) as (fs, tmp), fsspec.open(fs.unstrip_protocol(tmp), "wb", compression=compression) as f:
        for row in rows:
            f.write(_json_line(row))


def _json_line(row: dict) -> bytes:
    try:
        return (json.dumps(row, ensure_ascii=False) + "\n").encode()
    except UnicodeEncodeError:  # a lone surrogate from a "\\ud800" escape: keep it escaped
        return (json.dumps(row) + "\n").encode()


def create_exclusive(path: str, data: bytes) -> bool:
    """Write `path` only if it does not exist; False if it did. Atomic on local disks (a hard
    link to a complete temporary fails when the name exists); on object stores a check, then a
    write (two processes creating the same object at the same moment can both succeed)."""
    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    if type(fs).__name__ != "LocalFileSystem":
        if fs.exists(local):
            return False
        atomic_write_bytes(path, data)
        return True
    import os

    folder, name = local.rsplit("/", 1)
    os.makedirs(folder, exist_ok=True)
    tmp = f"{folder}/.{name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, local)
        return True
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
