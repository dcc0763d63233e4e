"""`attninf compare RUN_A RUN_B`: how two runs of the same corpus agree (two models, two head sets,
bf16 against fp32, the guard on and off). Per domain: the overlap of their selections (Jaccard,
and the share of A's kept documents that B also kept) and the Spearman correlation of their scores
over the documents both scored.

Documents are joined on (source, row) when the runs read the same files (a row whose text hash
differs is not the same document), else on the text hash (a text that occurs more than once in a
run counts once, at its first place)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.corpus.writers import write_json
from attention_influence.errors import RunError
from attention_influence.reports.stats import jaccard, spearman
from attention_influence.runs.rundir import SELECTION, RunDir
from attention_influence.selection.guard import needed_columns
from attention_influence.selection.select import guard_of, selected_mask

_COLUMNS = ["id", "domain", "source", "row", "text_hash", "score", "n_tokens"]


def _side(uri: str) -> tuple[RunDir, dict, dict, pa.Table, np.ndarray]:
    """(run, manifest, selection, valid score rows, kept mask) of one run."""
    rundir = RunDir(uri)
    manifest = rundir.manifest()
    rundir.check_complete()
    selection = rundir.read_json(SELECTION)
    if selection is None:
        raise RunError(f"{rundir.uri} has no selection: run `attninf select {rundir.uri}` first")
    columns = list(dict.fromkeys(_COLUMNS + list(needed_columns(guard_of(selection)))))
    table = rundir.read_scores(columns)
    table = table.filter(pc.and_kleene(pc.is_valid(table["score"]), pc.is_finite(table["score"])))
    table = table.take(pc.sort_indices(table, [("source", "ascending"), ("row", "ascending")]))
    return rundir, manifest, selection, table, selected_mask(table, selection)


def _keys(table: pa.Table, by_place: bool) -> list:
    if by_place:
        return list(
            zip(table["source"].to_pylist(), table["row"].to_pylist(), table["text_hash"].to_pylist(), strict=True)
        )
    return table["text_hash"].to_pylist()


def _describe(manifest: dict, selection: dict) -> dict:
    return {
        "model": manifest["model"]["name"],
        "fingerprint": manifest["model"]["fingerprint"],
        "dtype": manifest["dtype"],
        "heads": manifest["heads"],
        "max_length": manifest["settings"].get("max_length"),
        "fraction": selection["fraction"],
        "by": selection["by"],
        "guard": selection.get("guard"),
    }


def _first(keys: list) -> dict:
    """key -> the row of its first occurrence."""
    first: dict = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return first


def _agreement(a: tuple[dict, list, np.ndarray, np.ndarray], b: tuple[dict, list, np.ndarray, np.ndarray], domain):
    """One line of the comparison: each side is (first row of each key, domains, scores, kept)."""
    (first_a, domains_a, scores_a, kept_a), (first_b, domains_b, scores_b, kept_b) = a, b
    in_a = {k for k, i in first_a.items() if domain is None or domains_a[i] == domain}
    in_b = {k for k, i in first_b.items() if domain is None or domains_b[i] == domain}
    kept_set_a = {k for k in in_a if kept_a[first_a[k]]}
    kept_set_b = {k for k in in_b if kept_b[first_b[k]]}
    both = [k for k in in_a if k in first_b]
    x = np.array([scores_a[first_a[k]] for k in both], dtype=float)
    y = np.array([scores_b[first_b[k]] for k in both], dtype=float)
    return {
        "documents_a": len(in_a),
        "documents_b": len(in_b),
        "common": len(both),
        "kept_a": len(kept_set_a),
        "kept_b": len(kept_set_b),
        "kept_both": len(kept_set_a & kept_set_b),
        "jaccard": jaccard(kept_set_a, kept_set_b),
        "a_kept_also_b": len(kept_set_a & kept_set_b) / len(kept_set_a) if kept_set_a else None,
        "spearman": spearman(x, y),
    }


def compare_runs(run_a: str, run_b: str, json_file: str | None = None) -> dict:
    """The comparison of two complete, selected runs (see the module's docstring); RunError when
    they share no document. Written to `json_file` when given."""
    a, manifest_a, selection_a, table_a, kept_a = _side(run_a)
    b, manifest_b, selection_b, table_b, kept_b = _side(run_b)
    by_place = bool({s["uri"] for s in manifest_a["sources"]} & {s["uri"] for s in manifest_b["sources"]})
    first_a, first_b = _first(_keys(table_a, by_place)), _first(_keys(table_b, by_place))
    if not any(key in first_b for key in first_a):
        how = "(source, row) and text hash" if by_place else "text hash"
        raise RunError(
            f"{a.uri} and {b.uri} share no scored document (joined on {how}): compare two runs of the same corpus"
        )
    side_a = (first_a, table_a["domain"].to_pylist(), table_a["score"].to_numpy(), kept_a)
    side_b = (first_b, table_b["domain"].to_pylist(), table_b["score"].to_numpy(), kept_b)
    names = sorted(set(side_a[1]) | set(side_b[1]))
    described_a, described_b = _describe(manifest_a, selection_a), _describe(manifest_b, selection_b)
    result = {
        "run_a": a.uri,
        "run_b": b.uri,
        "a": described_a,
        "b": described_b,
        "differ": [key for key in described_a if described_a[key] != described_b[key]],
        "join": "source_row" if by_place else "text_hash",
        "domains": {domain: _agreement(side_a, side_b, domain) for domain in names},
        "total": _agreement(side_a, side_b, None),  # every domain together
    }
    if json_file:
        write_json(str(json_file), result)
    return result


def format_comparison(result: dict) -> str:
    """The comparison as a table (one line per domain and the total), for the terminal."""

    def fmt(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    differ = ", ".join(result["differ"]) or "nothing"
    lines = [
        f"A {result['run_a']}",
        f"B {result['run_b']}",
        f"settings that differ: {differ}; documents joined on {result['join'].replace('_', ', ')}",
        f"{'domain':<16}{'docs A':>8}{'docs B':>8}{'common':>8}{'kept A':>8}{'kept B':>8}{'both':>6}"
        f"{'Jaccard':>9}{'A kept, B too':>15}{'Spearman':>10}",
    ]
    for name, d in [*result["domains"].items(), ("(all)", result["total"])]:
        lines.append(
            f"{name:<16}{d['documents_a']:>8,}{d['documents_b']:>8,}{d['common']:>8,}{d['kept_a']:>8,}"
            f"{d['kept_b']:>8,}{d['kept_both']:>6,}{fmt(d['jaccard'], '.3f'):>9}{fmt(d['a_kept_also_b'], '.3f'):>15}"
            f"{fmt(d['spearman'], '+.3f'):>10}"
        )
    return "\n".join(lines)
