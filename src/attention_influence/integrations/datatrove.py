"""datatrove pipeline steps (extra `datatrove`): score documents inside a user's own datatrove
pipeline, and keep the top fraction of each domain, or everything above a score.

A fraction of each domain needs the scores of the whole corpus, so it takes two pipelines, the
second depending on the first (docs/datatrove.md has one to run):

    1. reader -> AttentionInfluenceScorer() -> AttentionInfluenceScoreWriter("scores/") -> writer("scored/")
       the scorer adds attninf_score, attninf_loss_base, ... to each Document's metadata; the
       score writer sets attninf_domain and the text measures the guard reads (attninf_repetition,
       attninf_templated_text, ...) and writes the task's scores to scores/RRRRR-of-WWWWW.parquet
    2. reader("scored/") -> AttentionInfluenceTopFraction("scores/", fraction=0.2) -> writer("kept/")
       at its first document, the filter reads every task's scores and computes each domain's
       exact cut (selection/cut.py, as `attninf select`: the guard's exclusions left out,
       best score first, ties by id); a document the guard excludes is dropped with its rule

AttentionInfluenceFilter(threshold=...) keeps documents at or above a fixed score instead.
The model loads lazily on the first batch of each task, so steps pickle and copy cheaply.
"""

from __future__ import annotations

import posixpath
import re

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.utils.batching import batched
except ImportError as err:  # exercised only without the extra
    from attention_influence.errors import missing_extra

    raise missing_extra("datatrove", "attention_influence.integrations.datatrove") from err

from attention_influence.config import GuardSettings, SelectSettings, select_settings
from attention_influence.errors import RunError
from attention_influence.heads import parse_heads

PREFIX = "attninf_"  # metadata keys: attninf_score, attninf_loss_base, attninf_loss_masked, attninf_n_tokens


def _heads(heads: str | list | None, model: str | None) -> list[list[int]]:
    """The heads to mask: given, or (None) those shipped for the model."""
    if heads is None:
        from attention_influence.errors import SettingError
        from attention_influence.heads import shipped_heads
        from attention_influence.models import resolve_model

        source = resolve_model(model)
        shipped = shipped_heads(source.fingerprint)
        if shipped is None:
            raise SettingError("heads", f"no heads are shipped for {source.name}: give heads (heads.json or 17:3,18:6)")
        heads = str(shipped)
    return [list(h) for h in parse_heads(heads).heads]


class AttentionInfluenceScorer(PipelineStep):
    """Adds attninf_score, attninf_loss_base, attninf_loss_masked and attninf_n_tokens to
    `doc.metadata` (None, with attninf_reason, when a document has no score). `heads`: a
    heads.json or "layer:head,..."; None: the heads shipped for the model (the embedded default
    has them)."""

    name = "AttentionInfluence"
    type = "🎯 - SCORER"

    def __init__(
        self,
        heads: str | list | None = None,
        model: str | None = None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_length: int | None = None,
        truncate: bool = False,
        batch_tokens: int = 8192,
        batch_docs: int = 64,
    ):
        super().__init__()
        self.heads = _heads(heads, model)  # checked now, by value from here on
        self.model, self.device, self.dtype = model, device, dtype
        self.options = dict(max_length=max_length, truncate=truncate, batch_tokens=batch_tokens)
        self.batch_docs = batch_docs
        self._scorer = None
        self.rank = 0

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_scorer": None}  # never ship the model

    def scorer(self):
        if self._scorer is None:
            from attention_influence.models import load_model
            from attention_influence.pipeline.datatrove import local_device
            from attention_influence.scoring import Scorer

            loaded = load_model(self.model, device=local_device(self.rank, self.device), dtype=self.dtype)
            self._scorer = Scorer(loaded, self.heads, **self.options)
        return self._scorer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from attention_influence.scoring.isolate import score_isolated

        self.rank = rank
        for batch in batched(data, self.batch_docs):
            with self.track_time(unit="batch"):
                results = score_isolated(self.scorer(), [doc.text for doc in batch])  # a bad document costs itself
            for doc, result in zip(batch, results, strict=True):
                doc.metadata[PREFIX + "score"] = result.score
                doc.metadata[PREFIX + "loss_base"] = result.loss_base
                doc.metadata[PREFIX + "loss_masked"] = result.loss_masked
                doc.metadata[PREFIX + "n_tokens"] = result.n_tokens
                if result.reason:
                    doc.metadata[PREFIX + "reason"] = result.reason
                self.stat_update("scored" if result.score is not None else "unscored")
                yield doc


