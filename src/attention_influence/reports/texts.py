"""The text of scored documents, read back from the corpus files and checked against the hash
that was scored (the report's excerpts, explain pages and control read them here)."""

from __future__ import annotations

from attention_influence.config import Fields
from attention_influence.corpus.readers import read_records
from attention_influence.runs.schema import text_hash


def fetch_texts(wanted: list[tuple[str, int, str]], fields: Fields) -> dict[tuple[str, int], str | None]:
    """The text of each (source, row, text_hash), read back from the corpus files; None where the
    file no longer holds the text that was scored. Each source is read once, up to its last
    wanted row."""
    by_source: dict[str, dict[int, str]] = {}
    for source, row, digest in wanted:
        by_source.setdefault(source, {})[row] = digest
    texts: dict[tuple[str, int], str | None] = {}
    for source, rows in by_source.items():
        last = max(rows)
        try:
            for record in read_records(source, fields):
                if record.row in rows:
                    ok = record.text is not None and text_hash(record.text) == rows[record.row]
                    texts[(source, record.row)] = record.text if ok else None
                if record.row >= last:
                    break
        except (OSError, ValueError):
            continue  # the corpus moved: no text
    return texts
