"""Find the retrieval heads (METHOD.md section 1): probes -> retrieval scores -> top heads
-> DIR/heads.json (+ heads.png), with the paper's Table 6 contrast as an optional check."""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch

from attention_influence.config import DetectSettings, ModelSettings, build, split_options
from attention_influence.errors import ModelError, SettingError
from attention_influence.heads.plan import CPU_PROBES, CPU_TOKENS, DetectionPlan, plan_detection
from attention_influence.heads.probes import Probe, make_probes, read_sentence_texts, sentence_pool
from attention_influence.heads.retrieval import answer_predictions, retrieval_scores
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.models import LoadedModel, obtain
from attention_influence.progress import Progress, duration

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
    """Where the probe values come from, as heads.json names it; a file that is not there is a
    SettingError now, before the model loads."""
    if sentences is None:
        raise SettingError(
            "sentences", "head detection needs sentences: a text or JSONL file the probe values come from"
        )
    if isinstance(sentences, (str, Path)):
        check_sentences(str(sentences))
        return str(sentences)
    return "texts"


def check_sentences(path: str) -> None:
    """SettingError unless `path` (the sentences of the probes) is a file."""
    import fsspec

    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    if not fs.isfile(local):
        raise SettingError("sentences", f"no such file: {path}")


def _sentences(loaded: LoadedModel, sentences) -> list[str]:
    """The pool of sentences probe values are drawn from."""
    texts = read_sentence_texts(sentences) if isinstance(sentences, (str, Path)) else sentences
    return sentence_pool(loaded.tokenizer, texts)


def same_detection(
    report: dict | None, fingerprint: str, settings: DetectSettings, num_probes: int, probe_tokens: int
) -> bool:
    """Whether `report` (a heads.json) was detected on these weights with these settings (`num_probes`
    x `probe_tokens`: as sized for the device) and holds verify figures when they are asked for:
    then it can be reused."""
    if not isinstance(report, dict) or not isinstance(report.get("probes"), dict):
        return False
    if settings.verify and not report.get("verify"):
        return False
    probes = report["probes"]
    wanted = {
        "fingerprint": fingerprint,
        "num_probes": num_probes,
        "probe_tokens": probe_tokens,
        "seed": settings.seed,
        "sentences": str(settings.sentences),
        "top_frac": None if settings.top_k is not None else settings.top_frac,
        "top_k": settings.top_k,
    }
    found = {
        "fingerprint": report.get("fingerprint"),
        **{k: probes.get(k) for k in ("num_probes", "probe_tokens", "seed")},
    }
    found |= {"sentences": str(probes.get("sentences")), "top_frac": report.get("top_frac")}
    found["top_k"] = report.get("top_k") if report.get("top_frac") is None else None
    return found == wanted


def detect_heads(
    model: LoadedModel | ModelSettings | str | None = None,
    out: str | Path | None = None,
    settings: DetectSettings | None = None,
    *,
    sentences: str | Path | Iterable[str] | None = None,
    progress: bool = True,
    on_plan: Callable[[DetectionPlan], None] | None = None,
    dry_run: bool = False,
    **options,
) -> dict | DetectionPlan:
    """Detect the retrieval heads of `model`; write OUT/heads.json and OUT/heads.png when `out`.

    `sentences`: a text/JSONL file or an iterable of texts the probe values are drawn from.
    `options`: DetectSettings fields (num_probes, probe_tokens, seed, top_frac, top_k, verify,
    ...) when `settings` is not given, and ModelSettings fields (device, dtype, ...). The plan
    (probes x tokens, sized for the device, and the time measured here) goes to `on_plan` before
    the detection starts; a plan over `settings.max_hours` is refused (SettingError naming the
    flags); `dry_run` returns the plan without detecting.
    Returns the heads.json content ("selected": [[layer, head], ...], "scores", "verify", ...).
    """
    detect_options, model_options = split_options(options, DetectSettings, ModelSettings)
    if settings is None:
        named = {"sentences": str(sentences)} if isinstance(sentences, (str, Path)) else {}
        settings = build(DetectSettings, **(named | detect_options))
    sentences = sentences if sentences is not None else settings.sentences
    source = _source(sentences)
    loaded = obtain(model, build(ModelSettings, **model_options))
    enable_masking(loaded.model)
    pool = _sentences(loaded, sentences)
    plan = plan_detection(loaded, settings, pool, source)
    if on_plan is not None:
        on_plan(plan)
    check_time(plan, settings)
    if dry_run:
        return plan
    start = time.perf_counter()
    report = _detect(loaded, settings, pool, source, plan, progress)
    if settings.verify:
        report["verify"] = _verify(loaded, settings, pool, plan, report["selected"], progress)
    report["seconds"] = round(time.perf_counter() - start, 1)
    if out is not None:
        write_heads(report, out)
    return report


