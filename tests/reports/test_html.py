"""`attninf run` on the sample corpus writes a self-contained report.html that Chromium renders."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from attention_influence.cli import main

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus"
DOMAINS = ("code", "general", "math")

pytestmark = pytest.mark.slow  # runs the embedded model (and Chromium)


def _corpus_texts() -> dict[str, str]:
    return {d["id"]: d["text"] for f in SAMPLE_CORPUS.glob("*/*.jsonl") for d in map(json.loads, f.open())}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The whole CLI job on the sample corpus (first 64 tokens of each document, to stay quick)."""
    out = tmp_path_factory.mktemp("run")
    argv = [
        "run", str(SAMPLE_CORPUS), "--heads", "3:1,5:2,9:4", "--out", str(out),
        "--max-length", "64", "--truncate", "--fraction", "0.25", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    return out


def test_run_writes_self_contained_report(sample_run, capsys):
    page = (sample_run / "report.html").read_text()
    assert not re.search(r"https?://", page), "the report must not reference any external URL"
    assert not re.search(r"""(src|href)=["'](?!data:|#|explain/[0-9a-f]{16}\.html")""", page), (
        "only inline images, in-page links and the explain pages beside it"
    )
    for link in set(re.findall(r'href="(explain/[0-9a-f]{16}\.html)"', page)):
        assert (sample_run / link).is_file()
    for domain in DOMAINS:
        assert f'id="domain-{domain}"' in page
    assert page.count('src="data:image/png;base64,') == 2 * len(DOMAINS) + 1  # two per domain, the control
    assert "corr(rep, score)" in page
    assert page.count("text not found") == 0  # excerpts were read back from the corpus
    scores = pq.read_table(sample_run / "scores").to_pylist()
    corpus = _corpus_texts()
    for domain in DOMAINS:
        ranked = sorted((s for s in scores if s["domain"] == domain), key=lambda s: -s["score"])
        for doc in (ranked[0], ranked[-1]):  # top and bottom, with score, losses and an excerpt
            row = re.split(rf">{doc['id']}</a></td>", page, maxsplit=1)[1].split("</tr>", 1)[0]
            assert f"<td>{doc['score']:.4f}</td><td>{doc['loss_base']:.4f}</td><td>{doc['loss_masked']:.4f}</td>" in row
            assert html.escape(corpus[doc["id"]][:40]) in row


@pytest.mark.slow
def test_report_command_shows_head_heatmap(sample_run, tmp_path):
    heads = tmp_path / "heads.json"
    scores = [[round(0.01 * (layer + head), 3) for head in range(9)] for layer in range(30)]
    heads.write_text(json.dumps({"selected": [[3, 1], [5, 2], [9, 4]], "scores": scores}))
    assert main(["report", str(sample_run), "--heads-file", str(heads), "--device", "cpu", "--no-progress"]) == 0
    page = (sample_run / "report.html").read_text()
    assert 'alt="head scores"' in page
    assert page.count('src="data:image/png;base64,') == 2 * len(DOMAINS) + 1 + 1


def test_report_renders_in_headless_chromium(sample_run, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:  # a failure, not a skip: every test runs (`make test` installs it where apt-get can)
        pytest.fail("Chromium is not installed: install Debian's chromium (apt-get install chromium)")
    shot = tmp_path / "report.png"
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,3000",
        (sample_run / "report.html").as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.size == (1200, 3000)
    low, high = image.getextrema()
    assert high - low > 100  # text and plots, not a blank page
    histogram = image.histogram()
    assert sum(histogram[:200]) > 0.01 * image.size[0] * image.size[1]  # a real amount of ink


@pytest.mark.slow
def test_explain_finds_a_document_of_the_run_by_id(sample_run, tmp_path, capsys):
    assert main(["explain", "gen-003", "--run", str(sample_run), "--out", str(tmp_path), "--device", "cpu"]) == 0
    tokens = [json.loads(line) for line in (tmp_path / "tokens.jsonl").open()]
    assert "".join(t["token"] for t in tokens) == _corpus_texts()["gen-003"]  # the run's model and heads, its text
    assert "wrote" in capsys.readouterr().out


def test_report_marks_exactly_the_selected_documents(sample_run):
    from attention_influence.reports.html import domain_views
    from attention_influence.runs.rundir import RunDir
    from attention_influence.selection import select

    selection = select(str(sample_run), fraction=0.5, by="tokens", max_repetition=0.01, min_tokens=0)
    views = domain_views(RunDir(sample_run).read_scores(), selection)
    marked = {v.table["id"][i].as_py() for v in views for i in range(len(v.table)) if v.selected[i]}
    written = {json.loads(line)["id"] for f in (sample_run / "selected").iterdir() for line in f.open()}
    assert marked == written
    excluded = {v.table["id"][i].as_py() for v in views for i in range(len(v.table)) if v.excluded[i]}
    assert len(excluded) == sum(selection["total"]["excluded"].values()) > 0
