"""Heatmap of the retrieval scores (layers x heads), selected heads outlined."""

from __future__ import annotations

import io


def plot_scores(report: dict, path: str) -> None:
    """Draw `report["scores"]` (L, H) with `report["selected"]` marked; write a PNG to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from attention_influence.corpus.writers import atomic_write_bytes

    scores = report["scores"]
    layers, heads = len(scores), max(len(row) for row in scores)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * heads + 2), max(4.0, 0.22 * layers + 1.5)))
    image = ax.imshow(scores, aspect="auto", cmap="viridis", origin="upper", interpolation="nearest", vmin=0)
    for layer, head in report["selected"]:
        ax.add_patch(Rectangle((head - 0.5, layer - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.6))
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(heads))
    ax.set_yticks(range(0, layers, max(1, layers // 16)))
    probes = report.get("probes", {})
    model = str(report.get("model", ""))
    model = model if len(model) <= 40 else "…" + model[-39:]  # a long path: its end names the model
    ax.set_title(
        f"retrieval score ({len(report['selected'])} selected, red)\n"
        f"{model}, {probes.get('solved', '?')}/{probes.get('num_probes', '?')} probes solved",
        fontsize=8,
    )
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
