"""Token-level explain pages of the documents a report lists: DIR/explain/TEXT_HASH.html, each
rendered by reports/explain.py from the per-token losses with the run's heads masked. The token
losses are cached in the run's state folder (keyed by the text, the model's weights, the heads and
the window), so a report rendered again loads no token twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from attention_influence.config import MAX_DEFAULT_LENGTH
from attention_influence.corpus.writers import atomic_write_bytes
from attention_influence.models import LoadedModel
from attention_influence.progress import Progress
from attention_influence.reports.explain import TokenInfluence, explain_text, render_html
from attention_influence.runs.rundir import EXPLAIN, RunDir
from attention_influence.scoring import Scorer


@dataclass(frozen=True)
class Listed:
    """A document the report lists: where its page goes and what its header says."""

    text_hash: str
    text: str
    label: str  # id, domain, score and verdict, shown above the tokens


def page_link(text_hash: str) -> str:
    """The page's address relative to DIR/report.html."""
    return f"{EXPLAIN}/{text_hash}.html"


def _key(loaded: LoadedModel, heads: list, window: int) -> str:
    spec = json.dumps([loaded.fingerprint, sorted(map(list, heads)), window])
    return hashlib.blake2b(spec.encode(), digest_size=6).hexdigest()


def first_window(text: str, tokenizer, tokens: int) -> str:
    """The prefix of `text` that its first `tokens` tokens cover (the whole text when shorter)."""
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    return text if len(offsets) <= tokens else text[: offsets[tokens - 1][1]]


def token_influence(rundir: RunDir, scorer: Scorer, doc: Listed) -> list[TokenInfluence]:
    """The tokens of the document's first window with both losses: from the cache, else computed."""
    name = f"explain/{doc.text_hash}-{_key(scorer.loaded, scorer.heads, scorer.max_length)}"
    cached = rundir.read_cache(name)
    if isinstance(cached, list):
        return [TokenInfluence(*t) for t in cached]
    tokens = explain_text(scorer, first_window(doc.text, scorer.tokenizer, scorer.max_length - 1))
    rundir.write_cache(name, [list(t) for t in tokens])
    return tokens


def write_pages(
    rundir: RunDir, loaded: LoadedModel, heads: list, window: int | None, docs: list[Listed], progress: bool = False
) -> dict[str, str]:
    """Write the explain page of each document (one Scorer for all of them, the run's heads and
    window); returns {text_hash: link relative to the report}."""
    window = window or MAX_DEFAULT_LENGTH
    links: dict[str, str] = {}
    unique = list({doc.text_hash: doc for doc in docs}.values())
    scorer = Scorer(loaded, heads, max_length=min(window, loaded.max_context)) if unique else None
    with Progress("explain pages", total=len(unique), enabled=progress) as bar:
        for doc in unique:
            tokens = token_influence(rundir, scorer, doc)
            page = render_html(tokens, title=f"Token-level influence: {doc.label}")
            back = (
                '<p><a href="../report.html">back to the report</a> · the first '
                f"{window:,} tokens at most, the run's {len(heads)} heads masked</p>"
            )
            page = page.replace("<body>\n", f"<body>\n{back}\n", 1)
            atomic_write_bytes(rundir.explain_page(doc.text_hash), page.encode())
            links[doc.text_hash] = page_link(doc.text_hash)
            bar.update(1, len(tokens))
    return links
