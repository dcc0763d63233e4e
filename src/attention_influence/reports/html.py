"""The run report: DIR/report.html, one file (inline PNGs, no external URL; its only links are to
the explain pages written beside it) showing what was kept, what was dropped and why: settings,
heads, totals, the random-heads control, and per domain the plots (score against base loss with
the threshold), the documents just above and just below the threshold, kept against rejected,
the documents the guard excluded with their reasons, and the top and bottom documents.

With a model (`write_report(..., model=...)`, or loaded from the run's manifest) every listed
document gets a token-level explain page (DIR/explain/TEXT_HASH.html) and the random-heads
control is computed (DIR/control.json); both are cached, so rendering again is cheap. Without
(`use_model=False`, `attninf report --no-model`) the page says what it lacks."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import Fields, ModelSettings
from attention_influence.corpus.writers import atomic_write_bytes
from attention_influence.errors import RunError
from attention_influence.models import LoadedModel
from attention_influence.reports import plots
from attention_influence.reports.stats import spearman
from attention_influence.reports.texts import fetch_texts
from attention_influence.runs.rundir import HEADS, REPORT, SELECTION, SUMMARY, RunDir
from attention_influence.selection.guard import RULES, guard_verdicts, needed_columns
from attention_influence.selection.select import guard_of, selected_mask

EXCERPT_CHARS = 600
SHOWN_DOCUMENTS = 5  # top and bottom, and on each side of the threshold, per domain
SHOWN_EXCLUDED = 8  # the best-scoring documents the guard excluded, per domain
COMPARED = (  # (column, label, format) of the kept-vs-rejected table
    ("n_tokens", "tokens", ".0f"),
    ("loss_base", "base loss", ".3f"),
    ("score", "score", ".4f"),
    ("repetition", "repetition", ".3f"),
    ("repeated_sentences", "repeated sentences", ".3f"),
    ("templated_text", "templated text", ".3f"),
    ("list_text", "list text", ".3f"),
    ("field_text", "label: value text", ".3f"),
    ("structured_text", "templated, list, label: value text", ".3f"),
    ("digit_share", "digits", ".3f"),
    ("function_words", "function words", ".3f"),
    ("compression_ratio", "compression ratio", ".3f"),
)


@dataclass
class DomainView:
    """One domain's scored documents (valid scores only) and the selection's verdict on each."""

    name: str
    table: pa.Table
    selected: np.ndarray  # (N,) bool
    excluded: np.ndarray  # (N,) bool: the guard kept it out of the ranking
    threshold: float | None
    reasons: list[str | None] | None = None  # (N,) the guard's reason, None where not excluded
    unguarded: np.ndarray | None = None  # (N,) bool: what the selection without the guard keeps

    @property
    def repetition(self) -> np.ndarray | None:
        return self.column("repetition")

    @property
    def rejected(self) -> np.ndarray:
        """(N,) bool: ranked, not kept."""
        return ~self.selected & ~self.excluded

    def column(self, name: str) -> np.ndarray | None:
        """A numeric column as float (N,), NaN where null; None when absent or all null."""
        if name not in self.table.column_names or self.table[name].null_count == len(self.table):
            return None
        return self.table[name].to_numpy(zero_copy_only=False).astype(float)

    def verdict(self, i: int) -> str:
        if self.selected[i]:
            return "kept"
        if self.excluded[i]:
            return f"excluded: {self.reasons[i]}" if self.reasons else "excluded"
        return "rejected"


def _esc(value: object) -> str:
    """HTML-escaped text; "://" written as "&#58;//" so that no URL appears in the file (it renders the same)."""
    return html.escape(str(value)).replace("://", "&#58;//")


def domain_views(table: pa.Table, selection: dict | None) -> list[DomainView]:
    """Split valid scores by domain and recompute which rows the selection kept and which the
    guard excluded, and why (both are deterministic)."""
    table = table.filter(pc.is_valid(table["score"]))
    guard = guard_of(selection or {})
    if any(name not in table.column_names for name in needed_columns(guard)):
        raise RunError("the score rows lack the measure columns the selection's guard used: select again")
    views = []
    for domain in sorted(set(table["domain"].to_pylist())):
        sub = table.filter(pc.equal(table["domain"], domain))
        selected = np.zeros(len(sub), dtype=bool)
        excluded = np.zeros(len(sub), dtype=bool)
        threshold, reasons, unguarded = None, None, None
        if selection is not None:
            recorded = selection.get("domains", {}).get(domain, {}).get("min_tokens")
            which, why = guard_verdicts(sub, guard, None if recorded is None else {domain: recorded})
            excluded, reasons = which >= 0, why.to_pylist()
            selected = selected_mask(sub, selection)
            threshold = selection.get("domains", {}).get(domain, {}).get("threshold")
            if guard.enabled:
                unguarded = selected_mask(sub, selection | {"guard": {"enabled": False}})
        views.append(DomainView(domain, sub, selected, excluded, threshold, reasons, unguarded))
    return views


def correlations(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """(Pearson, Spearman) of two arrays; None where undefined (fewer than 3 points or constant)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    return float(np.corrcoef(x, y)[0, 1]), spearman(x, y)


