"""The progress bar as a user sees it: on a resumed run it starts at the count already done, and
its rates (and ETA) are over this process's own work only (issue 15)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from attention_influence import score_corpus
from attention_influence.progress import Progress, rate

HEADS = "17:3,18:6"
SRC = Path(__file__).resolve().parents[2] / "src"
FRAME = re.compile(r"score:\s+(?:\d+%\|[^|]*\|\s+)?(\d+)(?:/(\d+))? docs \[([^\]]*)\]")


def test_rates_count_only_this_process_work():
    """Documents found done move the count, not the rates; the clock starts at `begin`."""
    bar = Progress("score", total=24, enabled=False)
    time.sleep(0.3)  # loading the model: not work
    bar.begin()
    bar.skip(12, 184)
    assert bar.rates() == (0.0, 0.0)
    time.sleep(0.2)
    bar.update(4, 60)
    elapsed = time.perf_counter() - bar.start
    docs, tokens = bar.rates()
    assert docs == pytest.approx(4 / elapsed, rel=0.05) and tokens == pytest.approx(60 / elapsed, rel=0.05)
    assert docs < 4 / 0.2 and (bar.done, bar.skipped, bar.tokens, bar.skipped_tokens) == (4, 12, 60, 184)


def test_a_slow_rate_is_shown_as_seconds_per_document():
    assert [rate(r, "doc") for r in (0.0, 0.04, 0.5, 3.456, 99.94, 1250.4)] == [
        "0 docs/s",
        "25.0 s/doc",
        "2.0 s/doc",
        "3.5 docs/s",
        "99.9 docs/s",
        "1,250 docs/s",
    ]


def _in_a_terminal(command: list[str], env: dict) -> tuple[int, str]:
    """Run `command` with stdout and stderr on a pseudo-terminal of 160 columns (as in tmux) and
    return its exit status and everything it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = b""
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        output += data
    os.close(master)
    return process.wait(timeout=600), output.decode("utf-8", "replace")


@pytest.mark.slow
def test_a_resumed_run_starts_at_the_done_count_and_rates_only_new_work(short_corpus, embedded, tmp_path):
    out = tmp_path / "run"
    score_corpus(str(short_corpus), str(out), HEADS, embedded, chunk_docs=4, progress=False)
    for part in (out / "scores").glob("part-00001-*.parquet"):  # prose.jsonl: 12 documents, as if never scored
        part.unlink()
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1", TERM="xterm")
    command = [sys.executable, "-m", "attention_influence.cli", "score", str(short_corpus), "--heads", HEADS]
    command += ["--out", str(out), "--chunk-docs", "4", "--device", "cpu", "--dtype", "float32"]
    status, shown = _in_a_terminal(command, env)
    assert status == 0, shown

    assert "resume   12 documents" in shown and shown.index("resume   12 documents") < shown.index("score:")
    frames = [(int(m[1]), m[3]) for m in FRAME.finditer(shown)]
    assert frames, shown
    first_own = next(i for i, (n, _) in enumerate(frames) if n > 12)
    before = frames[first_own - 1]
    assert before[0] == 12 and "12 done before" in before[1], frames
    assert "0 docs/s" in before[1] and "tok/s" not in before[1]  # nothing of this process's own yet
    assert all(n <= 12 for n, _ in frames[:first_own])
    assert all(n > 12 and "12 done before" in postfix for n, postfix in frames[first_own:])
    assert frames[-1][0] == 24
    assert "scored 24 of 24 records" in shown
