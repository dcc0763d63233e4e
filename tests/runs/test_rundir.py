"""The run folder: creating, joining and overwriting a run, locks, changed sources, completion,
and a scores folder that dataset readers take as it is."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from attention_influence.errors import RunError
from attention_influence.runs.rundir import FORMAT, RunDir
from attention_influence.runs.schema import SCORE_SCHEMA
from attention_influence.runs.sources import describe


def _manifest(tmp_path, **changes) -> dict:
    source = tmp_path / "corpus" / "a.jsonl"
    if not source.exists():
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text('{"text": "one two three"}\n')
    manifest = {
        "executor": "local",
        "model": {"name": "m", "fingerprint": "sha256:aa"},
        "dtype": "float32",
        "heads": [[3, 1]],
        "settings": {"fields": {"text": "text"}, "max_length": 64, "truncate": False, "chunk_docs": 4},
        "sources": [describe(str(source)).as_dict()],
    }
    return manifest | changes


def _rows(n: int = 2, source: str = "/c/a.jsonl") -> pa.Table:
    rows = [
        {"id": f"d{i}", "domain": "math", "source": source, "row": i, "n_tokens": 5, "loss_base": 2.0}
        | {"loss_masked": 2.5, "score": 0.25, "truncated": False, "text_hash": "00", "repetition": 0.0}
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=SCORE_SCHEMA)


def test_a_run_is_created_then_joined_with_the_same_settings(tmp_path):
    run = RunDir(tmp_path / "run")
    assert run.read_manifest() is None
    assert run.claim(_manifest(tmp_path)) == {}
    assert run.claim(_manifest(tmp_path)) == {}  # a restart, or another shard
    assert run.manifest()["heads"] == [[3, 1]] and run.manifest()["format"] == FORMAT


def test_a_run_of_an_earlier_format_is_never_resumed_into(tmp_path):
    """Its chunks hold measures of other definitions: resuming would mix them in one run."""
    run = RunDir(tmp_path / "run")
    run.claim(_manifest(tmp_path))
    run.write_chunk(0, 0, _rows(), [])
    older = json.loads((tmp_path / "run" / "run.json").read_text()) | {"format": FORMAT - 1}
    (tmp_path / "run" / "run.json").write_text(json.dumps(older))
    for attempt in (run.claim, run.check_claim):
        with pytest.raises(RunError, match="written by another version of attention-influence: score the corpus"):
            attempt(_manifest(tmp_path))
    assert run.parts()  # untouched
    assert run.claim(_manifest(tmp_path), overwrite=True) == {} and run.parts() == []


def test_other_settings_are_refused_and_overwrite_removes_only_run_outputs(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim(_manifest(tmp_path))
    run.write_chunk(0, 0, _rows(), [{"source": "/c/a.jsonl", "row": 9, "id": "x", "reason": "empty text"}])
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(
        RunError, match=r"holds a run with other settings \(heads: \[\[3, 1\]\] there, \[\[4, 2\]\] now; "
    ):
        run.claim(_manifest(tmp_path, heads=[[4, 2]], settings={"chunk_docs": 8}))
    assert run.parts() and run.manifest()["heads"] == [[3, 1]]  # untouched
    assert run.claim(_manifest(tmp_path, heads=[[4, 2]]), overwrite=True) == {}
    assert run.manifest()["heads"] == [[4, 2]] and run.parts() == []
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_check_claim_refuses_what_claim_would_and_names_each_setting(tmp_path):
    """A plan or a dry run is refused before any model loads, with the settings that differ."""
    run = RunDir(tmp_path / "run")
    run.check_claim(_manifest(tmp_path))  # an empty folder: claimable
    run.claim(_manifest(tmp_path))
    before = sorted(p.name for p in (tmp_path / "run").iterdir())
    run.check_claim(_manifest(tmp_path))  # the same run: resumed
    settings = {"fields": {"text": "body"}, "max_length": 64, "truncate": False, "chunk_docs": 4}
    with pytest.raises(RunError) as refused:
        run.check_claim(_manifest(tmp_path, settings=settings))
    assert str(refused.value) == (
        f'{run.uri} holds a run with other settings (settings.fields.text: "text" there, "body" now): '
        "replace it with --overwrite (overwrite=True), or use another output folder"
    )
    with pytest.raises(RunError, match=r"\(inputs\)"):
        run.check_claim(_manifest(tmp_path) | {"sources": []})
    with pytest.raises(RunError, match=r"model.fingerprint: \"sha256:aa\" there, \"sha256:bb\" now\)"):
        run.check_claim(_manifest(tmp_path, model={"name": "m", "fingerprint": "sha256:bb"}))
    run.check_claim(_manifest(tmp_path, settings=settings), overwrite=True)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == before  # nothing written
    assert run.manifest()["settings"]["fields"] == {"text": "text"}
    long = [[layer, 0] for layer in range(30)]
    with pytest.raises(RunError, match=r"heads: \[\[3, 1\]\] there, \[\[0, 0\], .{40,}\.\.\. now\)"):
        run.check_claim(_manifest(tmp_path, heads=long))  # a long value is cut short


def test_outputs_without_a_manifest_are_not_taken_over(tmp_path):
    (tmp_path / "run" / "scores").mkdir(parents=True)
    with pytest.raises(RunError, match="holds outputs of an unknown run"):
        RunDir(tmp_path / "run").claim(_manifest(tmp_path))


def _claim(args) -> str:
    base, heads, barrier = args
    barrier.wait()
    try:
        RunDir(Path(base) / "run").claim(_manifest(Path(base), heads=heads))
        return "created"
    except RunError:
        return "refused"


def test_two_runs_started_at_once_into_one_folder_do_not_mix(tmp_path):
    _manifest(tmp_path)  # the source file
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(4)
        with multiprocessing.get_context("fork").Pool(4) as pool:
            results = pool.map(_claim, [(str(tmp_path), [[i, 0]], barrier) for i in range(4)])
    assert sorted(results) == ["created", "refused", "refused", "refused"]


HOLD = """
import sys, time
sys.path.insert(0, {src!r})
from attention_influence.runs.rundir import RunDir
with RunDir({root!r}).scoring(2, 0):
    print("held", flush=True)
    time.sleep(60)
