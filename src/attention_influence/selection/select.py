"""Per-domain top-fraction selection by score (METHOD.md section 4)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.corpus.readers import PARQUET_SUFFIXES, _compression, iter_raw
from attention_influence.corpus.writers import join, list_files, write_json, write_jsonl, write_table
from attention_influence.preflight import check_run_complete

SCORE_COLUMNS = ("score", "loss_base", "loss_masked", "n_tokens")
ADDED_PREFIX = "attninf_"  # selected documents get attninf_score, attninf_loss_base, ...


class SelectionError(ValueError):
    """Selection cannot run (bad arguments, or no scores)."""


@dataclass
class DomainSelection:
    domain: str
    documents: int  # scored documents
    selected: int
    tokens: int
    selected_tokens: int
    threshold: float | None  # lowest selected score


def read_scores(out: str, columns: list[str] | None = None) -> pa.Table:
    """All score rows of a run (every part file under DIR/scores/)."""
    files = list_files(join(out, "scores"), ".parquet")
    if not files:
        raise SelectionError(f"no scores under {join(out, 'scores')}: run `attninf score` first")
    import fsspec

    tables = []
    for path in files:
        with fsspec.open(path, "rb") as f:
            tables.append(pq.read_table(f, columns=columns))
    return pa.concat_tables(tables)


def rank_domain(scores: np.ndarray, ids: np.ndarray, tokens: np.ndarray, fraction: float, by: str) -> np.ndarray:
    """Indices of the selected rows: best score first, ties broken by id (deterministic)."""
    order = np.lexsort((ids, -scores))
    if by == "docs":
        keep = math.ceil(fraction * len(order) - 1e-9)
    else:
        cumulative = np.cumsum(tokens[order])
        before = cumulative - tokens[order]  # tokens already kept before this document
        keep = int(np.count_nonzero(before < fraction * cumulative[-1] - 1e-9)) if len(order) else 0
    return order[:keep]


def select(out: str, fraction: float = 0.2, by: str = "docs", write_documents: bool = True) -> dict:
    """Keep the top `fraction` of each domain (by document count or by tokens).

    Writes DIR/selection.json and, with `write_documents`, the selected documents under
    DIR/selected/ in their input's format with attninf_* score columns added.
    """
    if not 0 < fraction <= 1:
        raise SelectionError(f"--fraction must be in (0, 1], got {fraction}")
    if by not in ("docs", "tokens"):
        raise SelectionError(f"--by must be docs or tokens, got {by!r}")
    check_run_complete(out)
    table = read_scores(out, ["id", "domain", "source", "row", "n_tokens", "score", "loss_base", "loss_masked"])
    table = table.filter(pc.and_kleene(pc.is_valid(table["score"]), pc.is_finite(table["score"])))
    domains: list[DomainSelection] = []
    chosen = []
    domain_col = table["domain"].to_numpy(zero_copy_only=False)
    for domain in sorted(set(domain_col.tolist())):
        sub = table.filter(pc.equal(table["domain"], domain))
        scores = sub["score"].to_numpy()
        tokens = sub["n_tokens"].to_numpy()
        picked = rank_domain(scores, sub["id"].to_numpy(zero_copy_only=False).astype(str), tokens, fraction, by)
        chosen.append(sub.take(pa.array(picked, type=pa.int64())))
        domains.append(
            DomainSelection(
                domain,
                len(scores),
                len(picked),
                int(tokens.sum()),
                int(tokens[picked].sum()),
                float(scores[picked].min()) if len(picked) else None,
            )
        )
    selected = pa.concat_tables(chosen) if chosen else table.slice(0, 0)
    report = {
        "fraction": fraction,
        "by": by,
        "domains": {d.domain: {k: v for k, v in d.__dict__.items() if k != "domain"} for d in domains},
        "total": {
            "documents": sum(d.documents for d in domains),
            "selected": sum(d.selected for d in domains),
            "tokens": sum(d.tokens for d in domains),
            "selected_tokens": sum(d.selected_tokens for d in domains),
        },
    }
    if write_documents:
        report["files"] = write_selected(out, selected)
    write_json(join(out, "selection.json"), report)
    return report


def _selected_rows(selected: pa.Table) -> dict[str, dict[int, dict]]:
    by_source: dict[str, dict[int, dict]] = {}
    for row in selected.to_pylist():
        by_source.setdefault(row["source"], {})[row["row"]] = {ADDED_PREFIX + k: row[k] for k in SCORE_COLUMNS} | {
            ADDED_PREFIX + "domain": row["domain"]
        }
    return by_source


def _output_name(index: int, source: str) -> str:
    return f"{index:05d}-{source.rstrip('/').rsplit('/', 1)[-1]}"


def write_selected(out: str, selected: pa.Table) -> list[str]:
    """Copy the selected rows of every source file to DIR/selected/, same format, scores added."""
    written = []
    rows_by_source = _selected_rows(selected)
    for index, source in enumerate(sorted(rows_by_source)):
        wanted = rows_by_source[source]
        path = join(out, "selected", _output_name(index, source))
        if source.lower().endswith(PARQUET_SUFFIXES):
            write_table(path, _parquet_rows(source, wanted))
        else:
            write_jsonl(path, _jsonl_rows(source, wanted), compression=_compression(source))
        written.append(path)
    return written


def _jsonl_rows(source: str, wanted: dict[int, dict]) -> Iterator[dict]:
    for row, obj, error in iter_raw(source):
        if row in wanted and error is None and isinstance(obj, dict):
            yield obj | wanted[row]


def _parquet_rows(source: str, wanted: dict[int, dict]) -> pa.Table:
    import fsspec

    with fsspec.open(source, "rb") as f:
        table = pq.read_table(f)
    rows = sorted(wanted)
    table = table.take(pa.array(rows, type=pa.int64()))
    for key in next(iter(wanted.values())):
        table = table.append_column(key, pa.array([wanted[r][key] for r in rows]))
    return table
