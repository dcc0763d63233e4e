"""Per-domain top-fraction selection by score (METHOD.md section 4), guarded (selection/guard.py),
on a complete run whose sources are still the files that were scored."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import GuardSettings, SelectSettings, select_settings
from attention_influence.errors import RunError
from attention_influence.progress import Progress
from attention_influence.runs.rundir import EXCLUDED, SELECTION, RunDir
from attention_influence.selection.documents import ADDED_PREFIX, write_documents, write_selected  # noqa: F401
from attention_influence.selection.guard import active_rules, excluded_mask, needed_columns
from attention_influence.selection.thresholds import EXCLUDED_SCHEMA, domain_cuts, has_column, quota, selected_rows


@dataclass
class DomainSelection:
    documents: int  # scored documents (the fraction is taken of these)
    selected: int
    tokens: int
    selected_tokens: int
    threshold: float | None  # lowest selected score
    mean_score: float | None = None
    mean_repetition: float | None = None
    eligible: int = 0  # documents the guard let through to the ranking
    excluded: dict[str, int] = field(default_factory=dict)  # guard rule -> documents it excluded


def rank_domain(
    scores: np.ndarray,
    ids: np.ndarray,
    tokens: np.ndarray,
    fraction: float,
    by: str,
    documents: int | None = None,
    total_tokens: int | None = None,
) -> np.ndarray:
    """Indices of the selected rows: best score first, ties broken by id (deterministic). The
    fraction is of `documents` (or `total_tokens`) when given: a domain whose other documents
    the guard excluded keeps as many as if they were there, when enough are eligible."""
    order = np.lexsort((ids, -scores))
    if by == "docs":
        keep = min(quota(fraction, len(order) if documents is None else documents), len(order))
    else:
        total = int(tokens.sum()) if total_tokens is None else total_tokens
        before = np.cumsum(tokens[order]) - tokens[order]  # tokens already kept before this document
        keep = int(np.count_nonzero(before < fraction * total - 1e-9)) if len(order) else 0
    return order[:keep]


def _missing_columns(rundir: RunDir, files: list[str], guard: GuardSettings) -> None:
    """RunError naming the measure columns the guard needs that the score rows lack."""
    missing = [name for name in needed_columns(guard) if not has_column(files, name)]
    if missing:
        raise RunError(
            f"{rundir.uri}: the score rows have no {', '.join(missing)} column (scored by an earlier version), "
            "which the selection guard needs: score the corpus again into a new folder, or select with --no-guard"
        )


def select(
    out: str,
    settings: SelectSettings | None = None,
    *,
    write_documents: bool = True,
    progress: bool = False,
    **options,
) -> dict:
    """Keep the top `fraction` of each domain (by document count or by tokens) of the run in
    `out`, ranking only the documents the guard lets through; `options` are SelectSettings
    fields, and the guard's thresholds given flat (`config.select_settings`), when `settings`
    is not given.

    Refuses (RunError) an incomplete run, a run whose sources changed since they were scored,
    a run without the measure columns the guard needs, and a run with no score at all. Writes
    DIR/selection.json (per domain: counts, threshold, documents excluded per guard rule),
    DIR/excluded.parquet (each excluded document with its rule and reason) and, with
    `write_documents`, the selected documents under DIR/selected/ (in their input's format,
    attninf_* columns added, each checked against the text that was scored); the folder is
    swapped in whole, so a failed selection leaves the previous one as it was."""
    settings = settings or select_settings(**options)
    guard = settings.guard
    rundir = RunDir(out)
    with rundir.exclusive("select"):
        manifest = rundir.manifest()
        rundir.check_complete()
        rundir.check_sources()
        files = rundir.parts()
        _missing_columns(rundir, files, guard)
        with Progress("select", total=2 * len(files), unit="file read", enabled=progress) as bar:  # two passes
            cuts = domain_cuts(files, settings.fraction, settings.by, guard)  # pass 1: scores only
            bar.update(len(files))
            if not cuts:
                errors = len(rundir.errors())
                raise RunError(
                    f"nothing to select: no document of {rundir.uri} has a score ({errors:,} records without one "
                    f"are listed in {rundir.file('errors.jsonl')})"
                )
            with rundir.excluded_writer(EXCLUDED_SCHEMA) as write_excluded:
                selected = selected_rows(files, cuts, settings.by, guard, write_excluded)  # pass 2: the kept rows
            bar.update(len(files))
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
                c.eligible,
                c.excluded,
            )
            for name, c in cuts.items()
        }
        total = {
            key: sum(getattr(d, key) for d in domains.values())
            for key in ("documents", "selected", "tokens", "selected_tokens", "eligible")
        }
        total["excluded"] = {
            rule.name: sum(d.excluded[rule.name] for d in domains.values()) for rule in active_rules(guard)
        }
        report = asdict(settings) | {
            "domains": {name: asdict(d) for name, d in domains.items()},
            "total": total,
            "excluded_file": rundir.file(EXCLUDED),
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


def guard_of(selection: dict) -> GuardSettings:
    """The guard a selection (selection.json) ran with; none for one written before the guard."""
    recorded = selection.get("guard")
    if not isinstance(recorded, dict):
        return GuardSettings(enabled=False)
    known = {f.name for f in fields(GuardSettings)}
    return GuardSettings(**{k: v for k, v in recorded.items() if k in known})


def selected_mask(table: pa.Table, selection: dict) -> np.ndarray:
    """Which rows of `table` (one domain's valid scores) a selection kept (it is deterministic)."""
    eligible = np.flatnonzero(~excluded_mask(table, guard_of(selection)))
    picked = rank_domain(
        table["score"].to_numpy()[eligible],
        table["id"].to_numpy(zero_copy_only=False).astype(str)[eligible],
        table["n_tokens"].to_numpy()[eligible],
        selection["fraction"],
        selection["by"],
        documents=table.num_rows,
        total_tokens=int(pc.sum(table["n_tokens"]).as_py() or 0),
    )
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[eligible[picked]] = True
    return mask