# ---------------------------------------------------------------- which documents are listed


def _order(v: DomainView) -> np.ndarray:
    """Row indices, best score first, ties by id (the selection's order)."""
    return np.lexsort((v.table["id"].to_numpy(zero_copy_only=False).astype(str), -v.table["score"].to_numpy()))


def extremes(v: DomainView, count: int = SHOWN_DOCUMENTS) -> tuple[np.ndarray, np.ndarray]:
    """(the `count` best documents, the `count` worst), by score."""
    order = _order(v)
    top = order[:count]
    bottom = order[::-1][: min(count, len(order) - len(top))]
    return top, bottom


def around_threshold(v: DomainView, count: int = SHOWN_DOCUMENTS) -> tuple[np.ndarray, np.ndarray]:
    """(the `count` kept documents closest above the threshold, the `count` ranked but rejected
    documents closest below it), best score first."""
    order = _order(v)
    kept = order[v.selected[order]]
    rejected = order[v.rejected[order]]
    return kept[-count:], rejected[:count]


def excluded_best(v: DomainView, count: int = SHOWN_EXCLUDED) -> np.ndarray:
    """The `count` best-scoring documents the guard excluded (those it kept out of the top): first
    those the selection without the guard keeps."""
    order = _order(v)
    excluded = order[v.excluded[order]]
    if v.unguarded is None:
        return excluded[:count]
    return np.concatenate([excluded[v.unguarded[excluded]], excluded[~v.unguarded[excluded]]])[:count]


def listed(v: DomainView) -> dict[str, np.ndarray]:
    """Every list of documents the domain's section shows."""
    above, below = around_threshold(v)
    top, bottom = extremes(v)
    return {"above": above, "below": below, "excluded": excluded_best(v), "top": top, "bottom": bottom}


def listed_documents(views: list[DomainView]) -> list[tuple[DomainView, int]]:
    """(view, row) of every document the report lists, each once."""
    seen, out = set(), []
    for v in views:
        for rows in listed(v).values():
            for i in map(int, rows):
                if (v.name, i) not in seen:
                    seen.add((v.name, i))
                    out.append((v, i))
    return out


# ---------------------------------------------------------------- sections


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
        for key in ("fraction", "by"):
            rows.append([f"select {key}", _esc(str(selection.get(key)))])
        guard = selection.get("guard") or {}
        rows.append(["select guard", _esc(json.dumps(guard) if guard.get("enabled") else "off (--no-guard)")])
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
        pearson, rank = correlations(repetition, score) if repetition is not None else (None, None)
        rows.append(
            [
                _esc(v.name),
                f"{len(score):,}",
                f"{int(v.excluded.sum()):,}",
                f"{int(v.selected.sum()):,}",
                f"{int(tokens.sum()):,}",
                f"{int(tokens[v.selected].sum()):,}",
                _fmt(float(score.mean())),
                _fmt(v.threshold),
                _fmt(float(np.nanmean(repetition)) if repetition is not None else None, ".3f"),
                _fmt(pearson, "+.3f"),
                _fmt(rank, "+.3f"),
                _overlap(v),
            ]
        )
    headers = ["domain", "docs", "excluded by the guard", "kept", "tokens", "kept tokens", "mean score", "threshold"]
    headers += ["mean repetition", "corr(rep, score) Pearson", "Spearman", "kept of the unguarded selection"]
    note = "" if selection else "<p>No selection yet (run <code>attninf select</code>): nothing is marked kept.</p>"
    return '<h2 id="domains">Domains</h2>' + note + _table(headers, rows)


def _overlap(v: DomainView) -> str:
    """The share of the selection without the guard that the selection holds."""
    if v.unguarded is None or not v.unguarded.any():
        return "-"
    return f"{(v.unguarded & v.selected).sum() / v.unguarded.sum():.1%}"


