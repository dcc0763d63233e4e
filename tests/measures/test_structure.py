"""Structure measures on real calibration texts (tests/fixtures/calibration) and small exact cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attention_influence.config import GuardSettings
from attention_influence.measures import MEASURE_COLUMNS, repetition, text_measures
from attention_influence.measures.structure import (
    compression_ratio,
    digit_share,
    field_text,
    function_words,
    is_structural,
    line_template,
    list_text,
    repeating_template,
    row_head,
    structure_shares,
    structured_text,
    templated_text,
    words,
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
        ("        self.option_strings = option_strings", "a.a = a"),  # an identifier is one word
        ("export BILLING_DB_HOST=localhost", "a=a"),
        ("She makes 9 * 2 = $18 every day.", "a 0 * 0 = $0 a."),
        ("9f321679d2ce58b1399e4e6de17fcc94  etc/gprofng.rc", "0 /"),  # a hash is a value, a path one path
        ("/usr/lib/x86_64-linux-gnu/libSvtAv1Enc.so.1.4.1", "/"),
        ("x = a/b + 1/2", "a = / + 0"),
        ('{"rank": 2, "change": -0.40, "weekly": +1.3},', '{"a": 0, "a": 0, "a": 0},'),  # a sign is the value's
        ("rect1032 rect -2.3 inf -> nan nan", "0 a 0 a -> a"),
        ("x - 1, a-1, 2023-02-24", "a - 0, a-0, 0-0-0"),  # a minus between two terms stays
    ],
)
def test_line_template(line, template):
    assert line_template(line) == template


@pytest.mark.parametrize(
    "line, other",
    [
        ("1 4 6 4 1", "1 5 10 10 5 1"),  # rows of numbers, whatever their length
        ('lang_name "<U0627><U0644><U0639><U0631>"', 'lang_name "<U0041><U0042>"'),  # escapes, however many
        ("parse_session(path, ctx, id) — Parses the session.", "get_token(value, key) — Returns the token."),
    ],
)
def test_a_repeating_template_writes_a_repeated_unit_once(line, other):
    assert repeating_template(line) == repeating_template(other) != line_template(line)


@pytest.mark.parametrize(
    "line, structural",
    [
        ("It rained (a lot) today, so we stayed in.", False),  # prose, a parenthesis of prose
        ("resetHeader(data) — Resets the header.", True),  # a call: the bracket is glued to the name
        ("from hypothesis.internal.conjecture import Bytes", True),  # a qualified name, not a sentence's end
        ("We stayed in. It rained.", False),
        ("return name;", True),
        ("# Push the flow along the path we found.", False),  # a comment of words is prose
        ("## Advanced serialization", False),  # so is a heading
        ("* Each worker reads its own shard.", False),  # a bullet, like "- ..."
        ("# x = compute(y)", True),  # a comment holding code is not
        ("else:", False),  # a block's lone opener
        ("if use_constrained {", False),  # in a language of braces too
        ("}", False),  # and its closer
        ('"""', False),  # a docstring's quotes
        ("Monday:", False),
        ("Monday: 9:00", True),
    ],
)
def test_a_structural_line_holds_more_than_prose(line, structural):
    assert is_structural(repeating_template(line)) is structural


def test_templated_text_is_the_share_of_the_text_in_lines_that_repeat_a_structure():
    text = "Monday: 9:00 - 17:00\n\nTuesday: 10:00 - 18:30\nClosed on public holidays.\n"
    lines = ["Monday: 9:00 - 17:00", "Tuesday: 10:00 - 18:30", "Closed on public holidays."]  # the non-blank ones
    assert templated_text(text) == pytest.approx(len(lines[1]) / sum(map(len, lines)))
    assert templated_text("") == 0.0
    assert templated_text("one line of prose, with a comma.") == 0.0


def test_the_lines_of_a_wrapped_paragraph_are_prose_not_a_template():
    paragraph = (
        "Helpers for interacting with the source map cache. This cache is\n"
        "populated when source map parsing is enabled and the directives\n"
        "are found in a modules' footer, which is read when the module loads;\n"
        "every line of it reads as a run of words, the same template each time.\n"
    )
    assert templated_text(paragraph) == 0.0  # a template of words and sentence marks repeats nothing


def test_templated_text_sees_accessors_and_tables_not_prose_or_math():
    for kind in ("accessor_java", "multiplication_table", "grade_table", "html_nav", "sql_insert", "toc", "config_ini"):
        assert min(templated_text(t) for t in _kind(kind)) > 0.7, kind
    for kind in ("encyclopedia", "language_reference", "library_doc_markdown"):
        assert max(templated_text(t) for t in _kind(kind)) < 0.2, kind
    worked = sorted(templated_text(t) for t in _kind("worked_math"))
    limit = GuardSettings().max_templated_text
    assert worked[-1] < limit and worked[-10] < 0.2  # the most templated: every line "In year N he pays A+10=$B"


