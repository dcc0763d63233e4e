"""Find the retrieval heads (METHOD.md section 1): probes -> retrieval scores -> top heads
-> DIR/heads.json (+ heads.png), with the paper's Table 6 contrast as an optional check."""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from attention_influence.heads.probes import Probe, make_probes, read_sentence_texts, sentence_pool
from attention_influence.heads.retrieval import answer_predictions, retrieval_scores
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, load_model
from attention_influence.preflight import check_counts, check_run_heads
from attention_influence.progress import Progress

VERIFY_SEED_OFFSET = 1_000_003  # held-out probes: a seed no detection run with a nearby seed uses
VERIFY_DRAWS = 16  # random head sets in (c)
VERIFY_PASSES = 4  # over all draws, each held-out probe serves this many times in (c)


def top_heads(scores: torch.Tensor, top_frac: float = 0.05, top_k: int | None = None) -> list[tuple[int, int]]:
    """The highest-scoring heads over all layers: `top_k`, else round(top_frac x all heads) (>= 1).

    scores (L, H). Ties go to the lower (layer, head)."""
    layers, heads = scores.shape
    count = top_k if top_k is not None else max(1, round(top_frac * layers * heads))
    if not 1 <= count <= layers * heads:
        raise ValueError(f"cannot select {count} heads of {layers * heads}")
    flat = scores.flatten().tolist()
    order = sorted(range(len(flat)), key=lambda i: (-flat[i], i))[:count]
    return sorted((i // heads, i % heads) for i in order)


@torch.no_grad()
def probe_accuracies(
    model: torch.nn.Module,
    probes: Sequence[Probe],
    heads: Iterable[tuple[int, int]] = (),
    progress: Progress | None = None,
) -> list[float]:
    """Teacher-forced retrieval token accuracy of each probe (fraction of its answer tokens
    predicted right) with `heads` masked to uniform attention."""
    device = next(model.parameters()).device
    accuracies = []
    with mask_heads(model, list(heads)):
        for probe in probes:
            ids = torch.tensor([probe.input_ids], device=device)  # (1, T)
            accuracies.append(answer_predictions(model, ids, probe.answer_start).float().mean().item())
            if progress is not None:
                progress.update(1, tokens=len(probe.input_ids))
    return accuracies


def answer_accuracy(
    model: torch.nn.Module,
    probes: Sequence[Probe],
    heads: Iterable[tuple[int, int]] = (),
    progress: Progress | None = None,
) -> float:
    """Mean of `probe_accuracies` over `probes`."""
    return sum(probe_accuracies(model, probes, heads, progress)) / max(len(probes), 1)


def draw_probe_count(probes: int, draws: int, passes: int = VERIFY_PASSES) -> int:
    """Held-out probes each random draw is evaluated on: enough for every probe to serve
    `passes` times over all draws (all of them when there are few draws)."""
    return min(probes, max(1, math.ceil(passes * probes / max(draws, 1))))


def verify_heads(
    model: torch.nn.Module,
    probes: Sequence[Probe],
    selected: Sequence[tuple[int, int]],
    seed: int = 0,
    draws: int = VERIFY_DRAWS,
    probes_per_draw: int | None = None,
    progress: Progress | None = None,
) -> dict:
    """Table 6 contrast: retrieval token accuracy (a) unmasked and (b) with the selected heads
    masked, on every held-out probe; (c) with as many random non-selected heads masked, over
    `draws` sets drawn with `seed`.

    Which heads a draw holds moves (c) far more than which probes it runs on (a draw that hits
    one load-bearing head loses up to half the accuracy, most draws lose almost nothing), so the cost of (c)
    is spread over many draws: draw d runs on `probes_per_draw` probes (default
    `draw_probe_count`), taken in turn from the held-out set, and is compared with (a) on the same
    probes. random_ratio = sum of draw accuracies / sum of their paired (a) accuracies."""
    layers = enable_masking(model)
    chosen = set(map(tuple, selected))
    others = [(i, h) for i, layer in enumerate(layers) for h in range(layer.num_heads) if (i, h) not in chosen]
    rng = random.Random(seed)
    random_sets = [sorted(rng.sample(others, len(chosen))) for _ in range(draws)]
    count = len(probes)
    per_draw = min(count, probes_per_draw or draw_probe_count(count, draws))
    unmasked = probe_accuracies(model, probes, progress=progress)
    selected_masked = probe_accuracies(model, probes, chosen, progress)
    random_draws = []
    for d, heads in enumerate(random_sets):
        picks = [(d * per_draw + i) % count for i in range(per_draw)]
        accuracy = sum(probe_accuracies(model, [probes[i] for i in picks], heads, progress)) / per_draw
        reference = sum(unmasked[i] for i in picks) / per_draw
        random_draws.append(
            {
                "heads": [list(h) for h in heads],
                "probes": picks,
                "accuracy": accuracy,
                "unmasked": reference,
                "ratio": accuracy / reference if reference else float("nan"),
            }
        )
    base = sum(unmasked) / max(count, 1)
    result = {
        "probes": count,
        "seed": seed,
        "unmasked": base,
        "selected_masked": sum(selected_masked) / max(count, 1),
        "probes_per_draw": per_draw,
        "random_draws": random_draws,
        "random_masked": sum(d["accuracy"] for d in random_draws) / max(draws, 1),
    }
    result["selected_ratio"] = result["selected_masked"] / base if base else float("nan")
    reference = sum(d["unmasked"] for d in random_draws)
    result["random_ratio"] = sum(d["accuracy"] for d in random_draws) / reference if reference else float("nan")
    ratios = [d["ratio"] for d in random_draws]
    result["random_ratio_stderr"] = statistics.stdev(ratios) / math.sqrt(draws) if draws > 1 else None
    return result


def _source(sentences) -> str:
    """Where the probe values come from, as heads.json names it."""
    if sentences is None:
        raise ValueError("head detection needs sentences: pass --sentences FILE (text or JSONL)")
    return str(sentences) if isinstance(sentences, (str, Path)) else "texts"


def _sentences(loaded: LoadedModel, sentences) -> list[str]:
    """The pool of sentences probe values are drawn from."""
    texts = read_sentence_texts(sentences) if isinstance(sentences, (str, Path)) else sentences
    return sentence_pool(loaded.tokenizer, texts)


def earlier_detection(out: str | Path, wanted: dict, verify: bool) -> dict | None:
    """OUT/heads.json when it was detected with the `wanted` settings (model fingerprint, probes,
    selection; with --verify figures when `verify`), else None."""
    from attention_influence.corpus.writers import exists, join, read_json

    path = join(str(out), "heads.json")
    try:
        report = read_json(path) if exists(path) else None
    except (OSError, ValueError):  # unreadable: detect again, and write it anew
        return None
    if not isinstance(report, dict) or not isinstance(report.get("probes"), dict):
        return None
    if verify and not report.get("verify"):
        return None
    return report if _settings(report) == wanted else None


def _settings(report: dict) -> dict:
    """What decides which heads a detection selects."""
    probes = report["probes"]
    by_count = report.get("top_frac") is None
    return {
        "fingerprint": report.get("fingerprint"),
        **{k: probes.get(k) for k in ("num_probes", "probe_tokens", "seed", "sentences")},
        "top_frac": report.get("top_frac"),
        "top_k": report.get("top_k") if by_count else None,
    }


def detect_heads(
    model: LoadedModel | str | None = None,
    out: str | Path | None = None,
    *,
    sentences: str | Path | Iterable[str] | None = None,
    num_probes: int = 800,
    probe_tokens: int = 4096,
    seed: int = 0,
    top_frac: float = 0.05,
    top_k: int | None = None,
    verify: bool = False,
    verify_probes: int | None = None,
    verify_draws: int | None = VERIFY_DRAWS,
    verify_draw_probes: int | None = None,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    progress: bool = True,
    reuse: bool = False,
) -> dict:
    """Detect the retrieval heads of `model`; write OUT/heads.json and OUT/heads.png when `out`.

    `sentences`: a text/JSONL file or an iterable of texts the probe values are drawn from.
    `reuse` (a `run` into OUT): return OUT/heads.json instead when it was detected on the same
    model with the same settings (a restarted run, or another shard of it), with "reused": True;
    refuse to replace it with other heads than the run in OUT was scored with.
    Returns the heads.json content ("selected": [[layer, head], ...], "scores", "verify", ...).
    """
    check_counts(
        dict(num_probes=num_probes, probe_tokens=probe_tokens, top_k=top_k, top_frac=None if top_k else top_frac)
        | dict(verify_probes=verify_probes, verify_draws=verify_draws, verify_draw_probes=verify_draw_probes)
    )
    loaded = (
        model
        if isinstance(model, LoadedModel)
        else load_model(
            model, device=device, dtype=dtype, trust_remote_code=trust_remote_code, allow_pickle=allow_pickle
        )
    )
    source, tokens = _source(sentences), min(probe_tokens, loaded.max_context)
    if reuse and out is not None:
        wanted = {"fingerprint": loaded.fingerprint, "num_probes": num_probes, "probe_tokens": tokens, "seed": seed}
        wanted |= {"sentences": source, "top_frac": None if top_k is not None else top_frac, "top_k": top_k}
        earlier = earlier_detection(out, wanted, verify)
        if earlier is not None:
            return earlier | {"reused": True}
    enable_masking(loaded.model)
    start = time.perf_counter()
    pool = _sentences(loaded, sentences)
    probes = make_probes(loaded.tokenizer, pool, num_probes, tokens, seed)
    with Progress("heads", total=len(probes), unit="probe", enabled=progress) as bar:
        found = retrieval_scores(loaded.model, probes, bar)
    if found.solved == 0:
        raise ValueError(f"the model solved none of the {len(probes)} retrieval probes: no heads can be scored")
    selected = top_heads(found.scores, top_frac, top_k)
    report = {
        "model": loaded.name,
        "fingerprint": loaded.fingerprint,
        "probes": {
            "num_probes": len(probes),
            "probe_tokens": tokens,
            "seed": seed,
            "sentences": source,
            "sentence_pool": len(pool),
            "mean_pairs": sum(p.num_pairs for p in probes) / len(probes),
            "mean_tokens": sum(len(p.input_ids) for p in probes) / len(probes),
            "solved": found.solved,
            "answer_accuracy": found.accuracy,
        },
        "top_frac": None if top_k is not None else top_frac,
        "top_k": len(selected),
        "layers": found.scores.shape[0],
        "heads": found.scores.shape[1],
        "scores": [[round(float(x), 6) for x in row] for row in found.scores],
        "selected": [list(h) for h in selected],
        "verify": None,
    }
    if verify:
        held_out = make_probes(loaded.tokenizer, pool, verify_probes or num_probes, tokens, seed + VERIFY_SEED_OFFSET)
        verify_draws = VERIFY_DRAWS if verify_draws is None else verify_draws
        per_draw = min(len(held_out), verify_draw_probes or draw_probe_count(len(held_out), verify_draws))
        total = 2 * len(held_out) + verify_draws * per_draw
        with Progress("verify", total=total, unit="probe", enabled=progress) as bar:
            report["verify"] = verify_heads(loaded.model, held_out, selected, seed, verify_draws, per_draw, bar)
    report["seconds"] = round(time.perf_counter() - start, 1)
    if reuse and out is not None:
        check_run_heads(str(out), selected)  # before the run's own heads.json is replaced
    if out is not None:
        write_heads(report, out)
    return report


def write_heads(report: dict, out: str | Path) -> Path:
    """Write OUT/heads.json and the heatmap OUT/heads.png; return the json path."""
    from attention_influence.corpus.writers import join, write_json
    from attention_influence.heads.plot import plot_scores

    path = join(str(out), "heads.json")
    write_json(path, report)
    plot_scores(report, join(str(out), "heads.png"))
    return Path(path)


def corpus_texts(inputs: Sequence[str] | str, fields=None) -> Iterable[str]:
    """Texts of a corpus, lazily (probe values for `attninf run` come from the corpus scored)."""
    from attention_influence.corpus.readers import Fields, expand_inputs, read_records

    for path in expand_inputs([inputs] if isinstance(inputs, str) else inputs):
        for record in read_records(path, fields or Fields()):
            if record.text:
                yield record.text
