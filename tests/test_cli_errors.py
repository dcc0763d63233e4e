"""Bad arguments end the `attninf` process with exit status 2 and one line on stderr that names
the flag or file, never a traceback and before any work; the same command on the same folder is
allowed (resume)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
DOC = "Natalia sold clips to 48 of her friends in April, and then half as many clips in May."


def attninf(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC), HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")
    env.pop("ATTNINF_DEBUG", None)
    code = f"import sys; {prelude or 'pass'}; from attention_influence.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=600)


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
        ("3-4", "bad head '3-4': use layer:head pairs such as 17:3,18:6, or a heads.json file"),
    ],
)
def test_heads_out_of_range(corpus, tmp_path, heads, says):
    assert error_line(score(corpus, tmp_path / "out", "--heads", heads)) == f"attninf: error: --heads: {says}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "content", [{"selected": [[3, 1]], "fingerprint": "sha256:0123456789abcdef"}, {"selected": []}]
)
def test_heads_file_for_another_model_or_with_no_heads(corpus, tmp_path, content):
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps(content))
    line = error_line(score(corpus, tmp_path / "out", "--heads", str(heads)))
    says = (
        "was detected on another model (fingerprint sha256:0123456789abcdef)"
        if content["selected"]
        else "selects no heads"
    )
    assert line.startswith(f"attninf: error: --heads: {heads}") and says in line
    assert not (tmp_path / "out").exists()


BAD_OPTIONS = [  # (command, flag, value, what the error says after the flag)
    ("run", "--fraction", "0", "must be a number in (0, 1], got 0.0"),
    ("run", "--fraction", "1.5", "must be a number in (0, 1], got 1.5"),
    ("run", "--fraction", "nan", "must be a number in (0, 1], got nan"),
    ("run", "--max-repetition", "-1", "must be a number in [0, 1], got -1.0"),
    ("run", "--max-repetition", "nan", "must be a number in [0, 1], got nan"),
    ("run", "--guard-min-tokens", "-1", "must be an integer >= 0, got -1"),
    ("run", "--guard-max-templated", "1.5", "must be a number in [0, 1], got 1.5"),
    ("run", "--guard-max-list", "-0.1", "must be a number in [0, 1], got -0.1"),
    ("score", "--max-length", "0", "must be an integer >= 16, got 0"),
    ("score", "--max-length", "2", "must be an integer >= 16, got 2"),
    ("score", "--max-length", "100000", "must be an integer in [16, 8192] (the model's context), got 100000"),
    ("score", "--batch-tokens", "0", "must be an integer >= 1, got 0"),
    ("score", "--batch-tokens", "-1", "must be an integer >= 1, got -1"),
    ("score", "--chunk-docs", "0", "must be an integer >= 1, got 0"),
    ("score", "--num-shards", "0", "must be an integer >= 1, got 0"),
    ("score", "--shard-index", "3", "must be an integer in [0, 0], got 3"),
    ("score", "--ray-actors", "0", "must be an integer >= 1, got 0"),
    ("score", "--tasks", "0", "must be an integer >= 1, got 0"),
    ("score", "--workers", "-2", "must be an integer >= 1, got -2"),
    ("score", "--prepare-workers", "-1", "must be an integer >= 0, got -1"),
    ("run", "--max-hours", "-1", "must be a finite number >= 0, got -1.0"),
    ("score", "--dtype", "float8", "must be one of auto, float32, fp32, bfloat16, bf16, float16, fp16, got 'float8'"),
    ("score", "--text-field", "", "must be a non-empty string, got ''"),
    ("score", "--domain", "", "must be a non-empty string, got ''"),
    ("run", "--num-probes", "-3", "must be an integer >= 1, got -3"),
    ("run", "--probe-tokens", "10", "must be an integer >= 64, got 10"),
    ("run", "--top-frac", "2", "must be a number in (0, 1], got 2.0"),
    ("run", "--top-k", "0", "must be an integer >= 1, got 0"),
    ("run", "--verify-draws", "0", "must be an integer >= 1, got 0"),
    ("run", "--verify-probes", "0", "must be an integer >= 1, got 0"),
    ("run", "--verify-draw-probes", "0", "must be an integer >= 1, got 0"),
    ("run", "--seed", "-1", "must be an integer >= 0, got -1"),
]


ENGINE_OF = {"--ray-actors": "ray", "--tasks": "datatrove", "--workers": "datatrove"}  # options of one engine


@pytest.mark.parametrize(("command", "flag", "value", "says"), BAD_OPTIONS)
def test_every_option_is_checked_before_any_work(corpus, tmp_path, command, flag, value, says):
    detects = ("--num-probes", "--probe-tokens", "--max-hours")
    extra = ("--sentences", str(corpus / "math" / "a.jsonl")) if flag in detects else ()
    extra += ("--engine", ENGINE_OF[flag]) if flag in ENGINE_OF else ()
    args = [command, str(corpus), "--out", str(tmp_path / "o"), "--heads", "3:1", flag, value, *extra]
    if command == "run" and flag.startswith(("--top", "--verify", "--seed")):
        args += ["--sentences", str(corpus / "math" / "a.jsonl")]
    assert error_line(attninf(*args)) == f"attninf: error: {flag}: {says}"
    assert not (tmp_path / "o").exists()  # refused before any work


@pytest.mark.parametrize(("flag", "value", "engine"), [("--ray-actors", "2", "local"), ("--tasks", "2", "ray")])
def test_an_option_of_another_engine_is_refused(corpus, tmp_path, flag, value, engine):
    owner = ENGINE_OF[flag]
    args = ["score", str(corpus), "--out", str(tmp_path / "o"), "--heads", "3:1", flag, value, "--engine", engine]
    assert error_line(attninf(*args)) == f"attninf: error: {flag}: is an option of the {owner} engine, not of {engine}"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--verify-draws", "0", "must be an integer >= 1, got 0"),
        ("--top-frac", "2", "must be a number in (0, 1], got 2.0"),
    ],
)
def test_heads_command_checks_its_options(tmp_path, flag, value, says):
    sentences = tmp_path / "s.txt"
    sentences.write_text(DOC + "\n")
    line = error_line(attninf("heads", "--sentences", str(sentences), "--out", str(tmp_path / "h"), flag, value))
    assert line == f"attninf: error: {flag}: {says}"


@pytest.mark.slow
def test_output_holding_a_run_with_other_settings(corpus, tmp_path):
    out = tmp_path / "out"
    assert score(corpus, out, "--heads", "3:1").returncode == 0
    refused = (
        f"attninf: error: {out} holds a run with other settings (heads: [[3, 1]] there, [[4, 2]] now): "
        "replace it with --overwrite (overwrite=True), or use another output folder"
    )
    assert error_line(score(corpus, out, "--heads", "4:2")) == refused
    dry = score(corpus, out, "--heads", "4:2", "--dry-run")  # the plan says it too, before the model loads
    assert error_line(dry) == refused and "plan:" not in dry.stderr and "Loading weights" not in dry.stderr
    assert json.loads((out / "run.json").read_text())["heads"] == [[3, 1]]  # untouched
    assert score(corpus, out, "--heads", "3:1").returncode == 0  # the same command: allowed
    assert score(corpus, out, "--heads", "4:2", "--overwrite").returncode == 0
    assert json.loads((out / "run.json").read_text())["heads"] == [[4, 2]]


def test_output_inside_an_input_folder(corpus):
    out = corpus / "math" / "run"
    line = error_line(score(corpus, out, "--heads", "3:1"))
    assert line == f"attninf: error: the output folder {out} is inside the input folder {corpus}: choose one outside it"
    assert not out.exists()


@pytest.mark.slow
def test_on_error_fail_names_file_and_line(corpus, tmp_path):
    line = error_line(score(corpus, tmp_path / "out", "--heads", "3:1", "--on-error", "fail"))
    path = corpus / "math" / "a.jsonl"
    assert line == f"attninf: error: {path}:2: text field 'text' is not a string (on_error=fail)"


@pytest.mark.slow
def test_on_error_skip_names_the_first_bad_record_and_the_list(corpus, tmp_path):
    out = tmp_path / "out"
    result = score(corpus, out, "--heads", "3:1")
    assert result.returncode == 0, result.stderr
    path = corpus / "math" / "a.jsonl"
    first = f"  each listed in {out / 'errors.jsonl'}; the first: {path}:2: text field 'text' is not a string"
    assert first in result.stdout.splitlines(), result.stdout


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
    ("engine", "extra"),
    [("ray", "'ray[data]>=2.40,<3' (or, in a clone of attention-influence: pip install '.[ray]')")]
    + [
        (
            "datatrove",
            "'datatrove>=0.4' 'orjson>=3.8' (or, in a clone of attention-influence: pip install '.[datatrove]')",
        )
    ],
)
def test_a_missing_extra_is_named_before_any_work(corpus, tmp_path, engine, extra):
    result = attninf(
        "score", str(corpus), "--out", str(tmp_path / "o"), "--heads", "3:1", "--engine", engine,
        prelude=f"sys.modules[{engine!r}] = None",
    )  # fmt: skip
    assert error_line(result).endswith(f"pip install {extra}")
    assert not (tmp_path / "o").exists()


def test_version_and_defaults_in_help():
    from attention_influence import __version__

    version = attninf("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"attninf {__version__}"
    helps = {command: " ".join(attninf(command, "--help").stdout.split()) for command in ("run", "score", "heads")}
    for needle in (
        "--fraction",
        "(default: 0.2)",
        "--text-field",
        "(default: text)",
        "--chunk-docs",
        "(default: 1024)",
    ):
        assert needle in helps["run"], needle
    assert "--num-probes" in helps["heads"] and "(default: 800 on a GPU, 32 on a CPU)" in helps["heads"]
    assert "--batch-tokens" in helps["score"] and "sized for the device" in helps["score"]
