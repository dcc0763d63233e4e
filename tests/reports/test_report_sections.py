"""The demo (`attninf run examples/corpus --out DIR`, the embedded model, its shipped heads, the
default fraction and guard) keeps none of the sample corpus's shallow documents, and its report's
sections (random-heads control, score against base loss, around the threshold, kept against
rejected, excluded by the guard, explain pages) render in headless Chromium; `--no-model`
renders without the model and says so; rendering again reuses what was computed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from attention_influence import api, models
from attention_influence.cli import main
from attention_influence.pipeline import local
from tests.reports.chromium import dom, has_ink, screenshot, section_page

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus"
DOMAINS = ("code", "general", "math")
# Shallow documents of the sample corpus (README: lists, menus, boilerplate, ads), by content: YAML
# config, Java getters, requirements.txt, HTML navigation, an ad, .gitignore; a shopping list, an ad,
# a news menu, a list of facts, "subscribe now", opening hours; trivia, "math is fun", a site menu,
# an ad, a word list. The others are reasoning: algorithms, explanations, worked solutions
# (math-001/003/004/006/008/010/011 work a problem out).
SHALLOW = {f"code-{i:03d}" for i in (2, 4, 6, 8, 10, 12)} | {f"gen-{i:03d}" for i in (2, 4, 6, 8, 10, 12)}
SHALLOW |= {f"math-{i:03d}" for i in (2, 5, 7, 9, 12)}
PROSE_HEADED = "code-006"  # the requirements.txt, half of it a comment in prose
LINK = re.compile(r'href="(explain/[0-9a-f]{16}\.html)"')

pytestmark = pytest.mark.slow  # runs the embedded model (and Chromium)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo command, in this process; every load of a model is counted (the real loader runs)."""

    out = tmp_path_factory.mktemp("demo") / "run"
    loads = []
    real = models.load

    def counted(*args, **kwargs):
        loads.append(args)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for module in (api, models, models.loading, local):  # every name of the one loader
            patch.setattr(module, "load", counted)
        assert main(["run", str(SAMPLE_CORPUS), "--out", str(out), "--no-progress"]) == 0
    return out, loads


def _rows(table_html: str) -> list[list[str]]:
    """The cells' text of each row of an HTML table (header row left out)."""
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, re.S)[1:]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]  # fmt: skip


def _tables(fragment: str) -> list[str]:
    return re.findall(r"<table.*?</table>", fragment, re.S)


def test_the_demo_keeps_none_of_the_shallow_documents_and_loads_the_model_once(demo):
    out, loads = demo
    assert len(loads) == 1  # `run` hands the loaded model to the report
    kept = {json.loads(line)["id"] for f in (out / "selected").iterdir() for line in f.read_text().splitlines()}
    assert len(kept) == 9 and {k.split("-")[0] for k in kept} == {"code", "gen", "math"}  # ceil(0.2 x 12) each
    assert not kept & SHALLOW
    excluded = {row["id"]: row["reason"] for row in pq.read_table(out / "excluded.parquet").to_pylist()}
    assert SHALLOW - {PROSE_HEADED} <= set(excluded)  # each one kept out of the ranking, with its reason
    # requirements.txt: its three comment lines are prose and half its text, so its pins (templated
    # text 0.47) stay under the guard's 0.55; it is ranked, and ranks last of its domain
    scores = {row["id"]: row for row in pq.read_table(out / "scores").to_pylist()}
    assert PROSE_HEADED not in excluded and 0.4 < scores[PROSE_HEADED]["templated_text"] < 0.55
    code = [row for row in scores.values() if row["id"].startswith("code-") and row["id"] not in excluded]
    assert min(code, key=lambda row: row["score"])["id"] == PROSE_HEADED
    selection = json.loads((out / "selection.json").read_text())
    assert selection["guard"]["enabled"] and selection["fraction"] == 0.2
    assert sum(selection["total"]["excluded"].values()) == len(excluded)


def test_the_whole_report_renders(demo, tmp_path):
    out, _ = demo
    page = (out / "report.html").read_text()
    image = screenshot(out / "report.html", tmp_path / "report.png", (1200, 6000))
    assert image.size == (1200, 6000) and has_ink(image)
    assert "no-model" not in page
    for link in set(LINK.findall(page)):
        assert (out / link).is_file()