def check_time(plan: DetectionPlan, settings: DetectSettings) -> None:
    """SettingError, naming the flags, when the plan runs past `settings.max_hours` (0: no limit)."""
    if settings.max_hours and plan.seconds > settings.max_hours * 3600:
        raise SettingError(
            "max_hours",
            f"the detection would take ≈ {duration(plan.seconds)} on {plan.device} ({plan.num_probes:,} probes x "
            f"{plan.probe_tokens:,} tokens), over the limit of {settings.max_hours:g} h: use fewer or shorter probes "
            f"(--num-probes {CPU_PROBES} --probe-tokens {CPU_TOKENS} is the CPU default), a GPU, or raise --max-hours "
            "(0: no limit)",
        )


def _detect(loaded: LoadedModel, settings: DetectSettings, pool: list[str], source: str, plan, progress) -> dict:
    """Probes -> retrieval scores -> the top heads: heads.json's content, without the verify figures."""
    tokens = plan.probe_tokens
    probes = make_probes(loaded.tokenizer, pool, plan.num_probes, tokens, settings.seed)
    with Progress("heads", total=len(probes), unit="probe", enabled=progress) as bar:
        found = retrieval_scores(loaded.model, probes, bar)
    if found.solved == 0:
        raise ModelError(f"the model solved none of the {len(probes)} retrieval probes: no heads can be scored")
    selected = top_heads(found.scores, settings.top_frac, settings.top_k)
    return {
        "model": loaded.name,
        "fingerprint": loaded.fingerprint,
        "probes": {
            "num_probes": len(probes),
            "probe_tokens": tokens,
            "seed": settings.seed,
            "sentences": source,
            "sentence_pool": len(pool),
            "mean_pairs": sum(p.num_pairs for p in probes) / len(probes),
            "mean_tokens": sum(len(p.input_ids) for p in probes) / len(probes),
            "solved": found.solved,
            "answer_accuracy": found.accuracy,
        },
        "top_frac": None if settings.top_k is not None else settings.top_frac,
        "top_k": len(selected),
        "layers": found.scores.shape[0],
        "heads": found.scores.shape[1],
        "scores": [[round(float(x), 6) for x in row] for row in found.scores],
        "selected": [list(h) for h in selected],
        "verify": None,
    }


def _verify(loaded: LoadedModel, settings: DetectSettings, pool: list[str], plan, selected, progress) -> dict:
    """The Table 6 contrast on held-out probes (`verify_heads`)."""
    count = settings.verify_probes or plan.num_probes
    held_out = make_probes(loaded.tokenizer, pool, count, plan.probe_tokens, settings.seed + VERIFY_SEED_OFFSET)
    draws = settings.verify_draws
    per_draw = min(len(held_out), settings.verify_draw_probes or draw_probe_count(len(held_out), draws))
    with Progress("verify", total=2 * len(held_out) + draws * per_draw, unit="probe", enabled=progress) as bar:
        return verify_heads(loaded.model, held_out, [tuple(h) for h in selected], settings.seed, draws, per_draw, bar)


def write_heads(report: dict, out: str | Path) -> Path:
    """Write OUT/heads.json and the heatmap OUT/heads.png; return the json path."""
    from attention_influence.corpus.writers import join, write_json
    from attention_influence.heads.plot import plot_scores

    path = join(str(out), "heads.json")
    write_json(path, report)
    plot_scores(report, join(str(out), "heads.png"))
    return Path(path)
