import json
import random

import pytest

from attention_influence.errors import SettingError
from attention_influence.heads.probes import (
    INSTRUCTION,
    KEY_LENGTH,
    MAX_VALUE_TOKENS,
    ProbeBuilder,
    make_probes,
    sentence_pool,
    split_sentences,
)


@pytest.fixture(scope="module")
def pool(embedded, wikitext_texts):
    return sentence_pool(embedded.tokenizer, wikitext_texts)


def _context_and_query(probe):
    prompt = probe.text[: len(probe.text) - len(probe.answer) - 1]
    context = json.loads(prompt[len(INSTRUCTION) :].split("\n", 1)[0])
    query = prompt.rsplit("Key: ", 1)[1].split("\n", 1)[0]
    shots = [line[len("Key: ") :] for line in prompt.splitlines()[:-2] if line.startswith("Key: ")]
    return context, query, shots


@pytest.mark.slow
@pytest.mark.parametrize("budget", [600, 900])
def test_probes_fill_the_budget_without_going_over(embedded, pool, budget):
    probes = make_probes(embedded.tokenizer, pool, 4, budget, seed=1)
    for probe in probes:
        assert budget - 2 * MAX_VALUE_TOKENS - KEY_LENGTH < len(probe.input_ids) <= budget
        assert probe.input_ids == embedded.tokenizer(probe.text, add_special_tokens=False)["input_ids"]
    assert probes[0].num_pairs < make_probes(embedded.tokenizer, pool, 1, 2 * budget, seed=1)[0].num_pairs


@pytest.mark.slow
def test_answer_is_the_queried_value(embedded, pool):
    for probe in make_probes(embedded.tokenizer, pool, 4, 500, seed=2):
        context, query, shots = _context_and_query(probe)
        assert len(context) == probe.num_pairs and len(shots) == 3 and query not in shots
        assert all(len(key) == KEY_LENGTH and key.isalnum() for key in context)
        assert context[query] == probe.answer
        assert embedded.tokenizer.decode(probe.answer_ids) == " " + probe.answer
        span = embedded.tokenizer.decode(probe.input_ids[slice(*probe.value_span)])
        assert probe.answer in span and len(span) <= len(probe.answer) + 2  # `."` may merge into one token
        assert probe.value_span[1] < probe.answer_start


@pytest.mark.slow
def test_probes_are_reproducible_from_the_seed(embedded, pool):
    def texts(seed):
        return [p.text for p in make_probes(embedded.tokenizer, pool, 2, 600, seed)]

    assert texts(5) == texts(5) != texts(6)


def test_split_sentences_keeps_plain_sentences():
    text = ' = Heading = \n The bridge @-@ built in 1901 @,@ 1902 stood tall . He said "no" to that idea . Short.'
    assert list(split_sentences([text])) == ["The bridge-built in 1901,1902 stood tall ."]


@pytest.mark.slow
def test_budget_too_small_is_refused(embedded, pool):
    """A setting error naming --probe-tokens (the CLI shows it as a clean error, not a traceback)."""
    with pytest.raises(SettingError, match="too small for a 3-shot retrieval probe") as err:
        ProbeBuilder(embedded.tokenizer, pool, 100).build(random.Random(0))
    assert err.value.setting == "probe_tokens"