"""


def test_locks_refuse_a_second_scorer_and_select_and_die_with_their_process(tmp_path):
    from tests.conftest import REPO

    code = HOLD.format(src=str(REPO / "src"), root=str(tmp_path / "run"))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        run = RunDir(tmp_path / "run")
        with pytest.raises(RunError, match="shard 0 of 2 is being scored by another process"):
            with run.scoring(2, 0):
                pass
        with run.scoring(2, 1):  # another shard of the run scores beside it
            pass
        with pytest.raises(RunError, match="select waits for it to finish"):
            with run.exclusive("select"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with RunDir(tmp_path / "run").exclusive("select"):  # the kernel dropped the killed process's locks
        pass


def test_changed_sources_are_found(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim(_manifest(tmp_path))
    source = tmp_path / "corpus" / "a.jsonl"
    os.utime(source, (time.time() + 5, time.time() + 5))  # touched: same content
    assert run.claim(_manifest(tmp_path)) == {}
    source.write_text('{"text": "one two thrEE"}\n')  # same size, other content
    (why,) = run.claim(_manifest(tmp_path)).values()
    assert why == f"{source} changed since it was scored (same size, other content)"
    with pytest.raises(RunError, match="changed since it was scored"):
        run.check_sources()
    source.unlink()
    with pytest.raises(RunError, match=f"{source} is gone"):
        run.check_sources()


def test_completion_needs_every_shard(tmp_path):
    run = RunDir(tmp_path / "run")
    run.claim(_manifest(tmp_path))
    with pytest.raises(RunError, match="no scores under"):
        run.check_complete()
    for index in range(3):
        run.start_shard(3, index)
    run.write_chunk(0, 0, _rows(), [])
    assert not run.finish_shard(3, 0, {"records": 2, "scored": 2, "tokens": 10, "seconds": 1.0})
    with pytest.raises(RunError, match=r"2 of 3 shards not finished \(shard index 1, 2\)"):
        run.check_complete()
    run.finish_shard(3, 1, {"records": 1, "scored": 0, "errors": 1, "tokens": 0, "seconds": 2.0})
    assert run.finish_shard(3, 2, {"records": 0, "seconds": 0.5})
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["records"], summary["scored"], summary["errors"], summary["shards"]) == (3, 2, 1, 3)
    run.start_shard(2, 0)
    with pytest.raises(RunError, match=r"mixes runs with different shard counts \[2, 3\]"):
        run.check_complete()


def test_scores_folder_is_a_parquet_dataset_for_every_reader(tmp_path):
    import datasets
    import pandas
    import polars
    import pyarrow.dataset

    run = RunDir(tmp_path / "run")
    run.claim(_manifest(tmp_path))
    run.write_chunk(0, 0, _rows(2), [{"source": "/c/a.jsonl", "row": 5, "id": "x", "reason": "empty text"}])
    run.write_chunk(1, 0, _rows(3), [])
    (tmp_path / "run" / "scores" / ".part-00002-000000.parquet.tmp-0123abcd").write_bytes(b"PAR1 half written")
    folder = str(tmp_path / "run" / "scores")
    assert pyarrow.dataset.dataset(folder).to_table().num_rows == 5
    assert len(pandas.read_parquet(folder)) == 5
    assert polars.read_parquet(f"{folder}/*.parquet").height == 5
    assert datasets.load_dataset("parquet", data_dir=folder, split="train").num_rows == 5


def test_a_failed_selection_leaves_the_previous_one_whole(tmp_path):
    run = RunDir(tmp_path / "run")
    first = run.new_selected()
    (tmp_path / "run" / first.rsplit("/", 1)[-1] / "a.jsonl").write_text("old\n")
    run.swap_selected(first)
    second = run.new_selected()
    (tmp_path / "run" / second.rsplit("/", 1)[-1] / "b.jsonl").write_text("half")
    run.discard(second)  # what select does when writing fails
    assert [p.name for p in (tmp_path / "run" / "selected").iterdir()] == ["a.jsonl"]
    assert [p.name for p in (tmp_path / "run").iterdir() if p.name.startswith(".selected")] == []
