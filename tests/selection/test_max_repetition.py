"""`--max-repetition` (the guard's repetition rule) on documents built to be repetitive."""

import json

import pyarrow.parquet as pq
import pytest

from attention_influence.cli import main
from attention_influence.config import GuardSettings

# The two strongest copy heads of the embedded model (see tests/reports/test_explain.py):
# masking them makes repeated text score far above ordinary prose.
HEADS = "17:3,18:6"
# These documents are short, and a looped one repeats its sentences too: only the repetition rule is looked at.
SHORT_OK = ["--guard-min-tokens", "0", "--guard-max-sentences", "1"]


def _kept(out) -> set[str]:
    return {json.loads(line)["id"] for line in next((out / "selected").iterdir()).read_text().splitlines()}


@pytest.mark.slow
def test_repetitive_documents_win_unless_excluded(tmp_path, wikitext_texts, capsys):
    plain = [" ".join(t.split()[:45]) for t in wikitext_texts[:3]]
    looped = [" ".join(t.split()[:15]) for t in wikitext_texts[3:6]]
    docs = [{"id": f"plain-{i}", "text": t} for i, t in enumerate(plain)]
    docs += [{"id": f"looped-{i}", "text": " ".join([t] * 3)} for i, t in enumerate(looped)]
    corpus = tmp_path / "prose" / "docs.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "run"
    assert main(["score", str(corpus), "--heads", HEADS, "--out", str(out), "--no-progress"]) == 0

    scores = {r["id"]: r for r in pq.read_table(out / "scores").to_pylist()}
    assert all(0.6 < scores[f"looped-{i}"]["repetition"] < 0.7 for i in range(3))  # 2 of 3 copies repeat
    assert all(scores[f"plain-{i}"]["repetition"] < 0.05 for i in range(3))
    assert min(scores[f"looped-{i}"]["score"] for i in range(3)) > max(scores[f"plain-{i}"]["score"] for i in range(3))

    assert main(["select", str(out), "--fraction", "0.5", "--no-guard", "--no-progress"]) == 0
    assert _kept(out) == {"looped-0", "looped-1", "looped-2"}

    assert main(["select", str(out), "--fraction", "0.5", *SHORT_OK, "--no-progress"]) == 0
    best_plain = sorted((f"plain-{i}" for i in range(3)), key=lambda d: -scores[d]["score"])
    assert _kept(out) == set(best_plain)  # ceil(0.5 x 6 documents) = 3 wanted, 3 eligible
    report = json.loads((out / "selection.json").read_text())
    assert report["guard"]["max_repetition"] == GuardSettings().max_repetition  # the default
    assert report["domains"]["prose"]["excluded"]["repeated"] == 3
    assert report["domains"]["prose"]["documents"] == 6
    assert "repeated 3" in capsys.readouterr().out

    argv = ["select", str(out), "--fraction", "0.5", *SHORT_OK, "--max-repetition", "0.7"]
    assert main([*argv, "--no-progress"]) == 0
    assert _kept(out) == {"looped-0", "looped-1", "looped-2"}  # the limit is the flag's
    assert json.loads((out / "selection.json").read_text())["guard"]["max_repetition"] == 0.7