def test_a_run_of_lines_of_one_structure_counts_from_its_first_line():
    menu = [
        "<ul>",
        '<li><a href="/a">Home</a></li>',
        '<li><a href="/b">Blog</a></li>',
        '<li><a href="/c">About</a></li>',
        "</ul>",
    ]
    items = sum(len(line) for line in menu[1:4])
    assert templated_text("\n".join(menu)) == items / sum(map(len, menu))  # the menu's first item too
    two = [menu[1], "x = compute(y)", menu[2]]  # a pair apart is not a run: only the repeat counts
    assert templated_text("\n".join(two)) == len(menu[2]) / sum(map(len, two))
    statements = "\n".join(["return name;", "return email;", "return age;"])  # a statement's ";" is not prose
    assert templated_text(statements) == 1.0


def test_the_sentences_of_a_repeated_record_count_as_its_template():
    signs = [("ARIES", "Mar 21 - Apr 19", "Romance is highlighted this evening.", 18, "Silver"),
             ("TAURUS", "Apr 20 - May 20", "An old friend may reach out unexpectedly.", 33, "Orange"),
             ("GEMINI", "May 21 - Jun 20", "Focus on health and let the rest wait until tomorrow.", 32, "Red")]  # fmt: skip
    page = "\n\n".join(f"{s} ({d})\n{line}\nLucky number: {n} | Lucky color: {c}" for s, d, line, n, c in signs)
    first = page.split("\n\n")[0].split("\n")
    lines = [line for line in page.split("\n") if line]
    assert templated_text(page) == pytest.approx(1 - sum(map(len, first)) / sum(map(len, lines)))  # all but the first
    prose = "\n\n".join(line for _, _, line, _, _ in signs)  # the same sentences without the record around them
    assert templated_text(prose) == 0.0
    steps = (
        "Step 1: add 4 and 5.\nThat makes nine apples.\n\nStep 2: take 2 away from 9, leaving 7.\nSo seven are left."
    )
    assert templated_text(steps) == 0.0  # blocks of two shapes: a worked solution is no record


CHANGELOG = """# Changelog

## 1.2.3
- Fixed typo in README.
- Bumped version.

## 1.2.2
- Fixed typo in docs.
- Bumped version.

## 1.2.1
- Fixed typo in CLI help.
- Bumped version.
"""


def test_a_line_written_again_word_for_word_counts_whatever_its_shape():
    """A bullet of prose has no template to repeat, but the same line under every release is copied:
    a first user's changelog was kept at the top of its domain with templated 0.46 before."""
    lines = [line for line in CHANGELOG.splitlines() if line]
    first = lines[:4]  # the title and the first release: nothing before them to repeat
    # the later releases whole: their headings (a template), their "Fixed ..." lines (a repeated record's
    # sentences) and "- Bumped version." (the same line again)
    assert templated_text(CHANGELOG) == pytest.approx(1 - sum(map(len, first)) / sum(map(len, lines)))
    assert templated_text(CHANGELOG) > GuardSettings().max_templated_text
    assert templated_text("Yes.\nNo.\nYes.\nNo.\n") == 0.0  # a one-word line said again is no copy
    varied = CHANGELOG.replace("- Bumped version.\n", "", 2)  # each release its own lines
    assert templated_text(varied) < GuardSettings().max_templated_text


def test_real_classes_with_attribute_assignments_stay_under_the_guard_threshold():
    # real standard-library classes whose __init__ repeats `self.x = x` lines
    classes = [t for t in _kind("python_class") if t.count("self.") >= 4 and "def __init__" in t]
    assert len(classes) >= 5
    assert max(templated_text(t) for t in classes if "_IPv4Constants" not in t) < GuardSettings().max_templated_text


def test_words_count_in_any_script():
    assert words("The value to compare.") == 4
    assert words("x̄ = (x₁ + x₂ + … + xₙ) / n") == 0  # a formula has no word of two letters
    assert words("値を比較する") == 6 and words("Der Wert, den man vergleicht.") == 5


