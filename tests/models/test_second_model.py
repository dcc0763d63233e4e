"""A second real model of another family end to end: Gemma-3-270M (18 layers of 4 heads, one KV
head, sliding-window layers between global ones, a 262,144-token vocabulary, a BOS in front of every
text), through heads, score, select and explain, and the paths of its architecture on real weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from attention_influence.cli import main
from attention_influence.heads import shipped_head_set
from attention_influence.scoring import Scorer
from attention_influence.scoring.engine import document_windows
from tests.conftest import REPO, gemma_gguf
from tests.reference import naive_losses

pytestmark = pytest.mark.slow  # loads Gemma-3-270M
WIKI = REPO / "examples" / "wiki.txt"


def _corpus(root: Path, per_domain: int = 4) -> Path:
    """The first documents of each domain of the sample corpus."""
    for path in sorted((REPO / "examples" / "corpus").glob("*/*.jsonl")):
        target = root / path.parent.name / path.name
        target.parent.mkdir(parents=True)
        target.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:per_domain]))
    return root


def test_its_heads_ship_with_the_package_and_pass_the_table_6_contrast(gemma):
    heads = shipped_head_set(gemma.name, gemma.fingerprint)
    info = heads.info
    assert len(heads.heads) == 4 and info["layers"] == 18 and info["heads"] == 4  # 5% of 72
    verify = info["verify"]
    assert verify["selected_ratio"] <= 0.5 and verify["random_ratio"] >= 0.65  # the paper's Table 6 contrast
    assert info["probes"]["num_probes"] == 32 and info["probes"]["probe_tokens"] == 768  # the CPU defaults


def test_heads_score_select_and_explain(gemma, tmp_path, capsys):
    gguf = str(gemma_gguf())
    heads = tmp_path / "heads"
    assert main(["heads", "--model", gguf, "--sentences", str(WIKI), "--num-probes", "4", "--probe-tokens", "512",
                 "--top-k", "4", "--out", str(heads), "--no-progress"]) == 0  # fmt: skip
    found = json.loads((heads / "heads.json").read_text())
    assert found["probes"]["solved"] >= 2 and len(found["selected"]) == 4
    run = tmp_path / "run"
    corpus = _corpus(tmp_path / "corpus")
    assert main(["score", str(corpus), "--model", gguf, "--heads", str(heads / "heads.json"), "--out", str(run),
                 "--max-length", "256", "--truncate", "--no-progress"]) == 0  # fmt: skip
    assert "scored 12 of 12 records" in capsys.readouterr().out
    assert main(["select", str(run), "--fraction", "0.5", "--no-progress"]) == 0
    selection = json.loads((run / "selection.json").read_text())
    assert {d: v["selected"] > 0 for d, v in selection["domains"].items()} == {
        "code": True,
        "general": True,
        "math": True,
    }
    assert main(["explain", "math-001", "--run", str(run), "--out", str(tmp_path / "explained")]) == 0
    tokens = [json.loads(line) for line in (tmp_path / "explained" / "tokens.jsonl").read_text().splitlines()]
    assert tokens[0]["token"] == "<bos>" and tokens[0]["delta"] is None  # Gemma's BOS: not predicted
    assert all(t["delta"] is not None for t in tokens[1:])


def test_the_shared_prefix_pass_is_exact_across_its_sliding_window_layers(gemma, wikitext_texts):
    """A 900-token document: beyond the sliding window of 512 of the local layers, both losses
    equal two separate full passes (the masked heads' uniform attention stays inside each window)."""
    text = " ".join(wikitext_texts)
    ids = gemma.tokenizer(text)["input_ids"][:900]
    heads = shipped_head_set(gemma.name, gemma.fingerprint).heads
    (doc,) = Scorer(gemma, heads, max_length=1024).score_token_lists([ids])
    ((base, masked),) = naive_losses(gemma.model, [ids], heads)  # two full passes: the model's own code
    assert doc.loss_base == pytest.approx(base, rel=1e-4) and doc.loss_masked == pytest.approx(masked, rel=1e-4)


def test_later_windows_start_with_its_bos(gemma, wikitext_texts):
    """Windows after the first are fed with the BOS in front, as the model was trained to see text;
    without it the loss of a window's text is far higher."""
    ids = gemma.tokenizer(" ".join(wikitext_texts))["input_ids"][:600]
    assert ids[0] == gemma.tokenizer.bos_token_id
    windows = document_windows(ids, 256, gemma.tokenizer.bos_token_id)
    assert len(windows) == 3 and all(w.ids[0] == ids[0] for w in windows) and [w.skip for w in windows] == [0, 1, 1]
    scorer = Scorer(gemma, [(5, 0)], max_length=256)
    (doc,) = scorer.score_token_lists([ids])
    with torch.no_grad():
        bare = gemma.model(input_ids=torch.tensor([ids[300:556]])).logits[0, :-1]
        fed = gemma.model(input_ids=torch.tensor([[ids[0], *ids[300:555]]])).logits[0, 1:-1]
    loss = torch.nn.functional.cross_entropy
    assert loss(fed.float(), torch.tensor(ids[301:555])) < loss(bare.float(), torch.tensor(ids[301:556])) - 0.3
    assert doc.n_predicted == len(ids) - 1
