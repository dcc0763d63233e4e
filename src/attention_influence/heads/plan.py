"""The plan of a head detection, stated before it runs: probes x tokens (sized for the model, and
why), the forwards of --verify, and the time on this device, from one short probe measured here
and scaled by the forward's FLOPs (weights x tokens plus attention x tokens squared)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from attention_influence.config import DetectSettings
from attention_influence.heads.probes import make_probes
from attention_influence.heads.retrieval import retrieval_scores
from attention_influence.models import LoadedModel
from attention_influence.progress import duration

PAPER_PROBES, PAPER_TOKENS = 800, 4096  # the paper's App. A: 800 probes of up to 4096 tokens
CPU_PROBES, CPU_TOKENS = 32, 768  # a CPU's default: minutes, not days; the same heads (docs/heads.md)
MEASURED_TOKENS = 512  # the timing probe is at most this long
LONG = 15 * 60  # seconds: a plan longer than this suggests a cheaper setting


def detection_size(settings: DetectSettings, context: int, device: str) -> tuple[int, str, int, str]:
    """(probes, why, tokens per probe, why) of a detection on `device` ('cuda' or 'cpu') for a model
    with `context` positions: the settings' own numbers, else the paper's on a GPU and CPU_PROBES x
    CPU_TOKENS on a CPU; tokens always capped at the context."""
    gpu = device != "cpu"
    if settings.num_probes is not None:
        probes, probes_why = (
            settings.num_probes,
            "the paper's number" if settings.num_probes == PAPER_PROBES else "as asked",
        )
    else:
        probes = PAPER_PROBES if gpu else CPU_PROBES
        probes_why = "the paper's number" if gpu else f"the CPU default; the paper's {PAPER_PROBES:,} on a GPU"
    default = PAPER_TOKENS if gpu else CPU_TOKENS
    asked = settings.probe_tokens
    if asked is None:
        named = f"the paper's {PAPER_TOKENS:,}" if gpu else f"the CPU default, the paper's {PAPER_TOKENS:,} on a GPU;"
        if context < default:
            return probes, probes_why, context, f"{named} capped at the model's context of {context:,}"
        return probes, probes_why, default, f"{named} within the model's context of {context:,}"
    if asked > context:
        return probes, probes_why, context, f"{asked:,} asked, capped at the model's context of {context:,}"
    return probes, probes_why, asked, "as asked"


def probe_tokens_for(settings: DetectSettings, context: int, device: str = "cuda") -> tuple[int, str]:
    """Tokens per probe for a model with `context` positions on `device`, and why that many."""
    return detection_size(settings, context, device)[2:]


@dataclass
class DetectionPlan:
    """What a detection will run, and for how long."""

    model: str
    device: str
    num_probes: int
    probes_why: str
    probe_tokens: int
    tokens_why: str
    sentences: str
    pool: int  # sentences the probe values are drawn from
    verify_forwards: int  # held-out forwards of --verify (0 without it)
    measured_tokens: int
    measured_seconds: float
    seconds: float  # the whole detection (and verify), estimated

    def lines(self) -> list[str]:
        """The plan as printed before the detection starts."""
        shown = [f"plan: detect the retrieval heads of {self.model} ({self.device})"]
        shown.append(
            f"  probes   {self.num_probes:,} ({self.probes_why}) x {self.probe_tokens:,} tokens ({self.tokens_why})"
        )
        shown.append(f"  values   {self.pool:,} sentences from {self.sentences}")
        if self.verify_forwards:
            shown.append(f"  verify   {self.verify_forwards:,} held-out forwards (unmasked, selected, random draws)")
        shown.append(
            f"  time     ≈ {duration(self.seconds)} on {self.device} (measured here: one {self.measured_tokens:,}-token "
            f"probe in {self.measured_seconds:.1f} s, scaled by FLOPs to {self.probe_tokens:,} tokens)"
        )
        if self.seconds > LONG and (self.num_probes > CPU_PROBES or self.probe_tokens > CPU_TOKENS):
            shown.append(
                f"  hint     --num-probes {CPU_PROBES} --probe-tokens {CPU_TOKENS} (the CPU default) is how the shipped "
                "heads were found (seeds 0 and 1 select the same heads: docs/heads.md)"
            )
        return shown

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _forward_cost(config, tokens: int) -> float:
    """FLOPs of one forward of `tokens` tokens, up to a constant: weights x tokens + attention x tokens^2."""
    layers = getattr(config, "num_hidden_layers", 1)
    hidden = getattr(config, "hidden_size", 1)
    vocab = getattr(config, "vocab_size", 0)
    intermediate = getattr(config, "intermediate_size", 4 * hidden)
    weights = layers * (4 * hidden * hidden + 3 * hidden * intermediate) + hidden * vocab
    return 2 * weights * tokens + 4 * layers * hidden * tokens * tokens


def plan_detection(loaded: LoadedModel, settings: DetectSettings, pool: list[str], sentences: str) -> DetectionPlan:
    """Size the detection for `loaded` and time one probe of at most MEASURED_TOKENS tokens here."""
    probes, probes_why, tokens, tokens_why = detection_size(settings, loaded.max_context, loaded.device.type)
    verify = 0
    if settings.verify:
        from attention_influence.heads.detect import draw_probe_count

        held_out = settings.verify_probes or probes
        per_draw = min(held_out, settings.verify_draw_probes or draw_probe_count(held_out, settings.verify_draws))
        verify = 2 * held_out + settings.verify_draws * per_draw
    short = min(tokens, MEASURED_TOKENS)
    (probe,) = make_probes(loaded.tokenizer, pool, 1, short, settings.seed + 7919)
    retrieval_scores(loaded.model, [probe])  # first-call costs are not the detection's
    start = time.perf_counter()
    retrieval_scores(loaded.model, [probe])
    seconds = time.perf_counter() - start
    config = loaded.model.config.get_text_config()
    scale = _forward_cost(config, tokens) / _forward_cost(config, len(probe.input_ids))
    return DetectionPlan(
        model=loaded.name,
        device=loaded.device.type,
        num_probes=probes,
        probes_why=probes_why,
        probe_tokens=tokens,
        tokens_why=tokens_why,
        sentences=sentences,
        pool=len(pool),
        verify_forwards=verify,
        measured_tokens=len(probe.input_ids),
        measured_seconds=seconds,
        seconds=seconds * scale * (probes + verify),
    )
