"""The Python API; each function mirrors a CLI command (`attninf score|select|run`)."""

from __future__ import annotations

from collections.abc import Sequence

from attention_influence.corpus import Fields
from attention_influence.heads import HeadSet, detect_heads, parse_heads
from attention_influence.heads.detect import corpus_texts
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load_model
from attention_influence.scoring import Scorer, ScoreSummary, score_corpus
from attention_influence.selection import select


def run(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list | None = None,
    model: LoadedModel | str | None = None,
    *,
    fraction: float = 0.2,
    by: str = "docs",
    detect: dict | None = None,
    **score_options,
) -> dict:
    """The whole job: score every document, then select the top `fraction` of each domain.

    Without `heads`, the retrieval heads are detected first (probe values drawn from the corpus,
    `detect`: options of `detect_heads`) and written to OUT/heads.json."""
    report = None
    if heads is None:
        if not isinstance(model, LoadedModel):
            keys = ("device", "dtype", "trust_remote_code", "allow_pickle")
            model = load_model(model, **{k: score_options[k] for k in keys if k in score_options})
        texts = corpus_texts(inputs, score_options.get("fields"))
        options = {"progress": score_options.get("progress", True)} | (detect or {})
        report = detect_heads(model, out, sentences=texts, **options)
        heads = HeadSet([tuple(h) for h in report["selected"]], "heads.json", report["fingerprint"], report)
    summary = score_corpus(inputs, out, heads, model, **score_options)
    selection = select(out, fraction=fraction, by=by)
    return {"score": summary, "selection": selection, "heads": report}


__all__ = [
    "Fields",
    "HeadSet",
    "LoadedModel",
    "ScoreSummary",
    "Scorer",
    "detect_heads",
    "enable_masking",
    "load_model",
    "mask_heads",
    "parse_heads",
    "run",
    "score_corpus",
    "select",
]
