"""Every flag of every `attninf` command reaches the code that uses it.

Each case runs one command in this process with one flag set to a value that is not its default,
on a tiny real model folder (tests/conftest.py `tiny_model_folder`), and looks at what the flag's
consumer received: the model loader (`models/loading.py` `load`: every command that loads a model),
an executor's constructor, the job's plan, the Scorer, the progress bar, the selection, the
detection, the report, compare, the explain command's renderer. The consumer records its arguments
and stops the command there. `test_every_flag_has_a_case` fails for a flag added without a case."""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from attention_influence.cli import build_parser, main
from tests.conftest import TINY_WORDS


class Reached(BaseException):
    """Raised by a consumer once it has recorded what it got (BaseException: the CLI lets it through)."""


@dataclass(frozen=True)
class Case:
    command: str
    flag: str
    value: str | None  # None: a switch
    consumer: str  # a key of CONSUMERS
    check: Callable[[dict], bool]  # on the consumer's arguments, by name


def _consumers() -> dict[str, Callable]:
    import importlib

    from attention_influence.models import loading
    from attention_influence.pipeline import datatrove, job, local, ray
    from attention_influence.progress import Progress
    from attention_influence.reports import command, compare, html
    from attention_influence.runs.rundir import RunDir
    from attention_influence.scoring.engine import Scorer

    detect = importlib.import_module("attention_influence.heads.detect")  # the package re-exports functions
    select = importlib.import_module("attention_influence.selection.select")  # of the same names

    return {
        "load": loading.load,
        "local": local.LocalExecutor.__init__,
        "ray": ray.RayExecutor.__init__,
        "datatrove": datatrove.DatatroveExecutor.__init__,
        "plan_job": job.plan_job,
        "claim": RunDir.claim,
        "scorer": Scorer.__init__,
        "progress": Progress.__init__,
        "select": select.select,
        "detect": detect.detect_heads,
        "report": html.write_report,
        "compare": compare.compare_runs,
        "explain": command.explain_text,
        "render": command.render_html,
        "color": command.use_color,
    }


def _spy(monkeypatch, original: Callable, calls: list, stop: bool) -> None:
    """Replace `original` wherever the package refers to it (module attributes, class attributes)
    by a recorder of its arguments (by name) that stops the command or passes through."""
    signature = inspect.signature(original)

    def recorder(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append(dict(bound.arguments))
        if stop:
            raise Reached
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if not name.startswith("attention_influence") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attr, recorder)
            elif isinstance(value, type) and vars(value).get(original.__name__) is original:
                monkeypatch.setattr(value, original.__name__, recorder)


def _model(name: str, expected) -> Callable[[dict], bool]:
    return lambda got: getattr(got["settings"], name) == expected


def _score_setting(name: str, expected) -> Callable[[dict], bool]:
    return lambda got: getattr(got["settings"], name) == expected


def _field(name: str, expected) -> Callable[[dict], bool]:
    return lambda got: getattr(got["settings"].fields, name) == expected


def _selection(check: Callable) -> Callable[[dict], bool]:
    return lambda got: check(got["settings"])


def _detect(name: str, expected) -> Callable[[dict], bool]:
    return lambda got: getattr(got["settings"], name) == expected


def _arg(name: str, expected) -> Callable[[dict], bool]:
    return lambda got: got[name] == expected


