"""Preflight checks: fraction, output location, an output folder holding another run, heads.json
made for another model, and selection from an unfinished run."""

from __future__ import annotations

import pytest

from attention_influence.corpus.writers import write_json
from attention_influence.preflight import (
    ArgumentError,
    check_fraction,
    check_heads_model,
    check_output_location,
    claim_output,
)

SETTINGS = {"fingerprint": "sha256:aa", "heads": [[3, 1]], "inputs": ["/d/a.jsonl"], "max_length": 64, "device": "cpu"}


@pytest.mark.parametrize("fraction", [0.2, 1, 1e-9])
def test_fraction_inside(fraction):
    check_fraction(fraction)


@pytest.mark.parametrize("fraction", [0, -1, 1.0000001, float("nan"), float("inf")])
def test_fraction_outside(fraction):
    with pytest.raises(ArgumentError, match=r"^--fraction must be in \(0, 1\], got "):
        check_fraction(fraction)


@pytest.fixture
def data(tmp_path):
    (tmp_path / "data" / "math").mkdir(parents=True)
    (tmp_path / "data" / "math" / "a.jsonl").write_text('{"text": "x"}\n')
    return tmp_path / "data"


@pytest.mark.parametrize("out", ["data", "data/run", "data/math/run", "data/../data/run"])
def test_output_inside_an_input_folder(data, out):
    with pytest.raises(ArgumentError, match="is inside the input folder"):
        check_output_location([str(data)], str(data.parent / out))


def test_output_inside_a_glob(data):
    with pytest.raises(ArgumentError, match="is inside the input folder"):
        check_output_location([f"{data}/*/*.jsonl"], str(data / "math" / "run"))


def test_output_containing_an_input(data):
    with pytest.raises(ArgumentError, match="is or contains the input"):
        check_output_location([str(data / "math" / "a.jsonl")], str(data))


@pytest.mark.parametrize("out", ["run", "data-run", "data/math/a.jsonl-run"])
def test_output_beside_the_inputs(data, out):
    check_output_location([str(data / "math" / "a.jsonl")], str(data.parent / out))
    if out != "data/math/a.jsonl-run":
        check_output_location([str(data)], str(data.parent / out))


def test_output_on_another_filesystem(data):
    check_output_location([str(data)], "memory://" + str(data / "run"))


def test_same_settings_resume_and_others_are_refused(tmp_path):
    out = tmp_path / "run"
    claim_output(str(out), SETTINGS, overwrite=False)  # a new folder
    write_json(str(out / "run.json"), SETTINGS)
    claim_output(str(out), SETTINGS | {"device": "cuda"}, overwrite=False)  # the device changes no score
    with pytest.raises(ArgumentError, match=r"holds a run with other settings \(fingerprint, heads differ\)"):
        claim_output(str(out), SETTINGS | {"fingerprint": "sha256:bb", "heads": [[4, 2]]}, overwrite=False)


def test_overwrite_removes_only_the_run_outputs(tmp_path):
    out = tmp_path / "run"
    write_json(str(out / "run.json"), SETTINGS)
    made = ("scores/part-00000.parquet", "errors.jsonl", "errors-s00001-of-00002.jsonl", "selected/00000-a.jsonl")
    for name in (*made, "notes.txt", "heads.json"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("x")
    claim_output(str(out), SETTINGS | {"heads": [[4, 2]]}, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["heads.json", "notes.txt", "run.json"]


def test_heads_for_another_model():
    check_heads_model(None, "17:3", "m", "sha256:aa")  # a plain list carries no fingerprint
    check_heads_model("sha256:aa", "heads.json", "m", "sha256:aa")
    with pytest.raises(ArgumentError, match="heads.json was detected on another model"):
        check_heads_model("sha256:bb", "heads.json", "m", "sha256:aa")
