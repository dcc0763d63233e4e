"""GPU figures: scoring throughput against the measured bfloat16 matmul peak, and bfloat16 vs float32
agreement of the scores, at the engine's default settings.

    PYTHONPATH=src python bench/gpu.py                 # on a CUDA machine (a few minutes)
    PYTHONPATH=src python bench/gpu.py --smoke         # tiny sizes on a CPU: checks the script runs

Throughput, for the embedded SmolLM2-135M and a randomly initialised 1.3B-shaped Llama (the paper's
selector: 16 layers, 20 heads, GQA, 4,096 context; built from a config, no weights): tokens/s of
the dual pass (base + masked), the useful FLOPs it does (bench/throughput.py FlopCount: the layers
below the first masked head once, the others and the LM head twice, attention causal inside each
document) as a share of the measured matmul peak, the engine's chosen settings, and GPU-hours per
241B tokens (the SmolLM corpus the paper scored) on this GPU.

Agreement: the same real documents (GSM8K = math, wikitext-2 = prose) scored with the embedded
model in bfloat16 and in float32; per domain, Spearman correlation of the scores and the share of
the float32 top 20% that bfloat16 also puts in its top 20% (the paper's selection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.reference

from throughput import FlopCount, default_heads  # noqa: E402

from attention_influence.heads import parse_heads  # noqa: E402
from attention_influence.masking import enable_masking  # noqa: E402
from attention_influence.models import LoadedModel, load_model  # noqa: E402
from attention_influence.scoring.engine import Scorer, split_windows  # noqa: E402
from attention_influence.scoring.shared_prefix import first_masked_layer  # noqa: E402
from tests.reference import selector_config  # noqa: E402

CORPUS_TOKENS = 241e9  # the SmolLM corpus the paper scored
HEADS = ROOT / "examples" / "heads" / "smollm2-135m-instruct.json"


def data_dir() -> Path:
    """Real text: $ATTNINF_DATA, else shared/data next to or inside the repository."""
    for path in (os.environ.get("ATTNINF_DATA"), ROOT.parent / "shared" / "data", ROOT / "shared" / "data"):
        if path and (Path(path) / "gsm8k" / "test.jsonl").is_file():
            return Path(path)
    raise SystemExit("real documents not found: set ATTNINF_DATA to the folder holding gsm8k/ and wikitext-2/")


def domains(n: int) -> dict[str, list[str]]:
    """Up to n documents per domain: GSM8K test problems (math), runs of 1-6 wikitext-2 paragraphs (prose)."""
    data = data_dir()
    gsm = [json.loads(line) for line in (data / "gsm8k/test.jsonl").read_text().splitlines()][:n]
    paragraphs = [p.strip() for p in (data / "wikitext-2/test.txt").read_text().split("\n") if len(p.strip()) > 100]
    rng = random.Random(0)
    prose = []
    for _ in range(n):
        start = rng.randrange(len(paragraphs) - 6)
        prose.append("\n".join(paragraphs[start : start + rng.randint(1, 6)]))
    return {"math": [g["question"] + "\n" + g["answer"] for g in gsm], "prose": prose}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, dtype: torch.dtype, size: int, seconds: float = 3.0) -> float:
    """Best FLOP/s of a (size x size) @ (size x size) matmul in `dtype`, measured now."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sync(device)
        start = time.perf_counter()
        for _ in range(10):
            a @ b
        sync(device)
        best = max(best, 10 * 2 * size**3 / (time.perf_counter() - start))
    return best


def random_selector(tokenizer, device: torch.device, dtype: torch.dtype, smoke: bool) -> LoadedModel:
    """The 1.3B-shaped Llama with random weights (smoke: the same shape scaled down)."""
    import transformers

    config = selector_config(vocab_size=len(tokenizer))
    if smoke:
        config.hidden_size, config.intermediate_size, config.num_hidden_layers = 64, 128, 4
        config.head_dim = 8
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
    model.eval().requires_grad_(False)
    name = f"random {sum(p.numel() for p in model.parameters()) / 1e9:.2f}B Llama (selector shape)"
    return LoadedModel(model, tokenizer, name, "random", device, dtype)


