"""Per-domain top-fraction selection by score (METHOD.md section 4), guarded (selection/guard.py),
on a complete run whose sources are still the files that were scored."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import GuardSettings, SelectSettings, select_settings
from attention_influence.errors import RunError
from attention_influence.progress import Progress
from attention_influence.runs.rundir import EXCLUDED, SELECTION, RunDir
from attention_influence.selection.cut import (
    EXCLUDED_SCHEMA,
    DomainCut,
    cut_tables,
    domain_cuts,
    file_tables,
    has_column,
    limits_of,
    memory_tables,
    reads,
    selected_rows,
)
from attention_influence.selection.documents import write_documents
from attention_influence.selection.guard import active_rules, guard_verdicts, needed_columns


@dataclass
class DomainSelection:
    """A domain's line of selection.json."""

    documents: int  # scored documents (the fraction is taken of these)
    selected: int
    tokens: int
    selected_tokens: int
    threshold: float | None  # lowest selected score
    mean_score: float | None = None
    mean_repetition: float | None = None
    eligible: int = 0  # documents the guard let through to the ranking
    excluded: dict[str, int] = field(default_factory=dict)  # guard rule -> documents it excluded
    min_tokens: float | None = None  # the guard's too_short limit here (lower in a domain of short documents)
    without_guard: dict | None = None  # what the guard cost: the selection without it (`guard_cost`)

    @classmethod
    def of(cls, cut: DomainCut, selected: int, selected_tokens: int, cost: dict | None) -> DomainSelection:
        shared = {f.name: getattr(cut, f.name) for f in fields(cls) if hasattr(cut, f.name)}
        return cls(**shared | {"selected": selected, "selected_tokens": selected_tokens, "without_guard": cost})


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
    rundir = RunDir(out)
    with rundir.exclusive("select"):
        manifest = rundir.manifest()
        rundir.check_complete()
        rundir.check_sources()
        files = rundir.parts()
        _missing_columns(rundir, files, settings.guard)
        passes = reads(settings.guard) + (reads(None) if active_rules(settings.guard) else 0)  # and without the guard
        with (
            Progress("select", total=passes * len(files), unit="file read", enabled=progress) as bar,
            rundir.excluded_writer(EXCLUDED_SCHEMA) as write_excluded,
        ):
            cuts, costs, selected = _cut(rundir, files, settings, write_excluded, bar)
        report = selection_report(settings, cuts, selected, costs) | {"excluded_file": rundir.file(EXCLUDED)}
        if write_documents:
            report["files"] = _write_documents(rundir, manifest, selected, report)
        rundir.write_json(SELECTION, report)
    return report


def _cut(rundir: RunDir, files: list[str], settings: SelectSettings, write_excluded, bar: Progress):
    """(the guarded cuts, the cuts without the guard or None when it excludes nothing, the selected
    rows): the passes of the cut over the run's score files, the bar moved by each file read.
    Each excluded row goes to `write_excluded`, marked with whether the cut without the guard keeps it."""

    def tables(columns):
        for table in file_tables(files)(columns):
            yield table
            bar.update(1)

    cuts = domain_cuts(tables, settings.fraction, settings.by, settings.guard)  # pass 1: scores only
    if not cuts:
        errors = len(rundir.errors())
        raise RunError(
            f"nothing to select: no document of {rundir.uri} has a score ({errors:,} records without one "
            f"are listed in {rundir.file('errors.jsonl')})"
        )
    plain = cut_tables(tables, settings.fraction, settings.by)[0] if active_rules(settings.guard) else None
    lost: Counter = Counter()  # domain -> excluded rows the cut without the guard keeps

    def excluded(table: pa.Table) -> None:
        marked = kept_by(plain, table) if plain is not None else np.zeros(table.num_rows, dtype=bool)
        lost.update(table["domain"].filter(pa.array(marked)).to_pylist())
        index = table.schema.get_field_index("would_be_selected")
        write_excluded(table.set_column(index, "would_be_selected", pa.array(marked)))

    selected = selected_rows(tables, cuts, settings.by, settings.guard, excluded)  # pass 2: the kept rows
    costs = None if plain is None else {name: (plain[name], lost[name]) for name in cuts}
    return cuts, costs, selected