class AttentionInfluenceFilter(BaseFilter):
    """Keeps documents whose metadata score is >= `threshold`; drops unscored ones."""

    name = "AttentionInfluence filter"

    def __init__(self, threshold: float, key: str = PREFIX + "score", exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.threshold, self.key = threshold, key

    def filter(self, doc) -> bool | tuple[bool, str]:
        score = doc.metadata.get(self.key)
        if score is None:
            return False, "no_score"
        return True if score >= self.threshold else (False, "below_threshold")


SCORE_FILE = re.compile(r"(\d{5})-of-(\d{5})\.parquet$")  # a task's scores: RRRRR-of-WWWWW.parquet
FORMAT_KEY = b"attention_influence_format"  # a score file's parquet metadata: the run format (runs/rundir.FORMAT)


def document_domain(doc: Document, domain_key: str = "domain", domain: str | None = None) -> str:
    """A document's domain, as the corpus readers decide it: its `domain_key` metadata when set,
    else `domain`, else the name of the folder of its file (the readers' file_path), else 'default'."""
    value = doc.metadata.get(domain_key)
    if value not in (None, ""):
        return str(value)
    if domain:
        return domain
    path = doc.metadata.get("file_path")
    return (posixpath.basename(posixpath.dirname(str(path))) or "default") if path else "default"


def _score_schema():
    import pyarrow as pa

    from attention_influence.measures import MEASURE_COLUMNS
    from attention_influence.runs.rundir import FORMAT
    from attention_influence.selection.cut import SELECTED_COLUMNS

    types = {"row": pa.int64(), "n_tokens": pa.int64(), "score": pa.float64()}
    types |= {"loss_base": pa.float64(), "loss_masked": pa.float64()}
    types |= {name: pa.float64() for name in MEASURE_COLUMNS}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in [*SELECTED_COLUMNS, *MEASURE_COLUMNS]])
    return schema.with_metadata({FORMAT_KEY: str(FORMAT)})  # the run format: its measures' definitions


class AttentionInfluenceScoreWriter(PipelineStep):
    """Sets attninf_domain (see `document_domain`) and the text measures the selection guard
    reads (attninf_repetition, attninf_templated_text, ...: measures/) in each document's
    metadata and, when the task ends, writes the task's scores (id, domain, n_tokens, score, both
    losses, text hash, measures) to `folder`/RRRRR-of-WWWWW.parquet (task rank of world size), for
    AttentionInfluenceTopFraction. Put it after AttentionInfluenceScorer; documents pass through
    unchanged otherwise."""

    name = "AttentionInfluence scores"
    type = "💽 - WRITER"

    def __init__(self, folder: str, domain_key: str = "domain", domain: str | None = None):
        super().__init__()
        self.folder, self.domain_key, self.domain = str(folder), domain_key, domain

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import pyarrow as pa

        from attention_influence.corpus.writers import join, write_table
        from attention_influence.measures import text_measures
        from attention_influence.runs.schema import text_hash

        schema = _score_schema()
        columns: dict[str, list] = {name: [] for name in schema.names}
        for row, doc in enumerate(data or ()):
            if PREFIX + "score" not in doc.metadata:
                raise RunError(f"document {doc.id} has no {PREFIX}score: put AttentionInfluenceScorer before this step")
            domain = document_domain(doc, self.domain_key, self.domain)
            doc.metadata[PREFIX + "domain"] = domain
            values = {"id": str(doc.id), "domain": domain, "source": str(doc.metadata.get("file_path", "")), "row": row}
            values |= {
                name: doc.metadata.get(PREFIX + name) for name in ("n_tokens", "score", "loss_base", "loss_masked")
            }
            values["text_hash"] = text_hash(doc.text)
            for name, value in text_measures(doc.text).items():
                doc.metadata[PREFIX + name] = values[name] = value
            for name, value in values.items():
                columns[name].append(value)
            self.stat_update("scores")
            yield doc
        write_table(join(self.folder, f"{rank:05d}-of-{world_size:05d}.parquet"), pa.table(columns, schema=schema))


