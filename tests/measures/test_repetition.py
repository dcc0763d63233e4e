import pytest

from attention_influence.measures.repetition import duplicate_ngram_fraction, repetition


def test_text_written_twice_is_half_repeated(wikitext_texts):
    passage = wikitext_texts[0]
    assert repetition(passage) < 0.05  # real prose: no 5-gram repeats
    twice = repetition(passage + "\n" + passage)
    thrice = repetition(" ".join([passage] * 3))
    assert abs(twice - 0.5) < 0.02
    assert abs(thrice - 2 / 3) < 0.02


def test_fraction_counts_characters_of_later_occurrences():
    words = "aa b c d e X aa b c d e".split()
    # the second "aa b c d e" (6 characters) repeats a 5-gram; the 13 characters in all
    assert duplicate_ngram_fraction(words, 5) == 6 / 13
    assert duplicate_ngram_fraction(words, 6) == 0.0


def test_short_or_empty_text_has_no_repetition():
    assert repetition("") == 0.0
    assert repetition("one two three four five six") == 0.0


def test_repeated_sentences_see_a_sentence_repeated_with_other_names_and_numbers():
    from attention_influence.measures.repetition import repeated_sentences, sentence_frame

    assert sentence_frame("Need a plumber in Austin?") == "X a plumber in X"  # a name with its mark
    assert sentence_frame("Delivery to Japan takes 2-10 business days.") == "X to X takes 0 business days."
    spam = "".join(
        f"Need a plumber in {city}? Trusted {city} plumber, open 24/7.\n" for city in ("Austin", "Madison", "Boise")
    )
    first = len("Need a plumber in Austin?") + len("Trusted Austin plumber, open 24/7.")
    assert repeated_sentences(spam) == pytest.approx(
        1 - first / sum(len(s) for s in spam.replace("? ", "?\n").split("\n"))
    )
    assert repeated_sentences("Yes. Yes. Yes. Yes.") == 0.0  # sentences of fewer than three words repeat anywhere
    assert repeated_sentences("") == 0.0


def test_real_text_repeats_no_sentence_frame(wikitext_texts, gsm8k_texts):
    from attention_influence.measures.repetition import repeated_sentences

    assert max(repeated_sentences(t) for t in wikitext_texts + gsm8k_texts) < 0.2


def test_repeated_sentences_read_no_language():
    from attention_influence.measures.repetition import repeated_sentences

    faq = "".join(f"F: Wie lange dauert der Versand nach {land}?\nA: Der Versand nach {land} dauert {n} Tage.\n"
                  for land, n in (("Japan", 4), ("Kanada", 6), ("Chile", 9)))  # fmt: skip
    assert repeated_sentences(faq) > 0.5
    prose = "Der Versand dauert vier Tage. Danach prüfen wir die Ware, bevor sie ins Lager kommt. Japan ist weit."
    assert repeated_sentences(prose) == 0.0