MODEL_FLAGS = [  # every command that loads a model: the loader gets them
    ("--device", "cpu:0", _model("device", "cpu:0")),
    ("--dtype", "fp32", _model("dtype", "fp32")),
    ("--trust-remote-code", None, _model("trust_remote_code", True)),
    ("--allow-pickle", None, _model("allow_pickle", True)),
    ("--model", "MODEL", lambda got: got["settings"].model.endswith("tiny-model0")),
]
SCORE_FLAGS = [
    ("--max-length", "48", "scorer", _arg("max_length", 48)),
    ("--truncate", None, "scorer", _arg("truncate", True)),
    ("--batch-tokens", "333", "scorer", _arg("batch_tokens", 333)),
    ("--no-shared-prefix", None, "scorer", _arg("shared_prefix", False)),
    ("--compile", None, "plan_job", _score_setting("compile", True)),
    ("--no-compile", None, "scorer", _arg("compile", False)),
    ("--pack", None, "scorer", _arg("pack", True)),
    ("--no-pack", None, "plan_job", _score_setting("pack", False)),
    ("--text-field", "body", "plan_job", _field("text", "body")),
    ("--id-field", "key", "plan_job", _field("id", "key")),
    ("--domain-field", "kind", "plan_job", _field("domain_field", "kind")),
    ("--domain", "web", "plan_job", _field("domain", "web")),
    ("--chunk-docs", "7", "plan_job", _score_setting("chunk_docs", 7)),
    ("--num-shards", "3", "plan_job", _score_setting("num_shards", 3)),
    ("--shard-index", "1", "plan_job", _score_setting("shard_index", 1)),
    ("--on-error", "fail", "plan_job", _score_setting("on_error", "fail")),
    ("--overwrite", None, "claim", _arg("overwrite", True)),
    ("--no-progress", None, "progress", _arg("enabled", False)),
    ("--heads", "2:1,3:0", "scorer", lambda got: sorted(map(tuple, got["heads"])) == [(2, 1), (3, 0)]),
    ("--engine", "ray", "ray", lambda got: True),
    ("--prepare-workers", "0", "local", _arg("prepare_workers", 0)),
]
ENGINE_FLAGS = [  # with --engine set to their engine
    ("--ray-address", "127.0.0.1:1", "ray", _arg("ray_address", "127.0.0.1:1"), "ray"),
    ("--ray-actors", "3", "ray", _arg("ray_actors", 3), "ray"),
    ("--tasks", "4", "datatrove", _arg("tasks", 4), "datatrove"),
    ("--workers", "2", "datatrove", _arg("workers", 2), "datatrove"),
]
SELECT_FLAGS = [
    ("--fraction", "0.35", _selection(lambda s: s.fraction == 0.35)),
    ("--by", "tokens", _selection(lambda s: s.by == "tokens")),
    ("--output-layout", "hf", _selection(lambda s: s.output_layout == "hf")),
    ("--no-guard", None, _selection(lambda s: not s.guard.enabled)),
    ("--guard-min-tokens", "5", _selection(lambda s: s.guard.min_tokens == 5)),
    ("--guard-max-templated", "0.61", _selection(lambda s: s.guard.max_templated_text == 0.61)),
    ("--guard-max-list", "0.62", _selection(lambda s: s.guard.max_list_text == 0.62)),
    ("--guard-max-fields", "0.63", _selection(lambda s: s.guard.max_field_text == 0.63)),
    ("--guard-max-digits", "0.64", _selection(lambda s: s.guard.max_digit_share == 0.64)),
    ("--max-repetition", "0.65", _selection(lambda s: s.guard.max_repetition == 0.65)),
    ("--guard-max-sentences", "0.66", _selection(lambda s: s.guard.max_repeated_sentences == 0.66)),
    ("--guard-max-structured", "0.67", _selection(lambda s: s.guard.max_structured_text == 0.67)),
]
DETECT_FLAGS = [
    ("--sentences", "SENTENCES", lambda got: got["settings"].sentences.endswith("sentences.txt")),
    ("--num-probes", "3", _detect("num_probes", 3)),
    ("--probe-tokens", "100", _detect("probe_tokens", 100)),
    ("--seed", "5", _detect("seed", 5)),
    ("--top-frac", "0.1", _detect("top_frac", 0.1)),
    ("--top-k", "2", _detect("top_k", 2)),
    ("--verify", None, _detect("verify", True)),
    ("--verify-probes", "4", _detect("verify_probes", 4)),
    ("--verify-draws", "5", _detect("verify_draws", 5)),
    ("--verify-draw-probes", "2", _detect("verify_draw_probes", 2)),
    ("--max-hours", "0.5", _detect("max_hours", 0.5)),
]


def _cases() -> list[Case]:
    cases = []
    for command in ("run", "score", "heads", "report", "explain"):
        cases += [Case(command, flag, value, "load", check) for flag, value, check in MODEL_FLAGS]
    for command in ("run", "score"):
        cases += [Case(command, flag, value, consumer, check) for flag, value, consumer, check in SCORE_FLAGS]
        cases += [Case(command, flag, value, consumer, check) for flag, value, consumer, check, _ in ENGINE_FLAGS]
        cases.append(Case(command, "--dry-run", None, "progress", lambda got: False))  # never reached
        cases.append(Case(command, "--out", "OUT", "plan_job", lambda got: got["out"].endswith("out")))
    for command in ("run", "select"):
        cases += [Case(command, flag, value, "select", check) for flag, value, check in SELECT_FLAGS]
    for command in ("run", "heads"):
        cases += [Case(command, flag, value, "detect", check) for flag, value, check in DETECT_FLAGS]
    cases += [
        Case("heads", "--out", "OUT", "detect", lambda got: str(got["out"]).endswith("out")),
        Case("heads", "--no-progress", None, "detect", _arg("progress", False)),
        Case("heads", "--dry-run", None, "detect", _arg("dry_run", True)),
        Case("select", "--no-progress", None, "select", _arg("progress", False)),
        Case("report", "--heads-file", "HEADS_FILE", "report", lambda got: got["heads_file"].endswith("heads.json")),
        Case("report", "--no-model", None, "report", _arg("use_model", False)),
        Case("report", "--control-docs", "3", "report", _arg("control_docs", 3)),
        Case("report", "--control-seed", "4", "report", _arg("seed", 4)),
        Case("report", "--no-progress", None, "report", _arg("progress", False)),
        Case("compare", "--json", "JSON", "compare", lambda got: got["json_file"].endswith("out.json")),
        Case("explain", "--heads", "1:1", "explain", lambda got: got["scorer"].heads == [(1, 1)]),
        Case("explain", "--run", "RUN", "explain", lambda got: got["scorer"].heads == [(1, 0), (2, 3)]),
        Case("explain", "--max-length", "32", "explain", lambda got: got["scorer"].max_length == 32),
        Case("explain", "--out", "OUT", "render", lambda got: True),
        Case("explain", "--color", "always", "color", _arg("mode", "always")),
    ]
    return cases


