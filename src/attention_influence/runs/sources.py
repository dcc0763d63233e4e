"""What a run read: every source file's URI, size, modification time and a content fingerprint,
recorded in the manifest and checked before a resume or a selection trusts earlier scores.

The fingerprint hashes the size and up to 16 blocks of 64 KiB spread evenly over the file (the
whole file when it is smaller than 1 MiB): a fixed cost per file, local or remote. An edit that
keeps the size and misses every block is still caught row by row: each score row carries the
hash of its text (`text_hash`), which `select` checks for every row it copies and a resume for
every chunk it skips."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import fsspec

BLOCK = 1 << 16
BLOCKS = 16


@dataclass(frozen=True)
class SourceInfo:
    """One input file as it was when the run read it."""

    uri: str
    size: int
    mtime: str  # as the filesystem reports it; compared for equality only
    fingerprint: str

    def as_dict(self) -> dict:
        return asdict(self)


def _stat(fs: fsspec.AbstractFileSystem, path: str) -> tuple[int, str]:
    info = fs.info(path)
    mtime = next((info[k] for k in ("mtime", "LastModified", "updated", "last_modified", "created") if k in info), "")
    return int(info.get("size") or 0), str(mtime)


def fingerprint(uri: str, size: int | None = None) -> str:
    """blake2b-128 of the size and up to BLOCKS evenly spread blocks of BLOCK bytes."""
    fs, _, (path,) = fsspec.get_fs_token_paths(uri)
    size = _stat(fs, path)[0] if size is None else size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with fs.open(path, "rb") as f:
        if size <= BLOCK * BLOCKS:
            digest.update(f.read())
        else:
            step = (size - BLOCK) / (BLOCKS - 1)
            for i in range(BLOCKS):
                f.seek(int(i * step))
                digest.update(f.read(BLOCK))
    return digest.hexdigest()


UNREADABLE = -1  # the size recorded for a source that cannot be read (its rows say why)


def describe(uri: str) -> SourceInfo:
    try:
        fs, _, (path,) = fsspec.get_fs_token_paths(uri)
        size, mtime = _stat(fs, path)
        return SourceInfo(uri, size, mtime, fingerprint(uri, size))
    except OSError as err:
        return SourceInfo(uri, UNREADABLE, "", f"unreadable ({err.strerror or type(err).__name__})")


def describe_all(uris: list[str], threads: int = 16) -> list[SourceInfo]:
    """`describe` every source, in order; I/O-bound, so a thread pool."""
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(uris)))) as pool:
        return list(pool.map(describe, uris))


def changed(recorded: dict) -> str | None:
    """Why the source `recorded` (a SourceInfo dict) is not the file that was scored, or None.
    Size and mtime first; when only the mtime moved (a copy, a touch), the fingerprint decides."""
    uri = recorded["uri"]
    now = describe(uri) if recorded["size"] == UNREADABLE else None
    if now is not None:  # unreadable when scored: unchanged while it stays so
        return None if now.size == UNREADABLE else f"{uri} became readable since it was scored"
    try:
        fs, _, (path,) = fsspec.get_fs_token_paths(uri)
        size, mtime = _stat(fs, path)
    except FileNotFoundError:
        return f"{uri} is gone"
    except OSError as err:
        return f"{uri} cannot be read ({err})"
    if size != recorded["size"]:
        return f"{uri} changed since it was scored (size {recorded['size']:,} -> {size:,} bytes)"
    if mtime != recorded["mtime"] and fingerprint(uri, size) != recorded["fingerprint"]:
        return f"{uri} changed since it was scored (same size, other content)"
    return None


def changes(recorded: list[dict], threads: int = 16) -> dict[int, str]:
    """Index -> reason for every recorded source that changed or is gone."""
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(recorded) or 1))) as pool:
        reasons = list(pool.map(changed, recorded))
    return {i: reason for i, reason in enumerate(reasons) if reason}