def throughput(loaded: LoadedModel, heads, docs: list[list[int]], peak: float, rounds: int, settings: dict) -> dict:
    """Score `docs` `rounds` times after a warm-up (compilation, sizing); the best round's figures."""
    scorer = Scorer(loaded, heads, **settings)
    warm = docs[: max(1, len(docs) // 8)]
    scorer.score_token_lists(warm)
    tokens = sum(len(d) for d in docs)
    windows = [len(w) for d in docs for w in split_windows(d, scorer.max_length)]
    flops = FlopCount(loaded.model).shared(windows, first_masked_layer(scorer.heads))
    best, busy = float("inf"), 0.0
    if loaded.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(loaded.device)
    for _ in range(rounds):
        busy_before = scorer.busy_seconds
        sync(loaded.device)
        start = time.perf_counter()
        scorer.score_token_lists(docs)
        sync(loaded.device)
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, busy = elapsed, scorer.busy_seconds - busy_before
    memory = torch.cuda.max_memory_allocated(loaded.device) if loaded.device.type == "cuda" else 0
    return dict(
        model=loaded.name,
        settings=dict(
            batch_tokens=scorer.batch_tokens,
            pack=scorer.pack,
            attention=scorer.attention,
            compiled=scorer.compiled is not None and scorer.compiled.active,
            chunk_tokens=scorer.loss_head.chunk_tokens,
            max_length=scorer.max_length,
        ),
        fallbacks=scorer.fallbacks,
        tokens=tokens,
        seconds=best,
        tokens_per_second=tokens / best,
        tflops=flops / best / 1e12,
        share_of_peak=flops / best / peak,
        busy_share=busy / best,
        padding_fraction=scorer.padding_fraction,
        peak_memory_gib=memory / 2**30,
        gpu_hours_per_241b=CORPUS_TOKENS / (tokens / best) / 3600,
    )


def spearman(a: list[float], b: list[float]) -> float:
    ranks = [torch.tensor(x, dtype=torch.float64).argsort().argsort().double() for x in (a, b)]
    ra, rb = (r - r.mean() for r in ranks)
    return float((ra * rb).sum() / (ra.norm() * rb.norm()))


def top_overlap(reference: list[float], other: list[float], fraction: float = 0.2) -> float:
    """Share of `reference`'s top `fraction` that `other` also ranks in its top `fraction`."""
    k = max(1, round(fraction * len(reference)))
    top = lambda scores: set(torch.tensor(scores).argsort(descending=True)[:k].tolist())  # noqa: E731
    return len(top(reference) & top(other)) / k


def agreement(name, device: torch.device, heads, texts: dict[str, list[str]], max_length: int | None) -> dict:
    """Per domain: Spearman and top-20% overlap of bfloat16 vs float32 scores of the same documents."""
    scores = {}
    for dtype in ("float32", "bfloat16"):
        loaded = load_model(name, device=device, dtype=dtype) if not callable(name) else name(device, dtype)
        scorer = Scorer(loaded, heads, max_length=max_length)
        scores[dtype] = {d: [r.score for r in scorer.score_texts(t)] for d, t in texts.items()}
        del scorer, loaded
        if device.type == "cuda":
            torch.cuda.empty_cache()
    out = {}
    for domain in texts:
        pairs = [
            (a, b)
            for a, b in zip(scores["float32"][domain], scores["bfloat16"][domain], strict=True)
            if None not in (a, b)
        ]
        f32, b16 = [a for a, _ in pairs], [b for _, b in pairs]
        out[domain] = dict(documents=len(pairs), spearman=spearman(f32, b16), top20_overlap=top_overlap(f32, b16))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on whatever device: checks the script runs")
    parser.add_argument("--device", default=None, help="default: cuda (cpu with --smoke)")
    parser.add_argument("--tokens", type=int, default=1_000_000, help="tokens scored per throughput round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--agree-docs", type=int, default=1100, help="documents per domain for bf16 vs fp32")
    parser.add_argument("--ablate", action="store_true", help="also: packing off, compilation off")
    parser.add_argument("--out", default=None, help="write the figures to this JSON file")
    args = parser.parse_args()
    device = torch.device(args.device or ("cpu" if args.smoke else "cuda"))
    if device.type != "cuda" and not args.smoke:
        raise SystemExit("no CUDA device: this bench measures GPUs (use --smoke to check it on a CPU)")
    if args.smoke:
        args.tokens, args.rounds, args.agree_docs = 3000, 1, 12
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16  # bfloat16 matmuls crawl on CPUs
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (smoke run: not a GPU figure)"
    peak = matmul_peak(device, dtype, 512 if args.smoke else 8192, seconds=0.5 if args.smoke else 3.0)
    report = dict(device=gpu, torch=torch.__version__, dtype=str(dtype), matmul_peak_tflops=peak / 1e12, runs=[])
    print(f"device: {gpu}; torch {torch.__version__}; {dtype} matmul peak {peak / 1e12:,.3f} TFLOP/s")

    embedded = load_model(None, device=device, dtype=dtype)
    texts = domains(args.agree_docs)
    corpus = [t for pair in zip(texts["math"], texts["prose"], strict=False) for t in pair]
    ids = embedded.tokenizer(corpus)["input_ids"]
    if args.smoke:
        ids = [t[:48] for t in ids]
    docs, total = [], 0
    while total < args.tokens:  # cycle the real documents up to the token target
        doc = ids[len(docs) % len(ids)]
        docs.append(doc)
        total += len(doc)

    shipped = parse_heads(str(HEADS)).heads
    selector = random_selector(embedded.tokenizer, device, dtype, args.smoke)
    layers = enable_masking(selector.model)
    top = max(1, round(0.05 * len(layers) * layers[0].num_heads))  # the paper's top 5%: 16 of 320 heads
    selector_heads = default_heads(len(layers), layers[0].num_heads, top)
    models = [(embedded, shipped), (selector, selector_heads)]
    if args.smoke:  # the embedded model is too slow for a smoke run on a CPU: two small random models
        small = random_selector(embedded.tokenizer, device, dtype, smoke=True)
        models = [(small, [(1, 0), (2, 3)]), (selector, [(2, 1), (3, 0)])]
    variants = {"default": {}}
    if args.ablate:
        variants |= {"pack off": dict(pack=False), "compile off": dict(compile=False)}
    for loaded, heads in models:
        for variant, settings in variants.items():
            run = throughput(
                loaded, heads, docs, peak, args.rounds, settings | ({"max_length": 64} if args.smoke else {})
            )
            run["variant"] = variant
            report["runs"].append(run)
            print(
                f"{run['model']} [{variant}]: {run['tokens_per_second']:,.0f} tok/s, {run['tflops']:,.3f} TFLOP/s = "
                f"{run['share_of_peak']:.0%} of peak; busy {run['busy_share']:.0%}; padding {run['padding_fraction']:.1%}; "
                f"peak memory {run['peak_memory_gib']:.1f} GiB; {run['gpu_hours_per_241b']:,.0f} GPU-hours per 241B tokens; "
                f"settings {run['settings']}" + (f"; fallbacks {run['fallbacks']}" if run["fallbacks"] else "")
            )
    del selector, models
    if args.smoke:  # a tiny random model stands in for the embedded one
        texts = {d: [t[:200] for t in v] for d, v in texts.items()}
        smoke_model = lambda dev, dt: random_selector(embedded.tokenizer, dev, resolve(dt), smoke=True)  # noqa: E731
        report["agreement"] = agreement(smoke_model, device, [(1, 0), (2, 3)], texts, max_length=64)
    else:
        del embedded
        report["agreement"] = agreement(None, device, shipped, texts, max_length=None)
    if args.smoke:
        print("(smoke run: tiny random models on a CPU; none of these figures describes a GPU or a trained model)")
    for domain, figures in report["agreement"].items():
        print(
            f"bf16 vs fp32, {domain}: {figures['documents']} documents, Spearman {figures['spearman']:.4f}, "
            f"top-20% overlap {figures['top20_overlap']:.1%}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


def resolve(dtype: str) -> torch.dtype:
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]


if __name__ == "__main__":
    sys.exit(main())
