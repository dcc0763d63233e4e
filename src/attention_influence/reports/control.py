"""The random-heads control (the paper's Table 6, applied to the selection): on a seeded sample of
each domain, score the documents again with as many random heads as the run masked (none of the
run's heads) and compare. If the ranking were a generic effect of masking any heads, random heads
would rank the documents the same way (Spearman near 1, the same top fraction); a low rank
correlation, a small overlap and a smaller loss rise show that the selection comes from the
retrieval heads.

Written to DIR/control.json through RunDir; a later report with the same model, heads, sample
and settings reuses it (only the top-fraction overlap is recomputed for the selection's fraction)."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import Fields
from attention_influence.models import LoadedModel
from attention_influence.progress import Progress
from attention_influence.reports.stats import spearman, top_overlap
from attention_influence.reports.texts import fetch_texts
from attention_influence.runs.rundir import CONTROL, SELECTION, RunDir
from attention_influence.selection.guard import excluded_mask, needed_columns
from attention_influence.selection.select import guard_of

SAMPLE = 32  # documents per domain
FORMAT = 1
_COLUMNS = ["id", "domain", "source", "row", "text_hash", "score", "loss_base", "n_tokens"]


def random_heads(layers: int, heads_per_layer: int, avoid: list[tuple[int, int]], seed: int) -> list[tuple[int, int]]:
    """len(avoid) heads drawn uniformly (seeded) from the model's heads that are not in `avoid`."""
    avoided = set(map(tuple, avoid))
    pool = [(layer, head) for layer in range(layers) for head in range(heads_per_layer) if (layer, head) not in avoided]
    if len(pool) < len(avoided):
        raise ValueError(f"the model has {len(pool)} heads besides the run's {len(avoided)}: too few for a control")
    picks = np.random.default_rng(seed).choice(len(pool), size=len(avoided), replace=False)
    return sorted(pool[i] for i in picks)


def sample_rows(scores: pa.Table, selection: dict | None, size: int, seed: int) -> dict[str, pa.Table]:
    """Per domain, a seeded sample of at most `size` scored rows among those the selection ranked
    (the guard's exclusions left out), in (source, row) order."""
    scores = scores.filter(pc.and_kleene(pc.is_valid(scores["score"]), pc.is_finite(scores["score"])))
    if selection is not None:
        guard = guard_of(selection)
        if all(c in scores.column_names for c in needed_columns(guard)):
            scores = scores.filter(pa.array(~excluded_mask(scores, guard)))
    scores = scores.take(pc.sort_indices(scores, [("source", "ascending"), ("row", "ascending")]))
    samples = {}
    for domain in sorted(set(scores["domain"].to_pylist())):
        rows = scores.filter(pc.equal(scores["domain"], domain))
        rng = np.random.default_rng([seed, int(hashlib.blake2b(domain.encode(), digest_size=4).hexdigest(), 16)])
        picks = np.sort(rng.choice(rows.num_rows, size=min(size, rows.num_rows), replace=False))
        samples[domain] = rows.take(pa.array(picks, type=pa.int64()))
    return samples


def summarize(control: dict, fraction: float) -> dict:
    """Per domain: documents, Spearman of the run's and the random heads' scores, the share of
    the top `fraction` they have in common (k documents), and both mean scores."""
    out = {}
    for domain, d in control["domains"].items():
        ours = np.array([np.nan if v is None else v for v in d["scores"]], dtype=float)
        theirs = np.array([np.nan if v is None else v for v in d["random_scores"]], dtype=float)
        ok = np.isfinite(ours) & np.isfinite(theirs)
        overlap, k = top_overlap(ours[ok], theirs[ok], fraction)
        out[domain] = {
            "documents": int(ok.sum()),
            "spearman": spearman(ours[ok], theirs[ok]),
            "top_overlap": overlap,
            "k": k,
            "mean_score": float(ours[ok].mean()) if ok.any() else None,
            "mean_random_score": float(theirs[ok].mean()) if ok.any() else None,
        }
    return out


def _plan(rundir: RunDir, loaded: LoadedModel, size: int, seed: int) -> tuple[dict, dict[str, pa.Table]]:
    manifest = rundir.manifest()
    selection = rundir.read_json(SELECTION)
    heads = [tuple(h) for h in manifest["heads"]]
    config = loaded.model.config.get_text_config()
    chosen = random_heads(config.num_hidden_layers, config.num_attention_heads, heads, seed)
    columns = [c for c in _COLUMNS + list(needed_columns(guard_of(selection or {})))]
    samples = sample_rows(rundir.read_scores(list(dict.fromkeys(columns))), selection, size, seed)
    settings = manifest["settings"]
    plan = {
        "format": FORMAT,
        "model": loaded.name,
        "fingerprint": loaded.fingerprint,
        "run_fingerprint": manifest["model"]["fingerprint"],
        "dtype": str(loaded.dtype).removeprefix("torch."),
        "heads": [list(h) for h in heads],
        "random_heads": [list(h) for h in chosen],
        "seed": seed,
        "sample": size,
        "max_length": settings.get("max_length"),
        "truncate": settings.get("truncate", False),
        "documents": {d: t["text_hash"].to_pylist() for d, t in samples.items()},
    }
    return plan, samples


def compute_control(
    rundir: RunDir, loaded: LoadedModel, size: int = SAMPLE, seed: int = 0, progress: bool = False
) -> dict:
    """DIR/control.json for the run, computed with `loaded` (or reused when an earlier report
    computed it with the same model, heads, sample and settings); returns it."""
    from attention_influence.scoring import Scorer

    plan, samples = _plan(rundir, loaded, size, seed)
    earlier = rundir.read_json(CONTROL)
    if isinstance(earlier, dict) and {k: earlier.get(k) for k in plan} == plan:
        control = earlier
    else:
        fields = Fields(**rundir.manifest()["settings"]["fields"])
        wanted = [(s, r, h) for t in samples.values() for s, r, h in zip(*(t[c].to_pylist() for c in ("source", "row", "text_hash")), strict=True)]  # fmt: skip
        texts = fetch_texts(wanted, fields)
        scorer = Scorer(loaded, [tuple(h) for h in plan["random_heads"]], plan["max_length"], plan["truncate"])
        domains = {}
        total = sum(t.num_rows for t in samples.values())
        with Progress("control", total=total, enabled=progress) as bar:
            for domain, table in samples.items():
                keys = list(zip(table["source"].to_pylist(), table["row"].to_pylist(), strict=True))
                found = [texts.get(key) for key in keys]
                present = [i for i, text in enumerate(found) if text is not None]
                results = scorer.score_texts([found[i] for i in present], on_batch=bar.update)  # moves per batch
                random_scores: list[float | None] = [None] * len(keys)
                random_base: list[float | None] = [None] * len(keys)
                for i, result in zip(present, results, strict=True):
                    random_scores[i], random_base[i] = result.score, result.loss_base
                domains[domain] = {
                    "ids": table["id"].to_pylist(),
                    "scores": table["score"].to_pylist(),
                    "loss_base": table["loss_base"].to_pylist(),
                    "random_scores": random_scores,
                    "random_loss_base": random_base,
                    "missing_texts": len(keys) - len(present),
                }
                bar.update(len(keys) - len(present))  # texts no longer found: counted, not scored
        control = plan | {"domains": domains}
    selection = rundir.read_json(SELECTION)
    fraction = selection["fraction"] if selection else 0.2
    control |= {"fraction": fraction, "summary": summarize(control, fraction)}
    rundir.write_json(CONTROL, control)
    return control
