"""Structure measures: how much of a document follows a template that the model can copy from
earlier in the document (METHOD.md section 7). Retrieval heads copy from context, so text whose
lines repeat a template (accessor classes, tables, listings, menus, tables of contents) has a low
base loss and a large relative rise when they are masked; these measures see that structure
where the word n-gram `repetition` does not (the lines repeat a template, not a text).

Each is a share of the text's characters (a heading or a short list inside an article weighs what
its characters weigh), and none reads a word list: they hold for any language (`words` counts a
CJK character as a word). `function_words` (English) is stored for the report, not used by the
guard. Pure functions of the text, a few regular-expression passes each: well under a
millisecond for a 2 KB document on one CPU core.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterator

# One line's template: values (hashes, numbers) -> "0", paths -> "/", runs of words -> "a", runs of one
# punctuation mark -> one.
_HASH = re.compile(r"\b(?=\w*\d)(?=\w*[^\W\d_])\w{8,}\b")  # a hash, a key, a serial: letters and digits mixed
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|\d+(?:[.,:/]\d+)*")  # hexadecimal too
_SIGN = re.compile(r"(?<![\w)\]])[-+−](?=0)")  # a number's sign, once it reads "0" ("x -0", "(-0"; not "a-0")
_PATH_TOKEN = re.compile(r"(?<![\w/])[\w.~@+-]*(?:/[\w.~@+-]+)+/?|(?<!\w)/(?!\S)")  # a/b/c, /usr/lib, ./x
_WORD_RUN = re.compile(r"[^\W\d_]+(?:['’_-][^\W\d_]+)*(?: +[^\W\d_]+(?:['’_-][^\W\d_]+)*)*")
_PUNCT_RUN = re.compile(r"([^\w\s])\1+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+")
# A list item: words, numbers and light punctuation only; an optional bullet or "(count)".
_BARE_ITEM = re.compile(r"[\w '’&+#/.,:%$€£-]*\w[\w '’&+#/.,:%$€£-]*(?: \(\d+\))?")
_BULLET = re.compile(r"^(?:[-*•·>]+|\d+[.)]) +")
# Items of a one-line list: separated by ; | · • a tab or a comma and a space (not a thousands
# separator), or following a "(count)" as in tag clouds.
_SEPARATORS = re.compile(r" *[;|·•\t] *|, +|(?<=\(\d\)) +|(?<=\(\d\d\)) +|(?<=\(\d\d\d\)) +")

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

# A field line: "label: value" (or label TAB value, label | value, "label": value), a short label and a
# value that is not a sentence: spec sheets, reference sheets, key-value records, status files, JSON.
_FIELD = re.compile(
    r"^\s*(?:[-*•·>]+\s+|\d+[.)]\s+)?(?P<quote>[\"']?)(?P<label>[^\W_][\w'’ ()&/.,+-]{0,38}?)(?P=quote)\s*(?::(?![:=/])|\t+| \| )\s*(?P<value>\S.*)$"
)
# ... or a config line: Key=Value, no space before the "=" (INI, systemd units, .desktop, pkg-config,
# environment files); a line ending "," or "(" is an argument of a call, not a record; a quoted or
# substituted value ("...", $x) is a shell variable, a line of a program.
_ASSIGNED = re.compile(r"""^\s*(?P<label>[^\W\d][\w.\[\]@-]{0,38})=(?!=)(?!["'$`])(?P<value>.*?)(?<![,(])$""")
_CALL = re.compile(r"\w\(")  # a bracket glued to a name: a call or a signature (or a plural's "CPU(s)")
_STATEMENT_HEAD = re.compile(r"[a-z]+ ")  # a lower-case word, then a call: "for i in range(n)", not "fix(cli)"
_MEMBER_ENDS = (",", "{", "[", "(")  # an object literal's member goes on: "key: value," / "key: {"
FIELD_LABEL_MAX_WORDS = 5  # a label is a name, not a clause
FIELD_LINE_MAX_WORDS = 12  # a longer line is a sentence with a lead-in ("Note: ...")
FIELD_VALUE_SENTENCE_WORDS = 4  # a value of this many words is a sentence (an argument's description, a dialogue turn)

LIST_LINE_MAX_WORDS = 6  # a list item has at most this many words
LIST_MIN_ITEMS = 4  # a line of at least this many separated items is read item by item
LIST_ONE_LINE_MAX_WORDS = 3  # ... of this many words at most (longer: clauses of a sentence)
LIST_ITEM_SHARE = 0.75  # ... and is a list line when this share of its items are list items
LIST_RUN = 2  # consecutive one-item lines that make a list


def line_template(line: str) -> str:
    """The line with numbers as "0", runs of words as "a", repeated punctuation as one mark:
    "Monday: 9:00 - 17:30" -> "a: 0 - 0"; "    public String getName() {" -> "a() {"."""
    template = _PUNCT_RUN.sub(r"\1", line.strip().lower())
    template = _NUMBER.sub("0", _HASH.sub("0", template))
    if "-" in template or "+" in template or "−" in template:  # (most lines: no pass for signs)
        template = _SIGN.sub("", template)
    template = _PATH_TOKEN.sub("/", template)
    template = _WORD_RUN.sub("a", template)
    return _SPACES.sub(" ", template)


_PATH = re.compile(r"/a\b")  # "/a" (a path, collapsed) reads as the root "/"
_REPEATED_UNIT = re.compile(r"(.{1,6}?)\1+")  # "0 0 0 0" -> "0 0", "/a/a/a" -> "/a", "0a0a0a" -> "0a"
PROSE_SYMBOLS = frozenset("a .,!?'()-–—…’‘")  # a template of only these is a line of prose, whatever it says
_PROSE_MARK = re.compile(r"^[#;*%>]+ (?=a)")  # a comment, a heading, a bullet or a quote mark before words
# a block's lone opener or closer ("else:", "Args:", "if x {", "}") and docstring quotes: no table is made of them
BARE_TEMPLATES = frozenset({"a:", "a {", "{", "}", '"'})
TEMPLATE_RUN = 3  # consecutive lines of one structure that make a table, a menu, a listing
ROW_HEAD, ROW_HEAD_VALUES = 6, 2  # ... or of one row head: its first 6 template marks, 2 of them values
REPEATED_LINE_WORDS = 2  # a line of this many words written again is copied text, prose or not ("- Bumped version.")
RECORD_SENTENCE_WORDS = 3  # a line of a repeated record with this many words is a sentence in a slot
SENTENCE_END = (".", "!", "?", "。", "！", "？", "…")
# a word of two letters or more, in any script that spaces its words (sub- and superscripts and combining
# marks are not letters: "x₁" and "x̄" are symbols of a formula)
_LETTER_WORD = re.compile(
    r"[^\W\d_\u00b2\u00b3\u00b9\u2070-\u209f\u0300-\u036f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")  # a character is a word here


def _blocks(text: str) -> list[list[str]]:
    """The text's blocks: runs of non-blank lines between blank ones, each line stripped."""
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _indents(text: str) -> list[int]:
    """The indentation of each non-blank line of the text (the lines of `_blocks`, in order)."""
    return [len(line) - len(line.lstrip()) for line in text.expandtabs().split("\n") if line.strip()]


def is_structural(template: str) -> bool:
    """Whether a line's template holds more than prose: a symbol that is not sentence punctuation,
    a bracket glued to a word (a call, "f(x)", not a parenthesis of prose) or a dot between two
    words (a qualified name, "os.path", not the end of a sentence). Words after a comment,
    heading, bullet or quote mark ("# a.", "* a") are prose; a block's lone opener or closer and
    docstring quotes (BARE_TEMPLATES) are too little to make a table of."""
    body = _PROSE_MARK.sub("", template)
    if body in BARE_TEMPLATES:
        return False
    return not PROSE_SYMBOLS.issuperset(body) or "a(" in body or "a.a" in body


def repeating_template(line: str) -> str:
    """`line_template` with a short unit repeated in a row written once: a row of numbers, a path,
    a hash read the same whatever their length ("1 4 6 4 1" and "1 3 3 1" -> "0 0"; a path of
    any depth, the root included, -> "/"), and without a trailing comma (the last item of a
    list or an object has none)."""
    return _collapsed(line_template(line))


def _collapsed(template: str) -> str:
    """A line template as `repeating_template` reads it."""
    return _PATH.sub("/", _REPEATED_UNIT.sub(r"\1", template)).removesuffix(",")  # a last item: no ","


def row_head(template: str) -> tuple[str, ...] | None:
    """The first ROW_HEAD marks of a line's `line_template` when the line goes on after them and
    ROW_HEAD_VALUES of them hold a value: a table's row whose first columns keep their shape while
    the last ones vary ("root 2 0.0 0.0 0 0 ? S Nov28 0:00 [kthreadd]" -> ("a", "0", "0", "0",
    "0", "0")); None otherwise."""
    if template.count("0") < ROW_HEAD_VALUES:
        return None  # (most lines: no split)
    marks = template.split(" ", ROW_HEAD)
    if len(marks) <= ROW_HEAD:
        return None
    head = tuple(marks[:ROW_HEAD])
    return head if sum("0" in mark for mark in head) >= ROW_HEAD_VALUES else None


def _runs(keys: list) -> Iterator[tuple[int, int]]:
    """[start, end) of each run of TEMPLATE_RUN or more consecutive equal keys."""
    start = 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or keys[end] != keys[start]:
            if end - start >= TEMPLATE_RUN:
                yield start, end
            start = end


def templated_lines(
    lines: list[str], shapes: list[str] | None = None, templates: list[str] | None = None
) -> list[bool]:
    """Per line: does it repeat an earlier line's structure, or an earlier line word for word, or
    is it a row of a table (see `templated_text`)? `shapes`: the lines' `line_template`s,
    `templates` their `repeating_template`s (computed when not given)."""
    shapes = shapes if shapes is not None else [line_template(line) for line in lines]
    templates = templates if templates is not None else [_collapsed(shape) for shape in shapes]
    structural = [is_structural(template) for template in templates]
    counted = [False] * len(lines)
    seen: set[str] = set()
    said: set[str] = set()  # the lines themselves
    for i, (line, template) in enumerate(zip(lines, templates, strict=True)):
        again = line in said and words(line) >= REPEATED_LINE_WORDS  # copied whatever its shape
        counted[i] = (structural[i] and template in seen) or again
        seen.add(template)
        said.add(line)
    for start, _ in _runs(templates):
        if structural[start]:
            counted[start] = True  # the run's later lines repeat it: counted above
    heads = [row_head(shape) for shape in shapes]
    for start, end in _runs(heads):
        if heads[start] is not None:
            counted[start:end] = [True] * (end - start)  # a table's rows, their last columns varying
    return counted


def record_sentences(blocks: list[list[str]], templates: list[str]) -> list[bool]:
    """Per line of `blocks` (flattened; `templates` theirs): is it a sentence of RECORD_SENTENCE_WORDS
    words or more in a block whose shape (its lines' templates, a line of prose as one mark) came
    before and holds a structural line? Such a sentence fills a slot of a repeated record (a
    horoscope's line under each sign, a listing's blurb under each title)."""
    counted: list[bool] = []
    seen: set[tuple[str, ...]] = set()
    start = 0
    for block in blocks:
        own = templates[start : start + len(block)]
        structural = [is_structural(template) for template in own]
        shape = tuple(t if s else "" for t, s in zip(own, structural, strict=True))
        record = len(block) >= 2 and any(structural) and shape in seen
        sentences = (not s and words(line) >= RECORD_SENTENCE_WORDS for line, s in zip(block, structural, strict=True))
        counted += [record and sentence for sentence in sentences]
        seen.add(shape)
        start += len(block)
    return counted


def _share(lines: list[str], flags: list[bool]) -> float:
    """Share of the characters of `lines` in the flagged ones (0 without characters)."""
    total = sum(map(len, lines))
    return sum(len(line) for line, hit in zip(lines, flags, strict=True) if hit) / total if total else 0.0


def templated_text(text: str) -> float:
    """Share of the text (characters of its non-blank lines) in lines that repeat an earlier
    line's structure, in [0, 1]: its `repeating_template` equals an earlier line's and holds more
    than words and sentence punctuation (so the lines of a wrapped paragraph, all "a" or "a, a.",
    do not count; a statement's ";" is not sentence punctuation), or the line itself, of
    REPEATED_LINE_WORDS words or more, came before (a changelog's "- Bumped version." under each
    release, a method body pasted again). The first line of a run of
    TEMPLATE_RUN or more consecutive lines of one structure counts too: the run is a table, a
    menu or a listing from its first line. So does every line of a run of TEMPLATE_RUN or more
    that begin alike (`row_head`: a table whose last columns vary, a process listing, a TV
    guide), and the sentences of a repeated record (`record_sentences`). About 0.8 for a table, a listing, accessors or a config file; prose,
    worked solutions and most code under 0.35."""
    return structure_shares(text)["templated_text"]


def words(text: str) -> int:
    """Words of two letters or more, a CJK character counting as one (language-agnostic)."""
    return len(_LETTER_WORD.findall(text)) + len(_CJK.findall(text))


def _is_list_item(item: str, max_words: int = LIST_LINE_MAX_WORDS) -> bool:
    """A short run of words and numbers (a leading bullet or a trailing "(count)" allowed) with
    no code punctuation that does not end a sentence: a menu entry, a heading, a tag, a table
    cell (in any language: no word list)."""
    item = _BULLET.sub("", item.strip())
    if not item or len(item.split()) > max_words or words(item) > max_words or not _BARE_ITEM.fullmatch(item):
        return False
    return not item.endswith(SENTENCE_END)


def list_lines(lines: list[str], indents: list[int] | None = None) -> list[bool]:
    """Per line: is it a list line (see `list_text`)? `indents`: the lines' indentation, where
    they were stripped (in a run of items, an item counts where its indentation recurs)."""
    one_line, item = [], []
    for line in lines:
        items = [part for part in _SEPARATORS.split(line.rstrip(".,;")) if part.strip()]
        listed = len(items) >= LIST_MIN_ITEMS
        one_line.append(
            listed and sum(_is_list_item(i, LIST_ONE_LINE_MAX_WORDS) for i in items) >= LIST_ITEM_SHARE * len(items)
        )
        item.append(not listed and _is_list_item(line))
    # an item counts in a run of items where LIST_RUN or more of them share its indentation (a menu and its
    # submenus, a column of names); a lone short line is a heading, a doctest's result or a statement of
    # code, and so are short statements at different depths ("return NotImplemented" / "break" / "else:")
    indents = indents if indents is not None else [len(line) - len(line.lstrip()) for line in lines]
    counted = list(one_line)
    start = 0
    for end in range(1, len(lines) + 1):
        if end == len(lines) or item[end] != item[start]:
            if item[start]:
                depths = Counter(indents[start:end])
                for i in range(start, end):
                    counted[i] = counted[i] or depths[indents[i]] >= LIST_RUN
            start = end
    return counted


def list_text(text: str) -> float:
    """Share of the text (characters of its non-blank lines) in list lines, in [0, 1]: a run of
    LIST_RUN or more lines that are each one short item (`_is_list_item`) at an indentation LIST_RUN of them
    share, or a line of
    LIST_MIN_ITEMS or more items separated by ; | · • a tab, a comma and a space, or a "(count)",
    LIST_ITEM_SHARE of which are items of at most LIST_ONE_LINE_MAX_WORDS words (a one-line word
    list, menu or tag cloud). Prose and code lines are not."""
    return structure_shares(text)["list_text"]


def _is_field(line: str) -> bool:
    match = _FIELD.match(line) or _ASSIGNED.match(line)
    if match is None or len(match["label"].split()) > FIELD_LABEL_MAX_WORDS or len(line.split()) > FIELD_LINE_MAX_WORDS:
        return False
    label = match["label"]
    if _CALL.search(label) and (label.count("(") > label.count(")") or _STATEMENT_HEAD.match(label)):
        return False  # a signature's parameter ("def f(x: int)") or a statement's head ("if ok(x): return")
    if match.re is _ASSIGNED and _CALL.search(match["value"]):
        return False  # an assignment in a program ("n=len(xs)"), not a config value
    if match["label"].isidentifier() and not match.groupdict().get("quote") and line.endswith(_MEMBER_ENDS):
        return False  # a member of an object literal in a program, "maxSockets: opts.max ?? 15,"
    return words(match["value"]) < FIELD_VALUE_SENTENCE_WORDS  # a value of more words is a sentence


def field_text(text: str) -> float:
    """Share of the text (characters of its non-blank lines) in field lines, in [0, 1]: a short
    "label: value" line (label TAB value, label | value, "label": value, Key=Value), whose label has at most
    FIELD_LABEL_MAX_WORDS words, the line at most FIELD_LINE_MAX_WORDS, and whose value is not a
    sentence (fewer than FIELD_VALUE_SENTENCE_WORDS words). About 0.9 for a spec sheet, a formula
    sheet or a status file; prose, code and worked solutions stay under 0.2 (their "Step 1: ..."
    lines are a small part of the text)."""
    return structure_shares(text)["field_text"]


def structured_text(text: str) -> float:
    """Share of the text (characters of its non-blank lines) in lines that are templated, list or
    field lines (`templated_text`, `list_text`, `field_text`), in [0, 1]: text that is mostly
    structure of one kind or another (a job board's title, location and salary lines, a bank
    statement's rows, a Dockerfile's instructions) reads 0.6-0.9 where each measure alone stays
    under its own threshold; real text of every population measured stays under 0.6 but for a few
    documents that are themselves listings (docs/guard.md)."""
    return structure_shares(text)["structured_text"]


def structure_shares(text: str) -> dict[str, float]:
    """`templated_text`, `list_text`, `field_text` and `structured_text` of one text, its lines
    read once."""
    blocks = _blocks(text)
    lines = [line for block in blocks for line in block]  # the stripped non-blank lines
    shapes = [line_template(line) for line in lines]
    templates = [_collapsed(shape) for shape in shapes]
    records = record_sentences(blocks, templates)
    repeats = templated_lines(lines, shapes, templates)
    templated = [line or record for line, record in zip(repeats, records, strict=True)]
    listed = list_lines(lines, _indents(text))
    field = [_is_field(line) for line in lines]
    structured = [any(kinds) for kinds in zip(templated, listed, field, strict=True)]
    return {
        "templated_text": _share(lines, templated),
        "list_text": _share(lines, listed),
        "field_text": _share(lines, field),
        "structured_text": _share(lines, structured),
    }


def digit_share(text: str) -> float:
    """Share of the letters and digits that are digits, in [0, 1]: tables of numbers, timetables,
    answer keys and logs read 0.45-0.95; worked solutions up to about 0.4, prose under 0.2."""
    letters = sum(map(str.isalpha, text))  # (map: counted in C, 3x a generator's speed)
    digits = sum(map(str.isdigit, text))
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
