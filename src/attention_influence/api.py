"""The Python API; each function mirrors a CLI command (`attninf score|select|run`)."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

from attention_influence.corpus import Fields
from attention_influence.corpus.writers import join
from attention_influence.heads import HeadSet, detect_heads, parse_heads
from attention_influence.heads.detect import corpus_texts
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load_model
from attention_influence.preflight import check_fraction
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
    max_repetition: float | None = None,
    write_report: bool = True,
    detect: dict | None = None,
    **score_options,
) -> dict:
    """The whole job: score every document, select the top `fraction` of each domain, write DIR/report.html.

    Without `heads`, the retrieval heads are detected first (probe values drawn from the corpus,
    `detect`: options of `detect_heads`) and written to DIR/heads.json; a restarted run (or
    another shard) reuses that file when the model and detection settings are the same."""
    check_fraction(fraction)  # before hours of scoring, not after
    heads_file = str(heads) if isinstance(heads, (str, PathLike)) and str(heads).endswith(".json") else None
    detected = None
    if heads is None:
        if not isinstance(model, LoadedModel):
            keys = ("device", "dtype", "trust_remote_code", "allow_pickle")
            model = load_model(model, **{k: score_options[k] for k in keys if k in score_options})
        texts = corpus_texts(inputs, score_options.get("fields"))
        reuse = not score_options.get("overwrite", False)  # a restarted run keeps the heads it detected
        options = {"progress": score_options.get("progress", True), "reuse": reuse} | (detect or {})
        detected = detect_heads(model, out, sentences=texts, **options)
        heads = HeadSet([tuple(h) for h in detected["selected"]], "heads.json", detected["fingerprint"], detected)
        heads_file = join(out, "heads.json")
    summary = score_corpus(inputs, out, heads, model, **score_options)
    selection = select(
        out, fraction=fraction, by=by, max_repetition=max_repetition, progress=score_options.get("progress", True)
    )
    result = {"score": summary, "selection": selection, "heads": detected}
    if write_report:
        result["report"] = report(out, heads_file=heads_file)
    return result


def report(out: str, heads_file: str | None = None) -> str:
    """Write DIR/report.html for a scored (and optionally selected) run; returns its path."""
    from attention_influence.reports.html import write_report

    return write_report(out, heads_file)


def explain(text: str, model: LoadedModel | str | None, heads: HeadSet | str | list, **options) -> list:
    """Per-token (token, loss_base, loss_masked, delta): where the masked heads matter in `text`."""
    from attention_influence.reports.explain import explain as explain_tokens

    return explain_tokens(text, model, heads, **options)


__all__ = [
    "Fields",
    "HeadSet",
    "LoadedModel",
    "ScoreSummary",
    "Scorer",
    "detect_heads",
    "enable_masking",
    "explain",
    "load_model",
    "mask_heads",
    "parse_heads",
    "report",
    "run",
    "score_corpus",
    "select",
]
