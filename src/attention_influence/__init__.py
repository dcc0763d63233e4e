"""AttentionInfluence: select reasoning-intensive pretraining data with a small LM, no labels.

See `attention_influence.api` for the Python API that mirrors the `attninf` command.
"""

from attention_influence.api import (
    DetectSettings,
    Fields,
    GuardSettings,
    HeadSet,
    LoadedModel,
    ModelSettings,
    Scorer,
    ScoreSettings,
    ScoreSummary,
    SelectSettings,
    compare,
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
    "DetectSettings",
    "Fields",
    "GuardSettings",
    "HeadSet",
    "LoadedModel",
    "ModelSettings",
    "ScoreSettings",
    "ScoreSummary",
    "Scorer",
    "SelectSettings",
    "compare",
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
