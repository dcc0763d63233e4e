"""The Python API; each function mirrors a CLI command (`attninf score|select|run`)."""

from __future__ import annotations

from collections.abc import Sequence

from attention_influence.corpus import Fields
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load_model
from attention_influence.preflight import check_fraction
from attention_influence.scoring import Scorer, ScoreSummary, score_corpus
from attention_influence.selection import select


def run(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list,
    model: LoadedModel | str | None = None,
    *,
    fraction: float = 0.2,
    by: str = "docs",
    **score_options,
) -> dict:
    """The whole job: score every document, then select the top `fraction` of each domain."""
    check_fraction(fraction)  # before hours of scoring, not after
    summary = score_corpus(inputs, out, heads, model, **score_options)
    selection = select(out, fraction=fraction, by=by)
    return {"score": summary, "selection": selection}


__all__ = [
    "Fields",
    "HeadSet",
    "LoadedModel",
    "ScoreSummary",
    "Scorer",
    "enable_masking",
    "load_model",
    "mask_heads",
    "parse_heads",
    "run",
    "score_corpus",
    "select",
]