def _control_section(control: dict | None, reason: str) -> str:
    out = '<h2 id="control">Random-heads control</h2>'
    if control is None:
        return out + f'<p class="note">Not computed: {_esc(reason)}.</p>'
    heads = ", ".join(f"{a}:{b}" for a, b in control["random_heads"])
    out += (
        f"<p>On a seeded sample of each domain (up to {control['sample']} documents the selection ranked, seed "
        f"{control['seed']}), the documents were scored again with {len(control['random_heads'])} random heads "
        f"(none of the run's): <code>{_esc(heads)}</code>. If the selection were a generic effect of masking any "
        "heads, they would rank the documents as the run's heads do (Spearman near 1, the same top fraction); a "
        "low rank correlation, a small overlap and a smaller rise of the loss show that the selection comes from "
        "the retrieval heads. Stored in <code>control.json</code>.</p>"
    )
    rows = []
    for domain, s in control["summary"].items():
        rows.append(
            [
                _esc(domain),
                f"{s['documents']:,}",
                _fmt(s["spearman"], "+.3f"),
                f"{_fmt(s['top_overlap'], '.2f')} (top {s['k']})",
                _fmt(s["mean_score"]),
                _fmt(s["mean_random_score"]),
            ]
        )
    headers = ["domain", "sample", "Spearman (run heads, random heads)", f"top {control['fraction']:g} in common"]
    headers += ["mean score, run heads", "mean score, random heads"]
    out += _table(headers, rows, "control")
    pairs = {
        d: (np.array(v["scores"], dtype=float), np.array([np.nan if x is None else x for x in v["random_scores"]]))
        for d, v in control["domains"].items()
    }
    return out + f'<img alt="control scores" src="{plots.control_figure(pairs)}">'


def _excerpt(text: str | None) -> str:
    if text is None:
        return "(text not found, or changed since it was scored)"
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


def _documents_table(v: DomainView, indices: np.ndarray, texts: dict, links: dict[str, str]) -> str:
    rows = []
    t = v.table
    repetition = v.repetition
    for i in map(int, indices):
        key = (t["source"][i].as_py(), t["row"][i].as_py())
        doc_id = _esc(str(t["id"][i].as_py()))
        link = links.get(t["text_hash"][i].as_py())
        rows.append(
            [
                f'<a class="explain" href="{link}">{doc_id}</a>' if link else doc_id,
                _fmt(t["score"][i].as_py()),
                _fmt(t["loss_base"][i].as_py()),
                _fmt(t["loss_masked"][i].as_py()),
                _fmt(float(repetition[i]) if repetition is not None else None, ".3f"),
                f"{t['n_tokens'][i].as_py():,}",
                _esc(v.verdict(i)),
                f'<div class="excerpt">{_esc(_excerpt(texts.get(key)))}</div>',
            ]
        )
    headers = ["id", "score", "loss base", "loss masked", "repetition", "tokens", "verdict", "excerpt"]
    return _table(headers, rows, "docs")


def _kept_vs_rejected(v: DomainView) -> str:
    groups = (("kept", v.selected), ("rejected", v.rejected), ("excluded by the guard", v.excluded))
    rows = []
    for column, label, spec in COMPARED:
        values = v.column(column)
        if values is None:
            continue
        cells = []
        for _, mask in groups:
            picked = values[mask & np.isfinite(values)]
            cells.append(_fmt(float(np.median(picked)), spec) if len(picked) else "-")
        rows.append([_esc(label), *cells])
    headers = ["median of", *(f"{name} ({int(mask.sum()):,})" for name, mask in groups)]
    return _table(headers, rows, "compare")


def _excluded_section(v: DomainView, selection: dict | None, texts: dict, links: dict) -> str:
    anchor = f'<h3 id="excluded-{_esc(v.name)}">Excluded by the guard</h3>'
    guard = (selection or {}).get("guard") or {}
    if not selection:
        return anchor + '<p class="note">No selection yet (run <code>attninf select</code>).</p>'
    if not guard.get("enabled"):
        return anchor + '<p class="note">The guard was off for this selection: every document was ranked.</p>'
    counts = selection.get("domains", {}).get(v.name, {}).get("excluded", {})
    labels = {rule.name: rule.label.split(" {")[0].split(":")[0] for rule in RULES}
    summary = ", ".join(f"{labels.get(r, r)} ({r}) {n:,}" for r, n in counts.items() if n) or "none"
    out = anchor + f"<p>{int(v.excluded.sum()):,} of {len(v.excluded):,} documents, by rule: {_esc(summary)}. "
    out += "All of them, with their reasons, are in <code>excluded.parquet</code>.</p>"
    out += _guard_cost(v)
    best = excluded_best(v)
    if len(best):
        ones = "The best-scoring one" if len(best) == 1 else f"The {len(best)} best-scoring ones"
        out += f"<p>{ones} (first those the selection without the guard keeps):</p>"
        out += _documents_table(v, best, texts, links)
    return out


