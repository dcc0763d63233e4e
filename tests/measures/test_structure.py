"""Structure measures on real calibration texts (tests/fixtures/calibration) and small exact cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attention_influence.measures import MEASURE_COLUMNS, repetition, text_measures
from attention_influence.measures.structure import (
    compression_ratio,
    digit_share,
    field_lines,
    function_words,
    line_template,
    list_lines,
    templated_lines,
)

CALIBRATION = Path(__file__).resolve().parents[1] / "fixtures" / "calibration"


def _docs(part: str = "dev") -> list[dict]:
    return [json.loads(line) for line in (CALIBRATION / f"{part}.jsonl").read_text().splitlines()]


def _kind(kind: str) -> list[str]:
    texts = [d["text"] for part in ("dev", "dev2", "heldout") for d in _docs(part) if d["kind"] == kind]
    assert texts, kind
    return texts


@pytest.mark.parametrize(
    "line, template",
    [
        ("Monday: 9:00 - 17:30", "a: 0 - 0"),
        ("    public String getName() {", "a() {"),
        ("1.2 Schedule and results ........ 15", "0 a . 0"),
        ("        self.name = name", "a.a = a"),
        ("        self.option_strings = option_strings", "a.a_a = a_a"),  # "_" separates words
        ("She makes 9 * 2 = $18 every day.", "a 0 * 0 = $0 a."),
    ],
)
def test_line_template(line, template):
    assert line_template(line) == template


def test_templated_lines_counts_lines_whose_template_came_before():
    text = "Monday: 9:00 - 17:00\n\nTuesday: 10:00 - 18:30\nClosed on public holidays.\n"
    assert templated_lines(text) == pytest.approx(1 / 3)  # blank lines are not counted
    assert templated_lines("") == 0.0
    assert templated_lines("one line of prose, with a comma.") == 0.0


def test_templated_lines_sees_accessors_and_tables_not_prose_or_math():
    for kind in ("accessor_java", "opening_hours", "multiplication_table", "grade_table", "html_nav"):
        assert min(templated_lines(t) for t in _kind(kind)) > 0.6, kind
    assert max(templated_lines(t) for t in _kind("encyclopedia")) == 0.0
    worked = sorted(templated_lines(t) for t in _kind("worked_math"))
    assert worked[-2] < 0.45 and worked[-10] < 0.3  # but one: every line "In year N he pays A+10=$B" reads 0.57


def test_real_classes_with_attribute_assignments_stay_under_the_guard_threshold():
    # real standard-library classes whose __init__ repeats `self.x = x` lines
    classes = [t for t in _kind("python_class") if t.count("self.") >= 4 and "def __init__" in t]
    assert len(classes) >= 5
    assert max(templated_lines(t) for t in classes if "_IPv4Constants" not in t) < 0.45


def test_list_lines_reads_one_line_lists_item_by_item():
    assert list_lines("Word list: abandon, absence, academy, accent, access, acquire.") == 1.0
    assert list_lines("Tags: hiking (34) linux (4) gardening (70) books (54) music (10)") == 1.0
    assert list_lines("Home | About Us | Products | Contact") == 1.0  # 3 of 4 items ("us" is a function word)
    assert list_lines("Milk, eggs and bread are on the list, and so is the coffee.") == 0.0
    assert list_lines("x = compute(a, b, c, d)\nreturn x") == 0.5  # `return x` is a bare two-word line
    for kind in ("word_list", "math_word_list", "tag_cloud", "toc", "opening_hours"):
        assert min(list_lines(t) for t in _kind(kind)) > 0.5, kind
    for kind in ("encyclopedia", "worked_math", "python_function", "library_doc", "library_doc_markdown"):
        assert max(list_lines(t) for t in _kind(kind)) < 0.4, kind


def test_function_words_separate_sentences_from_lists():
    assert function_words("The cat sat on the mat") == 0.5  # the, on, the
    assert function_words("") == 0.0
    assert min(function_words(t) for t in _kind("encyclopedia")) > 0.25
    assert max(function_words(t) for t in _kind("tag_cloud") + _kind("opening_hours")) < 0.05


def test_compression_ratio_is_lower_for_repeated_text():
    prose = _kind("encyclopedia")[0]
    assert compression_ratio("") == 1.0
    assert 0.4 < compression_ratio(prose) < 0.7
    assert compression_ratio(prose * 5) < 0.5 * compression_ratio(prose)


def test_text_measures_is_the_one_entry_point():
    text = _kind("changelog")[0]
    measures = text_measures(text)
    assert tuple(measures) == MEASURE_COLUMNS
    assert all(isinstance(v, float) for v in measures.values())
    assert measures["repetition"] == repetition(text)
    assert measures["templated_lines"] == templated_lines(text)
    assert measures["field_lines"] == field_lines(text) and measures["digit_share"] == digit_share(text)
    assert text_measures("") == dict.fromkeys(MEASURE_COLUMNS, 0.0) | {"compression_ratio": 1.0}


@pytest.mark.parametrize(
    "line, field",
    [
        ("Area of a circle: A = π r²", True),
        ("Weight: 6.6 kg", True),
        ("ssh\t22/tcp", True),  # tab-separated columns
        ("Status | install ok installed", True),
        ("- Serves: 4", True),  # a bullet before the label
        ("    tuple1: The first tuple to compare.", False),  # an argument's description is a sentence
        ("Alice: I think that we should go to the station first.", False),  # a dialogue turn
        ("Note: this function is slow when the list is long and unsorted, so sort it first.", False),  # long
        ("def compute(a, b):", False),  # nothing after the colon
        ("augtarget ::= identifier | attributeref", False),  # a grammar rule
        ("See https://example.org/docs for more", False),
        ("x = compute(a, b)", False),  # an assignment is code, not a field
        ("In year 2 he pays 80+10=$90.", False),
    ],
)
def test_a_field_line_is_a_short_label_and_a_value_that_is_not_a_sentence(line, field):
    assert field_lines(line) == (1.0 if field else 0.0)


def test_field_lines_is_a_share_of_the_text_not_of_the_lines():
    text = "Step 1: 2 x 3 = 6.\n" + "Then we add the two results and check the answer against the first method. " * 3
    assert 0 < field_lines(text) < 0.1  # a worked solution with a "Step 1:" line
    assert field_lines("") == 0.0
    for kind in ("spec_sheet", "opening_hours", "log_file", "services_table", "tz_table", "unit_conversion"):
        assert min(field_lines(t) for t in _kind(kind)) > 0.6, kind
    for kind in ("encyclopedia", "worked_math", "python_function", "javascript", "library_doc", "language_reference"):
        assert max(field_lines(t) for t in _kind(kind)) < 0.15, kind


def test_digit_share_sees_tables_of_numbers():
    assert digit_share("abc 123") == 0.5 and digit_share("") == 0.0 and digit_share("--- | ---") == 0.0
    for kind in ("answer_key", "calendar", "timetable", "trig_table", "value_table", "prime_list", "worksheet"):
        assert min(digit_share(t) for t in _kind(kind)) > 0.55, kind
    for kind in ("encyclopedia", "worked_math", "python_function", "javascript", "library_doc"):
        assert max(digit_share(t) for t in _kind(kind)) < 0.3, kind