def score_files(folder: str) -> list[str]:
    """Every task's score file in `folder`; RunError unless they are all there, of one run."""
    import fsspec

    fs, _, (root,) = fsspec.get_fs_token_paths(str(folder))
    found = sorted(fs.glob(root.rstrip("/") + "/*-of-*.parquet")) if fs.exists(root) else []
    files = [fs.unstrip_protocol(p) if "://" in str(folder) else p for p in found if SCORE_FILE.search(p)]
    found = {(int(m[1]), int(m[2])) for m in map(SCORE_FILE.search, files)}
    worlds = sorted({world for _, world in found})
    if not worlds:
        raise RunError(f"no task scores in {folder}: run the scoring pipeline (AttentionInfluenceScoreWriter) first")
    if len(worlds) > 1:
        raise RunError(f"{folder} holds the scores of runs with {worlds} tasks: use one folder per run")
    missing = sorted(set(range(worlds[0])) - {rank for rank, _ in found})
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise RunError(f"{folder}: the scores of {len(missing)} of {worlds[0]} tasks are missing (rank {shown})")
    return files


def check_formats(files: list[str]) -> None:
    """RunError naming the first of `files` (task score files) that this version cannot cut with:
    unreadable, or written by another version (its run format, in the parquet metadata, is
    another: its text measures have other definitions)."""
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    from attention_influence.runs.rundir import FORMAT

    for file in files:  # each file's footer
        try:
            with fsspec.open(file, "rb") as handle:
                written = (pq.read_schema(handle).metadata or {}).get(FORMAT_KEY)
        except (OSError, pa.ArrowInvalid) as err:
            raise RunError(f"{file} is not a readable score file ({err}): run its task again") from err
        if written != str(FORMAT).encode():
            found = f"format {written.decode(errors='replace')}" if written else "no run format"
            raise RunError(
                f"{file} was written by another version of attention-influence ({found}, this version writes "
                f"format {FORMAT}: its text measures are other): run the scoring pipeline again into an empty folder"
            )


def domain_thresholds(
    folder: str, fraction: float = 0.2, by: str = "docs", guard: GuardSettings | None = None
) -> dict[str, dict]:
    """Per domain of the scores in `folder`: {"threshold": lowest kept score, "tied": ids kept at
    it, "documents", "selected", "excluded": documents per guard rule, "min_tokens": the too_short
    limit in the domain}; the cut `attninf select`
    makes of a run (selection/cut.py), over every task's scores, among the documents `guard` lets
    through (None: the default guard). Cached in `folder`/_cuts.json for the other tasks, keyed
    by the files, settings and run format; RunError for a file of another version (`check_formats`)."""
    from collections import Counter
    from dataclasses import asdict

    import fsspec

    from attention_influence.corpus.writers import join, read_json, write_json
    from attention_influence.runs.rundir import FORMAT
    from attention_influence.selection.cut import cut_tables, file_tables

    guard = GuardSettings() if guard is None else guard
    files = score_files(folder)
    fs, _, _ = fsspec.get_fs_token_paths(files[0])
    key = {"files": {f.rsplit("/", 1)[-1]: fs.size(f) for f in files}, "fraction": fraction, "by": by}
    key["cut"] = 3  # 2: too_short's limit per domain; 3: of its typical document (a cache before is computed again)
    key["guard"] = asdict(guard)
    key["format"] = FORMAT  # the files' run format, checked when the cut is computed
    cache = join(str(folder), "_cuts.json")
    try:
        cached = read_json(cache)
        if cached.get("key") == key:
            return cached["domains"]
    except (OSError, ValueError):
        pass
    check_formats(files)  # the cut is computed from them (a cached cut has the format in its key)
    cuts, selected = cut_tables(file_tables(files), fraction, by, guard)
    counts = Counter(selected["domain"].to_pylist())
    domains = {
        name: {
            "threshold": cut.threshold,
            "tied": sorted(cut.tied),
            "documents": cut.documents,
            "selected": counts.get(name, 0),
            "excluded": cut.excluded,
            "min_tokens": cut.min_tokens,
        }
        for name, cut in cuts.items()
    }
    write_json(cache, {"key": key, "domains": domains})
    return domains


