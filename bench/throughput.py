"""Scoring throughput: the naive ways against the shared-prefix engine, in one process.

    PYTHONPATH=src python bench/throughput.py --quick          # a few minutes on 2 CPU cores
    PYTHONPATH=src python bench/throughput.py --memory 32000   # peak RSS scoring one 32k-token document
    PYTHONPATH=src python bench/throughput.py --model llama-1b --device cuda --dtype bfloat16

Methods, on the same real documents of mixed length (GSM8K + wikitext-2 paragraphs):
  (a) naive: two separate full forward passes per document, batch size 1 (public re-implementation)
  (b) naive batched: two separate full passes, batches of --naive-batch documents padded to the longest
  (c) engine: shared prefix, length-sorted token-budget batches, chunked LM head
  (c0) engine without the shared prefix (same batches): isolates the prefix's speed-up
Rounds are interleaved (a, b, c0, c, a, b, ...) so that load from other processes hits all alike;
the best round of each is reported (and the median).
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.reference

from attention_influence.models import LoadedModel, load_model  # noqa: E402
from attention_influence.scoring.engine import Scorer, split_windows  # noqa: E402
from attention_influence.scoring.shared_prefix import decoder_layers, first_masked_layer  # noqa: E402
from tests.reference import naive_losses  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def real_documents(n: int) -> list[str]:
    """n documents alternating GSM8K (short) and wikitext-2 paragraph runs (1 to 6 paragraphs: long)."""
    gsm = [json.loads(line) for line in (DATA / "gsm8k/test.jsonl").read_text().splitlines()]
    paragraphs = [p.strip() for p in (DATA / "wikitext-2/test.txt").read_text().split("\n") if len(p.strip()) > 100]
    rng = random.Random(0)
    docs = []
    for i in range(n):
        if i % 2 == 0:
            g = gsm[i // 2]
            docs.append(g["question"] + "\n" + g["answer"])
        else:
            start = rng.randrange(len(paragraphs) - 6)
            docs.append("\n".join(paragraphs[start : start + rng.randint(1, 6)]))
    return docs


def default_heads(layers: int, heads: int, count: int) -> list[tuple[int, int]]:
    """`count` heads spread over the upper-middle layers [L/2, 0.8 L) (where retrieval heads sit)."""
    rng = random.Random(0)
    pool = [(lay, h) for lay in range(layers // 2, int(0.8 * layers)) for h in range(heads)]
    return sorted(rng.sample(pool, count))


class PeakRSS:
    """Samples the process RSS every 5 ms in a thread; .peak is the highest seen (bytes)."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def peak_memory_reset(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak_memory(device: torch.device, rss: PeakRSS) -> int:
    return torch.cuda.max_memory_allocated() if device.type == "cuda" else rss.peak


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_flops(device: torch.device, dtype: torch.dtype, shapes: list[tuple[int, int, int]], seconds=2.0) -> float:
    """Best FLOP/s of torch.matmul over the given (M, K, N) shapes, measured now."""
    best = 0.0
    for m, k, n in shapes:
        a = torch.randn(m, k, device=device, dtype=dtype)
        b = torch.randn(k, n, device=device, dtype=dtype)
        for _ in range(2):
            a @ b
        clock = time.perf_counter if device.type == "cuda" else time.process_time  # CPU: as the methods
        threads = 1 if device.type == "cuda" else torch.get_num_threads()
        sync(device)
        reps, start = 0, clock()
        while clock() - start < seconds / len(shapes):
            a @ b
            reps += 1
        sync(device)
        best = max(best, 2 * m * k * n * reps / ((clock() - start) / threads))
    return best