def test_list_text_reads_one_line_lists_item_by_item():
    assert list_text("Word list: abandon, absence, academy, accent, access, acquire.") == 1.0
    assert list_text("Tags: hiking (34) linux (4) gardening (70) books (54) music (10)") == 1.0
    assert list_text("Home | About Us | Products | Contact") == 1.0
    assert list_text("Milk, eggs and bread are on the list, and so is the coffee.") == 0.0
    prose = "Each month, Diego deposits his $5,000 paycheck into a bank account, which he then uses for all of his expenses."
    assert list_text(prose) == 0.0  # clauses between commas are not items
    assert list_text("Lista: manzanas, peras, uvas, naranjas") == 1.0  # no English word list is read
    assert list_text("Er las das Buch, das sie ihm gegeben hatte, und schlief dann ein.") == 0.0
    for kind in ("word_list", "math_word_list", "tag_cloud", "toc", "opening_hours", "event_schedule", "prime_list"):
        assert min(list_text(t) for t in _kind(kind)) > 0.55, kind
    for kind in ("encyclopedia", "worked_math", "python_function", "library_doc", "library_doc_markdown"):
        assert max(list_text(t) for t in _kind(kind)) < 0.3, kind


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
    assert measures["templated_text"] == templated_text(text) and measures["list_text"] == list_text(text)
    assert measures["field_text"] == field_text(text) and measures["digit_share"] == digit_share(text)
    assert measures["structured_text"] == structured_text(text)
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
        ("Ana: Creo que deberíamos ir primero a la estación.", False),  # in another language too
        ("Gewicht: 6,6 kg", True),
        ("Note: this function is slow when the list is long and unsorted, so sort it first.", False),  # long
        ("def compute(a, b):", False),  # nothing after the colon
        ("augtarget ::= identifier | attributeref", False),  # a grammar rule
        ("See https://example.org/docs for more", False),
        ("x = compute(a, b)", False),  # an assignment is code, not a field
        ("In year 2 he pays 80+10=$90.", False),
        ('"version": "1.0.3",', True),  # a JSON record's quoted key
        ("'name': 'Chromium'", True),
        ('"description": "A tool that reads every file of a project and writes one report.",', False),  # a sentence
        ("ExecStart=/usr/libexec/packagekitd", True),  # a config line: Key=Value (INI, systemd, .desktop)
        ("Name[de]=Chromium-Webbrowser", True),
        ("prefix=/usr", True),
        ('prefix="/usr"', False),  # a shell variable: a line of a program
        ("exec_prefix=${prefix}", False),
        ("    fill_value=None,", False),  # a keyword argument of a call
        ("x==1", False),
        ("maxSockets: opts.maxSockets ?? 15,", False),  # a member of an object literal in a program
        ("timeouts: {", False),
        ("CONNECTING: 0,", False),
        ("        if not is_prime(i): continue", False),  # a statement's head and its body on one line
        ("    for j in range(1,i+1): x *= j", False),
        ("class Error(Exception): ...", False),
        ("    n=len(xs)", False),  # an assignment in a program, not a config line
        ("CPU(s): 8", True),  # a plural's "(s)": no statement's head
        ("        if is_palindrome(s): return s", False),  # a string named s is still a call's argument
        ("    n=len(s)", False),
        ("071d25b fix(cache): use lru", True),  # a log's conventional commit: a record
    ],
)
def test_a_field_line_is_a_short_label_and_a_value_that_is_not_a_sentence(line, field):
    assert field_text(line) == (1.0 if field else 0.0)


def test_field_text_is_a_share_of_the_text_not_of_the_lines():
    text = "Step 1: 2 x 3 = 6.\n" + "Then we add the two results and check the answer against the first method. " * 3
    assert 0 < field_text(text) < 0.1  # a worked solution with a "Step 1:" line
    assert field_text("") == 0.0
    for kind in ("spec_sheet", "opening_hours", "formula_sheet", "timetable", "unit_conversion", "value_table"):
        assert min(field_text(t) for t in _kind(kind)) > 0.6, kind
    assert min(field_text(t) for t in _kind("package_json")) > 0.4  # "key": value lines, nested objects between
    for kind in ("encyclopedia", "worked_math", "python_function", "javascript", "library_doc", "language_reference"):
        assert max(field_text(t) for t in _kind(kind)) < 0.15, kind


def test_digit_share_sees_tables_of_numbers():
    assert digit_share("abc 123") == 0.5 and digit_share("") == 0.0 and digit_share("--- | ---") == 0.0
    for kind in ("answer_key", "calendar", "timetable", "trig_table", "value_table", "prime_list", "worksheet"):
        assert min(digit_share(t) for t in _kind(kind)) > 0.55, kind
    for kind in ("encyclopedia", "worked_math", "python_function", "javascript", "library_doc"):
        assert max(digit_share(t) for t in _kind(kind)) < 0.3, kind