class AttentionInfluenceTopFraction(BaseFilter):
    """Keeps the top `fraction` of each domain (of documents, or of tokens with by="tokens") by
    attninf_score, as `attninf select` does: documents the selection guard excludes (templated
    text, lists, `label: value` sheets, tables of numbers, repeated text, too
    short: docs/guard.md) are dropped with their rule, and the cut of each domain among the rest
    is computed exactly from every task's scores in `scores` (written by
    AttentionInfluenceScoreWriter in an earlier pipeline) when the first document arrives.
    `guard=False` ranks every document; the guard's thresholds are keyword options
    (min_tokens=32, max_repetition=0.2, ...: config.GuardSettings). Documents without a score
    are dropped."""

    name = "AttentionInfluence top fraction"

    def __init__(
        self,
        scores: str,
        fraction: float = 0.2,
        by: str = "docs",
        exclusion_writer=None,
        guard: bool | GuardSettings = True,
        **thresholds: float,
    ):
        super().__init__(exclusion_writer)
        settings: SelectSettings = select_settings(fraction=fraction, by=by, guard=guard, **thresholds)  # fails here
        self.scores, self.fraction, self.by, self.guard = str(scores), fraction, by, settings.guard
        self._cuts: dict | None = None

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_cuts": None}

    def cuts(self) -> dict:
        """Each domain's cut: its threshold and the ids kept at it (computed once per task)."""
        if self._cuts is None:
            from attention_influence.selection.cut import DomainCut

            self._cuts = {
                name: DomainCut(
                    name, d["documents"], 0, d["threshold"], tied=frozenset(d["tied"]), min_tokens=d["min_tokens"]
                )
                for name, d in domain_thresholds(self.scores, self.fraction, self.by, self.guard).items()
            }
        return self._cuts

    def excluded_by(self, doc: Document) -> str | None:
        """The guard rule that keeps `doc` out of the ranking, from its metadata (the score
        writer's measures, the scorer's n_tokens and base loss); None when it may be ranked."""
        import pyarrow as pa

        from attention_influence.selection.cut import limits_of
        from attention_influence.selection.guard import RULES, guard_verdicts, needed_columns

        columns = needed_columns(self.guard)
        if not columns:
            return None
        missing = [PREFIX + name for name in columns if PREFIX + name not in doc.metadata]
        if missing:  # the cut left it out by its measures: deciding without them could keep it
            raise RunError(
                f"document {doc.id} has no {', '.join(missing)}: read the output of the pipeline that ran "
                "AttentionInfluenceScoreWriter, or pass guard=False"
            )
        row = pa.table({name: pa.array([doc.metadata[PREFIX + name]], pa.float64()) for name in columns})
        row = row.append_column("domain", pa.array([doc.metadata[PREFIX + "domain"]], pa.string()))
        which = int(guard_verdicts(row, self.guard, limits_of(self.cuts()))[0][0])
        return RULES[which].name if which >= 0 else None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        domain, score = doc.metadata.get(PREFIX + "domain"), doc.metadata.get(PREFIX + "score")
        if domain is None:
            raise RunError(
                f"document {doc.id} has no {PREFIX}domain: read the output of the pipeline that ran "
                "AttentionInfluenceScorer and AttentionInfluenceScoreWriter"
            )
        if score is None:
            return False, "no_score"
        rule = self.excluded_by(doc)
        if rule is not None:
            return False, f"guard_{rule}"
        import numpy as np

        cut = self.cuts().get(str(domain))
        if cut is None or cut.threshold is None:
            return False, "domain_not_in_scores"
        if cut.keeps(np.array([score], dtype=float), np.array([str(doc.id)]))[0]:
            return True
        return False, "below_threshold"


__all__ = [
    "AttentionInfluenceFilter",
    "AttentionInfluenceScoreWriter",
    "AttentionInfluenceScorer",
    "AttentionInfluenceTopFraction",
    "document_domain",
    "domain_thresholds",
    "check_formats",
    "score_files",
]