class FlopCount:
    """Forward FLOPs from the model's shapes: 2 x multiply-adds of every decoder-layer matrix, the
    attention scores and weighted sums (causal: 4 x width x (t+1) per query t), and the LM head."""

    def __init__(self, model: torch.nn.Module):
        layers = decoder_layers(model)
        self.layer_params = [sum(p.numel() for p in layer.parameters() if p.dim() == 2) for layer in layers]
        config = model.config.get_text_config()
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        self.attn_width = config.num_attention_heads * head_dim
        self.head_params = model.get_output_embeddings().weight.numel()

    def per_document(self, tokens: int, layers: range, heads: int) -> float:
        """FLOPs of running `layers` and `heads` LM heads over one causal sequence of `tokens`."""
        attention = 4 * self.attn_width * tokens * (tokens + 1) / 2
        return (
            sum(2 * self.layer_params[i] * tokens + attention for i in layers) + 2 * heads * self.head_params * tokens
        )

    def naive(self, windows: list[int]) -> float:
        n = len(self.layer_params)
        return sum(2 * self.per_document(t, range(n), 1) for t in windows)

    def shared(self, windows: list[int], first: int) -> float:
        n = len(self.layer_params)
        return sum(
            self.per_document(t, range(first), 0) + 2 * self.per_document(t, range(first, n), 1) for t in windows
        )


def load(args) -> LoadedModel:
    if args.model == "llama-1b":  # a 1B-class Llama with random weights (GPU runs without downloads)
        import transformers

        from attention_influence.models import load_model as _load

        tokenizer = _load(None, device="cpu", dtype="float32").tokenizer
        config = transformers.LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=2048,
            intermediate_size=8192,
            num_hidden_layers=16,
            num_attention_heads=32,
            num_key_value_heads=8,
            max_position_embeddings=4096,
            attn_implementation="sdpa",
        )
        device = torch.device(args.device)
        dtype = getattr(torch, args.dtype)
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype).to(device).eval()
        return LoadedModel(model, tokenizer, "llama-1b-random", "random", device, dtype)
    return load_model(args.model, device=args.device, dtype=args.dtype)


def memory_run(args, loaded: LoadedModel, heads) -> None:
    """Peak RSS while the engine scores one long document (windows, batch by batch)."""
    paragraphs = (DATA / "wikitext-2/test.txt").read_text()
    ids = loaded.tokenizer(paragraphs)["input_ids"][: args.memory]
    scorer = Scorer(loaded, heads, batch_tokens=args.batch_tokens, compile=args.compile, pack=args.pack)
    if args.max_batches:
        ids = ids[: args.max_batches * scorer.batch_tokens]
    windows = split_windows(ids, scorer.max_length)
    print(
        f"document: {len(ids):,} tokens, {len(windows)} windows of <= {scorer.max_length}; "
        f"batches of <= {scorer.batch_tokens} tokens (pack={scorer.pack})"
    )
    base_rss = psutil.Process().memory_info().rss
    with PeakRSS() as rss:
        clock = [time.perf_counter(), 0]

        def report(_docs: int, tokens: int) -> None:
            now = time.perf_counter()
            print(
                f"  batch {clock[1]}: {tokens:,} tokens, {now - clock[0]:6.1f} s, peak RSS so far {rss.peak / 2**30:.2f} GiB"
            )
            clock[:] = [now, clock[1] + 1]

        (result,) = scorer.score_token_lists([ids], on_batch=report)
    print(
        f"model loaded: {base_rss / 2**30:.2f} GiB RSS; peak while scoring: {rss.peak / 2**30:.2f} GiB "
        f"= {rss.peak / 1e9:.2f} GB (ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB); "
        f"score {result.score:.6f}"
    )
    if loaded.device.type == "cuda":
        print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


