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
