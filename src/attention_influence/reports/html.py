"""The run report: DIR/report.html, one self-contained file (inline PNGs, no external URL) showing
what was kept, what was dropped and why: settings, heads, totals, per-domain plots, correlation
of repetition with the score, and the top and bottom documents with an excerpt."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import Fields
from attention_influence.corpus.readers import read_records
from attention_influence.corpus.writers import atomic_write_bytes
from attention_influence.reports import plots
from attention_influence.runs.rundir import HEADS, REPORT, SELECTION, SUMMARY, RunDir
from attention_influence.runs.schema import text_hash
from attention_influence.selection.guard import excluded_mask
from attention_influence.selection.select import guard_of, selected_mask

EXCERPT_CHARS = 600
SHOWN_DOCUMENTS = 5  # top and bottom, per domain


@dataclass
class DomainView:
    """One domain's scored documents (valid scores only) and the selection's verdict on each."""

    name: str
    table: pa.Table
    selected: np.ndarray  # (N,) bool
    excluded: np.ndarray  # (N,) bool, over --max-repetition
    threshold: float | None

    @property
    def repetition(self) -> np.ndarray | None:
        if "repetition" not in self.table.column_names or self.table["repetition"].null_count == len(self.table):
            return None
        return self.table["repetition"].to_numpy(zero_copy_only=False).astype(float)


def _esc(value: object) -> str:
    """HTML-escaped text; "://" written as "&#58;//" so that no URL appears in the file (it renders the same)."""
    return html.escape(str(value)).replace("://", "&#58;//")


def domain_views(table: pa.Table, selection: dict | None) -> list[DomainView]:
    """Split valid scores by domain and recompute which rows the selection kept (it is deterministic)."""
    table = table.filter(pc.is_valid(table["score"]))
    views = []
    for domain in sorted(set(table["domain"].to_pylist())):
        sub = table.filter(pc.equal(table["domain"], domain))
        selected = np.zeros(len(sub), dtype=bool)
        excluded = np.zeros(len(sub), dtype=bool)
        threshold = None
        if selection is not None:
            excluded = excluded_mask(sub, guard_of(selection))
            selected = selected_mask(sub, selection)
            threshold = selection.get("domains", {}).get(domain, {}).get("threshold")
        views.append(DomainView(domain, sub, selected, excluded, threshold))
    return views


def correlations(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """(Pearson, Spearman) of two arrays; None where undefined (fewer than 3 points or constant)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    pearson = float(np.corrcoef(x, y)[0, 1])
    ranks = [np.argsort(np.argsort(v, kind="stable"), kind="stable") for v in (x, y)]
    return pearson, float(np.corrcoef(*ranks)[0, 1])


def fetch_texts(wanted: list[tuple[str, int, str]], fields: Fields) -> dict[tuple[str, int], str | None]:
    """The text of each (source, row, text_hash), read back from the corpus files; None where the
    file no longer holds the text that was scored."""
    by_source: dict[str, dict[int, str]] = {}
    for source, row, digest in wanted:
        by_source.setdefault(source, {})[row] = digest
    texts: dict[tuple[str, int], str | None] = {}
    for source, rows in by_source.items():
        last = max(rows)
        try:
            for record in read_records(source, fields):
                if record.row in rows:
                    ok = record.text is not None and text_hash(record.text) == rows[record.row]
                    texts[(source, record.row)] = record.text if ok else None
                if record.row >= last:
                    break
        except (OSError, ValueError):
            continue  # the corpus moved: the report shows no excerpt
    return texts


