"""Full disks for tests: an fsspec in-memory filesystem (`fullmem://`) that raises ENOSPC once
its capacity is used up, and a real tmpfs mount where the system allows one (root)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import fsspec
from fsspec.implementations.memory import MemoryFile, MemoryFileSystem


class _LimitedFile(MemoryFile):
    def write(self, data) -> int:
        if self.fs.used() + len(data) > self.fs.capacity:
            raise OSError(errno.ENOSPC, "No space left on device", self.path)
        return super().write(data)


class FullMemoryFileSystem(MemoryFileSystem):
    """Writes fail with ENOSPC once the files hold `capacity` bytes (renames are free)."""

    protocol = "fullmem"
    store: dict = {}
    pseudo_dirs = [""]
    capacity = 1 << 30

    @classmethod
    def _strip_protocol(cls, path):
        return super()._strip_protocol(str(path).removeprefix("fullmem://"))

    def used(self) -> int:
        return sum(f.getbuffer().nbytes for f in self.store.values())

    def _open(self, path, mode="rb", **kwargs):
        if mode not in {"wb", "w+b", "xb", "x+b"}:
            return super()._open(path, mode, **kwargs)
        path = self._strip_protocol(path)
        file = _LimitedFile(self, path)
        file.commit()  # visible at once, half-written, like a file on a real disk
        return file

    @classmethod
    def reset(cls, capacity: int) -> None:
        cls.store.clear()
        cls.pseudo_dirs[:] = [""]
        cls.capacity = capacity


fsspec.register_implementation("fullmem", FullMemoryFileSystem, clobber=True)


def mount_tmpfs(folder: Path, size: str) -> Path:
    """Mount a real tmpfs of `size` on `folder`; raises OSError where mounting is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if done.returncode:
        raise OSError(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    return folder


def unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """A filler file that leaves about `leave` bytes free on the disk of `folder`."""
    stat = os.statvfs(folder)
    size = max(stat.f_bavail * stat.f_frsize - leave, 0)
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while size > 0:
            size -= os.write(fd, b"\0" * min(size, 1 << 16))
    finally:
        os.close(fd)
    return filler