def _guard_cost(v: DomainView) -> str:
    """What the guard cost the domain: the selection without it against this one."""
    if v.unguarded is None:
        return ""
    unguarded, both = int(v.unguarded.sum()), int((v.unguarded & v.selected).sum())
    lost, instead = int((v.unguarded & v.excluded).sum()), int((v.selected & ~v.unguarded).sum())
    share = _overlap(v)
    below = "from below the cut without the guard"
    instead_take = f"document {below} takes its place" if instead == 1 else f"documents {below} take their places"
    return (
        f'<p class="cost">What the guard cost: without it the selection would hold {_count(unguarded, "document")}; '
        f"this one holds {both:,} of them (<b>{share}</b>). The guard excluded {lost:,} of them; {instead:,} "
        f"{instead_take}.</p>"
    )


def _count(n: int, noun: str) -> str:
    """`n` and the noun, plural unless `n` is 1: "1 document", "3 documents"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _domain_section(v: DomainView, selection: dict | None, texts: dict, links: dict) -> str:
    t = v.table
    name = _esc(v.name)
    figure = plots.domain_figure(
        v.name, t["score"].to_numpy(), t["n_tokens"].to_numpy(), v.repetition, v.selected, v.threshold, v.excluded
    )
    scatter = plots.score_vs_loss(v.name, t["score"].to_numpy(), t["loss_base"].to_numpy(), v.selected, v.excluded, v.threshold)  # fmt: skip
    parts = listed(v)
    out = f'<h2 id="domain-{name}">Domain: {name}</h2><img alt="{name} plots" src="{figure}">'
    out += f'<h3 id="threshold-{name}">Score against base loss</h3><img alt="{name} score against base loss" '
    out += f'src="{scatter}"><h3 id="near-{name}">Around the threshold ({_fmt(v.threshold)})</h3>'
    if v.threshold is None:
        out += '<p class="note">No threshold: nothing was selected in this domain.</p>'
    else:
        out += f"<p>The {len(parts['above'])} kept documents just above the threshold:</p>"
        out += _documents_table(v, parts["above"], texts, links)
        out += f"<p>The {len(parts['below'])} ranked documents just below it (rejected):</p>"
        out += _documents_table(v, parts["below"], texts, links) if len(parts["below"]) else "<p>None.</p>"
    out += f'<h3 id="kept-{name}">Kept against rejected</h3>{_kept_vs_rejected(v)}'
    out += _excluded_section(v, selection, texts, links)
    out += f"<h3>Top {len(parts['top'])} documents</h3>{_documents_table(v, parts['top'], texts, links)}"
    out += f"<h3>Bottom {len(parts['bottom'])} documents</h3>{_documents_table(v, parts['bottom'], texts, links)}"
    return out


STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f0f0f0}table.settings td:last-child{font-family:monospace;word-break:break-all;max-width:60em}
table.docs td:last-child{width:55%}.excerpt{font-family:monospace;font-size:85%;white-space:pre-wrap;
max-height:12em;overflow:auto}img{max-width:100%}.note{background:#fff6d5;padding:.4em .8em;display:inline-block}"""


def report_texts(rundir: RunDir, views: list[DomainView]) -> dict[tuple[str, int], str | None]:
    """The texts of every listed document, read back from the corpus."""
    wanted = []
    for v, i in listed_documents(views):
        t = v.table
        wanted.append((t["source"][i].as_py(), t["row"][i].as_py(), t["text_hash"][i].as_py()))
    return fetch_texts(wanted, Fields(**rundir.manifest()["settings"]["fields"]))


