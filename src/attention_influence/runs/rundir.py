"""The run folder: the one owner of a run's layout and life. Every stage reads and writes a run
only through `RunDir`.

    DIR/run.json                 the manifest: model, heads, settings, every source (URI, size,
                                 mtime, fingerprint) and the executor that created the run
    DIR/heads.json               the heads the run was scored with
    DIR/scores/part-SSSSS-CCCCCC.parquet   scores of chunk C of source S (a Parquet dataset:
                                 nothing else lives in this folder)
    DIR/errors.jsonl             every record without a score (merged when the run is complete)
    DIR/summary.json             counts, tokens/s, padding, peak memory (when complete)
    DIR/selection.json, DIR/selected/    written by select
    DIR/excluded.parquet         the rows the selection guard kept out of the ranking, with the
                                 rule and the reason (written by select, empty with no guard)
    DIR/report.html, DIR/explain/N.html, DIR/control.json    written by report (explain pages of
                                 the listed documents; the random-heads control)
    DIR/.attninf/                state: chunk errors, shard markers, locks

A run is created with its manifest; a later process with the same settings resumes it (or
scores another shard of it); other settings are refused unless `overwrite`. A chunk's errors
are written before its part file, and each file atomically, so a part on disk means the whole
chunk is done."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.writers import (
    _temporary,
    atomic_write_bytes,
    create_exclusive,
    read_json,
    write_json,
    write_table,
)
from attention_influence.errors import RunError
from attention_influence.runs import sources
from attention_influence.runs.lock import Lock, holding, live_lease
from attention_influence.runs.summary import merge_summaries

FORMAT = 8  # the layout version written in run.json (4: the guard's measures of issue 19: repeated sentences; values,
# paths, identifiers in line templates; 5: structured_text, a column of the score rows; 6: templated_text counts a
# line written again word for word; 7: field_text leaves out a statement's head with its body and an assignment
# with a call; a sign is part of a number in line templates; a table's rows that begin alike are templated; 8: a
# run of list items keeps its indentation): a run's chunks never mix two definitions of a measure
MANIFEST, HEADS, SCORES, ERRORS, SUMMARY = "run.json", "heads.json", "scores", "errors.jsonl", "summary.json"
SELECTION, SELECTED, REPORT, STATE = "selection.json", "selected", "report.html", ".attninf"
EXCLUDED, EXPLAIN, CONTROL = "excluded.parquet", "explain", "control.json"
CACHE = f"{STATE}/cache"  # what the report computed with the model (token losses, control scores)
OUTPUTS = (HEADS, SCORES, ERRORS, SUMMARY, SELECTION, SELECTED, EXCLUDED, REPORT, EXPLAIN, CONTROL, STATE)
# ^ what overwrite removes
COMPARED = ("format", "model", "dtype", "heads", "settings")  # manifest keys that must match to resume
_PART = re.compile(r"part-(\d{5})-(\d{6})\.parquet$")
_MARKER = re.compile(r"s(\d{5})-of-(\d{5})\.(started|done)$")


def shard_name(num_shards: int, shard_index: int) -> str:
    return f"s{shard_index:05d}-of-{num_shards:05d}"


class RunDir:
    """One run folder, local or any fsspec URL."""

    def __init__(self, uri: str | os.PathLike):
        uri = os.fspath(uri)
        if not uri:
            raise RunError("the run folder must be a path or URL, got ''")
        self.fs, _, (path,) = fsspec.get_fs_token_paths(uri)
        self.local = type(self.fs).__name__ == "LocalFileSystem"
        self.path = os.path.abspath(path) if self.local else path.rstrip("/")
        self.uri = self.path if self.local else self.fs.unstrip_protocol(self.path)

    def __repr__(self) -> str:
        return f"RunDir({self.uri!r})"

    def file(self, *parts: str) -> str:
        return "/".join([self.uri.rstrip("/"), *parts])

    def _exists(self, *parts: str) -> bool:
        return self.fs.exists(self.fs._strip_protocol(self.file(*parts)))

    # --- locks -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def scoring(self, num_shards: int, shard_index: int) -> Iterator[None]:
        """Held while a process scores a shard: the run lock shared, the shard's lock exclusive."""
        name = shard_name(num_shards, shard_index)
        run = Lock(self.file(STATE, "locks", "run.lock"), shared=True, holder="scoring")
        shard = Lock(self.file(STATE, "locks", f"{name}.lock"), shared=False, holder=f"scoring shard {name}")
        with holding(
            (run, f"{self.uri} is locked by another attninf process (select or overwrite)"),
            (shard, f"{self.uri}: shard {shard_index} of {num_shards} is being scored by another process"),
        ) as held:
            self._held, self._renewed = held, time.monotonic()
            try:
                yield
            finally:
                self._held = []

    def heartbeat(self) -> None:
        """Renew the leases this process holds (object stores; at most once a minute)."""
        if getattr(self, "_held", None) and time.monotonic() - self._renewed > 60:
            for lock in self._held:
                lock.refresh()
            self._renewed = time.monotonic()

    @contextlib.contextmanager
    def exclusive(self, command: str) -> Iterator[None]:
        """Held by `command` (select, overwrite) while no scoring process may run."""
        lock = Lock(self.file(STATE, "locks", "run.lock"), shared=False, holder=command)
        with holding((lock, f"{self.uri} is in use by another attninf process; {command} waits for it to finish")):
            if not self.local:  # object stores: shard leases are separate files
                for path in self._glob(STATE, "locks", "s*-of-*.lock"):
                    lease = live_lease(self.fs.unstrip_protocol(path))
                    if lease:
                        raise RunError(f"{self.uri} is being scored ({lease.get('holder')} on {lease.get('host')})")
            yield

    # --- manifest ----------------------------------------------------------------------------
    def read_manifest(self) -> dict | None:
        """run.json, or None when the folder holds no run."""
        if not self._exists(MANIFEST):
            return None
        try:
            manifest = read_json(self.file(MANIFEST))
        except (OSError, ValueError) as err:
            raise RunError(
                f"{self.file(MANIFEST)} is unreadable ({err}): overwrite the run or use another folder"
            ) from err
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise RunError(
                f"{self.file(MANIFEST)} was written by another version of attention-influence: score the "
                "corpus again, into this folder with --overwrite (overwrite=True) or into another one"
            )
        return manifest

    def manifest(self) -> dict:
        """run.json of a run that exists; RunError otherwise."""
        manifest = self.read_manifest()
        if manifest is None:
            raise RunError(f"{self.uri} holds no run (no {MANIFEST}): score a corpus into it first")
        return manifest

    def claim(self, manifest: dict, overwrite: bool = False) -> dict[int, str]:
        """Create the run with `manifest`, or join the run already there when its settings and
        inputs are the same (a restart, another shard). Returns {source index: why} for the
        sources that changed since they were scored. A run with other settings is refused
        unless `overwrite`; then its outputs (and only those) are removed first."""
        manifest = manifest | {"format": FORMAT}
        data = (json.dumps(manifest, indent=2) + "\n").encode()
        if not self._exists(MANIFEST) and self._leftovers():
            if not overwrite:
                raise RunError(self._unknown_run())
            self._remove_outputs()
        if create_exclusive(self.file(MANIFEST), data):
            return {}
        try:
            existing = self.read_manifest()
        except RunError:
            if not overwrite:
                raise
            existing = None
        differ = [] if existing is None else _differences(existing, manifest)
        if existing is None or differ:
            if not overwrite:
                raise RunError(self._other_run(differ))
            with self.exclusive("overwrite"):
                self._remove_outputs()
                atomic_write_bytes(self.file(MANIFEST), data)
            return {}
        recorded = existing["sources"]
        current = {s["uri"]: s for s in manifest["sources"]}
        return {i: why for i, why in sources.changes(recorded).items() if current.get(recorded[i]["uri"]) is not None}

    def _unknown_run(self) -> str:
        return (
            f"{self.uri} holds outputs of an unknown run (no {MANIFEST}): replace them with --overwrite "
            "(overwrite=True), or use another output folder"
        )

    def _other_run(self, differ: list[str]) -> str:
        return (
            f"{self.uri} holds a run with other settings ({'; '.join(differ)}): replace it with --overwrite "
            "(overwrite=True), or use another output folder"
        )

    def check_claim(self, manifest: dict, overwrite: bool = False) -> None:
        """RunError now where `claim(manifest, overwrite)` would refuse the folder: a plan or a dry
        run says so before any model loads. Writes nothing."""
        if overwrite:
            return
        if not self._exists(MANIFEST):
            if self._leftovers():
                raise RunError(self._unknown_run())
            return
        differ = _differences(self.manifest(), manifest | {"format": FORMAT})
        if differ:
            raise RunError(self._other_run(differ))

    def check_same(self, manifest: dict) -> None:
        """RunError unless run.json still holds a run with `manifest`'s settings and inputs."""
        differ = _differences(self.manifest(), manifest | {"format": FORMAT})
        if differ:
            raise RunError(f"{self.uri} was replaced by a run with other settings ({'; '.join(differ)})")

    def differences(self, manifest: dict) -> list[str] | None:
        """What differs between the run in this folder and `manifest` (settings, inputs): [] for
        the same run, None when the folder holds no readable run."""
        try:
            existing = self.read_manifest()
        except RunError:
            return None
        return None if existing is None else _differences(existing, manifest | {"format": FORMAT})

    def update_source(self, index: int, info: dict) -> None:
        """Record the current state of a source that is being scored again."""
        manifest = self.manifest()
        manifest["sources"][index] = info
        write_json(self.file(MANIFEST), manifest)

    def check_sources(self) -> None:
        """RunError naming the first source that changed or vanished since it was scored."""
        found = sources.changes(self.manifest()["sources"])
        if found:
            first = found[min(found)]
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise RunError(f"{first}{more}: score it again (the same command resumes) before using the scores")

    def _leftovers(self) -> bool:
        return any(self._exists(name) for name in (SCORES, ERRORS, SELECTED, SELECTION))

    def _remove_outputs(self) -> None:
        for name in OUTPUTS:
            path = self.fs._strip_protocol(self.file(name))
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)

    # --- heads -------------------------------------------------------------------------------
    def write_heads(self, info: dict) -> None:
        write_json(self.file(HEADS), info)

    def read_heads(self) -> dict | None:
        return read_json(self.file(HEADS)) if self._exists(HEADS) else None

    # --- scores ------------------------------------------------------------------------------
    def part_path(self, source: int, chunk: int) -> str:
        return self.file(SCORES, f"part-{source:05d}-{chunk:06d}.parquet")

    def chunk_errors_path(self, source: int, chunk: int) -> str:
        return self.file(STATE, "errors", f"part-{source:05d}-{chunk:06d}.jsonl")

    def has_chunk(self, source: int, chunk: int) -> bool:
        return self.fs.exists(self.fs._strip_protocol(self.part_path(source, chunk)))

    def write_chunk(self, source: int, chunk: int, table: pa.Table, errors: list[dict]) -> None:
        """Errors first, then the part file: a part on disk means the whole chunk is done."""
        errors_path = self.chunk_errors_path(source, chunk)
        if errors:
            atomic_write_bytes(errors_path, "".join(json.dumps(e) + "\n" for e in errors).encode())
        elif self.fs.exists(self.fs._strip_protocol(errors_path)):
            self.fs.rm(self.fs._strip_protocol(errors_path))  # a chunk scored again: no stale errors
        write_table(self.part_path(source, chunk), table)

    def read_chunk(self, source: int, chunk: int, columns: list[str] | None = None) -> tuple[pa.Table, list[dict]]:
        """A finished chunk's score rows (`columns`) and its errors entries."""
        with fsspec.open(self.part_path(source, chunk), "rb") as f:
            table = pq.read_table(f, columns=columns)
        return table, _read_jsonl(self.chunk_errors_path(source, chunk))

    def remove_source(self, source: int) -> None:
        """Drop every chunk of a source (it changed and is scored again)."""
        for folder, pattern in ((SCORES, f"part-{source:05d}-*.parquet"), (STATE, f"errors/part-{source:05d}-*.jsonl")):
            for path in self._glob(folder, pattern):
                self.fs.rm(path)

    def parts(self) -> list[str]:
        """Every complete part file, in (source, chunk) order."""
        found = [p for p in self._glob(SCORES, "part-*.parquet") if _PART.search(p)]
        return sorted(self.fs.unstrip_protocol(p) if not self.local else p for p in found)

    def done_chunks(self) -> dict[tuple[int, int], str]:
        """(source, chunk) -> part file, for every chunk with a complete part file."""
        return {(int(m[1]), int(m[2])): path for path in self.parts() if (m := _PART.search(path))}

    def read_scores(self, columns: list[str] | None = None) -> pa.Table:
        """Every score row of the run."""
        parts = self.parts()
        if not parts:
            raise RunError(f"no scores under {self.file(SCORES)}: score a corpus into {self.uri} first")
        tables = []
        for path in parts:
            with fsspec.open(path, "rb") as f:
                tables.append(pq.read_table(f, columns=columns))
        return pa.concat_tables(tables, promote_options="default")

    def _glob(self, *parts: str) -> list[str]:
        return sorted(self.fs.glob(self.fs._strip_protocol(self.file(*parts))))

    # --- shards and completion ---------------------------------------------------------------
    def start_shard(self, num_shards: int, shard_index: int) -> None:
        """Mark the shard begun (unfinished until finish_shard), and drop temporaries a killed
        process left behind."""
        name = shard_name(num_shards, shard_index)
        for leftover in self._glob(SCORES, ".*.tmp-*") + self._glob(STATE, "errors", ".*.tmp-*"):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(leftover)
        done = self.fs._strip_protocol(self.file(STATE, "shards", f"{name}.done"))
        if self.fs.exists(done):
            self.fs.rm(done)
        atomic_write_bytes(self.file(STATE, "shards", f"{name}.started"), b"")

    def shard_summary(self, num_shards: int, shard_index: int) -> dict | None:
        """The summary a finished shard left (None while it has not finished, or never ran)."""
        parts = (STATE, "shards", f"{shard_name(num_shards, shard_index)}.done")
        return read_json(self.file(*parts)) if self._exists(*parts) else None

    def finish_shard(self, num_shards: int, shard_index: int, summary: dict) -> bool:
        """Mark the shard done with its summary; when it was the last, merge the errors and the
        summaries. Returns whether the run is complete."""
        write_json(self.file(STATE, "shards", f"{shard_name(num_shards, shard_index)}.done"), summary)
        try:
            self.check_complete()
        except RunError:
            return False
        self.merge()
        return True

    def shard_summaries(self) -> list[dict]:
        return [read_json(self.fs.unstrip_protocol(p)) for p in self._glob(STATE, "shards", "*.done")]

    def check_complete(self) -> int:
        """The run's number of shards; RunError naming the unfinished shards otherwise."""
        markers = [m for m in map(_MARKER.search, self._glob(STATE, "shards", "*")) if m]
        counts = sorted({int(m[2]) for m in markers})
        if not counts:
            if self.parts():
                raise RunError(f"scoring of {self.uri} is incomplete: no shard has finished")
            raise RunError(f"no scores under {self.file(SCORES)}: score a corpus into {self.uri} first")
        if len(counts) > 1:
            raise RunError(f"{self.uri} mixes runs with different shard counts {counts}: use one folder per run")
        (num_shards,) = counts
        done = {int(m[1]) for m in markers if m[3] == "done"}
        missing = [i for i in range(num_shards) if i not in done]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
            raise RunError(
                f"scoring of {self.uri} is incomplete: {len(missing)} of {num_shards} shards not finished "
                f"(shard index {shown}); score (or resume) each, then try again"
            )
        return num_shards

    def merge(self) -> None:
        """DIR/errors.jsonl (every chunk's errors, in source and row order) and DIR/summary.json
        (the shards' summaries added up)."""
        order = {s["uri"]: i for i, s in enumerate(self.manifest()["sources"])}
        errors = [
            e
            for path in self._glob(STATE, "errors", "part-*.jsonl")
            for e in _read_jsonl(self.fs.unstrip_protocol(path))
        ]
        errors.sort(key=lambda e: (order.get(e.get("source"), len(order)), e.get("row") or 0))
        atomic_write_bytes(self.file(ERRORS), "".join(json.dumps(e) + "\n" for e in errors).encode())
        write_json(self.file(SUMMARY), merge_summaries(self.shard_summaries()))

    def errors(self, limit: int | None = None) -> list[dict]:
        """The entries of DIR/errors.jsonl, the first `limit` of them (merged first if a complete
        run lacks it)."""
        if not self._exists(ERRORS):
            self.check_complete()
            self.merge()
        return _read_jsonl(self.file(ERRORS), limit)

    # --- other outputs -----------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """Whether the run holds the output `name` (report.html, selection.json, ...)."""
        return self._exists(name)

    def read_json(self, name: str) -> Any:
        return read_json(self.file(name)) if self._exists(name) else None

    def write_json(self, name: str, value: Any) -> None:
        write_json(self.file(name), value)

    @contextlib.contextmanager
    def excluded_writer(self, schema: pa.Schema) -> Iterator[Callable[[pa.Table], None]]:
        """A function that appends tables (`schema`) to DIR/excluded.parquet, which appears whole
        when the block ends without error (an empty file when nothing was appended)."""
        with _temporary(self.file(EXCLUDED)) as (fs, tmp), fs.open(tmp, "wb") as f:
            with pq.ParquetWriter(f, schema) as writer:
                yield lambda table: writer.write_table(table.cast(schema))

    def read_excluded(self, columns: list[str] | None = None) -> pa.Table | None:
        """DIR/excluded.parquet, or None when no selection wrote it."""
        if not self._exists(EXCLUDED):
            return None
        with fsspec.open(self.file(EXCLUDED), "rb") as f:
            return pq.read_table(f, columns=columns)

    def explain_page(self, name: str) -> str:
        """Where the report writes the explain page `name` (DIR/explain/NAME.html)."""
        return self.file(EXPLAIN, f"{name}.html")

    def read_cache(self, name: str) -> Any:
        """A JSON value the report cached (None when absent or unreadable)."""
        try:
            return self.read_json(f"{CACHE}/{name}.json")
        except (OSError, ValueError):
            return None

    def write_cache(self, name: str, value: Any) -> None:
        self.write_json(f"{CACHE}/{name}.json", value)

    def new_selected(self) -> str:
        """A hidden temporary folder to write a selection into (swap_selected moves it in)."""
        import uuid

        path = self.file(f".{SELECTED}.tmp-{uuid.uuid4().hex[:8]}")
        self.fs.makedirs(self.fs._strip_protocol(path), exist_ok=True)
        return path

    def swap_selected(self, new: str) -> None:
        """Replace DIR/selected/ by the folder `new`; the old selection stays whole until then."""
        target = self.fs._strip_protocol(self.file(SELECTED))
        old = None
        if self.fs.exists(target):
            old = f"{target}.old"
            if self.fs.exists(old):
                self.fs.rm(old, recursive=True)
            self.fs.mv(target, old, recursive=True)
        self.fs.mv(self.fs._strip_protocol(new), target, recursive=True)
        if old:
            self.fs.rm(old, recursive=True)

    def discard(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.fs._strip_protocol(path), recursive=True)


def _differences(old: dict, new: dict) -> list[str]:
    """What differs between the folder's manifest `old` and `new`, each as "where: value there,
    value now" in JSON, the settings named one by one ('settings.fields.text: "body" there, "text"
    now'); the inputs as "inputs"."""
    differ = [line for key in COMPARED for line in _changed(key, old.get(key), new.get(key))]
    if [s["uri"] for s in old.get("sources", [])] != [s["uri"] for s in new.get("sources", [])]:
        differ.append("inputs")
    return differ


def _changed(where: str, old, new) -> list[str]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            line
            for key in dict.fromkeys([*old, *new])
            for line in _changed(f"{where}.{key}", old.get(key), new.get(key))
        ]
    shown = [text if len(text := json.dumps(value)) <= 60 else text[:57] + "..." for value in (old, new)]
    return [f"{where}: {shown[0]} there, {shown[1]} now"]


def _read_jsonl(uri: str, limit: int | None = None) -> list[dict]:
    """The entries of a JSONL file (its first `limit` ones: only those lines are read)."""
    try:
        with fsspec.open(uri, "rb") as f:
            lines = (line for line in f if line.strip())
            return [json.loads(line) for line in itertools.islice(lines, limit)]
    except FileNotFoundError:
        return []
