"""The plan printed before a head detection: probes x tokens sized for the model and the device (the
paper's 800 x 4,096 on a GPU, 32 x 768 on a CPU; and why), the forwards of --verify, the time
measured on this device, and the refusal of a plan that runs past --max-hours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from attention_influence.config import DetectSettings
from attention_influence.errors import SettingError
from attention_influence.heads import detect_heads, detection_size, plan_detection, probe_tokens_for
from attention_influence.heads.detect import check_time
from attention_influence.heads.plan import DetectionPlan
from attention_influence.heads.probes import read_sentence_texts, sentence_pool

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.parametrize(
    ("asked", "context", "tokens", "why"),
    [
        (None, 8192, 4096, "the paper's 4,096 within the model's context of 8,192"),
        (None, 2048, 2048, "the paper's 4,096 capped at the model's context of 2,048"),
        (10_000, 2048, 2048, "10,000 asked, capped at the model's context of 2,048"),
        (768, 2048, 768, "as asked"),
    ],
)
def test_probe_tokens_are_sized_for_the_model(asked, context, tokens, why):
    assert probe_tokens_for(DetectSettings(probe_tokens=asked), context) == (tokens, why)


@pytest.mark.parametrize(
    ("device", "probes", "probes_why", "tokens", "tokens_why"),
    [
        ("cuda", 800, "the paper's number", 4096, "the paper's 4,096 within the model's context of 8,192"),
        ("cpu", 32, "the CPU default; the paper's 800 on a GPU", 768,
         "the CPU default, the paper's 4,096 on a GPU; within the model's context of 8,192"),
    ],
)  # fmt: skip
def test_a_detection_is_sized_for_the_device(device, probes, probes_why, tokens, tokens_why):
    assert detection_size(DetectSettings(), 8192, device) == (probes, probes_why, tokens, tokens_why)
    assert detection_size(DetectSettings(num_probes=5, probe_tokens=300), 8192, device) == (
        5,
        "as asked",
        300,
        "as asked",
    )


def _plan(seconds: float) -> DetectionPlan:
    return DetectionPlan(
        model="m", device="cpu", num_probes=800, probes_why="", probe_tokens=4096, tokens_why="", sentences="s",
        pool=1, verify_forwards=0, measured_tokens=512, measured_seconds=1.0, seconds=seconds,
    )  # fmt: skip


def test_a_plan_past_the_default_limit_of_2_hours_is_refused_naming_the_flags():
    assert DetectSettings().max_hours == 2.0
    check_time(_plan(2 * 3600 - 1), DetectSettings())
    with pytest.raises(
        SettingError, match=r"max_hours: .* over the limit of 2 h: .*--num-probes 32 --probe-tokens 768"
    ):
        check_time(_plan(2 * 3600 + 1), DetectSettings())
    check_time(_plan(50 * 24 * 3600), DetectSettings(max_hours=0))  # 0: no limit


@pytest.mark.slow
def test_the_plan_counts_probes_and_verify_forwards_and_times_one_probe(embedded, wikitext_path):
    pool = sentence_pool(embedded.tokenizer, read_sentence_texts(wikitext_path))
    settings = DetectSettings(num_probes=800, probe_tokens=4096, verify=True, verify_probes=32)
    plan = plan_detection(embedded, settings, pool, "wiki.txt")
    assert (plan.num_probes, plan.probe_tokens, plan.verify_forwards) == (800, 4096, 2 * 32 + 16 * 8)
    assert 400 <= plan.measured_tokens <= 512 and plan.measured_seconds > 0
    assert plan.seconds > 800 * plan.measured_seconds  # 4096-token probes cost more than the 512-token one
    text = str(plan)
    assert "probes   800 (the paper's number) x 4,096 tokens (as asked)" in text
    assert "verify   192 held-out forwards" in text
    assert f"values   {len(pool):,} sentences from wiki.txt" in text
    assert "on cpu (measured here: one " in text and "scaled by FLOPs to 4,096 tokens" in text
    assert "hint     --num-probes 32 --probe-tokens 768" in text  # hours on a CPU: the cheaper setting is named


@pytest.mark.slow
def test_the_plan_comes_before_the_detection_and_a_dry_run_stops_there(embedded, wikitext_path, tmp_path):
    seen = []
    report = detect_heads(
        embedded, tmp_path / "h", sentences=wikitext_path, num_probes=2, probe_tokens=600, top_k=2,
        progress=False, on_plan=seen.append,
    )  # fmt: skip
    assert len(seen) == 1 and seen[0].num_probes == 2 and seen[0].probe_tokens == 600
    assert "hint" not in str(seen[0]) and len(report["selected"]) == 2
    plan = detect_heads(embedded, tmp_path / "dry", sentences=wikitext_path, num_probes=2, dry_run=True)
    assert plan.probe_tokens == 768 and not (tmp_path / "dry").exists()  # the CPU default
    # a limit far below what 800 x 4,096 takes on any CPU (70 min on a fast one): the refusal, not the speed, is tested
    with pytest.raises(SettingError, match="max_hours: the detection would take .* over the limit of 0.05 h"):
        detect_heads(
            embedded, tmp_path / "long", sentences=wikitext_path, num_probes=800, probe_tokens=4096, max_hours=0.05
        )
    assert not (tmp_path / "long").exists()


@pytest.mark.slow
def test_attninf_heads_dry_run_prints_the_plan_and_writes_nothing(wikitext_path, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "attention_influence.cli", "heads", "--sentences", str(wikitext_path)]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "h"), "--dry-run"], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and not (tmp_path / "h").exists()
    assert "plan: detect the retrieval heads of embedded:SmolLM2-135M-Instruct (cpu)" in done.stderr
    assert "probes   32 (the CPU default; the paper's 800 on a GPU) x 768 tokens" in done.stderr
    long = subprocess.run(
        [*command, "--out", str(tmp_path / "h"), "--num-probes", "800", "--probe-tokens", "4096", "--max-hours", "0.05"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert long.returncode == 2 and not (tmp_path / "h").exists()
    assert "attninf: error: --max-hours: the detection would take" in long.stderr
    assert "--num-probes 32 --probe-tokens 768 is the CPU default" in long.stderr
