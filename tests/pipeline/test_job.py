"""Planning a job checks everything it can before any work: output location, heads against the
model (range, file fingerprint, none at all), lengths against the model's context."""

from __future__ import annotations

import json

import pytest

from attention_influence.config import ModelSettings, ScoreSettings
from attention_influence.errors import RunError, SettingError
from attention_influence.pipeline.job import check_output_location, find_sources, plan_job


@pytest.fixture
def data(tmp_path):
    (tmp_path / "data" / "math").mkdir(parents=True)
    (tmp_path / "data" / "math" / "a.jsonl").write_text('{"text": "x"}\n')
    return tmp_path / "data"


@pytest.mark.parametrize("out", ["data", "data/run", "data/math/run", "data/../data/run"])
def test_output_inside_an_input_folder(data, out):
    with pytest.raises(RunError, match="is inside the input folder"):
        check_output_location([str(data)], str(data.parent / out))


def test_output_inside_a_glob(data):
    with pytest.raises(RunError, match="is inside the input folder"):
        check_output_location([f"{data}/*/*.jsonl"], str(data / "math" / "run"))


def test_output_containing_an_input(data):
    with pytest.raises(RunError, match="is or contains the input"):
        check_output_location([str(data / "math" / "a.jsonl")], str(data))


@pytest.mark.parametrize("out", ["run", "data-run", "data/math/a.jsonl-run"])
def test_output_beside_the_inputs(data, out):
    check_output_location([str(data / "math" / "a.jsonl")], str(data.parent / out))
    if out != "data/math/a.jsonl-run":
        check_output_location([str(data)], str(data.parent / out))


def test_output_on_another_filesystem(data):
    check_output_location([str(data)], "memory://" + str(data / "run"))


def _plan(data, tmp_path, heads, **settings):
    return plan_job(
        find_sources([str(data)], str(tmp_path / "out")),
        str(tmp_path / "out"),
        heads,
        None,
        ScoreSettings(**settings),
        ModelSettings(device="cpu"),
        executor="local",
        device_type="cpu",
    )


@pytest.mark.parametrize(
    ("heads", "says"),
    [
        ("30:0", "head 30:0: layer out of range (model has 30 layers)"),
        ("3:9", "head 3:9: head out of range (layer 3 has 9 heads)"),
        ([], "selects no heads"),
    ],
)
def test_heads_outside_the_model_or_none(data, tmp_path, heads, says):
    with pytest.raises(SettingError, match="heads") as caught:
        _plan(data, tmp_path, heads)
    assert says in str(caught.value) and caught.value.setting == "heads"
    assert not (tmp_path / "out").exists()


def test_a_heads_file_with_an_empty_selection_or_for_another_model(data, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"selected": [], "fingerprint": None}))
    with pytest.raises(SettingError, match="selects no heads"):
        _plan(data, tmp_path, str(empty))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"selected": [[3, 1]], "fingerprint": "sha256:0123456789abcdef"}))
    with pytest.raises(SettingError, match="was detected on another model"):
        _plan(data, tmp_path, str(other))


def test_lengths_against_the_context(data, tmp_path):
    job = _plan(data, tmp_path, "3:1")
    assert job.settings.max_length == 4096 and job.manifest["settings"]["max_length"] == 4096
    assert job.manifest["dtype"] == "float32" and job.manifest["model"]["name"] == "embedded:SmolLM2-135M-Instruct"
    assert [s["uri"] for s in job.manifest["sources"]] == [str(data / "math" / "a.jsonl")]
    with pytest.raises(
        SettingError, match=r"max_length: must be an integer in \[16, 8192\] \(the model's context\), got 8193"
    ):
        _plan(data, tmp_path, "3:1", max_length=8193)


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"max_length": 0}, "max_length"),
        ({"max_length": 2}, "max_length"),
        ({"batch_tokens": 0}, "batch_tokens"),
        ({"batch_tokens": -1}, "batch_tokens"),
        ({"chunk_docs": 0}, "chunk_docs"),
        ({"on_error": "ignore"}, "on_error"),
        ({"num_shards": 2, "shard_index": 2}, "shard_index"),
    ],
)
def test_score_settings_are_checked_when_built(options, setting):
    with pytest.raises(SettingError) as caught:
        ScoreSettings(**options)
    assert caught.value.setting == setting
