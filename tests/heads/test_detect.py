import json

import pytest
import torch

from attention_influence.cli import main
from attention_influence.heads import detect_heads, parse_heads, top_heads, verify_heads
from attention_influence.heads.detect import draw_probe_count, probe_accuracies
from attention_influence.heads.probes import make_probes, read_sentence_texts, sentence_pool


def test_top_heads_ranks_all_layers_together():
    scores = torch.zeros(4, 5)
    scores[3, 1], scores[0, 4], scores[2, 2] = 0.9, 0.8, 0.8
    assert top_heads(scores, top_k=2) == [(0, 4), (3, 1)]  # ties go to the lower (layer, head)
    assert top_heads(scores, top_frac=0.15) == [(0, 4), (2, 2), (3, 1)]  # round(0.15 x 20) = 3
    assert top_heads(scores, top_frac=0.001) == [(3, 1)]  # at least one


@pytest.mark.slow
def test_detect_writes_heads_json_and_heatmap(embedded, wikitext_path, tmp_path):
    report = detect_heads(
        embedded, tmp_path, sentences=wikitext_path, num_probes=2, probe_tokens=600, top_k=4, progress=False
    )
    data = json.loads((tmp_path / "heads.json").read_text())
    assert data["fingerprint"] == embedded.fingerprint and data["model"] == embedded.name
    assert len(data["scores"]) == 30 and {len(row) for row in data["scores"]} == {9}
    assert data["probes"]["probe_tokens"] == 600 and data["probes"]["num_probes"] == 2
    assert len(data["selected"]) == 4 and report["selected"] == data["selected"]
    picked = [data["scores"][layer][head] for layer, head in data["selected"]]
    assert min(picked) == sorted((x for row in data["scores"] for x in row), reverse=True)[3]
    assert parse_heads(str(tmp_path / "heads.json")).heads == [tuple(h) for h in data["selected"]]
    assert (tmp_path / "heads.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_verify_masks_selected_and_random_heads(embedded, wikitext_path):
    pool = sentence_pool(embedded.tokenizer, read_sentence_texts(wikitext_path))
    probes = make_probes(embedded.tokenizer, pool, 2, 600, seed=9)
    result = verify_heads(embedded.model, probes, [(17, 3), (18, 6)], seed=1, draws=1)
    assert 0 <= result["selected_masked"] <= 1 and 0 <= result["random_masked"] <= 1
    (draw,) = result["random_draws"]
    assert result["random_masked"] == draw["accuracy"]
    assert len(draw["heads"]) == 2 and not {(17, 3), (18, 6)} & set(map(tuple, draw["heads"]))
    assert result["unmasked"] > 0.5  # the model copies the value from its context


@pytest.mark.slow
def test_verify_draws_rotate_over_the_probes_and_compare_with_the_same_probes(embedded, wikitext_path):
    pool = sentence_pool(embedded.tokenizer, read_sentence_texts(wikitext_path))
    probes = make_probes(embedded.tokenizer, pool, 2, 600, seed=9)
    selected = [(17, 3), (18, 6), (20, 6)]
    result = verify_heads(embedded.model, probes, selected, seed=3, draws=3, probes_per_draw=1)
    assert result["probes_per_draw"] == 1 and [d["probes"] for d in result["random_draws"]] == [[0], [1], [0]]
    for draw in result["random_draws"]:  # each draw: its own heads, on its own probe, against (a) on that probe
        (i,) = draw["probes"]
        assert draw["accuracy"] == pytest.approx(
            probe_accuracies(embedded.model, [probes[i]], map(tuple, draw["heads"]))[0]
        )
        assert draw["unmasked"] == pytest.approx(probe_accuracies(embedded.model, [probes[i]])[0])
        assert draw["ratio"] == pytest.approx(draw["accuracy"] / draw["unmasked"])
    draws = result["random_draws"]
    assert result["random_ratio"] == pytest.approx(
        sum(d["accuracy"] for d in draws) / sum(d["unmasked"] for d in draws)
    )
    assert result["random_ratio_stderr"] >= 0
    assert len({tuple(map(tuple, d["heads"])) for d in draws}) == 3  # three different draws


def test_draw_probe_count_spreads_the_probes_over_the_draws():
    assert draw_probe_count(32, 16) == 8  # every probe serves 4 times
    assert draw_probe_count(800, 16) == 200
    assert draw_probe_count(32, 3) == 32 and draw_probe_count(2, 1) == 2  # few draws: all probes
    assert draw_probe_count(5, 1000) == 1


@pytest.mark.slow
def test_cli_heads(wikitext_path, tmp_path, capsys):
    argv = ["heads", "--sentences", str(wikitext_path), "--out", str(tmp_path), "--num-probes", "2"]
    assert main(argv + ["--probe-tokens", "600", "--top-k", "2", "--no-progress", "--device", "cpu"]) == 0
    assert "selected 2 heads" in capsys.readouterr().out
    assert len(json.loads((tmp_path / "heads.json").read_text())["selected"]) == 2


@pytest.mark.slow
def test_run_uses_shipped_heads_or_detects_from_given_sentences(
    embedded, wikitext_texts, wikitext_path, tmp_path, capsys
):
    from attention_influence import DetectSettings, api
    from attention_influence.errors import RunError
    from attention_influence.heads import shipped_heads

    corpus = tmp_path / "corpus.jsonl"
    texts = [t[:200] for t in wikitext_texts[:4]]
    corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    shipped = api.run(str(corpus), str(tmp_path / "shipped"), None, embedded, progress=False, write_report=False)
    assert shipped["heads"] == parse_heads(str(shipped_heads(embedded.fingerprint))).heads  # no detection

    detect = DetectSettings(sentences=str(wikitext_path), num_probes=1, probe_tokens=600, top_k=2)
    result = api.run(str(corpus), str(tmp_path / "out"), None, embedded, detect=detect, progress=False)
    heads = json.loads((tmp_path / "out" / "heads.json").read_text())
    assert heads["probes"]["sentences"] == str(wikitext_path) and len(heads["selected"]) == 2
    assert json.loads((tmp_path / "out" / "run.json").read_text())["heads"] == heads["selected"]
    assert [list(h) for h in result["heads"]] == heads["selected"] and result["score"].scored == len(texts)

    capsys.readouterr()
    again = api.run(str(corpus), str(tmp_path / "out"), None, embedded, detect=detect, progress=False)
    assert "reusing the heads this run detected" in capsys.readouterr().err  # restarted: not detected again
    assert again["score"].resumed_chunks == 1 and again["score"].scored == len(texts)
    assert json.loads((tmp_path / "out" / "heads.json").read_text()) == heads

    other = DetectSettings(sentences=str(wikitext_path), num_probes=1, probe_tokens=600, top_k=3)
    with pytest.raises(RunError, match=r"holds a run with other settings \(heads: \[\["):
        api.run(str(corpus), str(tmp_path / "out"), None, embedded, detect=other, progress=False)
    assert json.loads((tmp_path / "out" / "heads.json").read_text()) == heads  # the run's heads are kept


def test_a_model_without_shipped_heads_needs_heads_or_sentences(tmp_path):
    from attention_influence import api
    from attention_influence.errors import SettingError
    from attention_influence.models import LoadedModel
    from tests.conftest import tiny_llama

    model = tiny_llama()
    loaded = LoadedModel(model, None, "tiny", "files:tiny", torch.device("cpu"), torch.float32)
    (tmp_path / "c.jsonl").write_text('{"text": "a b c"}\n')
    with pytest.raises(SettingError, match="no heads are shipped for tiny: give heads .* or sentences"):
        api.run(str(tmp_path / "c.jsonl"), str(tmp_path / "out"), None, loaded, progress=False)
    assert not (tmp_path / "out").exists()  # refused before any work