def engine_before(ref: str):
    """The Scorer class of the engine at git `ref`, importable next to this one (package renamed
    attention_influence_before), to measure before/after in one process."""
    root = Path(__file__).resolve().parents[1]
    target = Path(tempfile.mkdtemp(prefix="attninf-before-"))
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src/attention_influence"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    package = target / "attention_influence_before"
    (target / "src" / "attention_influence").rename(package)
    for file in package.rglob("*.py"):
        file.write_text(re.sub(r"\battention_influence\b", "attention_influence_before", file.read_text()))
    sys.path.insert(0, str(target))
    return importlib.import_module("attention_influence_before.scoring.engine").Scorer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="hub id / path; 'llama-1b' = random 1B Llama; default embedded")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--docs", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="8 documents, 2 rounds")
    parser.add_argument("--heads", default=None, help="heads.json or 'l:h,...' (default: 5%% in upper-middle layers)")
    parser.add_argument("--batch-tokens", type=int, default=None, help="default: the engine's (sized on CUDA)")
    parser.add_argument("--naive-batch", type=int, default=8, help="documents per batch in (b)")
    parser.add_argument("--max-length", type=int, default=1024, help="window length (all methods)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None, help="default: on for CUDA")
    parser.add_argument("--pack", action=argparse.BooleanOptionalAction, default=None, help="default: on for CUDA")
    parser.add_argument("--pack-too", action="store_true", help="add (c-pack): the engine with packing on")
    parser.add_argument("--before", metavar="GIT_REF", help="add (c-before): the engine at this commit, same process")
    parser.add_argument("--skip-a", action="store_true", help="leave out (a) (slow on big models)")
    parser.add_argument("--memory", type=int, default=None, metavar="TOKENS", help="only the long-document memory run")
    parser.add_argument("--max-batches", type=int, default=None, help="with --memory: stop after this many batches")
    args = parser.parse_args()
    if args.quick:
        args.docs, args.rounds = 8, 2
    if args.threads:
        torch.set_num_threads(args.threads)
    loaded = load(args)
    model, device = loaded.model, loaded.device
    from attention_influence.heads import parse_heads
    from attention_influence.masking import enable_masking

    layers = enable_masking(model)
    total_heads = sum(layer.num_heads for layer in layers)
    heads = (
        parse_heads(args.heads).heads
        if args.heads
        else default_heads(len(layers), layers[0].num_heads, max(1, round(0.05 * total_heads)))
    )
    cpu = psutil.cpu_count(logical=True)
    print(
        f"machine: {torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'} ({cpu} logical CPUs, "
        f"{torch.get_num_threads()} torch threads), torch {torch.__version__}, {loaded.dtype}, load avg "
        f"{psutil.getloadavg()[0]:.1f}"
    )
    print(
        f"model: {loaded.name}, {len(layers)} layers x {layers[0].num_heads} heads; masked {len(heads)} heads: "
        + ",".join(f"{lay}:{h}" for lay, h in heads)
    )
    if args.memory:
        memory_run(args, loaded, heads)
        return 0

    texts = real_documents(args.docs)
    tokens = [t for t in loaded.tokenizer(texts)["input_ids"] if len(t) >= 2]
    windows = [len(w) for doc in tokens for w in split_windows(doc, args.max_length)]
    n_tokens = sum(len(t) for t in tokens)
    print(
        f"documents: {len(tokens)}, {n_tokens:,} tokens, lengths {min(map(len, tokens))}..{max(map(len, tokens))} "
        f"(median {statistics.median(map(len, tokens)):.0f}); windows of <= {args.max_length}"
    )

    pad = loaded.tokenizer.pad_token_id or 0
    settings = dict(max_length=args.max_length, batch_tokens=args.batch_tokens, compile=args.compile)
    unshared = Scorer(loaded, heads, shared_prefix=False, pack=args.pack, **settings)
    methods = {
        "a": lambda: naive_losses(model, tokens, heads, 1, args.max_length, pad),
        "b": lambda: naive_losses(model, tokens, heads, args.naive_batch, args.max_length, pad),
        "c0": lambda: unshared.score_token_lists(tokens),
    }
    names = {
        "a": "(a) naive, batch 1",
        "b": f"(b) naive, batch {args.naive_batch} padded",
        "c0": "(c0) engine, no shared prefix",
        "c": "(c) engine",
        "c-pack": "(c-pack) engine, packed rows",
        "c-before": f"(c-before) engine at {args.before}",
    }
    if args.before:
        before = engine_before(args.before)(
            loaded, heads, max_length=args.max_length, batch_tokens=args.batch_tokens or 8192
        )
        methods["c-before"] = lambda: before.score_token_lists(tokens)
    if args.pack_too:
        packed = Scorer(loaded, heads, pack=True, **settings)
        methods["c-pack"] = lambda: packed.score_token_lists(tokens)
    engine = Scorer(loaded, heads, pack=args.pack, **settings)  # built last: its compile setting holds
    methods["c"] = lambda: engine.score_token_lists(tokens)
    if args.skip_a:
        del methods["a"]
    print(
        f"engine: batch_tokens {engine.batch_tokens}, pack {engine.pack}, attention {engine.attention}, "
        f"compiled {engine.compiled is not None}"
    )
    methods["c"]()  # warm-up (and compile)
    peak_tflops = matmul_flops(
        device, loaded.dtype, [(4096, model.config.hidden_size, 4 * model.config.hidden_size), (2048, 2048, 2048)]
    )
    times: dict[str, list[float]] = {k: [] for k in methods}  # wall seconds
    cpu_times: dict[str, list[float]] = {k: [] for k in methods}  # process CPU seconds (robust to other load)
    peaks: dict[str, int] = {k: 0 for k in methods}
    results = {}
    for _ in range(args.rounds):
        for key, run in methods.items():
            peak_memory_reset(device)
            with PeakRSS() as rss:
                sync(device)
                start, cpu_start = time.perf_counter(), time.process_time()
                results[key] = run()
                sync(device)
                times[key].append(time.perf_counter() - start)
                cpu_times[key].append(time.process_time() - cpu_start)
            print(f"  {key}: {times[key][-1]:.1f} s wall, {cpu_times[key][-1]:.1f} s CPU", flush=True)
            peaks[key] = max(peaks[key], peak_memory(device, rss))
    peak_tflops = max(
        peak_tflops,
        matmul_flops(device, loaded.dtype, [(4096, model.config.hidden_size, 4 * model.config.hidden_size)]),
    )

    flops = FlopCount(model)
    first = first_masked_layer(heads)
    ideal = flops.naive(windows) / flops.shared(windows, first)
    # on the CPU, time = process CPU seconds / torch threads (other processes' load is not counted)
    cpu = device.type == "cpu"
    best = {k: min(cpu_times[k]) / torch.get_num_threads() if cpu else min(times[k]) for k in methods}
    print(f"\n{'method':<34}{'tok/s':>9}{'tok/s wall best':>16}{'wall median':>12}{'peak mem GiB':>13}")
    for key in methods:
        print(
            f"{names[key]:<34}{n_tokens / best[key]:>9,.0f}{n_tokens / min(times[key]):>16,.0f}"
            f"{n_tokens / statistics.median(times[key]):>12,.0f}{peaks[key] / 2**30:>13.2f}"
        )
    if cpu:
        print("tok/s: tokens per (best round's process CPU seconds / torch threads); wall: elapsed time")
    print(f"engine padding fraction: {engine.padding_fraction:.3f}")
    for ref in ("a", "b", "c0", "c-pack", "c-before"):
        if ref in best:
            print(
                f"(c)/{ref:<3}: {best[ref] / best['c']:.2f}x (wall best {min(times[ref]) / min(times['c']):.2f}x, "
                f"wall median {statistics.median(times[ref]) / statistics.median(times['c']):.2f}x)"
            )
    print(
        f"ideal speed-up of the shared prefix (FLOPs naive / shared; first masked layer {first} of "
        f"{len(layers)}, LM head included): {ideal:.3f}x; (c)/(c0) reaches "
        f"{best['c0'] / best['c'] / ideal:.0%} of it"
    )
    achieved = flops.shared(windows, first) / best["c"]
    print(
        f"(c) achieved {achieved / 1e9:,.1f} GFLOP/s = {achieved / peak_tflops:.0%} of measured matmul peak "
        f"{peak_tflops / 1e9:,.1f} GFLOP/s"
    )
    if "a" in results:
        worst = max(
            abs(r.score - (m - b) / b) / abs((m - b) / b)
            for r, (b, m) in zip(results["c"], results["a"], strict=True)
            if r.score
        )
        print(f"max relative score difference (c) vs (a): {worst:.2e}")
    for ref in ("c-pack", "c-before"):
        if ref in results:
            worst = max(
                abs(r.score - q.score) / abs(q.score)
                for r, q in zip(results["c"], results[ref], strict=True)
                if q.score
            )
            print(f"max relative score difference (c) vs ({ref}): {worst:.2e}")
    print(f"load avg at end: {psutil.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