def test_random_heads_control_section(demo, tmp_path):
    out, _ = demo
    page = (out / "report.html").read_text()
    control = json.loads((out / "control.json").read_text())
    run_heads = {tuple(h) for h in json.loads((out / "run.json").read_text())["heads"]}
    randoms = {tuple(h) for h in control["random_heads"]}
    assert len(randoms) == len(run_heads) and not randoms & run_heads
    section = section_page(page, '<h2 id="control">', '<h2 id="domain-', tmp_path)
    rendered = dom(section)
    assert re.search(
        r'alt="control scores"[^>]*data-width="[1-9]\d+"|data-width="[1-9]\d+"[^>]*alt="control scores"', rendered
    )
    rows = {r[0]: r for r in _rows(_tables(rendered)[0])}
    assert set(rows) == set(DOMAINS)
    selection = json.loads((out / "selection.json").read_text())["domains"]
    for domain, summary in control["summary"].items():
        assert summary["documents"] == selection[domain]["eligible"]  # all ranked documents (fewer than 32)
        assert rows[domain][2] == f"{summary['spearman']:+.3f}"
        assert rows[domain][3].startswith(f"{summary['top_overlap']:.2f} (top {summary['k']})")
        # the retrieval-head effect: masking as many random heads raises the loss less
        assert summary["mean_random_score"] < summary["mean_score"]
    assert has_ink(screenshot(section, tmp_path / "control.png", (1200, 900)))


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_sections(demo, tmp_path, domain):
    out, _ = demo
    page = (out / "report.html").read_text()
    selection = json.loads((out / "selection.json").read_text())["domains"][domain]
    threshold = selection["threshold"]
    excluded = {
        r["id"]: r["reason"] for r in pq.read_table(out / "excluded.parquet").to_pylist() if r["domain"] == domain
    }

    figure = dom(section_page(page, f'<h3 id="threshold-{domain}">', f'<h3 id="near-{domain}">', tmp_path))
    assert re.search(r'data-width="[1-9]\d+"', figure) and f"{domain} score against base loss" in figure

    near_page = section_page(page, f'<h3 id="near-{domain}">', f'<h3 id="kept-{domain}">', tmp_path)
    above, below = (_rows(t) for t in _tables(dom(near_page)))
    assert len(above) == min(5, selection["selected"])
    assert len(below) == min(5, selection["eligible"] - selection["selected"])
    assert all(r[6] == "kept" and float(r[1]) >= round(threshold, 4) for r in above)  # as shown: 4 decimals
    assert all(r[6] == "rejected" and float(r[1]) <= round(threshold, 4) for r in below)
    assert [float(r[1]) for r in above + below] == sorted((float(r[1]) for r in above + below), reverse=True)
    assert has_ink(screenshot(near_page, tmp_path / "near.png", (1200, 1600)))

    kept_page = section_page(page, f'<h3 id="kept-{domain}">', f'<h3 id="excluded-{domain}">', tmp_path)
    (compared,) = _tables(dom(kept_page))
    assert f"kept ({selection['selected']})" in compared and f"excluded by the guard ({len(excluded)})" in compared
    labels = [r[0] for r in _rows(compared)]
    assert labels[:3] == ["tokens", "base loss", "score"] and {"label: value text", "digits"} <= set(labels)

    excluded_page = section_page(page, f'<h3 id="excluded-{domain}">', "<h3>Top ", tmp_path)
    shown = dom(excluded_page)
    assert f"{len(excluded)} of 12 documents" in shown
    for row in _rows(_tables(shown)[0]):
        assert row[6] == f"excluded: {excluded[row[0]]}"  # each listed with the reason select wrote
    assert has_ink(screenshot(excluded_page, tmp_path / "excluded.png", (1200, 1600)))


def test_listed_documents_link_to_explain_pages_that_render(demo, tmp_path):
    out, _ = demo
    page = (out / "report.html").read_text()
    links = sorted(set(LINK.findall(page)))
    near = page[page.index('<h3 id="near-math">') : page.index('<h3 id="kept-math">')]
    assert len(LINK.findall(near)) == len(re.findall(r"<tr><td>", near))  # every listed document is linked
    texts = {d["id"]: d["text"] for f in SAMPLE_CORPUS.glob("*/*.jsonl") for d in map(json.loads, f.open())}
    first = re.search(r'<a class="explain" href="(explain/[0-9a-f]{16}\.html)">([^<]+)</a>', near)
    explained = out / first[1]
    rendered = dom(explained)
    tokens = [
        html.unescape(t)
        for t in re.findall(r'<span style="background:rgb[^"]*" title="[^"]*">(.*?)</span>', rendered, re.S)
    ]
    assert texts[first[2]].startswith("".join(tokens)) and len(tokens) > 50  # the document, token by token
    assert 'href="../report.html"' in rendered
    assert has_ink(screenshot(explained, tmp_path / "explain.png", (1200, 1200)))
    assert len(links) >= 9


def test_no_model_rendering_says_so_and_a_rerender_reuses_the_cache(demo, tmp_path, capsys):
    out, _ = demo
    cache = sorted((out / ".attninf" / "cache").rglob("*.json"))
    stamps = {p: p.stat().st_mtime_ns for p in cache}
    control = json.loads((out / "control.json").read_text())

    assert main(["report", str(out), "--no-model"]) == 0
    page = (out / "report.html").read_text()
    assert 'id="no-model"' in page and not LINK.search(page)
    assert "Not computed: rendered with --no-model" in page
    rendered = dom(section_page(page, '<p class="note" id="no-model">', "</p>", tmp_path))
    assert "no token-level explain pages and no random-heads control" in rendered

    assert main(["report", str(out), "--device", "cpu", "--no-progress"]) == 0
    assert LINK.search((out / "report.html").read_text())
    assert sorted((out / ".attninf" / "cache").rglob("*.json")) == cache  # nothing new was computed
    assert {p: p.stat().st_mtime_ns for p in cache} == stamps
    again = json.loads((out / "control.json").read_text())
    assert again["domains"] == control["domains"] and again["random_heads"] == control["random_heads"]
    assert "wrote" in capsys.readouterr().out
