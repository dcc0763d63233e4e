"""Bad arguments end the `attninf` process with exit status 2 and one line on stderr that says
what is wrong, never a traceback; the same command on the same folder is allowed (resume)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
DOC = "Natalia sold clips to 48 of her friends in April, and then half as many clips in May."


def attninf(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC), HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")
    env.pop("ATTNINF_DEBUG", None)
    command = [sys.executable, "-m", "attention_influence.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one `attninf: error:` line of a failed run (and no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("attninf")]
    assert len(lines) == 1 and lines[0].startswith("attninf: error: "), result.stderr
    return lines[0]


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus" / "math"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(json.dumps({"text": DOC}) + "\n" + '{"text": 7}\n')
    return tmp_path / "corpus"


def score(corpus: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return attninf("score", str(corpus), "--out", str(out), "--no-progress", *extra)


@pytest.mark.parametrize(
    "model, says",
    [("/no/such/model", "model not found: /no/such/model"), ("no-such-org/no-such-model", "cannot load model")],
)
def test_missing_model(corpus, tmp_path, model, says):
    line = error_line(score(corpus, tmp_path / "out", "--heads", "3:1", "--model", model))
    assert says in line


@pytest.mark.parametrize(
    "heads, says",
    [
        ("30:0", "head 30:0: layer out of range (model has 30 layers)"),
        ("3:9", "head 3:9: head out of range (layer 3 has 9 heads)"),
    ],
)
def test_heads_out_of_range(corpus, tmp_path, heads, says):
    assert error_line(score(corpus, tmp_path / "out", "--heads", heads)) == f"attninf: error: {says}"


def test_heads_file_for_another_model(corpus, tmp_path):
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps({"selected": [[3, 1]], "model": "other", "fingerprint": "sha256:0123456789abcdef"}))
    line = error_line(score(corpus, tmp_path / "out", "--heads", str(heads)))
    assert f"{heads} was detected on another model (fingerprint sha256:0123456789abcdef)" in line
    assert not (tmp_path / "out" / "run.json").exists()


@pytest.mark.parametrize("fraction", ["0", "1.5", "nan"])
def test_fraction_outside_0_1(corpus, tmp_path, fraction):
    line = error_line(
        attninf("run", str(corpus), "--heads", "3:1", "--out", str(tmp_path / "o"), "--fraction", fraction)
    )
    assert line == f"attninf: error: --fraction must be in (0, 1], got {float(fraction)}"
    assert not (tmp_path / "o").exists()  # refused before any work


def test_output_holding_a_run_with_other_settings(corpus, tmp_path):
    out = tmp_path / "out"
    assert score(corpus, out, "--heads", "3:1").returncode == 0
    line = error_line(score(corpus, out, "--heads", "4:2"))
    assert (
        line
        == f"attninf: error: --out {out} holds a run with other settings (heads differ): use --overwrite to replace it, or another --out"
    )
    assert json.loads((out / "run.json").read_text())["heads"] == [[3, 1]]  # untouched
    assert score(corpus, out, "--heads", "3:1").returncode == 0  # the same command: allowed
    assert score(corpus, out, "--heads", "4:2", "--overwrite").returncode == 0
    assert json.loads((out / "run.json").read_text())["heads"] == [[4, 2]]


def test_output_inside_an_input_folder(corpus):
    out = corpus / "math" / "run"
    line = error_line(score(corpus, out, "--heads", "3:1"))
    assert (
        line == f"attninf: error: --out {out} is inside the input folder {corpus}: choose an output folder outside it"
    )
    assert not out.exists()


def test_on_error_fail_names_file_and_line(corpus, tmp_path):
    line = error_line(score(corpus, tmp_path / "out", "--heads", "3:1", "--on-error", "fail"))
    path = corpus / "math" / "a.jsonl"
    assert line == f"attninf: error: {path}:2: text field 'text' is not a string (--on-error fail)"


def test_pickle_weights_refused_without_allow_pickle(corpus, tmp_path):
    import torch

    from tests.conftest import tiny_llama

    folder = tmp_path / "pickled"
    model = tiny_llama()
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    line = error_line(score(corpus, tmp_path / "out", "--heads", "0:0", "--model", str(folder)))
    assert line.endswith("(pickle weights need --allow-pickle)")


@pytest.mark.parametrize(
    "option, value, says",
    [
        ("--verify-draws", "0", "--verify-draws must be at least 1, got 0"),
        ("--num-probes", "-3", "--num-probes must be at least 1, got -3"),
        ("--top-frac", "2", "--top-frac must be in (0, 1], got 2.0"),
    ],
)
def test_bad_detection_counts(tmp_path, option, value, says):
    sentences = tmp_path / "s.txt"
    sentences.write_text(DOC + "\n")
    line = error_line(attninf("heads", "--sentences", str(sentences), "--out", str(tmp_path / "h"), option, value))
    assert line == f"attninf: error: {says}"
