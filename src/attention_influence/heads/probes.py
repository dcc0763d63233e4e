"""Synthetic retrieval probes (METHOD.md section 1, paper App. A): a JSON object of k random
32-character keys mapped to corpus sentences, three key -> value demonstrations, then a query
key whose value is the answer. k is as large as the token budget allows."""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from attention_influence.errors import SettingError

INSTRUCTION = (
    "Please extract the value corresponding to the specified key from the following JSON object. "
    "Output only the value of the corresponding key and nothing else. The JSON data is as follows: "
)
KEY_CHARS = string.ascii_letters + string.digits
KEY_LENGTH = 32
MAX_VALUE_TOKENS = 30
MIN_VALUE_TOKENS = 5
SHOTS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_WIKITEXT_MARKUP = {" @-@ ": "-", " @,@ ": ",", " @.@ ": "."}
_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # characters JSON would escape: the value must appear verbatim


@dataclass
class Probe:
    """One tokenized probe: prompt + answer, with where the answer and its source lie."""

    input_ids: list[int]  # (T,) prompt then answer
    answer_start: int  # first answer token; answer = input_ids[answer_start:]
    value_span: tuple[int, int]  # [start, end) token positions of the queried value in the JSON context
    num_pairs: int  # k
    text: str  # prompt + answer
    answer: str

    @property
    def answer_ids(self) -> list[int]:
        return self.input_ids[self.answer_start :]


def split_sentences(texts: Iterable[str]) -> Iterator[str]:
    """Natural-language sentences of `texts` that a JSON string holds verbatim (no quotes,
    backslashes or control characters); wikitext's @-@ markup is undone; headings are skipped."""
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("="):
                continue
            for markup, plain in _WIKITEXT_MARKUP.items():
                line = line.replace(markup, plain)
            for sentence in _SENTENCE_END.split(line):
                sentence = " ".join(sentence.split())
                if len(sentence) >= 20 and sentence[-1] in ".!?" and not _ESCAPED.search(sentence):
                    yield sentence


def read_sentence_texts(path: str | Path) -> list[str]:
    """Texts of a plain-text file (one per line) or of a JSONL/Parquet corpus (its text field)."""
    from attention_influence.corpus.readers import Fields, is_supported, read_records

    path = str(path)
    if is_supported(path):
        return [r.text for r in read_records(path, Fields()) if r.text]
    return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()


def sentence_pool(tokenizer, texts: Iterable[str], limit: int = 20000) -> list[str]:
    """Up to `limit` unique sentences of MIN..MAX_VALUE_TOKENS tokens from `texts`."""
    pool: dict[str, None] = {}
    for sentence in split_sentences(texts):
        if sentence in pool:
            continue
        n = len(tokenizer(" " + sentence, add_special_tokens=False)["input_ids"])
        if MIN_VALUE_TOKENS <= n <= MAX_VALUE_TOKENS:
            pool[sentence] = None
            if len(pool) >= limit:
                break
    return list(pool)


def _random_key(rng: random.Random) -> str:
    return "".join(rng.choice(KEY_CHARS) for _ in range(KEY_LENGTH))


def _render(pairs: list[tuple[str, str]], shots: list[int], query: int) -> tuple[str, str, int]:
    """(prompt, answer, character offset of the queried value inside the JSON context)."""
    context = json.dumps(dict(pairs), ensure_ascii=False)
    key, value = pairs[query]
    value_at = len(INSTRUCTION) + context.index(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    value_at += len(json.dumps(key)) + 3  # past `"key": "`
    parts = [INSTRUCTION + context, ""]
    for i in shots:
        parts += [f"Key: {pairs[i][0]}", f"Value: {pairs[i][1]}", ""]
    parts += [f"Key: {key}", "Value:"]
    return "\n".join(parts), " " + value, value_at


class ProbeBuilder:
    """Builds probes of at most `max_tokens` tokens (prompt + answer) from `sentences`."""

    def __init__(self, tokenizer, sentences: Sequence[str], max_tokens: int):
        if len(sentences) < SHOTS + 2:
            raise ValueError(f"need at least {SHOTS + 2} usable sentences for retrieval probes, got {len(sentences)}")
        self.tokenizer = tokenizer
        self.sentences = list(sentences)
        self.max_tokens = max_tokens
        bos = tokenizer.bos_token_id if getattr(tokenizer, "add_bos_token", False) else None
        self.prefix = [] if bos is None else [bos]

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _tokenize(self, pairs, shots, query) -> Probe:
        prompt, answer, value_at = _render(pairs, shots, query)
        encoded = self.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
        value_end = value_at + len(pairs[query][1])
        span = [i for i, (a, b) in enumerate(encoded["offset_mapping"]) if a < value_end and b > value_at]
        prompt_ids = self.prefix + encoded["input_ids"]
        answer_ids = self.tokenizer(answer, add_special_tokens=False)["input_ids"]
        offset = len(self.prefix)
        return Probe(
            input_ids=prompt_ids + answer_ids,
            answer_start=len(prompt_ids),
            value_span=(span[0] + offset, span[-1] + 1 + offset),
            num_pairs=len(pairs),
            text=prompt + answer,
            answer=answer.strip(),
        )

    def build(self, rng: random.Random, attempts: int = 20) -> Probe:
        """One probe with as many pairs as fit the budget (at least SHOTS + 1); a draw whose
        picked pairs alone exceed the budget is drawn again, up to `attempts` times."""
        for _ in range(attempts):
            probe = self._build(rng)
            if probe is not None:
                return probe
        raise SettingError(
            "probe_tokens",
            f"{self.max_tokens} is too small for a {SHOTS}-shot retrieval probe with this tokenizer and these "
            "sentences (its keys and values take more tokens): give more",
        )

    def _build(self, rng: random.Random) -> Probe | None:
        order = iter(rng.sample(range(len(self.sentences)), len(self.sentences)))
        candidates = ((_random_key(rng), self.sentences[i]) for i in order)
        pairs = [next(candidates) for _ in range(SHOTS + 1)]
        costs = [self._count(f'"{k}": "{v}", ') for k, v in pairs]
        budget = self.max_tokens - self._count(INSTRUCTION) - len(self.prefix) - 2 * sum(costs)  # shots repeat pairs
        for pair in candidates:  # estimate k from the pairs' sizes in isolation
            cost = self._count(f'"{pair[0]}": "{pair[1]}", ')
            if sum(costs) + cost > budget:
                break
            pairs.append(pair)
            costs.append(cost)
        picks = rng.sample(range(len(pairs)), SHOTS + 1)
        while True:  # then fit exactly: drop unpicked pairs while over, add more while they fit
            probe = self._tokenize(pairs, picks[:SHOTS], picks[SHOTS])
            if len(probe.input_ids) > self.max_tokens:
                drop = next((i for i in range(len(pairs) - 1, -1, -1) if i not in picks), None)
                if drop is None:
                    return None
                pairs.pop(drop)
                picks = [p - (p > drop) for p in picks]
                continue
            extra = next(candidates, None)
            if extra is None or len(probe.input_ids) + self._count(f'"{extra[0]}": "{extra[1]}", ') > self.max_tokens:
                return probe
            pairs.append(extra)


def make_probes(tokenizer, sentences: Sequence[str], num_probes: int, max_tokens: int, seed: int) -> list[Probe]:
    """`num_probes` probes, reproducible from `seed`."""
    builder = ProbeBuilder(tokenizer, sentences, max_tokens)
    rng = random.Random(seed)
    return [builder.build(rng) for _ in range(num_probes)]