def _fmt(value, spec: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return format(value, spec)


def _table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _settings_section(run: dict, selection: dict | None, summary: dict | None) -> str:
    rows = [[_esc(k), _esc(json.dumps(v) if not isinstance(v, str) else v)] for k, v in run.items()]
    if selection:
        for key in ("fraction", "by", "max_repetition"):
            rows.append([f"select {key}", _esc(str(selection.get(key)))])
    out = "<h2>Settings</h2>" + _table(["setting", "value"], rows, "settings")
    if summary:
        seconds = summary.get("seconds", 0.0)
        totals = [
            ["records", f"{summary.get('records', 0):,}"],
            ["scored documents", f"{summary.get('scored', 0):,}"],
            ["without a score", f"{summary.get('unscored', 0):,}"],
            ["errors", f"{summary.get('errors', 0):,}"],
            ["tokens", f"{summary.get('tokens', 0):,}"],
            ["time", f"{seconds:,.1f} s"],
            ["tokens/s", f"{summary.get('tokens_per_second', 0.0):,.0f}"],
        ]
        totals += [[f"reason: {_esc(r)}", f"{n:,}"] for r, n in sorted(summary.get("reasons", {}).items())]
        out += "<h2>Totals</h2>" + _table(["total", "value"], totals)
    return out


def _heads_section(run: dict, heads_info: dict | None) -> str:
    selected = [tuple(h) for h in run.get("heads", [])]
    out = f"<h2>Heads</h2><p>{len(selected)} masked heads (layer:head, 0-based): "
    out += _esc(", ".join(f"{a}:{b}" for a, b in selected)) + "</p>"
    if heads_info and heads_info.get("scores"):
        out += f'<img alt="head scores" src="{plots.heads_heatmap(heads_info["scores"], selected)}">'
    else:
        out += '<p>No head scores (heads.json with a layers x heads "scores" matrix) in this run folder.</p>'
    return out


def _summary_section(views: list[DomainView], selection: dict | None) -> str:
    rows = []
    for v in views:
        score = v.table["score"].to_numpy()
        tokens = v.table["n_tokens"].to_numpy()
        repetition = v.repetition
        pearson, spearman = correlations(repetition, score) if repetition is not None else (None, None)
        rows.append(
            [
                _esc(v.name),
                f"{len(score):,}",
                f"{int(v.selected.sum()):,}",
                f"{int(v.excluded.sum()):,}",
                f"{int(tokens.sum()):,}",
                f"{int(tokens[v.selected].sum()):,}",
                _fmt(float(score.mean())),
                _fmt(v.threshold),
                _fmt(float(np.nanmean(repetition)) if repetition is not None else None, ".3f"),
                _fmt(pearson, "+.3f"),
                _fmt(spearman, "+.3f"),
            ]
        )
    headers = ["domain", "docs", "kept", "too repetitive", "tokens", "kept tokens", "mean score", "threshold"]
    headers += ["mean repetition", "corr(rep, score) Pearson", "Spearman"]
    note = "" if selection else "<p>No selection yet (run <code>attninf select</code>): nothing is marked kept.</p>"
    return "<h2>Domains</h2>" + note + _table(headers, rows)


def _documents_table(v: DomainView, indices: np.ndarray, texts: dict) -> str:
    rows = []
    t = v.table
    repetition = v.repetition
    for i in indices:
        key = (t["source"][i].as_py(), t["row"][i].as_py())
        text = texts.get(key)
        excerpt = (
            "(text not found, or changed since it was scored)"
            if text is None
            else text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
        )
        verdict = "kept" if v.selected[i] else "too repetitive" if v.excluded[i] else "rejected"
        rows.append(
            [
                _esc(str(t["id"][i].as_py())),
                _fmt(t["score"][i].as_py()),
                _fmt(t["loss_base"][i].as_py()),
                _fmt(t["loss_masked"][i].as_py()),
                _fmt(float(repetition[i]) if repetition is not None else None, ".3f"),
                f"{t['n_tokens'][i].as_py():,}",
                verdict,
                f'<div class="excerpt">{_esc(excerpt)}</div>',
            ]
        )
    headers = ["id", "score", "loss base", "loss masked", "repetition", "tokens", "verdict", "excerpt"]
    return _table(headers, rows, "docs")


def _extremes(v: DomainView, count: int = SHOWN_DOCUMENTS) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((v.table["id"].to_numpy(zero_copy_only=False).astype(str), -v.table["score"].to_numpy()))
    top = order[:count]
    bottom = order[::-1][: min(count, len(order) - len(top))]
    return top, bottom


def _domain_section(v: DomainView, texts: dict) -> str:
    t = v.table
    figure = plots.domain_figure(
        v.name,
        t["score"].to_numpy(),
        t["n_tokens"].to_numpy(),
        v.repetition,
        v.selected,
        v.threshold,
        v.excluded,
    )
    top, bottom = _extremes(v)
    return (
        f'<h2 id="domain-{_esc(v.name)}">Domain: {_esc(v.name)}</h2>'
        f'<img alt="{_esc(v.name)} plots" src="{figure}">'
        f"<h3>Top {len(top)} documents</h3>{_documents_table(v, top, texts)}"
        f"<h3>Bottom {len(bottom)} documents</h3>{_documents_table(v, bottom, texts)}"
    )


STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f0f0f0}table.settings td:last-child{font-family:monospace;word-break:break-all;max-width:60em}
table.docs td:last-child{width:55%}.excerpt{font-family:monospace;font-size:85%;white-space:pre-wrap;
max-height:12em;overflow:auto}img{max-width:100%}"""


def build_report(out: str, heads_file: str | None = None) -> str:
    """The report's HTML for a run folder (scores required; selection and heads optional)."""
    rundir = RunDir(out)
    manifest = rundir.manifest()
    run = {k: v for k, v in manifest.items() if k != "sources"} | {"sources": len(manifest["sources"])}
    summary = rundir.read_json(SUMMARY)
    selection = rundir.read_json(SELECTION)
    heads_info = json.loads(Path(heads_file).read_text()) if heads_file else rundir.read_json(HEADS)
    views = domain_views(rundir.read_scores(), selection)
    wanted = []
    for v in views:
        for i in np.concatenate(_extremes(v)):
            t = v.table
            wanted.append((t["source"][int(i)].as_py(), t["row"][int(i)].as_py(), t["text_hash"][int(i)].as_py()))
    texts = fetch_texts(wanted, Fields(**manifest["settings"]["fields"]))
    model = _esc(str(manifest["model"]["name"]))
    nav = " · ".join(f'<a href="#domain-{_esc(v.name)}">{_esc(v.name)}</a>' for v in views)
    body = (
        f"<h1>AttentionInfluence run report</h1><p>Run folder <code>{_esc(rundir.uri)}</code>; model "
        f"<code>{model}</code>. Score = (loss with the heads masked − base loss) / base loss; the top of each "
        f"domain is kept. Repetition = duplicated word n-gram character fraction (repeated text inflates the "
        f"score).</p><p>{nav}</p>"
        + _settings_section(run, selection, summary)
        + _heads_section(run, heads_info)
        + _summary_section(views, selection)
        + "".join(_domain_section(v, texts) for v in views)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>AttentionInfluence report</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def write_report(out: str, heads_file: str | None = None) -> str:
    """Write DIR/report.html; returns its path."""
    rundir = RunDir(out)
    page = build_report(out, heads_file)
    path = rundir.file(REPORT)
    atomic_write_bytes(path, page.encode())
    return path
