"""`attninf explain DOC`: find the document (text, file, or an id of a scored run), explain it,
print it in colour or write DIR/explain.html and DIR/tokens.jsonl."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow.compute as pc

from attention_influence.corpus.readers import Fields, read_records
from attention_influence.corpus.writers import atomic_write_bytes, exists, join, read_json
from attention_influence.errors import UserError
from attention_influence.reports.explain import explain, render_html, render_terminal, summary
from attention_influence.selection.select import read_scores


class ExplainError(UserError):
    """The document or the heads to explain cannot be found."""


def _run_document(run_dir: str, doc_id: str) -> str | None:
    """The text of the document with id `doc_id` in a scored run, or None if it has no such id."""
    table = read_scores(run_dir, ["id", "source", "row"])
    rows = table.filter(pc.equal(table["id"], doc_id)).to_pylist()
    if not rows:
        return None
    run = read_json(join(run_dir, "run.json")) if exists(join(run_dir, "run.json")) else {}
    fields = Fields(**run["fields"]) if "fields" in run else Fields()
    for record in read_records(rows[0]["source"], fields):
        if record.row == rows[0]["row"]:
            if record.text is None:
                raise ExplainError(f"document {doc_id} has no text: {record.error}")
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
    run = {}
    if args.run:
        if not exists(join(args.run, "run.json")):
            raise ExplainError(f"--run {args.run}: no run.json (not a scored run folder)")
        run = read_json(join(args.run, "run.json"))
    heads = args.heads or run.get("heads")
    if not heads:
        raise ExplainError("explain needs --heads (or --run with a scored run)")
    model = args.model or run.get("model")
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
