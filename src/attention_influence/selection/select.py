"""Per-domain top-fraction selection by score (METHOD.md section 4), on a complete run whose
sources are still the files that were scored."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow.compute as pc

from attention_influence.config import SelectSettings, build
from attention_influence.errors import RunError
from attention_influence.progress import Progress
from attention_influence.runs.rundir import SELECTION, RunDir
from attention_influence.selection.documents import ADDED_PREFIX, write_documents, write_selected  # noqa: F401
from attention_influence.selection.thresholds import domain_cuts, has_column, selected_rows


@dataclass
class DomainSelection:
    documents: int  # scored documents
    selected: int
    tokens: int
    selected_tokens: int
    threshold: float | None  # lowest selected score
    mean_score: float | None = None
    mean_repetition: float | None = None
    too_repetitive: int = 0  # excluded by max_repetition before ranking


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
    settings: SelectSettings | None = None,
    *,
    write_documents: bool = True,
    progress: bool = False,
    **options,
) -> dict:
    """Keep the top `fraction` of each domain (by document count or by tokens) of the run in
    `out`; `options` are SelectSettings fields when `settings` is not given.

    Refuses (RunError) an incomplete run, a run whose sources changed since they were scored,
    and a run with no score at all. Writes DIR/selection.json and, with `write_documents`, the
    selected documents under DIR/selected/ (in their input's format, attninf_* columns added,
    each checked against the text that was scored); the folder is swapped in whole, so a
    failed selection leaves the previous one as it was."""
    settings = settings or build(SelectSettings, **options)
    rundir = RunDir(out)
    with rundir.exclusive("select"):
        manifest = rundir.manifest()
        rundir.check_complete()
        rundir.check_sources()
        files = rundir.parts()
        if settings.max_repetition is not None and not has_column(files, "repetition"):
            raise RunError(f"{rundir.uri}: the scores have no repetition column (score the run again)")
        with Progress("select", total=2 * len(files), unit="file", enabled=progress) as bar:
            cuts = domain_cuts(files, settings.fraction, settings.by, settings.max_repetition)  # pass 1: scores only
            bar.update(len(files))
            selected = selected_rows(files, cuts, settings.by, settings.max_repetition)  # pass 2: the kept rows
            bar.update(len(files))
        if not cuts:
            errors = len(rundir.errors())
            raise RunError(
                f"nothing to select: no document of {rundir.uri} has a score ({errors:,} records without one are "
                f"listed in {rundir.file('errors.jsonl')})"
            )
        kept: dict[str, tuple[int, int]] = {}
        if selected.num_rows:
            for group in (
                selected.group_by("domain").aggregate([("n_tokens", "count"), ("n_tokens", "sum")]).to_pylist()
            ):
                kept[group["domain"]] = (group["n_tokens_count"], group["n_tokens_sum"])
        domains = {
            name: DomainSelection(
                c.documents,
                kept.get(name, (0, 0))[0],
                c.tokens,
                kept.get(name, (0, 0))[1],
                c.threshold,
                c.mean_score,
                c.mean_repetition,
                c.too_repetitive,
            )
            for name, c in cuts.items()
        }
        report = asdict(settings) | {
            "domains": {name: asdict(d) for name, d in domains.items()},
            "total": {
                key: sum(getattr(d, key) for d in domains.values())
                for key in ("documents", "selected", "tokens", "selected_tokens", "too_repetitive")
            },
        }
        if write_documents:
            report["files"] = _write_documents(rundir, manifest, selected, report)
        rundir.write_json(SELECTION, report)
    return report


def _write_documents(rundir: RunDir, manifest: dict, selected, report: dict) -> list[str]:
    """Write the selected documents (in the layout the report's settings name) into a temporary
    folder, then swap it in."""
    from attention_influence.config import Fields

    folder = rundir.new_selected()
    try:
        written = write_documents(folder, selected, Fields(**manifest["settings"]["fields"]), manifest, report)
    except BaseException:
        rundir.discard(folder)
        raise
    rundir.swap_selected(folder)
    return [rundir.file("selected", path[len(folder.rstrip("/")) + 1 :]) for path in written]


def selected_mask(table, selection: dict) -> np.ndarray:
    """Which rows of `table` (one domain's valid scores) a selection kept (it is deterministic)."""
    excluded = np.zeros(table.num_rows, dtype=bool)
    limit = selection.get("max_repetition")
    if limit is not None and "repetition" in table.column_names:
        excluded = pc.fill_null(pc.greater(table["repetition"], limit), False).to_numpy(zero_copy_only=False)
    eligible = np.flatnonzero(~excluded)
    picked = rank_domain(
        table["score"].to_numpy()[eligible],
        table["id"].to_numpy(zero_copy_only=False).astype(str)[eligible],
        table["n_tokens"].to_numpy()[eligible],
        selection["fraction"],
        selection["by"],
    )
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[eligible[picked]] = True
    return mask
