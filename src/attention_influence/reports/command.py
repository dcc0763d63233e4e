"""`attninf explain DOC`: find the document (text, file, stdin, or an id of a scored run), explain
it, print it (in colour on a terminal, as a plain table otherwise) or write DIR/explain.html and
DIR/tokens.jsonl."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import pyarrow.compute as pc

from attention_influence.config import Fields, ModelSettings
from attention_influence.corpus.readers import read_range
from attention_influence.corpus.writers import atomic_write_bytes, join
from attention_influence.errors import UserError
from attention_influence.heads import shipped_head_set
from attention_influence.models import load
from attention_influence.reports.explain import explain_text, render_html, render_plain, render_terminal, summary
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import text_hash
from attention_influence.scoring import Scorer


class ExplainError(UserError):
    """The document to explain cannot be found, is not text or is ambiguous; or it has no heads."""


MAX_LISTED = 5  # sources named when an id is duplicated
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")  # .txt, .jsonl, .gz, .parquet, .md, ...


def _run_document(run_dir: str, doc_id: str) -> str | None:
    """The text of the document with id `doc_id` in a scored run, or None if it has no such id;
    an id held by more than one document is an error that names where each one is."""
    rundir = RunDir(run_dir)
    table = rundir.read_scores(["id", "source", "row", "text_hash"])
    rows = table.filter(pc.equal(table["id"], doc_id)).to_pylist()
    if not rows:
        return None
    places = list(dict.fromkeys((r["source"], r["row"]) for r in rows))  # one document scored twice is one
    if len(places) > 1:
        listed = ", ".join(f"{source} (row {row})" for source, row in places[:MAX_LISTED])
        more = f" and {len(places) - MAX_LISTED} more" if len(places) > MAX_LISTED else ""
        raise ExplainError(
            f"id {doc_id!r} occurs {len(places)} times in {run_dir}: {listed}{more}; "
            "explain one of them by its file instead"
        )
    source, row = places[0]
    fields = Fields(**rundir.manifest()["settings"]["fields"])
    for record in read_range(source, fields, row, row + 1):
        if record.text is None:
            raise ExplainError(f"document {doc_id} has no text: {record.error}")
        if text_hash(record.text) != rows[0]["text_hash"]:
            raise ExplainError(f"document {doc_id}: {source} changed since it was scored")
        return record.text
    raise ExplainError(f"document {doc_id}: row {row} of {source} is gone")


def looks_like_path(doc: str) -> bool:
    """The rule for a DOC that is not an existing file: it is a mistyped path (an error), not text,
    when it has no whitespace and contains a '/' (or '\\'), or ends in an extension such as .txt."""
    return not any(c.isspace() for c in doc) and ("/" in doc or "\\" in doc or bool(_EXTENSION.search(doc)))


def decode_text(data: bytes, label: str) -> str:
    """`data` as text; a binary file (NUL bytes) or one that is not UTF-8 is an error naming `label`."""
    if b"\0" in data:
        raise ExplainError(f"{label}: a binary file (it has NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ExplainError(f"{label}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start:,})") from None


def resolve_document(doc: str, run_dir: str | None) -> tuple[str, str]:
    """(text, label): '-' is standard input; else an id of `run_dir`, then an existing file; else
    `doc` is the text itself, unless it looks like a path (`looks_like_path`), or has no
    whitespace while `run_dir` is given (a mistyped id): then it is an error."""
    if doc == "-":
        return decode_text(sys.stdin.buffer.read(), "standard input"), "stdin"
    if run_dir:
        text = _run_document(run_dir, doc)
        if text is not None:
            return text, doc
    if len(doc) < 4096:
        path = Path(doc)
        if path.is_file():
            return decode_text(path.read_bytes(), doc), doc
        if path.is_dir():
            raise ExplainError(f"{doc} is a folder: give a file, an id of --run, or the text itself")
        if looks_like_path(doc) or (run_dir and not any(c.isspace() for c in doc)):
            what = f"an id of {run_dir}, nor a file" if run_dir else "a file"
            raise ExplainError(
                f"{doc!r} is not {what}; to explain a string that looks like a path or an id, "
                f"pipe it in: echo '...' | attninf explain -"
            )
    if run_dir:
        print(f"attninf: {doc[:40]!r} is neither an id of {run_dir} nor a file: explaining it as text", file=sys.stderr)
    return doc, "text"


def use_color(stream: TextIO, environ: Mapping[str, str] = os.environ, mode: str = "auto") -> bool:
    """Colour on `stream`: mode 'always' or 'never' decides; 'auto' colours only a terminal, and never
    when NO_COLOR is set to anything but '' (https://no-color.org) or TERM is 'dumb'."""
    if mode != "auto":
        return mode == "always"
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def explain_command(args: argparse.Namespace, model: ModelSettings) -> None:
    """`attninf explain`: `model` holds the loader flags (--model, --device, --dtype,
    --trust-remote-code, --allow-pickle); without --model, the --run's model."""
    run = RunDir(args.run).manifest() if args.run else {}
    text, label = resolve_document(args.doc, args.run)
    if model.model is None and run:
        model = replace(model, model=run["model"]["name"])
    loaded = load(model)
    heads = args.heads or run.get("heads") or shipped_head_set(loaded.name, loaded.fingerprint)
    tokens = explain_text(Scorer(loaded, heads, max_length=args.max_length), text)
    if args.out:
        page = render_html(tokens, title=f"Token-level influence: {label[:80]}")
        atomic_write_bytes(join(args.out, "explain.html"), page.encode())
        lines = "".join(json.dumps(t._asdict(), ensure_ascii=False) + "\n" for t in tokens)
        atomic_write_bytes(join(args.out, "tokens.jsonl"), lines.encode())
        s = summary(tokens)
        print(
            f"wrote {join(args.out, 'explain.html')} and tokens.jsonl ({s['tokens']:,} tokens, score {s['score']:+.4f})"
        )
    else:
        color = use_color(sys.stdout, mode=getattr(args, "color", None) or "auto")
        sys.stdout.write((render_terminal(tokens) if color else render_plain(tokens)) + "\n")
