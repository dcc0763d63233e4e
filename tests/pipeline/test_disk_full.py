"""A disk that fills up during a run: the run stops with ENOSPC, nothing half-written is taken
as complete (no temporaries left, selection refuses the incomplete run), and the same command
finishes the run once there is space again."""

from __future__ import annotations

import errno
import json
import math
import os
import subprocess
import sys

import fsspec
import pyarrow.parquet as pq
import pytest

from attention_influence import score_corpus, select
from attention_influence.errors import RunError
from attention_influence.runs import RunDir
from tests.full_disk import FullMemoryFileSystem, fill, mount_tmpfs, unmount

HEADS = "17:3,18:6"
DOCS = [f"Step {i}: add {i} apples to the {i + 2} pears in the basket and count them all." for i in range(4)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full") / "corpus" / "math"
    folder.mkdir(parents=True)
    (folder / "docs.jsonl").write_text("".join(json.dumps({"text": d}) + "\n" for d in DOCS))
    return folder.parent


def _sizes(out: str) -> dict[str, int]:
    """Bytes of each file of a run folder (local or fullmem://)."""
    fs, _, (root,) = fsspec.get_fs_token_paths(out)
    return {p[len(root.rstrip("/")) + 1 :]: fs.size(p) for p in fs.find(root)}


@pytest.fixture(scope="module")
def sizes(corpus, embedded, tmp_path_factory) -> dict[str, int]:
    """Bytes of each file of a complete local run."""
    out = tmp_path_factory.mktemp("sizes") / "run"
    _run(corpus, str(out), embedded)
    return _sizes(str(out))


PART_1 = "scores/part-00000-000001.parquet"
LAST = ("summary.json", "errors.jsonl", ".attninf/shards/s00000-of-00001.done")  # written when the run is complete


def _before_part_1(sizes: dict[str, int]) -> dict[str, int]:
    return {name: size for name, size in sizes.items() if name != PART_1 and name not in LAST}


def _run(corpus, out, model):
    return score_corpus(str(corpus), out, HEADS, model, chunk_docs=2, progress=False)


def _check_stopped_cleanly(out: str) -> None:
    """After ENOSPC: every file a later step lists is complete; no temporary is left."""
    fs, _, (root,) = fsspec.get_fs_token_paths(out)
    assert not [p for p in fs.find(root) if ".tmp-" in p]
    parts = RunDir(out).parts()
    assert 1 <= len(parts) < math.ceil(len(DOCS) / 2)  # it stopped part-way
    for part in parts:
        with fsspec.open(part, "rb") as f:
            assert pq.read_table(f).num_rows == 2  # complete, not half-written
    with pytest.raises(RunError, match="incomplete"):
        select(out, fraction=0.5, write_documents=False)


def _check_resumed(out: str) -> None:
    report = select(out, fraction=0.5, write_documents=False)
    assert report["total"]["documents"] == len(DOCS)
    with fsspec.open(f"{out}/errors.jsonl", "rb") as f:
        assert f.read() == b""


@pytest.mark.slow
def test_simulated_full_disk(corpus, embedded):
    FullMemoryFileSystem.reset(capacity=1 << 30)
    _run(corpus, "fullmem://reference", embedded)
    sizes = _sizes("fullmem://reference")
    lease = 512  # the shard's lease (object stores have no flock), removed when the run ends
    room = sum(_before_part_1(sizes).values()) + lease + sizes[PART_1] // 2
    FullMemoryFileSystem.reset(capacity=room)
    with pytest.raises(OSError) as caught:
        _run(corpus, "fullmem://run", embedded)
    assert caught.value.errno == errno.ENOSPC
    _check_stopped_cleanly("fullmem://run")
    FullMemoryFileSystem.capacity = 1 << 30  # space freed: the same command again
    _run(corpus, "fullmem://run", embedded)
    _check_resumed("fullmem://run")


@pytest.mark.slow
def test_real_full_disk(corpus, embedded, sizes, tmp_path):
    """A real tmpfs, filled but for room for the files written before the second part. Mounting
    needs root: another user runs this test again inside a user namespace (`unshare -rm`)."""
    if os.geteuid() != 0:
        _in_user_namespace(tmp_path)
        return
    page = 4096
    room = sum(math.ceil(size / page) * page for size in _before_part_1(sizes).values())
    disk = mount_tmpfs(tmp_path / "disk", "512k")
    try:
        filler = fill(disk, leave=room)
        out = str(disk / "run")
        with pytest.raises(OSError) as caught:
            _run(corpus, out, embedded)
        assert caught.value.errno == errno.ENOSPC
        _check_stopped_cleanly(out)
        filler.unlink()  # space freed: the same command again
        _run(corpus, out, embedded)
        _check_resumed(out)
    finally:
        unmount(disk)


def _in_user_namespace(tmp_path) -> None:
    node = f"{__file__}::test_real_full_disk"
    command = ["unshare", "--map-root-user", "--mount", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run([*command, node, "--basetemp", str(tmp_path / "ns")], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.fail("mounting a tmpfs needs root or unshare (util-linux) with user namespaces")
    assert done.returncode == 0, f"in a user namespace (unshare -rm): {done.stdout[-2000:]}{done.stderr[-2000:]}"
