"""A disk that fills up during a run: the run stops with ENOSPC, nothing half-written is taken
as complete (no temporaries left, selection refuses the incomplete run), and the same command
finishes the run once there is space again."""

from __future__ import annotations

import errno
import json
import math

import fsspec
import pyarrow.parquet as pq
import pytest

from attention_influence.corpus.writers import list_files
from attention_influence.distributed.resume import IncompleteRunError, part_path
from attention_influence.scoring import score_corpus
from attention_influence.selection import select
from tests.full_disk import FullMemoryFileSystem, fill, mount_tmpfs, unmount

HEADS = "17:3,18:6"
DOCS = [f"Step {i}: add {i} apples to the {i + 2} pears in the basket and count them all." for i in range(4)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full") / "corpus" / "math"
    folder.mkdir(parents=True)
    (folder / "docs.jsonl").write_text("".join(json.dumps({"text": d}) + "\n" for d in DOCS))
    return folder.parent


@pytest.fixture(scope="module")
def sizes(corpus, embedded, tmp_path_factory) -> dict[str, int]:
    """Bytes of each file of a complete run (the same on every filesystem)."""
    out = tmp_path_factory.mktemp("sizes") / "run"
    _run(corpus, str(out), embedded)
    return {p.relative_to(out).as_posix(): p.stat().st_size for p in out.rglob("*") if p.is_file()}


PART_1 = part_path("", 1, 0, 1).lstrip("/")  # scores/s00000-of-00001-c000001.parquet
BEFORE_PART_1 = ("run.json", "scores/_s00000-of-00001.plan.json", part_path("", 1, 0, 0).lstrip("/"))


def _run(corpus, out, model):
    return score_corpus(str(corpus), out, HEADS, model, chunk_docs=2, progress=False)


def _check_stopped_cleanly(out: str) -> None:
    """After ENOSPC: every file a later step lists is complete; no temporary is left."""
    fs, _, (root,) = fsspec.get_fs_token_paths(out)
    assert not [p for p in fs.find(root) if ".tmp-" in p]
    parts = list_files(f"{out}/scores", ".parquet")
    assert 1 <= len(parts) < math.ceil(len(DOCS) / 2)  # it stopped part-way
    for part in parts:
        with fsspec.open(part, "rb") as f:
            assert pq.read_table(f).num_rows == 2  # complete, not half-written
    with pytest.raises(IncompleteRunError, match="incomplete"):
        select(out, fraction=0.5, write_documents=False)


def _check_resumed(out: str) -> None:
    report = select(out, fraction=0.5, write_documents=False)
    assert report["total"]["documents"] == len(DOCS)
    with fsspec.open(f"{out}/errors.jsonl", "rb") as f:
        assert f.read() == b""


def test_simulated_full_disk(corpus, embedded, sizes):
    room = sum(sizes[name] for name in BEFORE_PART_1) + sizes[PART_1] // 2
    FullMemoryFileSystem.reset(capacity=room)
    with pytest.raises(OSError) as caught:
        _run(corpus, "fullmem://run", embedded)
    assert caught.value.errno == errno.ENOSPC
    _check_stopped_cleanly("fullmem://run")
    FullMemoryFileSystem.capacity = 1 << 30  # space freed: the same command again
    _run(corpus, "fullmem://run", embedded)
    _check_resumed("fullmem://run")


def test_real_full_disk(corpus, embedded, sizes, tmp_path):
    """A real tmpfs (needs the right to mount: root), filled but for room for run.json and one part."""
    page = 4096
    room = sum(math.ceil(sizes[name] / page) * page for name in BEFORE_PART_1)
    try:
        disk = mount_tmpfs(tmp_path / "disk", "512k")
    except OSError as err:
        pytest.skip(str(err))
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
