"""Figures for the run report, drawn with matplotlib's Agg backend and returned as inline
`data:image/png;base64,...` URIs (the report is one self-contained file)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SELECTED, REJECTED, EXCLUDED = "#d62728", "#7f7f7f", "#1f77b4"
MAX_POINTS = 20_000  # scatter plots of bigger domains show a fixed random sample


def to_data_uri(fig: plt.Figure) -> str:
    """PNG of `fig` as a data URI; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bins(values: np.ndarray, count: int = 30) -> np.ndarray:
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, count + 1)


def _groups(selected: np.ndarray, rejected: np.ndarray, excluded: np.ndarray) -> list:
    return [
        (rejected, REJECTED, "rejected"),
        (selected, SELECTED, "selected"),
        (excluded, EXCLUDED, "excluded by the guard"),
    ]


def domain_figure(
    domain: str,
    score: np.ndarray,  # (N,)
    n_tokens: np.ndarray,  # (N,)
    repetition: np.ndarray | None,  # (N,), None for runs without the column
    selected: np.ndarray,  # (N,) bool
    threshold: float | None,
    excluded: np.ndarray | None = None,  # (N,) bool: excluded by the guard
) -> str:
    """Four panels for one domain: score histogram with the threshold, selected vs. rejected
    lengths, score vs. length, score vs. repetition."""
    excluded = np.zeros(len(score), dtype=bool) if excluded is None else excluded
    rejected = ~selected & ~excluded
    fig, axes = plt.subplots(1, 4, figsize=(18, 3.6))
    ax = axes[0]
    groups = [(score[m], c, label) for m, c, label in _groups(selected, rejected, excluded) if m.any()]
    ax.hist([g[0] for g in groups], bins=_bins(score), color=[g[1] for g in groups], stacked=True)
    if threshold is not None:
        ax.axvline(threshold, color=SELECTED, linestyle="--", label=f"threshold {threshold:.4f}")
        ax.legend(fontsize=8)
    ax.set(title=f"{domain}: score", xlabel="AttentionInfluence score", ylabel="documents")

    ax = axes[1]
    log_tokens = np.log10(np.maximum(n_tokens, 1))
    bins = _bins(log_tokens, 20)
    for mask, color, label in _groups(selected, rejected, excluded):
        if mask.any():
            ax.hist(log_tokens[mask], bins=bins, color=color, alpha=0.6, label=f"{label} ({mask.sum():,})")
    ax.set(title="length", xlabel="log10 tokens", ylabel="documents")
    ax.legend(fontsize=8)

    shown = np.zeros(len(score), dtype=bool)
    shown[np.random.default_rng(0).permutation(len(score))[:MAX_POINTS]] = True
    for ax, x, xlabel in ((axes[2], n_tokens, "tokens"), (axes[3], repetition, "repetition")):
        if x is None:
            ax.text(0.5, 0.5, "no repetition column\n(scored before it existed)", ha="center", va="center")
            ax.set_axis_off()
            continue
        for mask, color, label in _groups(selected, rejected, excluded):
            if (mask & shown).any():
                ax.scatter(x[mask & shown], score[mask & shown], s=8, color=color, alpha=0.6, label=label)
        if xlabel == "tokens":
            ax.set_xscale("log")
        sample = "" if shown.all() else f" ({MAX_POINTS:,} of {len(score):,})"
        ax.set(title=f"score vs. {xlabel}{sample}", xlabel=xlabel, ylabel="score")
        ax.legend(fontsize=8)
    return to_data_uri(fig)


def score_vs_loss(
    domain: str,
    score: np.ndarray,  # (N,)
    loss_base: np.ndarray,  # (N,)
    selected: np.ndarray,  # (N,) bool
    excluded: np.ndarray,  # (N,) bool: excluded by the guard
    threshold: float | None,
) -> str:
    """Score against base loss, kept / rejected / excluded coloured, the threshold a dashed line:
    templated text sits at low base loss with a high score."""
    rejected = ~selected & ~excluded
    fig, ax = plt.subplots(figsize=(7, 4.2))
    shown = np.zeros(len(score), dtype=bool)
    shown[np.random.default_rng(0).permutation(len(score))[:MAX_POINTS]] = True
    for mask, color, label in _groups(selected, rejected, excluded):
        if (mask & shown).any():
            ax.scatter(
                loss_base[mask & shown],
                score[mask & shown],
                s=12,
                color=color,
                alpha=0.7,
                label=f"{label} ({mask.sum():,})",
            )
    if threshold is not None:
        ax.axhline(threshold, color=SELECTED, linestyle="--", linewidth=1, label=f"threshold {threshold:.4f}")
    sample = "" if shown.all() else f" ({MAX_POINTS:,} of {len(score):,})"
    ax.set(title=f"{domain}: score against base loss{sample}", xlabel="base loss (nats/token)", ylabel="score")
    ax.legend(fontsize=8)
    return to_data_uri(fig)


def control_figure(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """Per domain, each sampled document's score with the run's heads against its score with
    random heads (the diagonal: the same score)."""
    fig, axes = plt.subplots(1, max(1, len(pairs)), figsize=(4.5 * max(1, len(pairs)), 4), squeeze=False)
    for ax, (domain, (ours, theirs)) in zip(axes[0], pairs.items(), strict=False):
        ok = np.isfinite(ours) & np.isfinite(theirs)
        ax.scatter(theirs[ok], ours[ok], s=14, color=SELECTED, alpha=0.7)
        if ok.any():
            low = float(min(ours[ok].min(), theirs[ok].min()))
            high = float(max(ours[ok].max(), theirs[ok].max()))
            ax.plot([low, high], [low, high], color=REJECTED, linestyle=":", linewidth=1)
        ax.set(
            title=f"{domain}: {int(ok.sum())} documents",
            xlabel="score, random heads masked",
            ylabel="score, run heads masked",
        )
    return to_data_uri(fig)


def heads_heatmap(scores: list[list[float]], selected: list[tuple[int, int]]) -> str:
    """Layers x heads detection scores; the selected heads are boxed."""
    matrix = np.asarray(scores, dtype=float)  # (L, H)
    layers, heads = matrix.shape
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * heads + 2), max(3, 0.22 * layers + 1)))
    image = ax.imshow(matrix, aspect="auto", cmap="viridis", origin="upper")
    fig.colorbar(image, ax=ax, label="retrieval score")
    for layer, head in selected:
        ax.add_patch(plt.Rectangle((head - 0.5, layer - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    ax.set(xlabel="head", ylabel="layer", title="head scores (selected boxed in red)")
    ax.set_xticks(range(heads))
    return to_data_uri(fig)
