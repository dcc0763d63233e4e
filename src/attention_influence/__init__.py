"""AttentionInfluence: select reasoning-intensive pretraining data with a small LM, no labels.

See `attention_influence.api` for the Python API that mirrors the `attninf` command.
"""

from attention_influence.api import (
    Fields,
    HeadSet,
    LoadedModel,
    Scorer,
    ScoreSummary,
    detect_heads,
    enable_masking,
    explain,
    load_model,
    mask_heads,
    parse_heads,
    report,
    run,
    score_corpus,
    select,
)

__version__ = "0.1.0"
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
