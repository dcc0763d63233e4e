"""Structure measures: how much of a document follows a template that the model can copy from
earlier in the document (METHOD.md section 7). Retrieval heads copy from context, so text whose
lines repeat a template (accessor classes, tables, listings, menus, tables of contents) has a low
base loss and a large relative rise when they are masked; these measures see that structure
where the word n-gram `repetition` does not (the lines repeat a template, not a text).

Pure functions of the text, a few regular-expression passes each: well under a millisecond for
a 2 KB document on one CPU core.
"""

from __future__ import annotations

import re
import zlib

# One line's template: numbers -> "0", runs of words -> "a", runs of one punctuation mark -> one.
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD_RUN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?: +[^\W\d_]+(?:['’-][^\W\d_]+)*)*")
_PUNCT_RUN = re.compile(r"([^\w\s])\1+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+")
# A list item: words, numbers and light punctuation only; an optional bullet or "(count)".
_BARE_ITEM = re.compile(r"[\w '’&+#/.,:%$€£-]*\w[\w '’&+#/.,:%$€£-]*(?: ?\(\d+\))?")
_BULLET = re.compile(r"^(?:[-*•·>]+|\d+[.)]) +")
# Items of a one-line list: separated by , ; | · • or a tab, or following a "(count)" as in tag clouds.
_SEPARATORS = re.compile(r" *[,;|·•\t] *|(?<=\(\d\)) +|(?<=\(\d\d\)) +|(?<=\(\d\d\d\)) +")

# English function words (closed class): sentences have many, lists and menus almost none.
FUNCTION_WORDS = frozenset(
    """a an the and or but nor if then than so as of in on at to for from by with without about into onto
    over under after before between through during since until upon within across against among
    is are was were be been being am has have had do does did will would shall should can could may
    might must it its this that these those there here which who whom whose what when where why how
    he she they we you i his her their our your my him them us me not no yes all any each every some
    such only also very just more most other another both either neither because while although though
    whether""".split()
)

# A field line: "label: value" (or label TAB value, label | value), a short label and a value that is
# not a sentence: spec sheets, reference sheets, key-value records, status files, schedules.
_FIELD = re.compile(
    r"^\s*(?:[-*•·>]+\s+|\d+[.)]\s+)?([^\W_][\w'’ ()&/.,+-]{0,38}?)\s*(?::(?![:=/])|\t+| \| )\s*(\S.*)$"
)
FIELD_LABEL_MAX_WORDS = 5  # a label is a name, not a clause
FIELD_LINE_MAX_WORDS = 12  # a longer line is a sentence with a lead-in ("Note: ...")
FIELD_VALUE_MAX_FUNCTION_WORDS = 1  # a value with more is a sentence (an argument's description, a dialogue turn)

LIST_LINE_MAX_WORDS = 6  # a list item has at most this many words
LIST_MIN_ITEMS = 4  # a line of at least this many separated items is read item by item
LIST_ITEM_SHARE = 0.75  # ... and is a list line when this share of its items are list items


def line_template(line: str) -> str:
    """The line with numbers as "0", runs of words as "a", repeated punctuation as one mark:
    "Monday: 9:00 - 17:30" -> "a: 0 - 0"; "    public String getName() {" -> "a() {"."""
    template = _PUNCT_RUN.sub(r"\1", line.strip().lower())
    template = _NUMBER.sub("0", template)
    template = _WORD_RUN.sub("a", template)
    return _SPACES.sub(" ", template)


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def templated_lines(text: str) -> float:
    """Share of the non-blank lines whose template (`line_template`) equals that of an earlier
    line, in [0, 1): 0 for one paragraph of prose, about 0.9 for a table, a menu or getters."""
    # line_template on the whole text at once (no pattern crosses a newline), then line by line
    templated = _WORD_RUN.sub("a", _NUMBER.sub("0", _PUNCT_RUN.sub(r"\1", text.lower())))
    templates = [_SPACES.sub(" ", line.strip()) for line in templated.split("\n") if line.strip()]
    if not templates:
        return 0.0
    return 1.0 - len(set(templates)) / len(templates)


def _is_list_item(item: str) -> bool:
    """A short run of words and numbers (a leading bullet or a trailing "(count)" allowed) with
    no function word and no code punctuation: a menu entry, a heading, a tag, a table cell."""
    item = _BULLET.sub("", item.strip())
    words = item.split()
    if not words or len(words) > LIST_LINE_MAX_WORDS or not _BARE_ITEM.fullmatch(item):
        return False
    return not any(w in FUNCTION_WORDS for w in _WORD.findall(item.lower()))


def list_lines(text: str) -> float:
    """Share of the non-blank lines that are list items, in [0, 1]: a line is one short item
    (`_is_list_item`: at most LIST_LINE_MAX_WORDS words, no function word, no code punctuation), or a line of LIST_MIN_ITEMS or more items separated by , ; | · • a tab
    or a "(count)", LIST_ITEM_SHARE of which are (a one-line word list, menu or tag cloud).
    Prose and code lines are not."""
    lines = _lines(text)
    if not lines:
        return 0.0
    listed = 0
    for line in lines:
        items = _SEPARATORS.split(line.strip().rstrip(".,;"))
        if len(items) >= LIST_MIN_ITEMS:
            items = [item for item in items if item.strip()]
            listed += sum(map(_is_list_item, items)) >= LIST_ITEM_SHARE * len(items)
        else:
            listed += _is_list_item(line)
    return listed / len(lines)


def _is_field(line: str) -> bool:
    match = _FIELD.match(line)
    if match is None or len(match.group(1).split()) > FIELD_LABEL_MAX_WORDS or len(line.split()) > FIELD_LINE_MAX_WORDS:
        return False
    value_words = _WORD.findall(match.group(2).lower())
    return sum(w in FUNCTION_WORDS for w in value_words) <= FIELD_VALUE_MAX_FUNCTION_WORDS


def field_lines(text: str) -> float:
    """Share of the text (characters of its non-blank lines, stripped) in field lines, in [0, 1]:
    a short "label: value" line (label TAB value, label | value), whose label has at most
    FIELD_LABEL_MAX_WORDS words, the line at most FIELD_LINE_MAX_WORDS, and whose value is not a
    sentence (at most FIELD_VALUE_MAX_FUNCTION_WORDS function word). About 0.9 for a spec sheet,
    a formula sheet or a status file; prose, code and worked solutions stay under 0.45 (their
    "Step 1: ..." lines are a small part of the text)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    total = sum(map(len, lines))
    if not total:
        return 0.0
    return sum(len(line) for line in lines if _is_field(line)) / total


def digit_share(text: str) -> float:
    """Share of the letters and digits that are digits, in [0, 1]: tables of numbers, timetables,
    answer keys and logs read 0.45-0.95; worked solutions up to about 0.4, prose under 0.2."""
    letters = sum(c.isalpha() for c in text)
    digits = sum(c.isdigit() for c in text)
    return digits / (letters + digits) if letters + digits else 0.0


def function_words(text: str) -> float:
    """Share of the words (runs of letters) that are English function words (FUNCTION_WORDS),
    in [0, 1]: about 0.3-0.45 in prose, near 0 in lists, menus and tag clouds; 0 without words."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0
    return sum(w in FUNCTION_WORDS for w in words) / len(words)


def compression_ratio(text: str) -> float:
    """zlib (level 6) compressed size / UTF-8 size, in (0, ~1.1]: lower is more redundant.
    Short texts read high (the format's fixed overhead); 1.0 for empty text."""
    raw = text.encode("utf-8")
    if not raw:
        return 1.0
    return len(zlib.compress(raw, 6)) / len(raw)
