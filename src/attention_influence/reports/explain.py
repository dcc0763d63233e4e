"""Token-level influence: how much each token's loss rises when the heads are masked, i.e.
where in a document the retrieval heads do their work. Rendered as HTML, ANSI colours (for a
terminal) or a plain per-token table (for pipes and files)."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from typing import NamedTuple

from attention_influence.errors import SettingError
from attention_influence.scoring.engine import Scorer


class TokenInfluence(NamedTuple):
    """One token of the document. The first token is not predicted: its losses and delta are None."""

    token: str  # its exact span of the text (they concatenate back to it); a special token (BOS) by name
    loss_base: float | None
    loss_masked: float | None
    delta: float | None  # loss_masked - loss_base


def _token_strings(tokenizer, text: str, ids: Sequence[int]) -> list[str]:
    """Each token's span of `text` (offsets), so that the pieces concatenate back to `text`."""
    encoded = tokenizer(text, add_special_tokens=True, return_offsets_mapping=True)
    if list(encoded["input_ids"]) != list(ids):
        return [tokenizer.decode([i]) for i in ids]
    pieces, previous = [], 0
    for start, end in encoded["offset_mapping"]:
        if start == end:  # a special token
            pieces.append(tokenizer.convert_ids_to_tokens(encoded["input_ids"][len(pieces)]))
            continue
        end = max(end, previous)  # multi-byte characters split over tokens share an offset span
        pieces.append(text[previous:end])
        previous = end
    pieces[-1] += text[previous:]
    return pieces


def explain_text(scorer: Scorer, text: str) -> list[TokenInfluence]:
    """Every token of `text` with its loss under the full model, with the scorer's heads masked,
    and the difference (Scorer.token_losses: the scoring pass, token by token)."""
    ids = scorer.tokenize([text])[0]
    if len(ids) < 2:
        raise SettingError("text", "the document has fewer than 2 tokens: nothing to explain")
    base, masked = scorer.token_losses(ids)
    tokens = _token_strings(scorer.tokenizer, text, ids)
    out = [TokenInfluence(tokens[0], None, None, None)]
    out += [TokenInfluence(t, b, m, m - b) for t, b, m in zip(tokens[1:], base, masked, strict=True)]
    return out


def summary(tokens: Sequence[TokenInfluence]) -> dict:
    """Mean losses over the predicted tokens and the document's score (as in scoring)."""
    scored = [t for t in tokens if t.delta is not None]
    loss_base = sum(t.loss_base for t in scored) / len(scored)
    loss_masked = sum(t.loss_masked for t in scored) / len(scored)
    return {
        "tokens": len(tokens),
        "loss_base": loss_base,
        "loss_masked": loss_masked,
        "score": (loss_masked - loss_base) / loss_base if loss_base > 0 else math.nan,
    }


def _scale(tokens: Sequence[TokenInfluence]) -> float:
    """The delta shown at full colour: the 99th percentile of |delta| (robust to a few spikes)."""
    deltas = sorted(abs(t.delta) for t in tokens if t.delta is not None)
    return max(deltas[min(len(deltas) - 1, int(0.99 * len(deltas)))] if deltas else 0.0, 1e-6)


def _rgb(delta: float | None, scale: float) -> tuple[int, int, int]:
    """White at 0, red for a loss increase, blue for a decrease."""
    if delta is None:
        return 235, 235, 235
    x = max(-1.0, min(1.0, delta / scale))
    fade = int(round(255 * (1 - abs(x))))
    return (255, fade, fade) if x >= 0 else (fade, fade, 255)


def render_terminal(tokens: Sequence[TokenInfluence]) -> str:
    """The document with each token's background coloured by its delta (24-bit ANSI colours)."""
    scale = _scale(tokens)
    parts = []
    for t in tokens:
        r, g, b = _rgb(t.delta, scale)
        for i, line in enumerate(t.token.split("\n")):
            if i:
                parts.append("\n")
            if line:
                parts.append(f"\x1b[48;2;{r};{g};{b}m\x1b[38;2;0;0;0m{line}\x1b[0m")
    s = summary(tokens)
    legend = (
        f"\n\nloss base {s['loss_base']:.4f}  masked {s['loss_masked']:.4f}  score {s['score']:+.4f}  "
        f"(red: loss rises when the heads are masked; full red = {scale:+.3f} nats)"
    )
    return "".join(parts) + legend


PLAIN_COLUMNS = ("position", "delta", "loss_base", "loss_masked", "token")


def render_plain(tokens: Sequence[TokenInfluence]) -> str:
    """A tab-separated table without colour codes: a header line, one line per token (its position,
    delta, both losses in nats, the token as a JSON string so spaces and newlines show), then the
    summary on lines that start with '#'. The first token is not predicted: '-' for its numbers."""
    lines = ["\t".join(PLAIN_COLUMNS)]
    for position, t in enumerate(tokens):
        token = json.dumps(t.token, ensure_ascii=False)
        if t.delta is None:
            lines.append(f"{position}\t-\t-\t-\t{token}")
        else:
            lines.append(f"{position}\t{t.delta:+.4f}\t{t.loss_base:.4f}\t{t.loss_masked:.4f}\t{token}")
    s = summary(tokens)
    lines.append(
        f"# loss base {s['loss_base']:.4f}  masked {s['loss_masked']:.4f}  score {s['score']:+.4f}  "
        "(delta: how much the token's loss rises, in nats, when the heads are masked)"
    )
    return "\n".join(lines)


def render_html(tokens: Sequence[TokenInfluence], title: str = "Token-level influence") -> str:
    """A self-contained HTML page: tokens coloured by delta, exact numbers in each tooltip."""
    scale = _scale(tokens)
    spans = []
    for t in tokens:
        r, g, b = _rgb(t.delta, scale)
        tip = (
            "first token (not predicted)"
            if t.delta is None
            else f"base {t.loss_base:.3f}  masked {t.loss_masked:.3f}  delta {t.delta:+.3f}"
        )
        spans.append(
            f'<span style="background:rgb({r},{g},{b})" title="{html.escape(tip)}">{html.escape(t.token)}</span>'
        )
    s = summary(tokens)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}
.doc{{font-family:monospace;white-space:pre-wrap;line-height:1.6;border:1px solid #ccc;padding:1em}}
.key span{{padding:0 .6em}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{s["tokens"]:,} tokens; mean loss base {s["loss_base"]:.4f}, heads masked {s["loss_masked"]:.4f};
score {s["score"]:+.4f}. Each token is coloured by how much its loss rises when the heads are masked
(hover for the numbers).</p>
<p class="key"><span style="background:rgb(255,0,0)">+{scale:.3f} nats</span>
<span style="background:rgb(255,255,255)">0</span>
<span style="background:rgb(0,0,255);color:#fff">-{scale:.3f} nats</span></p>
<div class="doc">{"".join(spans)}</div>
</body></html>
"""
