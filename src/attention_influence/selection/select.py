"""Per-domain top-fraction selection by score (METHOD.md section 4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.writers import join, list_files, write_json
from attention_influence.distributed.resume import check_complete
from attention_influence.errors import UserError
from attention_influence.progress import Progress
from attention_influence.selection.documents import ADDED_PREFIX, write_selected  # noqa: F401 - re-exported
from attention_influence.selection.thresholds import domain_cuts, has_repetition, selected_rows

SCORE_COLUMNS = ("score", "loss_base", "loss_masked", "n_tokens")


class SelectionError(UserError):
    """Selection cannot run (bad arguments, or no scores)."""


@dataclass
class DomainSelection:
    domain: str
    documents: int  # scored documents
    selected: int
    tokens: int
    selected_tokens: int
    threshold: float | None  # lowest selected score
    mean_score: float | None = None
    mean_repetition: float | None = None  # None for runs scored before the repetition column
    too_repetitive: int = 0  # excluded by --max-repetition before ranking


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


def select(
    out: str,
    fraction: float = 0.2,
    by: str = "docs",
    write_documents: bool = True,
    max_repetition: float | None = None,
    progress: bool = False,
) -> dict:
    """Keep the top `fraction` of each domain (by document count or by tokens).

    With `max_repetition`, documents whose repetition (measures/repetition.py) is above it are
    excluded before ranking: they count in `documents` and `too_repetitive`, never in `selected`.

    Writes DIR/selection.json and, with `write_documents`, the selected documents under
    DIR/selected/ in their input's format with attninf_* score columns added.
    """
    if not 0 < fraction <= 1:
        raise SelectionError(f"--fraction must be in (0, 1], got {fraction}")
    if by not in ("docs", "tokens"):
        raise SelectionError(f"--by must be docs or tokens, got {by!r}")
    check_complete(out)
    files = list_files(join(out, "scores"), ".parquet")
    if not files:
        raise SelectionError(f"no scores under {join(out, 'scores')}: run `attninf score` first")
    if max_repetition is not None and not has_repetition(files):
        raise SelectionError("--max-repetition: this run's scores have no repetition column (score it again)")
    with Progress("select", total=2 * len(files), unit="file", enabled=progress) as bar:
        cuts = domain_cuts(files, fraction, by, max_repetition)  # pass 1: score columns only
        bar.update(len(files))
        selected = selected_rows(files, cuts, by, max_repetition)  # pass 2: the selected rows
        bar.update(len(files))
    kept = (
        {
            g["domain"]: (g["n_tokens_count"], g["n_tokens_sum"])
            for g in selected.group_by("domain").aggregate([("n_tokens", "count"), ("n_tokens", "sum")]).to_pylist()
        }
        if selected.num_rows
        else {}
    )
    domains = [
        DomainSelection(
            d,
            c.documents,
            kept.get(d, (0, 0))[0],
            c.tokens,
            kept.get(d, (0, 0))[1],
            c.threshold,
            c.mean_score,
            c.mean_repetition,
            c.too_repetitive,
        )
        for d, c in cuts.items()
    ]
    report = {
        "fraction": fraction,
        "by": by,
        "max_repetition": max_repetition,
        "domains": {d.domain: {k: v for k, v in d.__dict__.items() if k != "domain"} for d in domains},
        "total": {
            "documents": sum(d.documents for d in domains),
            "selected": sum(d.selected for d in domains),
            "tokens": sum(d.tokens for d in domains),
            "selected_tokens": sum(d.selected_tokens for d in domains),
            "too_repetitive": sum(d.too_repetitive for d in domains),
        },
    }
    if write_documents:
        report["files"] = write_selected(out, selected)
    write_json(join(out, "selection.json"), report)
    return report
