"""`report` with and without a model, on a run folder built from score rows: the model must be
the run's, its settings are checked, and `--no-model` needs none."""

from __future__ import annotations

import pytest
import torch

from attention_influence import api
from attention_influence.cli import main
from attention_influence.errors import RunError, SettingError
from attention_influence.models import LoadedModel
from tests.conftest import tiny_llama
from tests.runs.fake import MANIFEST, text_run


@pytest.fixture()
def run_dir(tmp_path):
    texts = [f"document number {i} " * 30 for i in range(6)]
    zero = dict.fromkeys(["repetition", "templated_text", "list_text", "field_text", "digit_share"], 0.0)
    text_run(tmp_path, texts, measures=zero)
    api.select(str(tmp_path / "run"), fraction=0.5, write_documents=False)
    return tmp_path / "run"


def test_a_model_with_other_weights_is_refused(run_dir):
    other = LoadedModel(tiny_llama(), None, "tiny", "sha256:other", torch.device("cpu"), torch.float32)
    with pytest.raises(RunError, match=r"is not the model this run was scored with .*--no-model"):
        api.report(str(run_dir), model=other)
    assert not (run_dir / "report.html").exists()
    assert MANIFEST["model"]["fingerprint"] == "sha256:test"


def test_no_model_needs_none(run_dir, capsys):
    assert main(["report", str(run_dir), "--no-model"]) == 0
    page = (run_dir / "report.html").read_text()
    assert 'id="no-model"' in page and "explain/" not in page and not (run_dir / "control.json").exists()
    assert 'id="near-web"' in page and 'id="excluded-web"' in page and 'id="kept-web"' in page
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [("--control-docs", "-1", "must be an integer >= 0, got -1"), ("--control-seed", "-2", "must be an integer >= 0")],
)
def test_report_settings_are_checked(run_dir, capsys, flag, value, says):
    assert main(["report", str(run_dir), flag, value]) == 2
    assert f"attninf: error: {flag}: {says}" in capsys.readouterr().err
    with pytest.raises(SettingError):
        api.report(str(run_dir), control_docs=True)


def test_sections_say_when_there_is_no_selection_or_no_guard(run_dir):
    api.select(str(run_dir), fraction=0.5, guard=False, write_documents=False)
    api.report(str(run_dir), use_model=False)
    page = (run_dir / "report.html").read_text()
    assert "The guard was off for this selection" in page and '"select guard"' not in page
    (run_dir / "selection.json").unlink()
    api.report(str(run_dir), use_model=False)
    page = (run_dir / "report.html").read_text()
    assert page.count("No selection yet") == 2  # the domains table and the guard's section
    assert "No threshold: nothing was selected" in page