def test_a_list_is_a_run_of_items_not_a_lone_short_line():
    doctested = (
        'def is_even(n):\n    """Whether n is even.\n    >>> is_even(6)\n    True\n    >>> is_even(7)\n    False\n'
        '    """\n    return n % 2 == 0\n'
    )
    assert list_text(doctested) == 0.0  # a doctest's results, each alone, are not a list
    menu = "Home\nAbout\nProducts\nContact\n"
    assert list_text(menu) == 1.0  # a run of items, from its first
    heading = "History\nThe town was founded in 1820 by settlers from the coast, who built the mill.\n"
    assert list_text(heading) == 0.0  # a lone heading is not a list
    closing = (  # the standard library's _collections_abc._check_methods
        "def _check_methods(C, *methods):\n    mro = C.__mro__\n    for method in methods:\n        for B in mro:\n"
        "            if method in B.__dict__:\n                if B.__dict__[method] is None:\n"
        "                    return NotImplemented\n                break\n        else:\n"
        "            return NotImplemented\n    return True\n"
    )
    assert list_text(closing) == 0.0  # short statements closing blocks at two depths are no run of items
    assert list_text("Home\n  Team\nAbout\n  Careers\nContact\n  Press\n") == 1.0  # a menu and its submenus
    assert list_text("\tHome\n    About\n\tContact\n    Press\n") == 1.0  # a tab is a tab stop


PS = """$ ps aux
USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root            1  0.3  1.4 815350 220443 ?        S    Nov28  22:51 /sbin/init
root            2  0.0  0.0      0     0 ?        S    Nov28  52:14 [kthreadd]
root            3  0.0  0.0      0     0 ?        I<   Nov28  17:45 [rcu_gp]
root            4  0.0  0.0      0     0 ?        Ss   Nov28  23:11 [kworker/0:0H-events_highpri]
"""


def test_the_rows_of_a_table_whose_last_columns_vary_are_templated():
    """A run of 3 or more lines whose templates begin alike (6 marks, 2 of them values)."""
    head = row_head(line_template("root 2 0.0 0.0 0 0 ? S Nov28 52:14 [kthreadd]"))
    assert head == ("a", "0", "0", "0", "0", "0")
    assert row_head(line_template("He has 6 + 2 = 8 quarters.")) == ("a", "0", "+", "0", "=", "0")
    assert row_head(line_template("The chef has 60 eggs and 10 more.")) is None  # one value in its head
    assert templated_text(PS) > 0.8  # each row's STAT and COMMAND differ: no two templates alike but rows 3-4
    solution = "He has 6 + 2 = 8 quarters.\nShe has 3 + 4 = 7 dimes, 2 nickels.\nSo they have 17 coins in all."
    assert templated_text(solution) == 0.0  # two lines that begin alike are not a table


def test_a_signature_is_not_a_field_line():
    assert field_text("def strlen(string: str) -> int:") == 0.0
    assert field_text("def add(x: int, y: int):") == 0.0
    assert field_text("Weight: 6.6 kg") == 1.0
    assert field_text("  * New upstream release (Closes: #1234)") == 1.0  # a changelog's entry: a record


JOB_BOARD = """Jobs in Tacoma, WA
Page 1 of 96 jobs

Line Cook
Harbor Grill  3.9★
Tacoma, WA
$19.50 - $22.00 an hour
Day shift · Weekends
3 days ago · 41 applicants

Warehouse Associate
Northline Freight  3.4★
Fife, WA
$21.00 - $24.50 an hour
Night shift · Overtime
Just posted · 112 applicants

Dental Receptionist
Bright Smiles Dental  4.1★
Tacoma, WA
$20.00 - $23.00 an hour
Monday to Friday
Today · 18 applicants
"""


def test_structured_text_is_the_union_of_templated_list_and_field_lines():
    shares = structure_shares(JOB_BOARD)
    # each kind alone is under its threshold; together they are most of the page
    guard = GuardSettings()
    assert shares["templated_text"] < guard.max_templated_text and shares["list_text"] < guard.max_list_text
    assert shares["field_text"] < guard.max_field_text
    assert shares["structured_text"] > guard.max_structured_text
    assert shares["structured_text"] >= max(shares["templated_text"], shares["list_text"], shares["field_text"])
    assert shares["structured_text"] <= shares["templated_text"] + shares["list_text"] + shares["field_text"] + 1e-12
    assert structured_text("") == 0.0 and structure_shares("") == dict.fromkeys(shares, 0.0)


def test_real_text_stays_under_the_structured_threshold():
    limit = GuardSettings().max_structured_text
    for part in ("dev", "dev2", "heldout"):
        for doc in _docs(part):
            if doc["label"] == "real" and templated_text(doc["text"]) <= GuardSettings().max_templated_text:
                assert structured_text(doc["text"]) < limit, doc["id"]
