"""Every code block of README.md and docs/*.md runs exactly as written (issue 15).

The convention (also in docs/ARCHITECTURE.md, "Code blocks in the documentation"):

- ```bash and ```python blocks run, in page order, each page in a fresh working directory that
  the blocks share (a reader following the page): bash blocks under `bash -euo pipefail`,
  python blocks as a script (`python block.py`, so `if __name__ == "__main__":` runs).
- The working directory holds what a reader of a clone has: `examples/` (the sample corpus and
  `examples/wiki.txt`, sentences for head detection); `attninf` is this checkout's.
  Nothing is fetched from the network.
- ```text, ```console, ```sbatch, ```json and ```yaml blocks are illustrations: output, commands
  for other systems (installs, Slurm, Ray clusters) or file contents. They do not run.
- A block is never edited by the test: a page that needs more setup says so in a block."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

RUN = ("bash", "python")
ILLUSTRATIONS = ("text", "console", "sbatch", "json", "yaml")
PAGES = ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(page: str) -> list[tuple[str, str, int]]:
    """(language, code, first line number) of every fenced block of a page."""
    found, language, start, lines = [], None, 0, []
    for number, line in enumerate((REPO / page).read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if language is None and match:
            language, start, lines = match[1], number, []
        elif language is not None and line.strip() == "```":
            found.append((language, "\n".join(lines) + "\n", start))
            language = None
        elif language is not None:
            lines.append(line)
    assert language is None, f"{page}:{start}: a block is not closed"
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_block_says_whether_it_runs(page):
    """A block without a language, or with another one, would silently not run."""
    unknown = [
        f"{page}:{line}: ```{language}" for language, _, line in blocks(page) if language not in RUN + ILLUSTRATIONS
    ]
    assert unknown == [], f"use one of {RUN + ILLUSTRATIONS}"


def _workdir(tmp_path: Path) -> tuple[Path, dict]:
    """The reader's working directory and environment (this checkout's attninf first on PATH)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(REPO / "examples", work / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "attninf"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m attention_influence.cli "$@"\n')
    shim.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(REPO / "src"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_DATASETS_CACHE=str(tmp_path / "datasets-cache"),
        MPLBACKEND="Agg",
    )
    env.pop("ATTNINF_DEBUG", None)
    return work, env


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if any(lang in RUN for lang, _, _ in blocks(p))])
def test_page_runs_as_written(page, tmp_path):
    work, env = _workdir(tmp_path)
    for index, (language, code, line) in enumerate(blocks(page)):
        if language not in RUN:
            continue
        script = tmp_path / f"block-{index}.{'py' if language == 'python' else 'sh'}"
        script.write_text(code)
        command = [sys.executable, str(script)] if language == "python" else ["bash", "-euo", "pipefail", str(script)]
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, (
            f"{page}:{line}: the ```{language} block failed (exit {done.returncode})\n{code}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