def kept_by(cuts: dict[str, DomainCut], table: pa.Table) -> np.ndarray:
    """(rows,) bool: which rows of `table` (its eligible rows, for the cuts' guard) `cuts` keep."""
    mask = np.zeros(table.num_rows, dtype=bool)
    scores = table["score"].to_numpy(zero_copy_only=False)
    ids = table["id"].to_numpy(zero_copy_only=False).astype(str)
    domains = table["domain"].to_numpy(zero_copy_only=False)
    for name, cut in cuts.items():
        rows = np.flatnonzero(domains == name)
        mask[rows] = cut.keeps(scores[rows], ids[rows])
    return mask


def guard_cost(plain: DomainCut, selected: pa.Table, excluded: int) -> dict:
    """What the guard cost a domain: the selection without it (`plain`'s cut) against the one made
    (`selected`: this domain's selected rows): how many documents both hold, the share of the
    unguarded selection that is (its overlap), and how many of its documents the guard excluded."""
    unguarded = plain.keep if plain.threshold is not None else 0
    both = int(kept_by({plain.domain: plain}, selected).sum()) if unguarded and selected.num_rows else 0
    return {
        "threshold": plain.threshold,
        "selected": unguarded,
        "kept": both,
        "overlap": both / unguarded if unguarded else None,
        "excluded": excluded,
    }


def selection_report(
    settings: SelectSettings, cuts: dict[str, DomainCut], selected: pa.Table, costs: dict | None = None
) -> dict:
    """selection.json's content: the settings, per domain its counts, its cut and (with `costs`:
    domain -> (its cut without the guard, its excluded documents that cut keeps)) what the guard
    cost, and the totals."""
    kept: dict[str, tuple[int, int]] = {}
    if selected.num_rows:
        for group in selected.group_by("domain").aggregate([("n_tokens", "count"), ("n_tokens", "sum")]).to_pylist():
            kept[group["domain"]] = (group["n_tokens_count"], group["n_tokens_sum"])
    domains = {}
    for name, cut in cuts.items():
        cost = None
        if costs is not None:
            cost = guard_cost(costs[name][0], selected.filter(pc.equal(selected["domain"], name)), costs[name][1])
        domains[name] = DomainSelection.of(cut, *kept.get(name, (0, 0)), cost)
    total = {
        key: sum(getattr(d, key) for d in domains.values())
        for key in ("documents", "selected", "tokens", "selected_tokens", "eligible")
    }
    total["excluded"] = {
        rule.name: sum(d.excluded[rule.name] for d in domains.values()) for rule in active_rules(settings.guard)
    }
    if costs is not None:
        lines = [d.without_guard for d in domains.values()]
        unguarded = sum(c["selected"] for c in lines)
        both = sum(c["kept"] for c in lines)
        total["without_guard"] = {
            "selected": unguarded,
            "kept": both,
            "overlap": both / unguarded if unguarded else None,
            "excluded": sum(c["excluded"] for c in lines),
        }
    return asdict(settings) | {"domains": {name: asdict(d) for name, d in domains.items()}, "total": total}


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
    """Which rows of `table` (valid scores of one or more domains) a selection (selection.json)
    kept: the same cut, computed again on these rows (it is deterministic)."""
    guard = guard_of(selection)
    cuts, _ = cut_tables(memory_tables(table), selection["fraction"], selection["by"], guard)
    mask = np.zeros(table.num_rows, dtype=bool)
    eligible = guard_verdicts(table, guard, limits_of(cuts))[0] < 0
    scores = table["score"].to_numpy(zero_copy_only=False)
    ids = table["id"].to_numpy(zero_copy_only=False).astype(str)
    domains = table["domain"].to_numpy(zero_copy_only=False)
    for name, cut in cuts.items():
        rows = np.flatnonzero(eligible & (domains == name))
        mask[rows] = cut.keeps(scores[rows], ids[rows])
    return mask