def build_report(
    out: str,
    heads_file: str | None = None,
    *,
    views: list[DomainView] | None = None,
    texts: dict | None = None,
    links: dict[str, str] | None = None,
    control: dict | None = None,
    without_model: str | None = "no model was given",
    control_missing: str = "no model was given",
) -> str:
    """The report's HTML for a run folder (scores required; selection and heads optional).
    `links`: {text_hash: explain page}; `control`: DIR/control.json, or `control_missing` says
    why there is none; `without_model`: why there are no explain pages (None when there are)."""
    rundir = RunDir(out)
    manifest = rundir.manifest()
    run = {k: v for k, v in manifest.items() if k != "sources"} | {"sources": len(manifest["sources"])}
    summary = rundir.read_json(SUMMARY)
    selection = rundir.read_json(SELECTION)
    heads_info = json.loads(Path(heads_file).read_text()) if heads_file else rundir.read_json(HEADS)
    views = views if views is not None else domain_views(rundir.read_scores(), selection)
    texts = texts if texts is not None else report_texts(rundir, views)
    links = links or {}
    model = _esc(str(manifest["model"]["name"]))
    nav = " · ".join(f'<a href="#domain-{_esc(v.name)}">{_esc(v.name)}</a>' for v in views)
    note = ""
    if without_model:
        note = (
            f'<p class="note" id="no-model">Rendered without a model ({_esc(without_model)}): no token-level '
            "explain pages and no random-heads control. <code>attninf report DIR</code> computes them.</p>"
        )
    else:
        note = "<p>Each listed document's id links to its token-level explain page (<code>explain/</code>).</p>"
    body = (
        f"<h1>AttentionInfluence run report</h1><p>Run folder <code>{_esc(rundir.uri)}</code>; model "
        f"<code>{model}</code>. Score = (loss with the heads masked − base loss) / base loss; documents the "
        "guard excludes (text copied from its own structure) are not ranked; the top of each domain is kept. "
        "Repetition = duplicated word n-gram character fraction (repeated text inflates the score).</p>"
        f'{note}<p><a href="#domains">domains</a> · <a href="#control">random-heads control</a> · {nav}</p>'
        + _settings_section(run, selection, summary)
        + _heads_section(run, heads_info)
        + _summary_section(views, selection)
        + _control_section(control, control_missing)
        + "".join(_domain_section(v, selection, texts, links) for v in views)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>AttentionInfluence report</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def write_report(
    out: str,
    heads_file: str | None = None,
    model: LoadedModel | ModelSettings | None = None,
    *,
    use_model: bool = True,
    control_docs: int = 32,
    seed: int = 0,
    progress: bool = False,
) -> str:
    """Write DIR/report.html; returns its path. With `use_model`, `model` (a LoadedModel, or loader
    settings for the run's model, see `run_model`) writes the explain page of every listed
    document and the random-heads control (`control_docs` per domain, 0: none), both cached."""
    from attention_influence.reports.control import compute_control
    from attention_influence.reports.pages import Listed, write_pages

    rundir = RunDir(out)
    manifest = rundir.manifest()
    selection = rundir.read_json(SELECTION)
    views = domain_views(rundir.read_scores(), selection)
    texts = report_texts(rundir, views)
    links: dict[str, str] = {}
    control = None
    without_model, control_missing = "--no-model", "rendered with --no-model"
    if use_model:
        loaded = run_model(manifest, model)
        heads = [tuple(h) for h in manifest["heads"]]
        docs = []
        for v, i in listed_documents(views):
            t = v.table
            text = texts.get((t["source"][i].as_py(), t["row"][i].as_py()))
            if text is not None:
                label = f"{t['id'][i].as_py()} ({v.name}, score {t['score'][i].as_py():.4f}, {v.verdict(i)})"
                docs.append(Listed(t["text_hash"][i].as_py(), text, label))
        links = write_pages(rundir, loaded, heads, manifest["settings"].get("max_length"), docs, progress)
        if control_docs > 0:
            control = compute_control(rundir, loaded, control_docs, seed, progress)
        without_model, control_missing = None, "--control-docs 0"
    page = build_report(
        out,
        heads_file,
        views=views,
        texts=texts,
        links=links,
        control=control,
        without_model=without_model,
        control_missing=control_missing,
    )
    path = rundir.file(REPORT)
    atomic_write_bytes(path, page.encode())
    return path


def run_model(manifest: dict, model: LoadedModel | ModelSettings | None) -> LoadedModel:
    """The run's model: `model` when it is a LoadedModel with the run's weights, else loaded with
    the settings `model` (their `model` None: the one the manifest names); RunError when the
    weights are not the ones the run scored with."""
    from attention_influence.models import load

    if isinstance(model, LoadedModel):
        loaded = model
    else:
        settings = model or ModelSettings()
        loaded = load(settings if settings.model else replace(settings, model=manifest["model"]["name"]))
    if loaded.fingerprint != manifest["model"]["fingerprint"]:
        raise RunError(
            f"{loaded.name} is not the model this run was scored with (fingerprint {loaded.fingerprint}, the run's "
            f"{manifest['model']['fingerprint']}): give the run's model, or render with --no-model"
        )
    return loaded
