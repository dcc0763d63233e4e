"""`attninf explain DOC`: find the document (text, file, or an id of a scored run), explain it,
print it in colour or write DIR/explain.html and DIR/tokens.jsonl."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow.compute as pc

from attention_influence.config import Fields
from attention_influence.corpus.readers import read_range
from attention_influence.corpus.writers import atomic_write_bytes, join
from attention_influence.errors import UserError
from attention_influence.reports.explain import explain, render_html, render_terminal, summary
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import text_hash


class ExplainError(UserError):
    """The document or the heads to explain cannot be found."""


def _run_document(run_dir: str, doc_id: str) -> str | None:
    """The text of the document with id `doc_id` in a scored run, or None if it has no such id."""
    rundir = RunDir(run_dir)
    table = rundir.read_scores(["id", "source", "row", "text_hash"])
    rows = table.filter(pc.equal(table["id"], doc_id)).to_pylist()
    if not rows:
        return None
    fields = Fields(**rundir.manifest()["settings"]["fields"])
    for record in read_range(rows[0]["source"], fields, rows[0]["row"], rows[0]["row"] + 1):
        if record.text is None:
            raise ExplainError(f"document {doc_id} has no text: {record.error}")
        if text_hash(record.text) != rows[0]["text_hash"]:
            raise ExplainError(f"document {doc_id}: {rows[0]['source']} changed since it was scored")
        return record.text
    raise ExplainError(f"document {doc_id}: row {rows[0]['row']} of {rows[0]['source']} is gone")


def resolve_document(doc: str, run_dir: str | None) -> tuple[str, str]:
    """(text, label): an id of `run_dir` first, then a file path, else `doc` is the text itself."""
    if run_dir:
        text = _run_document(run_dir, doc)
        if text is not None:
            return text, doc
    if len(doc) < 4096 and Path(doc).is_file():
        return Path(doc).read_text(encoding="utf-8", errors="replace"), doc
    if run_dir:
        print(f"attninf: {doc[:40]!r} is neither an id of {run_dir} nor a file: explaining it as text", file=sys.stderr)
    return doc, "text"


def explain_command(args: argparse.Namespace) -> None:
    run = RunDir(args.run).manifest() if args.run else {}
    heads = args.heads or run.get("heads")
    if not heads:
        raise ExplainError("explain needs --heads (or --run with a scored run)")
    model = args.model or (run["model"]["name"] if run else None)
    text, label = resolve_document(args.doc, args.run)
    tokens = explain(text, model, heads, max_length=args.max_length, device=args.device, dtype=args.dtype)
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
        sys.stdout.write(render_terminal(tokens) + "\n")