CASES = _cases()
SKIPPED = {"-h", "--help", "--version"}  # argparse's own


def test_every_flag_has_a_case():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    covered = {(case.command, case.flag) for case in CASES}
    missing = []
    for name, sub in commands.choices.items():
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in SKIPPED and flag.startswith("--") and (name, flag) not in covered:
                    missing.append(f"{name} {flag}")
    assert missing == []


@pytest.fixture(scope="module")
def world(tmp_path_factory, tiny_model_folder):
    """A corpus, sentences, and a scored and selected run of the tiny model (for select, report,
    compare and explain)."""
    root = tmp_path_factory.mktemp("flags")
    corpus = root / "corpus" / "math"
    corpus.mkdir(parents=True)
    rng = random.Random(0)
    texts = [" ".join(rng.choice(TINY_WORDS) for _ in range(90)) for _ in range(4)]  # no repeated text
    rows = [{"id": f"m{i}", "text": t, "body": t, "key": f"k{i}", "kind": "math"} for i, t in enumerate(texts)]
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    sentences = root / "sentences.txt"
    sentences.write_text("\n".join(" ".join(["the city was known for its school ."] * 2) for _ in range(40)))
    run = root / "run"
    assert main(["run", str(corpus.parent), "--out", str(run), "--model", str(tiny_model_folder),
                 "--heads", "1:0,2:3", "--no-progress", "--guard-min-tokens", "0"]) == 0  # fmt: skip
    return {"corpus": str(corpus.parent), "sentences": str(sentences), "run": str(run), "model": str(tiny_model_folder)}


def _base(command: str, world: dict, out: str) -> list[str]:
    model = ["--model", world["model"]]
    return {
        "run": ["run", world["corpus"], "--out", out, "--heads", "1:0", *model],
        "score": ["score", world["corpus"], "--out", out, "--heads", "1:0", *model],
        "heads": ["heads", "--out", out, "--sentences", world["sentences"], "--num-probes", "2", *model],
        "select": ["select", world["run"]],
        "report": ["report", world["run"]],
        "compare": ["compare", world["run"], world["run"]],
        "explain": ["explain", "the sum of 2 and 3 is 5 .", "--heads", "1:0,2:3", *model],
    }[command]


def _argv(case: Case, world: dict, out: str) -> list[str]:
    argv = _base(case.command, world, out)
    value = {"MODEL": world["model"], "SENTENCES": world["sentences"], "RUN": world["run"]}.get(case.value, case.value)
    value = {"OUT": out, "HEADS_FILE": f"{world['run']}/heads.json", "JSON": f"{out}.json"}.get(value, value)
    if case.flag in argv:  # the base command's own value is replaced
        at = argv.index(case.flag)
        del argv[at : at + 2]
    if case.flag == "--run":
        argv = [a for a in argv if a not in ("--heads", "1:0,2:3")]
    if case.command == "run" and case.consumer == "detect":  # heads detected from the sentences
        argv = [a for a in argv if a not in ("--heads", "1:0")] + ["--sentences", world["sentences"]] * (
            case.flag != "--sentences"
        )
    if case.flag == "--shard-index":
        argv += ["--num-shards", "2"]
    argv += [case.flag] + ([value] if value is not None else [])
    engine = next((e for f, _, _, _, e in ENGINE_FLAGS if f == case.flag), None)
    return argv + (["--engine", engine] if engine else [])


@pytest.mark.parametrize("case", CASES, ids=[f"{c.command} {c.flag}" for c in CASES])
def test_the_flag_reaches_its_consumer(case, world, tmp_path, monkeypatch):
    calls: list[dict] = []
    if case.command == "explain" and case.consumer == "explain":
        original = _consumers()["explain"]
        monkeypatch.setattr("attention_influence.reports.command.explain_text", _recording(original, calls))
    else:
        _spy(monkeypatch, _consumers()[case.consumer], calls, stop=case.consumer != "progress")
    argv = _argv(case, world, str(tmp_path / "out"))
    try:
        status = main(argv)
    except Reached:
        status = None
    if case.flag == "--dry-run" and case.command in ("run", "score"):  # a plan, and no work
        assert status == 0 and not (tmp_path / "out" / "scores").exists() and calls == []
        return
    assert calls, f"{' '.join(argv)}: the consumer was not reached (exit status {status})"
    assert any(case.check(got) for got in calls), calls


def _recording(original: Callable, calls: list) -> Callable:
    def record(scorer, text):
        calls.append({"scorer": scorer, "text": text})
        raise Reached

    return record
