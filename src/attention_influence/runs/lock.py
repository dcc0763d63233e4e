"""Locks on a run folder, so that two processes never write the same run at once.

Scoring processes hold the run lock shared (the shards of one run score side by side) and
their shard's lock exclusively; `select` and `--overwrite` hold the run lock exclusively. On a
local disk these are `flock` locks, released by the kernel when a process dies (SIGKILL
included), so there is never a stale lock. On object stores (no flock) a lock is a lease file
naming its holder, renewed with every chunk written and void once expired or once its holder's
process is gone (same host): best effort, since such stores have no atomic compare-and-set
through fsspec."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator

import fsspec

from attention_influence.corpus.writers import atomic_write_bytes
from attention_influence.errors import RunError

LEASE_SECONDS = 900


def _local(uri: str) -> str | None:
    fs, _, (path,) = fsspec.get_fs_token_paths(uri)
    return path if type(fs).__name__ == "LocalFileSystem" else None


class Lock:
    """A non-blocking lock on `uri` (a lock file's path); `describe` says what holds it."""

    def __init__(self, uri: str, shared: bool, holder: str):
        self.uri, self.shared, self.holder = uri, shared, holder
        self.fd: int | None = None
        self.token = uuid.uuid4().hex

    def acquire(self, busy: str) -> None:
        """Take the lock or raise RunError(`busy`, with what holds it)."""
        path = _local(self.uri)
        if path is not None:
            import fcntl

            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                held = _read_text(fd)
                os.close(fd)
                raise RunError(f"{busy}{f' ({held})' if held else ''}") from None
            if not self.shared:  # who holds it, for the message of a process that is refused (best effort)
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{self.holder}, pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
            self.fd = fd
            return
        lease = _read_lease(self.uri)
        if lease and _alive(lease):
            raise RunError(f"{busy} ({lease.get('holder')}, pid {lease.get('pid')} on {lease.get('host')})")
        if self.shared:
            return  # shared holders leave no lease; an exclusive taker checks the shard leases (RunDir)
        self.refresh()
        if (_read_lease(self.uri) or {}).get("token") != self.token:
            raise RunError(f"{busy} (another process took the lock at the same moment)")

    def refresh(self) -> None:
        """Renew an exclusive lease (object stores); nothing to do for flock or a shared lock."""
        if self.fd is None and not self.shared:
            lease = {"holder": self.holder, "pid": os.getpid(), "host": socket.gethostname(), "token": self.token}
            lease["expires"] = time.time() + LEASE_SECONDS
            atomic_write_bytes(self.uri, json.dumps(lease).encode())

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # the kernel drops the flock with the last descriptor
            self.fd = None
            return
        if not self.shared and (_read_lease(self.uri) or {}).get("token") == self.token:
            fs, _, (path,) = fsspec.get_fs_token_paths(self.uri)
            with contextlib.suppress(FileNotFoundError):
                fs.rm(path)


def _read_text(fd: int) -> str:
    try:
        return os.pread(fd, 400, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def _read_lease(uri: str) -> dict | None:
    try:
        with fsspec.open(uri, "rb") as f:
            lease = json.loads(f.read())
    except (FileNotFoundError, ValueError):
        return None
    return lease if isinstance(lease, dict) else None


def live_lease(uri: str) -> dict | None:
    """The lease at `uri` while it holds (object stores), else None."""
    lease = _read_lease(uri)
    return lease if lease and _alive(lease) else None


def _alive(lease: dict) -> bool:
    if lease.get("expires", 0) < time.time():
        return False
    if lease.get("host") == socket.gethostname():
        try:
            os.kill(int(lease.get("pid", 0)), 0)
        except (ProcessLookupError, ValueError):
            return False
        except PermissionError:
            return True
    return True


@contextlib.contextmanager
def holding(*locks: tuple[Lock, str]) -> Iterator[list[Lock]]:
    """Acquire (lock, busy message) pairs in order; release all on exit."""
    taken: list[Lock] = []
    try:
        for lock, busy in locks:
            lock.acquire(busy)
            taken.append(lock)
        yield taken
    finally:
        for lock in reversed(taken):
            lock.release()
