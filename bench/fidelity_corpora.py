"""Build labelled corpora for the guard's fidelity benchmark: does it keep real text, and keep boilerplate out?

Every document is read from files on this machine (nothing is downloaded) or generated here from
fixed templates with fixed seeds; the same machine gives the same corpora. One JSONL file per
population (DIR/<population>.jsonl), rows {"id", "text", "domain", "kind", "label", "source", "cut"},
and DIR/MANIFEST.json (counts, lengths, per kind). With --mix, also DIR/mix_<domain>.jsonl: 24 real
and 8 boilerplate documents per domain (each at most 4,000 characters), shuffled.

    python bench/fidelity_corpora.py --out DIR [--data ../shared/data] [--mix]

Populations (label real): doctest_functions (Python functions whose docstring has >>> examples),
functions (stdlib functions and small classes without doctests), short_functions (stdlib functions
of at most 12 lines, any length: a population of short documents), other_languages (JavaScript,
Perl, C, shell, Tcl, Vim script), gsm8k_train, worked_solutions_long (worksheets of 2-4 solved
GSM8K problems), wikitext_articles, reference_docs, articles_with_lists (prose with a list or
table), non_english; (label boilerplate) boilerplate_system (system files) and
boilerplate_generated (fixed templates), each row with the domain such a page would land in.

Documents are whole: a function, a file, a topic, a page, an article, a lesson, at least 300 (but
short_functions) and at most 8,000 characters; a longer one is skipped. Kinds that are naturally cut at a boundary are cut
there and their rows say "cut": true: wikitext-2 articles (the lead, then whole sections up to
8,000 characters), a man page's or POD page's sections, the '## ' sections of a long Markdown or
mdBook page, runs of whole lessons of a Vim tutor, the first releases of a NEWS file, and the
line-aligned excerpts of long system tables.

Left out, so that no document of the tests is measured again: everything in
tests/fixtures/calibration/*.jsonl, tests/fixtures/gsm8k, tests/fixtures/wikitext-2 and
examples/corpus (a document sharing any line of 40 or more characters with them is dropped; of a
wikitext-2 article, the section holding it); the first
five wikitext-2 valid.txt articles and the GSM8K test set (only train.jsonl is read); the standard
library modules that build_calibration.py uses (DEV_CODE_MODULES, HELD_CODE_MODULES,
DEV_DOC_MODULES, DEV2_CODE_MODULES, and _pydecimal, the source of decimal), and those that
bench/guard.py's real-text check measures (BROAD_MODULES), with their submodules, and npm's own
lib/ (which both use), so the guard is measured on code it was not checked on.

Sources and licences (each row's "source" names its file, and its package where there is one):
  GSM8K train.jsonl (Cobbe et al. 2021)                            MIT
  wikitext-2 valid.txt, test.txt (Merity et al. 2016; Wikipedia)   CC BY-SA 3.0
  Python 3.11 standard library, pydoc_data.topics (the language
    reference), and test data of its test suite (cjkencodings,
    decimaltestdata (IBM's decTest files, header in each file),
    math/cmath/float test cases)                                   PSF License Agreement (PSF-2.0)
  installed Python packages (functions, METADATA, RECORD, stubs,
    __init__ files, numpy's validation tables); the row names the
    distribution and the licence its METADATA gives              their own (BSD-3-Clause, MIT, Apache-2.0, ...)
  Node.js API docs (/usr/share/doc/nodejs/api/*.md)                MIT (the Node.js licence)
  npm's bundled packages (/usr/lib/node_modules/npm/node_modules)  the licence in each package.json
  Perl 5.36 core modules and POD (/usr/share/perl), /usr/share/perl5,
    the unicore tables                                             Artistic-1.0 or GPL-1.0+ (Perl); packages' own
  Tcl/Tk library scripts (/usr/share/tcltk)                        Tcl/Tk licence (BSD-style)
  Vim runtime files, the Vim tutor's 31 translations               Vim licence (GPL-compatible charityware)
  Rust documentation (~/.rustup stable toolchain: Rust by Example
    and its es/ja/ko/zh translations, the error-code index, the
    Book and seven other mdBooks, RELEASES.md)                     MIT OR Apache-2.0
  Debian files: /usr/share/doc (README, FAQ, NEWS, AUTHORS, example
    C programs), man pages (/usr/share/man, English and
    translated), /usr/bin scripts, /var/lib/dpkg/info lists,
    /usr/share/i18n locales, /etc/protocols, /etc/mime.types,
    systemd units, .desktop files, distro-info, iso-codes         each package's own (/usr/share/doc/PKG/copyright)
  Google Cloud SDK resource YAML files                             Apache-2.0
  text generated here (boilerplate_generated)                      Apache-2.0 (this project)

Helpers and word pools come from build_calibration.py (imported, not copied). Its wikitext_articles
keeps an article's headings apart from its paragraphs, so the articles here are read with their own
ordered parser (and build_calibration's detokenize_wikitext); wikitext's <unk> tokens are kept as
released.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import html
import json
import math
import random
import re
import statistics
import sys
import sysconfig
import textwrap
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from build_calibration import (  # noqa: E402
    ADJ,
    CLASSES,
    COMMON_WORDS,
    DAYS,
    DEV2_CODE_MODULES,
    DEV_CODE_MODULES,
    DEV_DOC_MODULES,
    DOC,
    FIELDS,
    FIRST,
    HELD_CODE_MODULES,
    LAST,
    MATH_TOPICS,
    NODE_API,
    NOUN,
    NPM,
    TAGS,
    TEAMS,
    TOWNS,
    cap,
    detokenize_wikitext,
)

MIN_CHARS, MAX_CHARS, MIX_MAX_CHARS = 300, 8000, 4000
OVERLAP_LINE = 40  # a line this long shared with a document of the tests excludes a document
PY = f"python{sys.version_info.major}.{sys.version_info.minor}"
STDLIB = Path(sysconfig.get_path("stdlib"))
SITE = Path(sysconfig.get_path("purelib"))
MAN = Path("/usr/share/man")
PERL_DIRS = sorted(p for p in Path("/usr/share/perl").glob("5.*") if not p.is_symlink()) + [Path("/usr/share/perl5")]
VIM = max(Path("/usr/share/vim").glob("vim[0-9]*"), default=Path("/usr/share/vim/vim90"))
RUST_DOC = next(iter(sorted(Path.home().glob(".rustup/toolchains/stable-*/share/doc/rust/html"))), None)
RUST_TRANSLATIONS = {"es", "ja", "ko", "zh"}  # Rust by Example's translations
GCLOUD = Path("/usr/lib/google-cloud-sdk/lib/googlecloudsdk")
THIRD_PARTY = (  # installed packages whose docstrings have doctest examples
    "numpy pandas sympy networkx torch transformers datasets huggingface_hub polars mpmath "
    "sortedcontainers packaging matplotlib pyarrow hypothesis dateutil fsspec jinja2"
).split()
STDLIB_SKIP = {"test", "idlelib", "site-packages", "turtledemo", "pydoc_data", "encodings", "lib2to3", "ensurepip"}

# population: (domain, label, how many are wanted); boilerplate rows carry their own domain
POPULATIONS = {
    "doctest_functions": ("code", "real", 300),
    "functions": ("code", "real", 300),
    "short_functions": ("code", "real", 300),
    "other_languages": ("code", "real", 300),
    "gsm8k_train": ("math", "real", 300),
    "worked_solutions_long": ("math", "real", 150),
    "wikitext_articles": ("general", "real", 300),
    "reference_docs": ("general", "real", 300),
    "articles_with_lists": ("general", "real", 300),
    "non_english": ("general", "real", 300),
    "boilerplate_system": ("", "boilerplate", 300),
    "boilerplate_generated": ("", "boilerplate", 300),
}


@dataclass
class Doc:
    kind: str
    source: str
    text: str
    group: str = ""  # what a sample is spread over (package, language, source kind)
    domain: str = ""
    cut: bool = False
    short: bool = False  # admitted under MIN_CHARS: a population of short documents


# ---------------------------------------------------------------- reading, exclusion, sampling


def read_text(path: Path) -> str | None:
    """A text file's content (gzip-aware), or None when it is not UTF-8 text."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
        return data.decode("utf-8") if b"\0" not in data else None
    except (OSError, UnicodeDecodeError, EOFError):
        return None


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def line_keys(text: str) -> set[str]:
    """The whitespace-normalised lines of a text that are long enough to identify it."""
    keys = (" ".join(line.split()) for line in text.splitlines())
    return {key for key in keys if len(key) >= OVERLAP_LINE}


def test_lines() -> set[str]:
    """Line keys of every document the tests and examples use (calibration set, fixtures, sample corpus)."""
    texts = []
    for path in sorted((REPO / "tests" / "fixtures" / "calibration").glob("*.jsonl")):
        texts += [row["text"] for row in read_jsonl(path) if "text" in row]
    for path in sorted((REPO / "examples" / "corpus").glob("*/*.jsonl")):
        texts += [row["text"] for row in read_jsonl(path)]
    for path in sorted((REPO / "tests" / "fixtures" / "gsm8k").glob("*.jsonl")):
        texts += [row["question"] + "\n" + row["answer"] for row in read_jsonl(path)]
    for path in sorted((REPO / "tests" / "fixtures" / "wikitext-2").glob("*.txt")):
        texts += [detokenize_wikitext(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {key for text in texts for key in line_keys(text)}


class Admission:
    """Admits a document once: whole (300-8,000 characters), new, and sharing no line with the tests."""

    def __init__(self, used: set[str]) -> None:
        self.used = used
        self.taken: set[str] = set()

    def fits(self, text: str, short: bool = False) -> bool:
        return (1 if short else MIN_CHARS) <= len(text) <= MAX_CHARS

    def clean(self, text: str) -> bool:
        return not line_keys(text) & self.used

    def admit(self, doc: Doc) -> bool:
        digest = hashlib.sha1(" ".join(doc.text.split()).encode()).hexdigest()
        if digest in self.taken or not self.fits(doc.text, doc.short) or not self.clean(doc.text):
            return False
        self.taken.add(digest)
        return True


def spread_sample(docs: Iterable[Doc], n: int, rng: random.Random, admission: Admission) -> list[Doc]:
    """Up to n admitted documents, taken in turn from each group (in a shuffled order) so that no
    package or source dominates; within a group, in a shuffled order."""
    groups: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        groups[doc.group or doc.kind].append(doc)
    order = sorted(groups)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(groups[name])
    picked: list[Doc] = []
    while len(picked) < n and any(groups.values()):
        for name in order:
            while groups[name] and len(picked) < n:
                doc = groups[name].pop()
                if admission.admit(doc):
                    picked.append(doc)
                    break
    return picked


def head_excerpt(text: str, rng: random.Random, low: int = 700, high: int = 4000) -> tuple[str, bool]:
    """The text if it is at most 8,000 characters, else its first lines up to a length drawn in
    [low, high] (cut at a line boundary); and whether it was cut."""
    if len(text) <= MAX_CHARS:
        return text.strip(), False
    limit = rng.randint(low, high)
    return text[: text.rfind("\n", 0, limit)].strip(), True


def sorted_files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file() and not p.is_symlink()) if root.is_dir() else []


# ---------------------------------------------------------------- Python code (populations 1 and 2)


def broad_modules() -> set[str]:
    """bench/guard.py's BROAD_MODULES, read from its source (importing it would load torch)."""
    for node in ast.parse((BENCH / "guard.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BROAD_MODULES" for t in node.targets):
            func = getattr(node.value, "func", None)
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant):
                return set(str(func.value.value).split())
    return set()


def excluded_modules() -> set[str]:
    """Standard-library modules the calibration set and the guard's real-text check already use."""
    names = set(DEV_CODE_MODULES) | set(HELD_CODE_MODULES) | set(DEV_DOC_MODULES) | set(DEV2_CODE_MODULES)
    return names | broad_modules() | {"_pydecimal"}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stdlib_files() -> list[tuple[str, Path]]:
    """(module, file) of the standard library's Python sources; excluded modules (and the
    submodules of excluded packages: logging.config for logging) and tests left out."""
    excluded = excluded_modules()
    files = []
    for path in sorted(STDLIB.rglob("*.py")):
        rel = path.relative_to(STDLIB)
        name = module_name(path, STDLIB)
        parents = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 2)}
        if rel.parts[0] in STDLIB_SKIP or "tests" in rel.parts or parents & excluded:
            continue
        files.append((name, path))
    return files


def dist_licences() -> dict[str, str]:
    """Top-level package -> "distribution version (licence)" from the installed METADATA files."""
    found = {}
    for info in sorted(SITE.glob("*.dist-info")):
        meta = read_text(info / "METADATA") or ""
        head = meta.split("\n\n", 1)[0]
        field = dict(re.findall(r"^(Name|Version|License-Expression|License): *(.*)$", head, flags=re.M))
        classifiers = re.findall(r"^Classifier: License :: (?:OSI Approved :: )?(.*)$", head, flags=re.M)
        named = field.get("License", "").strip()
        named = named if named and len(named) <= 40 and "copyright" not in named.lower() else ""
        licence = field.get("License-Expression") or (classifiers[0] if classifiers else named or "see METADATA")
        tops = (read_text(info / "top_level.txt") or "").split()
        if not tops:
            record = read_text(info / "RECORD") or ""
            tops = sorted({line.split("/")[0] for line in record.splitlines() if "/" in line.split(",")[0]})
        for top in tops:
            found.setdefault(top, f"{field.get('Name', top)} {field.get('Version', '')} ({licence})")
    return found


def python_defs(path: Path) -> list[tuple[ast.AST, str]]:
    """(node, source text, dedented, decorators included) of every function and class of a file."""
    source = read_text(path)
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError):
        return []
    lines = (source or "").splitlines()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append((node, textwrap.dedent("\n".join(lines[start - 1 : node.end_lineno]))))
    return found


def doctest_functions(rng: random.Random, admission: Admission, n: int) -> list[Doc]:
    """Whole functions whose docstring holds >>> examples: the standard library and THIRD_PARTY."""
    licences = dist_licences()
    files = [("python-stdlib", f"{PY} stdlib: {name}", path) for name, path in stdlib_files()]
    for package in THIRD_PARTY:
        for path in sorted((SITE / package).rglob("*.py")):
            rel = path.relative_to(SITE)
            if not {"tests", "test", "testing"} & set(rel.parts):
                files.append((package, f"{licences.get(package, package)}: {rel}", path))
    docs = []
    for group, source, path in files:
        if ">>>" not in (read_text(path) or ""):
            continue
        for node, text in python_defs(path):
            doc = ast.get_docstring(node, clean=False) if not isinstance(node, ast.ClassDef) else None
            if doc and ">>>" in doc:
                docs.append(Doc("python_doctest_function", f"{source} {node.name}", text, group=group))
    return spread_sample(docs, n, rng, admission)


def plain_functions(rng: random.Random, admission: Admission, n: int) -> list[Doc]:
    """Functions (signature, docstring, body) and small classes (at most 4,000 characters) of the
    standard library whose text has no doctest; spread over the modules."""
    docs = []
    for name, path in stdlib_files():
        for node, text in python_defs(path):
            if ">>>" in text or not ast.get_docstring(node) or len(node.body) < 2:
                continue
            if isinstance(node, ast.ClassDef):
                if len(text) > 4000 or not any(isinstance(b, ast.FunctionDef) for b in node.body):
                    continue
                kind = "python_class"
            else:
                kind = "python_function"
            docs.append(Doc(kind, f"{PY} stdlib: {name}.{node.name}", text, group=name.split(".")[0]))
    return spread_sample(docs, n, rng, admission)


SHORT_FUNCTION_LINES = 12  # a short complete function: signature and body, at most this many lines


def short_functions(rng: random.Random, admission: Admission, n: int) -> list[Doc]:
    """Whole module-level functions of the standard library of 2 to SHORT_FUNCTION_LINES lines, any
    length in characters, undecorated: a population of short documents, as in a dataset of short
    programs (MBPP's kind), spread over the modules."""
    docs = []
    for name, path in stdlib_files():
        for node, text in python_defs(path):
            lines = node.end_lineno - node.lineno + 1
            if isinstance(node, ast.FunctionDef) and node.col_offset == 0 and not node.decorator_list:
                if 2 <= lines <= SHORT_FUNCTION_LINES:
                    source = f"{PY} stdlib: {name}.{node.name}"
                    docs.append(Doc("python_short_function", source, text + "\n", group=name.split(".")[0], short=True))
    return spread_sample(docs, n, rng, admission)


# ---------------------------------------------------------------- other languages (population 3)

BLOCK_HEADERS = {
    "javascript": r"(?:export )?(?:async function|function|class)\b.*\{$|(?:const|let) \w+ = (?:async )?(?:function\b.*|\(.*\) =>|\w+ =>) \{$|(?:module\.)?exports\.\w+ = (?:async )?function\b.*\{$",
    "perl": r"sub \w+.*\{$",
    "c": r"[A-Za-z_][\w \*]*\b\w+\s*\([^;]*\)\s*\{?$",
    "tcl": r"proc \S+ .*\{$",
    "vimscript": r"(?:func(?:tion)?!?|def) [\w#:.<>]+\(.*",
    "shell": r"(?:function )?[\w-]+ ?\(\) ?\{?$",
}
BLOCK_END = re.compile(r"^(?:\}[;)]*|endf(?:unc(?:tion)?)?|enddef)\s*$")
COMMENT_LINE = re.compile(r"^\s*(?://|/\*|\*|#|\")")


def top_level_blocks(text: str, language: str) -> list[str]:
    """Top-level functions (and classes) of a source text, each with the comment lines just above
    it: from a header line at column 0 to the next line that closes it at column 0."""
    header = re.compile(BLOCK_HEADERS[language])
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if not header.match(lines[i]):
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if BLOCK_END.match(lines[j]) or header.match(lines[j])), None)
        if end is None or not BLOCK_END.match(lines[end]):
            i += 1
            continue
        start = i
        while start > 0 and COMMENT_LINE.match(lines[start - 1]):
            start -= 1
        blocks.append("\n".join(lines[start : end + 1]).strip())
        i = end + 1
    return blocks


def strip_pod(text: str) -> str:
    """Perl source without its POD blocks and what follows __END__."""
    text = re.sub(r"^=[a-zA-Z].*?(?:^=cut[^\n]*\n|\Z)", "", text, flags=re.S | re.M)
    return re.split(r"^__(?:END|DATA)__$", text, maxsplit=1, flags=re.M)[0].strip()


def npm_licence(path: Path, cache: dict[Path, str]) -> str:
    """'name (licence)' of the npm package a file belongs to (its nearest package.json with a name)."""
    for folder in path.parents:
        if folder not in cache and (folder / "package.json").is_file():
            meta = json.loads(read_text(folder / "package.json") or "{}")
            cache[folder] = f"{meta['name']} ({meta.get('license', '?')})" if "name" in meta else ""
        if cache.get(folder):
            return cache[folder]
    return "npm (Artistic-2.0)"


def script_language(path: Path) -> str | None:
    """'shell' or 'perl' for a text script in /usr/bin or /usr/sbin, from its #! line."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    return "perl" if b"perl" in first else "shell" if re.search(rb"\b(?:ba|da)?sh\b", first) else None


def code_files() -> list[tuple[str, Path, str]]:
    """(language, file, source label) of the non-Python code on this machine."""
    files: list[tuple[str, Path, str]] = []
    licences: dict[Path, str] = {}
    for path in sorted_files(NPM / "node_modules", "**/*.js"):
        if ".min." not in path.name and "/dist/" not in str(path):
            files.append(("javascript", path, f"npm bundled package {npm_licence(path, licences)}"))
    for root in PERL_DIRS:
        files += [("perl", p, "Perl module") for p in sorted_files(root, "**/*.pm") if "unicore" not in p.parts]
    files += [("c", p, "Debian example program") for p in sorted_files(DOC, "*/examples/**/*.c")]
    files += [("c", p, "Debian contributed source") for p in sorted_files(DOC, "*/contrib/**/*.c")]
    files += [("tcl", p, "Tcl/Tk library") for p in sorted_files(Path("/usr/share/tcltk"), "**/*.tcl")]
    for folder in ("autoload", "indent", "plugin"):
        files += [("vimscript", p, "Vim runtime") for p in sorted_files(VIM / folder, "**/*.vim")]
    for root in (Path("/usr/bin"), Path("/usr/sbin")):
        for path in sorted_files(root, "*"):
            language = script_language(path)
            if language:
                files.append((language, path, "Debian script"))
    return files


def is_generated(text: str) -> bool:
    markers = ("__esModule", "sourceMappingURL", "DO NOT EDIT", "Generated by", "generated by", "autogenerated")
    return any(marker in text[:3000] for marker in markers)


def other_language_code(rng: random.Random, admission: Admission, n: int) -> list[Doc]:
    """Whole files (when they fit) or their top-level functions, in six languages, spread evenly."""
    docs = []
    for language, path, label in code_files():
        text = read_text(path)
        if not text or is_generated(text):
            continue
        text = strip_pod(text) if language == "perl" else text.strip()
        if 600 <= len(text) <= MAX_CHARS:  # a smaller file is mostly declarations or settings
            docs.append(Doc(language, f"{label}: {path}", text, group=language))
        elif language != "shell":
            for block in top_level_blocks(text, language):
                docs.append(Doc(language, f"{label}: {path} (one function)", block, group=language))
    return spread_sample(docs, n, rng, admission)


# ---------------------------------------------------------------- math (populations 4 and 5)


def gsm8k_populations(data: Path, admission: Admission) -> tuple[list[Doc], list[Doc]]:
    """300 GSM8K train problems (question + "\\n" + answer, drawn with seed 0) and 150 worksheets of
    2-4 further problems, "Problem k" / "Solution" each; no problem is in both."""
    path = data / "gsm8k" / "train.jsonl"
    problems = [(p["question"].strip(), p["answer"].strip()) for p in read_jsonl(path)]
    rng = random.Random(0)
    order = rng.sample(range(len(problems)), len(problems))
    singles: list[Doc] = []
    while order and len(singles) < POPULATIONS["gsm8k_train"][2]:
        index = order.pop(0)
        doc = Doc("question_answer", f"gsm8k/train.jsonl line {index + 1}", "\n".join(problems[index]))
        if admission.admit(doc):
            singles.append(doc)
    sheets: list[Doc] = []
    while len(order) >= 4 and len(sheets) < POPULATIONS["worked_solutions_long"][2]:
        picks = [order.pop(0) for _ in range(rng.choice((2, 3, 4)))]
        parts = [f"Problem {k}\n{problems[i][0]}\n\nSolution\n{problems[i][1]}" for k, i in enumerate(picks, 1)]
        lines = ", ".join(str(i + 1) for i in picks)
        doc = Doc(f"worksheet_{len(picks)}_problems", f"gsm8k/train.jsonl lines {lines}", "\n\n".join(parts))
        if admission.admit(doc):
            sheets.append(doc)
    return singles, sheets


# ---------------------------------------------------------------- wikitext-2 articles (population 6)

Section = tuple[int, str, list[str]]  # heading level (0: the lead), heading, paragraphs


def wikitext_pages(path: Path) -> list[tuple[str, list[Section]]]:
    """(title, sections in order) of every article of a wikitext-2 file, detokenised."""
    pages: list[tuple[str, list[Section]]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        stripped = line.strip()
        heading = re.fullmatch(r"(=(?: =)*) (.+?) (=(?: =)*)", stripped)
        if heading:
            level = heading.group(1).count("=")
            if level == 1:
                pages.append((detokenize_wikitext(heading.group(2)), [(0, "", [])]))
            elif pages:
                pages[-1][1].append((level, detokenize_wikitext(heading.group(2)), []))
        elif stripped and pages:
            pages[-1][1][-1][2].append(detokenize_wikitext(stripped))
    return pages


def render_section(section: Section) -> str:
    level, name, paragraphs = section
    head = [f"{'=' * level} {name} {'=' * level}"] if level else []
    return "\n\n".join(head + paragraphs)


def wikitext_article(title: str, sections: list[Section], admission: Admission) -> tuple[str, bool]:
    """The article as an encyclopedia page (title, lead, "== Heading ==" lines): the lead, then
    whole top-level sections (with their subsections) while it stays within 8,000 characters; a
    section sharing a line with the tests is left out. Returns (text, whether anything was cut)."""
    tops: list[list[Section]] = []
    for section in sections[1:]:
        if section[0] <= 2 or not tops:
            tops.append([])
        tops[-1].append(section)
    text = title + "\n\n" + render_section(sections[0])
    cut = False
    for top in tops:
        part = "\n\n".join(render_section(s) for s in top)
        if not admission.clean(part):
            cut = True
            continue
        if len(text) + 2 + len(part) > MAX_CHARS:
            return text, True
        text += "\n\n" + part
    return text, cut


def wikitext_population(data: Path, admission: Admission) -> list[Doc]:
    """Every wikitext-2 test.txt article and every valid.txt article after the first five."""
    docs = []
    for split, skip in (("test", 0), ("valid", 5)):
        for title, sections in wikitext_pages(data / "wikitext-2" / f"{split}.txt")[skip:]:
            text, cut = wikitext_article(title, sections, admission)
            doc = Doc("encyclopedia_article", f"wikitext-2/{split}.txt: {title}", text.strip(), cut=cut)
            if admission.admit(doc):
                docs.append(doc)
    return docs


# ---------------------------------------------------------------- man pages (roff) as text

ROFF_GLYPHS = {
    "em": "—", "en": "–", "aq": "'", "dq": '"', "lq": "“", "rq": "”", "oq": "‘", "cq": "’", "Fo": "«",
    "Fc": "»", "fo": "‹", "fc": "›", "Bq": "„", "bq": "‚", "bu": "•", "co": "©", "rg": "®", "tm": "™",
    "hy": "-", "mi": "−", "de": "°", "ti": "~", "ha": "^", "rs": "\\", "ss": "ß", "pl": "+", "mu": "×",
    "di": "÷", "<=": "≤", ">=": "≥", "->": "→", "<-": "←", "sc": "§", "ps": "¶", "Po": "£", "Eu": "€",
    "eu": "€", "r!": "¡", "r?": "¿", "AE": "Æ", "ae": "æ", "OE": "Œ", "oe": "œ", "/o": "ø", "/O": "Ø",
    "sh": "#", "at": "@", "ba": "|", "or": "|", "lB": "[", "rB": "]", "lC": "{", "rC": "}", "sl": "/",
    "ga": "`", "aa": "´", "12": "½", "14": "¼", "34": "¾", "Aq": "'", 'L"': "“", 'R"': "”",
}  # fmt: skip
ROFF_ACCENTS = {":": "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", ",": "\u0327",
                "v": "\u030c", "o": "\u030a"}  # fmt: skip
ROFF_CHARS = {"-": "-", "e": "\\", "\\": "\\", " ": " ", "~": " ", "0": " ", "t": "\t", "'": "'", "`": "`", ".": "."}
ROFF_ESCAPE = re.compile(
    r"\\(?:\((?P<g>..)|\[(?P<gl>[^\]]*)\]|\*(?:\((?P<s>..)|\[(?P<sl>[^\]]*)\]|(?P<s1>.))"
    r"|f(?:\(..|\[[^\]]*\]|.)|s[+-]?\d+|[whvlLbxoZNRD]'[^']*'|n(?:\(..|\[[^\]]*\]|.)|k.|(?P<c>.))"
)


def roff_glyph(name: str) -> str:
    if name in ROFF_GLYPHS:
        return ROFF_GLYPHS[name]
    if re.fullmatch(r"u[0-9A-Fa-f]{4,5}", name):
        return chr(int(name[1:], 16))
    if len(name) == 2 and name[0] in ROFF_ACCENTS and name[1].isalpha():
        return unicodedata.normalize("NFC", name[1] + ROFF_ACCENTS[name[0]])
    return ""


def roff_inline(line: str) -> str:
    """A roff text line with its escapes (fonts, glyphs, strings, spacing) resolved."""
    line = re.sub(r'\\".*$', "", line)

    def resolve(match: re.Match) -> str:
        glyph = match.group("g") or match.group("gl")
        string = match.group("s") or match.group("sl") or match.group("s1")
        if glyph is not None:
            return roff_glyph(glyph)
        if string is not None:
            return ROFF_GLYPHS.get(string, "")
        char = match.group("c")
        return ROFF_CHARS.get(char, "" if char in "&|^:%c{}\n,/" else char) if char else ""

    return ROFF_ESCAPE.sub(resolve, line)


class RoffRenderer:
    """Renders man(7) source roughly as `man` shows it: section names at column 0, text filled to
    78 columns at an indent of 7, tags of .TP/.IP items at the indent and their text 7 further."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, list[str]]] = []
        self.words: list[str] = []
        self.indents = [7]
        self.extra = 0
        self.nofill = False
        self.tag_next = False
        self.lead = ""

    def out(self, line: str) -> None:
        if not self.sections:
            self.sections.append(("", []))
        self.sections[-1][1].append(line)

    def flush(self) -> None:
        if self.words or self.lead:
            indent = " " * (self.indents[-1] + self.extra)
            first = " " * self.indents[-1] + self.lead.ljust(self.extra) if self.lead else indent
            words = " ".join(self.words)
            self.out(textwrap.fill(words, 78, initial_indent=first, subsequent_indent=indent) if words else first)
            self.out("")
        self.words, self.lead = [], ""

    def tag(self, tag: str) -> None:
        """An item's tag: on the item's first line when it is short, else on a line of its own."""
        self.extra = 7
        if len(tag) < 6:
            self.lead = tag
        else:
            self.out(" " * self.indents[-1] + tag)

    def text(self, line: str) -> None:
        if self.nofill:
            self.out(" " * (self.indents[-1] + self.extra) + line)
        elif self.tag_next:
            self.tag_next = False
            self.tag(line.strip())
        elif line.strip():
            self.words.append(line.strip())
        else:
            self.flush()

    def request(self, name: str, args: list[str]) -> None:
        if name in ("SH", "SS"):
            self.flush()
            self.indents, self.extra = [7], 0
            if name == "SH":
                self.sections.append((" ".join(args).upper(), []))
            self.out((" " * 3 if name == "SS" else "") + " ".join(args))
        elif name in ("PP", "LP", "P", "HP", "sp", "br"):
            self.flush()
            self.extra = 0 if name not in ("sp", "br") else self.extra
        elif name in ("TP", "IP"):
            self.flush()
            self.extra = 0
            if name == "TP":
                self.tag_next = True
            else:
                self.tag(args[0].strip() if args else "")
        elif name == "RS":
            self.flush()
            self.indents.append(self.indents[-1] + self.extra + 7)
        elif name == "RE" and len(self.indents) > 1:
            self.flush()
            self.indents.pop()
        elif name in ("nf", "EX", "Vb"):
            self.flush()
            self.nofill = True
        elif name in ("fi", "EE", "Ve"):
            self.nofill = False
        elif name in ("B", "I", "SM", "SB") and args:
            self.text(" ".join(args))
        elif name in ("BR", "BI", "IB", "IR", "RB", "RI") and args:
            self.text("".join(args))


def roff_args(rest: str) -> list[str]:
    return [roff_inline(a or b) for a, b in re.findall(r'"((?:[^"]|"")*)"|(\S+)', rest)]


def man_sections(path: Path) -> list[tuple[str, str]]:
    """(section name, rendered text with its heading line) of a man page; [] for a .so alias."""
    source = read_text(path) or ""
    if source.lstrip().startswith(".so "):
        return []
    renderer = RoffRenderer()
    skip_until = None
    for line in source.splitlines():
        if skip_until:
            skip_until = None if re.match(skip_until, line) else skip_until
            continue
        control = re.match(r"^[.'][ \t]*(\S*)[ \t]*(.*)$", line)
        if not control:
            renderer.text(roff_inline(line))
        elif control.group(1) == "de":
            skip_until = r"^\.\.\s*$"
        elif "\\{" in line and "\\}" not in line:
            skip_until = r".*\\}"
        else:
            renderer.request(control.group(1), roff_args(control.group(2)))
    renderer.flush()
    return [(name, "\n".join(lines).strip()) for name, lines in renderer.sections if name]


# ---------------------------------------------------------------- POD and HTML as text

POD_ESCAPES = {"lt": "<", "gt": ">", "verbar": "|", "sol": "/"}


def pod_inline(text: str) -> str:
    """POD text with its formatting codes (B<>, C<< >>, L<text|target>, E<gt>, ...) resolved."""

    def code(letter: str, body: str) -> str:
        if letter == "E":
            return POD_ESCAPES.get(body) or (chr(int(body)) if body.isdigit() else html.unescape(f"&{body};"))
        if letter in "XZ":
            return ""
        if letter == "L":
            return body.split("|", 1)[0] if "|" in body else body.strip('"').replace('/"', ': "')
        return body

    text = re.sub(r"([A-Z])<<+\s+(.*?)\s+>>+", lambda m: code(m.group(1), m.group(2)), text, flags=re.S)
    while True:
        new = re.sub(r"([A-Z])<([^<>]*)>", lambda m: code(m.group(1), m.group(2)), text)
        if new == text:
            return " ".join(new.split()) if "\n" in new else new
        text = new


def pod_sections(source: str) -> list[tuple[str, str]]:
    """(=head1 name, text) of a POD document rendered as perldoc shows it: headings at column 0,
    text filled at an indent of 4, verbatim blocks kept, list items marked."""
    sections: list[tuple[str, list[str]]] = []
    depth, skipping, in_pod = 0, False, False
    for para in re.split(r"\n[ \t]*\n", source):
        command = re.match(r"=(\w+)\s*(.*)", para, flags=re.S)
        if command:
            name, rest = command.group(1), pod_inline(command.group(2).strip())
            in_pod = name != "cut"
            skipping = name == "begin" or (skipping and name != "end")
            if name == "head1":
                sections.append((rest, [rest]))
            elif name.startswith("head") and sections:
                sections[-1][1].append("  " + rest)
            elif name == "over":
                depth += 1
            elif name == "back":
                depth = max(0, depth - 1)
            elif name == "item" and sections:
                marker = "*" if rest in ("", "*") else rest
                sections[-1][1].append(" " * (4 * depth) + marker)
            continue
        if not in_pod or skipping or not sections or not para.strip():
            continue
        indent = " " * (4 + 4 * depth)
        if para[0] in " \t":
            sections[-1][1].append(textwrap.indent(textwrap.dedent(para.rstrip()), indent + "    "))
        else:
            filled = textwrap.fill(pod_inline(para), 76, initial_indent=indent, subsequent_indent=indent)
            sections[-1][1].append(filled)
    return [(name, "\n\n".join(lines)) for name, lines in sections]


class MainText(HTMLParser):
    """The <main> of an mdBook page as Markdown-like text: headings, paragraphs, lists, fenced
    code (lines mdBook hides left out) and tables."""

    BLOCKS = {"p", "div", "li", "pre", "tr", "th", "td", "table", "blockquote", "ul", "ol", "dl", "dt", "dd", "hr"}
    BLOCKS |= {f"h{i}" for i in range(1, 7)}
    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buffer: list[str] = []
        self.lists: list[str] = []
        self.cells: list[str] | None = None
        self.inside = self.skip = self.pre = 0
        self.heading = ""

    def flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        if self.pre:
            return
        text = " ".join(text.split())
        if text and self.cells is not None:
            self.cells.append(text)
        elif text:
            bullet = ("  " * (len(self.lists) - 1) + ("- " if self.lists[-1] == "ul" else "1. ")) if self.lists else ""
            self.blocks.append(self.heading + bullet + text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.inside += 1
        if not self.inside:
            return
        if self.skip or tag in ("script", "style", "nav", "button") or ("class", "boring") in attrs:
            self.skip += tag not in self.VOID
            return
        if tag in self.BLOCKS or tag == "br":
            self.flush()
        if tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "pre":
            self.pre += 1
        elif tag == "code" and not self.pre:
            self.buffer.append("`")
        elif tag == "tr":
            self.cells = []
        elif tag[0] == "h" and tag[1:].isdigit():
            self.heading = "#" * int(tag[1:]) + " "

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if self.skip:
            self.skip -= tag not in self.VOID
            return
        if tag == "pre":
            self.blocks.append("```\n" + "".join(self.buffer).strip("\n") + "\n```")
            self.buffer, self.pre = [], 0
        elif tag == "code" and not self.pre:
            self.buffer.append("`")
        elif tag in self.BLOCKS:
            self.flush()
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "tr" and self.cells is not None:
            row, first = "| " + " | ".join(self.cells) + " |", not self.blocks or not self.blocks[-1].startswith("|")
            self.blocks.append(row + ("\n|" + " --- |" * len(self.cells) if first else ""))
            self.cells = None
        elif tag[0] == "h" and tag[1:].isdigit():
            self.heading = ""
        elif tag == "main":
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        if self.inside and not self.skip:
            self.buffer.append(data)

    def text(self) -> str:
        joined = ""
        for block in self.blocks:
            tight = block.startswith(("|", "- ", "1. ", " ")) and joined.rsplit("\n", 1)[-1].startswith(
                ("|", "-", "1", " ")
            )
            joined += ("\n" if tight else "\n\n") + block
        return joined.strip()


def html_main_text(path: Path) -> str:
    parser = MainText()
    parser.feed(read_text(path) or "")
    return parser.text()


def split_markdown(text: str, level: int) -> list[str]:
    """A Markdown text split before each heading of the level (fenced code blocks respected)."""
    parts, fenced = [[]], False
    for line in text.split("\n"):
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("#" * level + " ") and any(s.strip() for s in parts[-1]):
            parts.append([])
        parts[-1].append(line)
    return ["\n".join(p).strip() for p in parts if "".join(p).strip()]


# ---------------------------------------------------------------- documentation (populations 7, 8, 9)

LIST_ITEM = re.compile(r"^\s*(?:[-*+•o]|\d{1,2}[.)]|\(?[a-z][.)])\s+\S|^\s*\|.*\|\s*$")
RELEASE_HEADER = re.compile(
    r"^(?:[#*=]+ *)?(?:(?:version|release|v)\s*)?\d+\.\d+\S*|^\S+ \(\d[^)]*\) |"
    r"^(?:#+ *)?(?:overview of changes|noteworthy changes|changes|new|what's new|news|version|release)\b.*\d+\.\d+",
    flags=re.I,
)
POD_SKIP = {"NAME", "AUTHOR", "AUTHORS", "COPYRIGHT", "LICENSE", "SEE ALSO", "BUGS", "VERSION", "COPYRIGHT AND LICENSE"}
EN_STOPWORDS = set(
    "the and of to is in that for with this are be by on it or as an from which can not if you your".split()
)


def prose_share(text: str) -> float:
    """Share of a text's words in prose paragraphs (20+ words, a sentence mark, not a list item)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip() and not p.lstrip().startswith("```")]
    prose = [p for p in paragraphs if not LIST_ITEM.match(p) and len(p.split()) >= 20 and re.search(r"[.!?]", p)]
    return sum(len(p.split()) for p in prose) / max(1, len(text.split()))


def long_paragraph_share(text: str) -> float:
    """Share of a text's characters in paragraphs of 100+ characters that are not list items (for
    scripts without spaces between words)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if len(p.strip()) >= 100 and not LIST_ITEM.match(p)]
    return sum(len(p) for p in paragraphs) / max(1, len(text))


def list_items(text: str) -> int:
    return sum(bool(LIST_ITEM.match(line)) for line in text.splitlines())


def with_lists(text: str) -> bool:
    """Real writing with a list or table: at least 3 list/table lines and 35% of the words in prose."""
    return list_items(text) >= 3 and prose_share(text) >= 0.35


def english_share(text: str) -> float:
    """Share of common English words among the words outside code blocks, 0 when most letters are
    not ASCII (CJK, Cyrillic, ...)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    letters = [c for c in text if c.isalpha()]
    if sum(not c.isascii() for c in letters) > 0.5 * len(letters):
        return 0.0
    words = text.lower().split()
    return sum(w.strip(".,;:()\"'") in EN_STOPWORDS for w in words) / max(1, len(words))


def releases(text: str) -> list[str]:
    """A NEWS text split before each release header (a version line after a blank line)."""
    parts: list[list[str]] = [[]]
    previous = ""
    for line in text.splitlines():
        if not previous.strip() and RELEASE_HEADER.match(line) and any(s.strip() for s in parts[-1]):
            parts.append([])
        parts[-1].append(line)
        previous = line
    return ["\n".join(p).strip() for p in parts if "".join(p).strip()]


def head_parts(parts: list[str], limit: int) -> tuple[str, bool]:
    """The first parts joined while within limit (at least the first); and whether any was left."""
    text = parts[0] if parts else ""
    for i, part in enumerate(parts[1:], 1):
        if len(text) + 2 + len(part) > limit:
            return text, True
        text += "\n\n" + part
        if i == len(parts) - 1:
            return text, False
    return text, False


def pod_documents(kind: str) -> list[Doc]:
    """Perl POD pages: the whole page when it fits, else its =head1 sections (other than NAME,
    AUTHOR, LICENSE, ...) one by one."""
    docs = []
    for root in PERL_DIRS:
        for path in sorted_files(root, "**/*.pod") + sorted_files(root, "**/*.pm"):
            if "unicore" in path.parts or "\n=head1" not in "\n" + (read_text(path) or ""):
                continue
            sections = pod_sections(read_text(path) or "")
            whole = "\n\n".join(text for _, text in sections)
            if MIN_CHARS <= len(whole) <= MAX_CHARS:
                docs.append(Doc(kind, f"Perl POD: {path}", whole))
                continue
            for name, text in sections:
                if name.upper() not in POD_SKIP:
                    docs.append(Doc(kind, f"Perl POD: {path} section {name}", text, cut=True))
    return docs


def node_sections(kind: str) -> list[Doc]:
    """The '## ' sections of the Node.js API docs, whole (YAML metadata comments removed)."""
    docs = []
    for path in sorted(NODE_API.glob("*.md")):
        text = re.sub(r"<!--.*?-->\n?", "", read_text(path) or "", flags=re.S)
        for section in split_markdown(text, 2)[1:]:
            docs.append(Doc(kind, f"/usr/share/doc/nodejs/api/{path.name}", section, cut=True))
    return docs


def mdbook_pages(book: str) -> list[tuple[Path, str]]:
    """(page, language) of a Rust mdBook's HTML pages ("en", or the folder of a translation)."""
    root = RUST_DOC / book if RUST_DOC else Path("/nonexistent")
    pages = []
    for path in sorted_files(root, "**/*.html"):
        if path.name not in ("print.html", "index.html", "404.html", "toc.html"):
            top = path.relative_to(root).parts[0]
            pages.append((path, top if top in RUST_TRANSLATIONS else "en"))
    return pages


def reference_candidates() -> list[Doc]:
    """Documentation pages: the Python language reference's topics, Node.js API sections, Perl POD,
    Rust by Example pages (English) and the Rust error-code index."""
    from pydoc_data.topics import topics

    docs = [
        Doc("python_language_reference", f"{PY} pydoc_data.topics: {name}", topics[name].strip())
        for name in sorted(topics)
    ]
    docs += node_sections("nodejs_api_section") + pod_documents("perl_pod")
    for book, kind in (("rust-by-example", "rust_by_example_page"), ("error_codes", "rust_error_code")):
        for path, language in mdbook_pages(book):
            if language == "en":
                docs.append(Doc(kind, f"Rust docs: {path.relative_to(RUST_DOC)}", html_main_text(path)))
    return docs


def debian_doc_files() -> list[Path]:
    names = ("README*", "FAQ*", "TODO*", "NEWS*", "*.md", "*.txt", "*.md.gz", "*.txt.gz")
    found = {p for name in names for p in sorted_files(DOC, f"*/{name}") + sorted_files(DOC, f"*/*/{name}")}
    return sorted(p for p in found if NODE_API not in p.parents)  # the API docs are read by node_sections


def list_candidates() -> list[Doc]:
    """Prose documents that may hold lists: README/FAQ/TODO/NEWS files of /usr/share/doc (NEWS up
    to 8,000 characters of whole releases) and the pages (or '## ' sections) of the Rust mdBooks."""
    docs = []
    for path in debian_doc_files():
        text, cut = (read_text(path) or "").strip(), False
        if path.name.upper().startswith("NEWS"):
            text, cut = head_parts(releases(text), MAX_CHARS)
        docs.append(Doc("debian_doc", f"Debian doc: {path}", text, cut=cut))
    for book in ("book", "nomicon", "cargo", "rustc", "edition-guide", "embedded-book", "style-guide", "reference"):
        for path, _ in mdbook_pages(book):
            text = html_main_text(path)
            parts = [text] if len(text) <= MAX_CHARS else split_markdown(text, 2)
            for part in parts:
                source = f"Rust docs: {path.relative_to(RUST_DOC)}"
                docs.append(Doc("rust_book_section", source, part, cut=len(parts) > 1))
    return docs


def documentation_populations(rng: random.Random, admission: Admission) -> tuple[list[Doc], list[Doc]]:
    """Population 7 (reference docs) and 8 (articles with lists); 8 also takes the reference
    candidates that 7 left and that have lists."""
    reference = reference_candidates()
    picked = spread_sample(reference, POPULATIONS["reference_docs"][2], rng, admission)
    chosen = {id(doc) for doc in picked}
    left = [doc for doc in reference if id(doc) not in chosen]
    pool = [d for d in list_candidates() + left if with_lists(d.text) and english_share(d.text) > 0.08]
    return picked, spread_sample(pool, POPULATIONS["articles_with_lists"][2], rng, admission)


def tutor_documents(rng: random.Random) -> list[Doc]:
    """The Vim tutor in each language but English: runs of consecutive whole lessons (split at the
    tutor's ~~~ lines), each run about 1,500-6,000 characters."""
    docs = []
    for path in sorted_files(VIM / "tutor", "tutor.*.utf-8"):
        language = path.name.split(".")[1]
        lessons = [part.strip("\n") for part in re.split(r"\n~{20,}\n", read_text(path) or "") if part.strip()]
        run: list[str] = []
        target = rng.randint(1500, 6000)
        for lesson in lessons + [""]:
            if run and (not lesson or len("\n\n".join(run + [lesson])) > target):
                source = f"Vim tutor ({language}): {path}"
                docs.append(Doc("vim_tutor_lessons", source, "\n\n".join(run), group=f"tutor:{language}", cut=True))
                run, target = [], rng.randint(1500, 6000)
            run.append(lesson)
    return docs


def man_description(sections: list[tuple[str, str]]) -> str | None:
    """A man page's description: the first section after NAME (SYNOPSIS skipped) that is mostly
    paragraphs of prose."""
    for _, text in sections[1:4]:
        if len(text) >= MIN_CHARS and long_paragraph_share(text) >= 0.3:
            return text
    return None


def translated_man_pages() -> list[Doc]:
    """The description section of each translated man page."""
    docs = []
    for folder in sorted(p for p in MAN.iterdir() if p.is_dir() and not p.name.startswith("man")):
        for path in sorted_files(folder, "man*/*"):
            text = man_description(man_sections(path))
            if text:
                source = f"man page ({folder.name}): {path}"
                docs.append(Doc("man_page_description", source, text, group=f"man:{folder.name}", cut=True))
    return docs


def non_english(rng: random.Random, admission: Admission) -> list[Doc]:
    """Non-English prose: Vim tutors, translated man pages, Rust by Example's translations, the CJK
    sample texts of Python's tests; a text is kept when under 5% of its prose's words are common
    English words (or most of its letters are not ASCII)."""
    docs = tutor_documents(rng) + translated_man_pages()
    for path, language in mdbook_pages("rust-by-example"):
        if language != "en":
            source = f"Rust by Example ({language}): {path.relative_to(RUST_DOC)}"
            docs.append(Doc("rust_by_example_translation", source, html_main_text(path), group=f"rbe:{language}"))
    for path in sorted_files(STDLIB / "test" / "cjkencodings", "*-utf8.txt"):
        docs.append(Doc("cjk_sample_text", f"{PY} test suite: {path.name}", read_text(path) or "", group="cjk"))
    docs = [doc for doc in docs if english_share(doc.text) < 0.05]
    return spread_sample(docs, POPULATIONS["non_english"][2], rng, admission)


# ---------------------------------------------------------------- boilerplate from system files (population 10)

DPKG_INFO = Path("/var/lib/dpkg/info")
SYSTEM_DOMAINS = {
    "dpkg_md5sums": "code", "dpkg_file_list": "code", "dpkg_symbols": "code", "pip_record": "code",
    "package_metadata": "code", "python_import_init": "code", "python_stub": "code", "systemd_unit": "code",
    "desktop_entry": "code", "pkgconfig_file": "code", "man_synopsis_options": "code", "news_one_line_bullets": "code",
    "unicode_property_table": "code", "yaml_resource_spec": "code", "locale_definition": "general",
    "credits_list": "general", "protocols_table": "general", "mime_types_table": "general",
    "distro_release_table": "general", "iso_code_table": "general", "decimal_testcases": "math",
    "float_testcases": "math", "float_validation_csv": "math",
}  # fmt: skip


def one_line_bullets(text: str) -> bool:
    """A changelog of short one-line items: 8+ list lines, 80% of them not continued, little prose."""
    lines = text.splitlines()
    items = [i for i, line in enumerate(lines) if LIST_ITEM.match(line)]
    single = [
        i for i in items if i + 1 == len(lines) or not lines[i + 1].startswith((" ", "\t")) or not lines[i + 1].strip()
    ]
    return len(items) >= 8 and len(single) >= 0.8 * len(items) and prose_share(text) < 0.2


def import_only(text: str) -> bool:
    """A Python module made of imports (and a docstring, __all__ and other dunder assignments)."""
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError):
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.Expr)
    dunder = [s for s in body if isinstance(s, ast.Assign | ast.AnnAssign)]
    targets = [t for s in dunder for t in (s.targets if isinstance(s, ast.Assign) else [s.target])]
    plain = all(getattr(t, "id", "").startswith("__") for t in targets)
    imports = sum(isinstance(s, ast.Import | ast.ImportFrom) for s in body)
    return imports >= 5 and plain and all(isinstance(s, allowed) or s in dunder for s in body)


def file_docs(kind: str, paths: Iterable[Path], rng: random.Random, label: str = "") -> list[Doc]:
    """A document per file: the whole file, or its first lines when it is longer than 8,000 characters."""
    docs = []
    for path in paths:
        text = read_text(path)
        if text and text.strip():
            excerpt, cut = head_excerpt(text, rng)
            docs.append(Doc(kind, f"{label}{path}", excerpt, domain=SYSTEM_DOMAINS[kind], cut=cut))
    return docs


def line_windows(kind: str, path: Path, rng: random.Random, count: int) -> list[Doc]:
    """count excerpts of a long table file: consecutive lines from a random line, 700-4,000 characters."""
    lines = [line for line in (read_text(path) or "").splitlines() if line.strip()]
    docs = []
    for _ in range(count if lines else 0):
        start, text = rng.randrange(len(lines)), ""
        limit = rng.randint(700, 4000)
        for line in lines[start:]:
            if len(text) + len(line) + 1 > limit:
                break
            text += line + "\n"
        docs.append(Doc(kind, str(path), text.strip(), domain=SYSTEM_DOMAINS[kind], cut=True))
    return docs


def man_reference(rng: random.Random, count: int) -> list[Doc]:
    """SYNOPSIS, OPTIONS and SEE ALSO sections of English man pages (gcloud's left out), as `man`
    renders them: SYNOPSIS + OPTIONS when they fit in 8,000 characters, else SYNOPSIS + SEE ALSO."""
    paths = [p for n in (1, 5, 8) for p in sorted_files(MAN / f"man{n}", "*") if not p.name.startswith("gcloud")]
    docs = []
    for path in rng.sample(paths, min(len(paths), 4 * count)):
        sections = dict(man_sections(path))
        parts = [sections.get(name) for name in ("SYNOPSIS", "OPTIONS", "SEE ALSO")]
        parts = [p for p in parts if p]
        text = "\n\n".join(parts)
        if len(text) > MAX_CHARS:
            text = "\n\n".join(sections[name] for name in ("SYNOPSIS", "SEE ALSO") if name in sections)
        docs.append(Doc("man_synopsis_options", f"man page: {path}", text, domain="code", cut=True))
    return docs


def news_files(rng: random.Random) -> list[Doc]:
    """The first releases of NEWS files made of one-line items (Debian docs), and five releases
    of Rust's RELEASES.md; cut at a release boundary."""
    docs = []
    for path in debian_doc_files():
        if path.name.upper().startswith("NEWS"):
            text, cut = head_parts(releases(read_text(path) or ""), rng.randint(1500, 6000))
            if one_line_bullets(text):
                docs.append(Doc("news_one_line_bullets", f"Debian doc: {path}", text, domain="code", cut=cut))
    notes = RUST_DOC / "releases.md" if RUST_DOC else None
    if notes and notes.is_file():
        parts = [
            p for p in releases(read_text(notes) or "") if MIN_CHARS <= len(p) <= MAX_CHARS and one_line_bullets(p)
        ]
        for part in rng.sample(parts, min(5, len(parts))):
            docs.append(Doc("news_one_line_bullets", f"Rust docs: {notes.name}", part, domain="code", cut=True))
    return docs


def locale_sections(rng: random.Random, count: int) -> list[Doc]:
    """Whole LC_* categories (LC_TIME, LC_ADDRESS, ...) of glibc locale definitions."""
    paths = sorted_files(Path("/usr/share/i18n/locales"), "*")
    docs = []
    for path in rng.sample(paths, min(len(paths), count)):
        for section in re.findall(r"^(LC_\w+\n.*?^END LC_\w+)$", read_text(path) or "", flags=re.S | re.M):
            docs.append(Doc("locale_definition", str(path), section, domain="general"))
    return docs


def python_package_files(rng: random.Random, count: int) -> list[Doc]:
    """pip RECORD files, METADATA headers, import-only __init__.py files and .pyi stubs of the
    installed packages."""
    infos = sorted(SITE.glob("*.dist-info"))
    docs = file_docs("pip_record", [i / "RECORD" for i in rng.sample(infos, min(len(infos), count))], rng)
    for info in rng.sample(infos, min(len(infos), count)):
        header = (read_text(info / "METADATA") or "").split("\n\n", 1)[0]
        docs.append(Doc("package_metadata", f"{info / 'METADATA'} (header)", header, domain="code", cut=True))
    inits = [p for p in sorted(SITE.glob("*/**/__init__.py")) if MIN_CHARS <= p.stat().st_size <= MAX_CHARS]
    inits = [p for p in inits if import_only(read_text(p) or "")]
    docs += file_docs("python_import_init", rng.sample(inits, min(len(inits), count)), rng)
    stubs = [p for p in sorted(SITE.glob("*/**/*.pyi")) if MIN_CHARS <= p.stat().st_size <= MAX_CHARS]
    return docs + file_docs("python_stub", rng.sample(stubs, min(len(stubs), count)), rng)


def system_candidates(rng: random.Random, count: int) -> list[Doc]:
    """Candidates of every system boilerplate kind, about `count` per kind where there are enough."""

    def some(paths: list[Path]) -> list[Path]:
        return rng.sample(paths, min(len(paths), count))

    docs = []
    for kind, suffix in (("dpkg_md5sums", "md5sums"), ("dpkg_file_list", "list"), ("dpkg_symbols", "symbols")):
        docs += file_docs(kind, some(sorted_files(DPKG_INFO, f"*.{suffix}")), rng)
    docs += python_package_files(rng, count)
    units = [p for d in ("/usr/lib/systemd/system", "/etc/systemd/system") for p in sorted_files(Path(d), "*.*")]
    docs += file_docs("systemd_unit", some([p for p in units if p.suffix in (".service", ".socket", ".timer")]), rng)
    docs += file_docs("desktop_entry", sorted_files(Path("/usr/share/applications"), "*.desktop"), rng)
    pcs = sorted_files(Path("/usr/lib/x86_64-linux-gnu/pkgconfig"), "*.pc") + sorted_files(
        Path("/usr/share/pkgconfig"), "*.pc"
    )
    docs += file_docs("pkgconfig_file", some(pcs), rng)
    docs += man_reference(rng, count) + news_files(rng)
    unicore = [p for root in PERL_DIRS for p in sorted_files(root, "unicore/lib/*/*.pl")]
    docs += file_docs("unicode_property_table", some(unicore), rng)
    docs += file_docs(
        "yaml_resource_spec", some(sorted_files(GCLOUD / "command_lib", "*/resources.yaml")), rng, "Google Cloud SDK: "
    )
    docs += locale_sections(rng, count)
    credits = [p for name in ("AUTHORS*", "THANKS*", "CREDITS*") for p in sorted_files(DOC, f"*/{name}")]
    docs += file_docs("credits_list", some(credits), rng)
    docs += file_docs("protocols_table", [Path("/etc/protocols")], rng)
    docs += line_windows("mime_types_table", Path("/etc/mime.types"), rng, 4)
    docs += file_docs("distro_release_table", sorted_files(Path("/usr/share/distro-info"), "*.csv"), rng)
    for path in sorted_files(Path("/usr/share/iso-codes/json"), "iso_*.json"):
        docs += line_windows("iso_code_table", path, rng, 2)
    docs += file_docs("decimal_testcases", some(sorted_files(STDLIB / "test" / "decimaltestdata", "*.decTest")), rng)
    for name in ("math_testcases.txt", "cmath_testcases.txt", "formatfloat_testcases.txt", "floating_points.txt"):
        docs += line_windows("float_testcases", STDLIB / "test" / name, rng, 4)
    docs += file_docs("float_validation_csv", some(sorted(SITE.glob("numpy/**/umath-validation-set-*.csv"))), rng)
    for doc in docs:
        doc.group = doc.kind
    return docs


# ---------------------------------------------------------------- generated boilerplate (population 11)

RESOURCES = "users orders products invoices accounts sessions payments shipments reviews tickets projects teams files webhooks".split()
VERBS = "Fixed Added Improved Updated Removed Deprecated Refactored Documented".split()
PACKAGES = THIRD_PARTY + "requests urllib3 idna certifi charset-normalizer click rich pyyaml attrs six".split()
JOURNALS = "Journal of Applied Studies|Review of Modern Methods|Annals of Data|Quarterly Letters|Field Reports".split(
    "|"
)
SERVICES = "Consultation|Standard service|Express service|Inspection|Installation|Repair (per hour)|Cleaning|Delivery|Setup|Annual check".split(
    "|"
)


def snake(word: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), word).lstrip("_")


def gen_rest_endpoints(rng: random.Random) -> str:
    version = rng.choice(["v1", "v2", "v3"])
    lines = [f"{rng.choice(['Acme', 'Nimbus', 'Orbit', 'Vertex'])} API {version} - endpoint reference", ""]
    for name in rng.sample(RESOURCES, rng.randint(3, 6)):
        one = ("an " if name[0] in "aeiou" else "a ") + name[:-1]
        rows = [("GET", f"/{name}", f"List {name}"), ("POST", f"/{name}", f"Create {one}")]
        rows += [("GET", f"/{name}/{{id}}", f"Retrieve {one}"), ("PUT", f"/{name}/{{id}}", f"Replace {one}")]
        rows += [("PATCH", f"/{name}/{{id}}", f"Update {one}"), ("DELETE", f"/{name}/{{id}}", f"Delete {one}")]
        lines += [cap(name)] + [f"{m:<7} /api/{version}{p:<24} {d}" for m, p, d in rows] + [""]
    return "\n".join(lines).strip()


def gen_enum_constants(rng: random.Random) -> str:
    name = rng.choice(CLASSES) + rng.choice(["Status", "Type", "Code", "Kind", "Flag"])
    members = [snake(f).upper() for f in rng.sample(FIELDS + COMMON_WORDS, rng.randint(12, 40))]
    language = rng.choice(["python", "java", "go"])
    if language == "python":
        lines = ["from enum import IntEnum", "", "", f"class {name}(IntEnum):"]
        return "\n".join(lines + [f"    {m} = {i}" for i, m in enumerate(members, 1)])
    if language == "java":
        body = [f"    public static final int {m} = {i};" for i, m in enumerate(members)]
        return "\n".join([f"public final class {name} {{", f"    private {name}() {{}}", ""] + body + ["}"])
    camel = ["".join(part.capitalize() for part in m.lower().split("_")) for m in members]
    body = [f"\t{name}{c}" + (f" {name} = iota" if i == 0 else "") for i, c in enumerate(camel)]
    return "\n".join([f"type {name} int", "", "const ("] + body + [")"])


def gen_repeated_tests(rng: random.Random) -> str:
    funcs = {"add": lambda a, b: a + b, "multiply": lambda a, b: a * b, "maximum": max, "minimum": min}
    func = rng.choice(sorted(funcs))
    cases = [(rng.randint(-50, 99), rng.randint(-50, 99)) for _ in range(rng.randint(10, 24))]
    if rng.random() < 0.5:
        lines = ["import pytest", "", f"from calc import {func}", ""]
        for i, (a, b) in enumerate(cases, 1):
            lines += ["", f"def test_{func}_{i}():", f"    assert {func}({a}, {b}) == {funcs[func](a, b)}"]
        return "\n".join(lines)
    lines = ["import unittest", "", f"from calc import {func}", "", "", f"class Test{cap(func)}(unittest.TestCase):"]
    for i, (a, b) in enumerate(cases, 1):
        lines += [
            f"    def test_case_{i}(self):",
            f"        self.assertEqual({func}({a}, {b}), {funcs[func](a, b)})",
            "",
        ]
    return "\n".join(lines).rstrip()


def gen_makefile_rules(rng: random.Random) -> str:
    names = rng.sample(COMMON_WORDS, rng.randint(6, 16))
    program = rng.choice(COMMON_WORDS)
    lines = ["CC = gcc", "CFLAGS = -O2 -Wall -Iinclude", f"OBJS = {' '.join(n + '.o' for n in names)}", ""]
    lines += [
        ".PHONY: all clean install",
        "",
        f"all: {program}",
        "",
        f"{program}: $(OBJS)",
        "\t$(CC) $(CFLAGS) -o $@ $(OBJS)",
        "",
    ]
    for n in names:
        lines += [f"{n}.o: src/{n}.c include/{n}.h", f"\t$(CC) $(CFLAGS) -c src/{n}.c -o {n}.o", ""]
    lines += [
        "install: all",
        f"\tinstall -m 755 {program} /usr/local/bin/{program}",
        "",
        "clean:",
        f"\trm -f $(OBJS) {program}",
    ]
    return "\n".join(lines)


def gen_struct_accessors(rng: random.Random) -> str:
    cls, fields = rng.choice(CLASSES), rng.sample(FIELDS, rng.randint(4, 8))
    language = rng.choice(["go", "kotlin", "rust"])
    if language == "go":
        lines = [f"type {cls} struct {{"] + [f"\t{f} string" for f in fields] + ["}", ""]
        for f in fields:
            lines += [f"func (x *{cls}) Get{cap(f)}() string {{", f"\treturn x.{f}", "}", ""]
            lines += [f"func (x *{cls}) Set{cap(f)}(v string) {{", f"\tx.{f} = v", "}", ""]
    elif language == "kotlin":
        lines = [f"class {cls} {{"]
        for f in fields:
            lines += [f'    private var _{f}: String = ""', f"    fun get{cap(f)}(): String = _{f}"]
            lines += [f"    fun set{cap(f)}(value: String) {{", f"        _{f} = value", "    }", ""]
        lines += ["}"]
    else:
        lines = [f"pub struct {cls} {{"] + [f"    {snake(f)}: String," for f in fields] + ["}", "", f"impl {cls} {{"]
        for f in map(snake, fields):
            lines += [f"    pub fn {f}(&self) -> &str {{", f"        &self.{f}", "    }", ""]
            lines += [f"    pub fn set_{f}(&mut self, value: String) {{", f"        self.{f} = value;", "    }", ""]
        lines += ["}"]
    return "\n".join(lines).strip()


def gen_changelog_lines(rng: random.Random) -> str:
    major, minor, patch = rng.randint(0, 5), rng.randint(0, 20), rng.randint(0, 9)
    year, month = rng.randint(2018, 2024), rng.randint(1, 12)
    lines = [rng.choice(["CHANGELOG", "Release history", "Changes"]), ""]
    for _ in range(rng.randint(10, 40)):
        thing = rng.choice([f"{rng.choice(COMMON_WORDS)} {rng.choice(['parser', 'option', 'handler', 'test', 'docs'])}",
                            f"typo in {rng.choice(['README', 'docs', 'help text'])}", f"support for {rng.choice(TAGS)}",
                            f"dependency {rng.choice(PACKAGES)} to {rng.randint(1, 9)}.{rng.randint(0, 30)}"])  # fmt: skip
        lines.append(
            f"v{major}.{minor}.{patch} ({year}-{month:02d}-{rng.randint(1, 28):02d}) - {rng.choice(VERBS)} {thing}"
        )
        patch -= 1
        if patch < 0:
            minor, patch = max(0, minor - 1), rng.randint(3, 9)
        month = month - 1 or 12
    return "\n".join(lines)


def gen_requirements_lock(rng: random.Random) -> str:
    lines = ["# This file is autogenerated by pip-compile", "# To update, run: pip-compile --generate-hashes", ""]
    for package in sorted(rng.sample(PACKAGES, rng.randint(4, 9))):
        lines.append(f"{package}=={rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 12)} \\")
        hashes = [f"    --hash=sha256:{rng.getrandbits(256):064x}" for _ in range(rng.randint(1, 3))]
        lines += [h + " \\" for h in hashes[:-1]] + [hashes[-1]]
    return "\n".join(lines)


def gen_compound_interest(rng: random.Random) -> str:
    principal, rate = rng.choice([1000, 2500, 5000, 10000]), rng.choice([2, 3, 3.5, 4, 5, 6, 7.5])
    lines = [f"Compound interest: ${principal:,} at {rate}% per year, compounded annually", "Year | Balance | Interest"]
    balance = principal
    for year in range(1, rng.randint(10, 40) + 1):
        interest = balance * rate / 100
        balance += interest
        lines.append(f"{year} | ${balance:,.2f} | ${interest:,.2f}")
    return "\n".join(lines)


def gen_binomial_table(rng: random.Random) -> str:
    rows = rng.randint(10, 18)
    if rng.random() < 0.5:
        return "Pascal's triangle\n" + "\n".join(
            " ".join(str(math.comb(n, k)) for k in range(n + 1)) for n in range(rows)
        )
    lines = ["Binomial coefficients C(n, k)", "n\\k " + " ".join(f"{k:>5}" for k in range(8))]
    lines += [f"{n:<3} " + " ".join(f"{math.comb(n, k):>5}" for k in range(8)) for n in range(rows)]
    return "\n".join(lines)


def gen_fraction_table(rng: random.Random) -> str:
    denominators = sorted(rng.sample(range(2, 21), rng.randint(5, 10)))
    lines = ["Fraction | Decimal | Percent"]
    for denominator in denominators:
        for numerator in range(1, denominator):
            if math.gcd(numerator, denominator) == 1:
                value = numerator / denominator
                lines.append(f"{numerator}/{denominator} | {value:.4f} | {100 * value:.2f}%")
    return "Fractions, decimals and percents\n" + "\n".join(lines)


CALCULUS_RULES = [
    "d/dx [c] = 0", "d/dx [x^n] = n x^(n-1)", "d/dx [e^x] = e^x", "d/dx [a^x] = a^x ln a", "d/dx [ln x] = 1/x",
    "d/dx [log_a x] = 1/(x ln a)", "d/dx [sin x] = cos x", "d/dx [cos x] = -sin x", "d/dx [tan x] = sec^2 x",
    "d/dx [cot x] = -csc^2 x", "d/dx [sec x] = sec x tan x", "d/dx [csc x] = -csc x cot x",
    "d/dx [arcsin x] = 1/sqrt(1 - x^2)", "d/dx [arccos x] = -1/sqrt(1 - x^2)", "d/dx [arctan x] = 1/(1 + x^2)",
    "d/dx [sinh x] = cosh x", "d/dx [cosh x] = sinh x", "∫ x^n dx = x^(n+1)/(n+1) + C", "∫ 1/x dx = ln|x| + C",
    "∫ e^x dx = e^x + C", "∫ sin x dx = -cos x + C", "∫ cos x dx = sin x + C", "∫ sec^2 x dx = tan x + C",
    "∫ 1/(1 + x^2) dx = arctan x + C", "∫ a^x dx = a^x / ln a + C", "∫ ln x dx = x ln x - x + C",
    "(f g)' = f' g + f g'", "(f / g)' = (f' g - f g') / g^2", "(f(g(x)))' = f'(g(x)) g'(x)",
]  # fmt: skip


def gen_calculus_table(rng: random.Random) -> str:
    rules = rng.sample(CALCULUS_RULES, rng.randint(12, len(CALCULUS_RULES)))
    return (
        rng.choice(["Table of derivatives and integrals", "Calculus rules", "Differentiation formulas"])
        + "\n\n"
        + "\n".join(rules)
    )


def gen_number_sequence(rng: random.Random) -> str:
    n = rng.randint(20, 45)
    fib = [0, 1]
    while len(fib) < n:
        fib.append(fib[-1] + fib[-2])
    sequences = {
        "Fibonacci numbers": fib[:n], "Triangular numbers": [k * (k + 1) // 2 for k in range(1, n + 1)],
        "Catalan numbers": [math.comb(2 * k, k) // (k + 1) for k in range(min(n, 30))],
        "Cubes": [k**3 for k in range(1, n + 1)], "Factorials": [math.factorial(k) for k in range(min(n, 25))],
        "Powers of 3": [3**k for k in range(min(n, 30))], "Pentagonal numbers": [k * (3 * k - 1) // 2 for k in range(1, n + 1)],
    }  # fmt: skip
    name = rng.choice(sorted(sequences))
    if rng.random() < 0.5:
        return f"{name}: the first {len(sequences[name])} terms\n" + ", ".join(map(str, sequences[name]))
    return f"{name}\nk | term\n" + "\n".join(f"{k} | {v}" for k, v in enumerate(sequences[name], 1))


def gen_z_table(rng: random.Random) -> str:
    """A table of the standard normal distribution, wide (z by hundredths) or long (z, P(Z < z))."""
    start, rows, digits = rng.randrange(0, 20) / 10, rng.randint(12, 30), rng.choice([4, 5])

    def phi(z: float) -> str:
        return f"{0.5 * (1 + math.erf(z / math.sqrt(2))):.{digits}f}"

    if rng.random() < 0.5:
        lines = ["Standard normal distribution: P(Z < z)", "z     " + "  ".join(f".0{c}" for c in range(10))]
        lines += [
            f"{start + r / 10:.1f}  " + " ".join(phi(start + r / 10 + c / 100) for c in range(10)) for r in range(rows)
        ]
        return "\n".join(lines)
    step = rng.choice([0.01, 0.02, 0.05])
    return "z | P(Z < z)\n" + "\n".join(f"{start + r * step:.2f} | {phi(start + r * step)}" for r in range(2 * rows))


def gen_amortization(rng: random.Random) -> str:
    principal, rate, months = (
        rng.choice([5000, 12000, 20000, 35000]),
        rng.choice([3.9, 4.5, 5.25, 6.0, 7.2]),
        rng.choice([12, 24, 36]),
    )
    monthly = rate / 1200
    payment = principal * monthly / (1 - (1 + monthly) ** -months)
    lines = [
        f"Loan amortization schedule: ${principal:,} at {rate}% for {months} months",
        "Month | Payment | Interest | Principal | Balance",
    ]
    balance = principal
    for month in range(1, months + 1):
        interest = balance * monthly
        balance -= payment - interest
        lines.append(f"{month} | {payment:,.2f} | {interest:,.2f} | {payment - interest:,.2f} | {max(balance, 0):,.2f}")
    return "\n".join(lines)


def gen_sitemap(rng: random.Random) -> str:
    site = f"https://www.{rng.choice(COMMON_WORDS)}-{rng.choice(['shop', 'news', 'guide', 'travel'])}.example"
    slugs = [
        f"{rng.choice(['blog', 'products', 'help', 'category'])}/{rng.choice(COMMON_WORDS)}-{rng.choice(COMMON_WORDS)}"
        for _ in range(rng.randint(12, 40))
    ]
    if rng.random() < 0.5:
        return "Sitemap\n\n" + "\n".join(f"{site}/{slug}/" for slug in sorted(set(slugs)))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for slug in sorted(set(slugs)):
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines += [
            "  <url>",
            f"    <loc>{site}/{slug}/</loc>",
            f"    <lastmod>{date}</lastmod>",
            "    <changefreq>weekly</changefreq>",
            "  </url>",
        ]
    return "\n".join(lines + ["</urlset>"])


def gen_price_list(rng: random.Random) -> str:
    business = f"{rng.choice(LAST)} {rng.choice(['Garage', 'Salon', 'Plumbing', 'Print Shop', 'Bike Repair'])}"
    lines = [f"{business} - price list {rng.randint(2021, 2025)}", ""]
    for item in rng.sample(SERVICES + [f"{a} {n}" for a, n in zip(ADJ, NOUN, strict=False)], rng.randint(10, 24)):
        lines.append(f"{item} {'.' * max(3, 36 - len(item))} ${rng.randint(5, 400)}.{rng.choice(['00', '50', '95'])}")
    return "\n".join(lines + ["", "All prices include VAT. Prices subject to change without notice."])


def gen_fixtures(rng: random.Random) -> str:
    clubs = rng.sample([f"{town} {team}" for town in TOWNS for team in TEAMS], 12)
    lines, day = (
        [f"{rng.choice(TOWNS)} District League - fixtures {rng.choice(['2023/24', '2024/25'])}"],
        rng.randint(1, 20),
    )
    for round_number in range(1, rng.randint(3, 7) + 1):
        rng.shuffle(clubs)
        lines += ["", f"Round {round_number} - Saturday {day} {rng.choice(['August', 'September', 'October'])}"]
        lines += [f"{rng.choice(['13:00', '15:00', '17:30'])}  {clubs[i]} v {clubs[i + 1]}" for i in range(0, 12, 2)]
        day = (day + 7) % 28 + 1
    return "\n".join(lines)


def gen_bibliography(rng: random.Random) -> str:
    lines = ["References", ""]
    for _ in range(rng.randint(8, 25)):
        authors = ", ".join(f"{rng.choice(LAST)}, {rng.choice(FIRST)[0]}." for _ in range(rng.randint(1, 3)))
        title = f"{cap(rng.choice(COMMON_WORDS))} and {rng.choice(COMMON_WORDS)} in {rng.choice(MATH_TOPICS).lower()}"
        volume, start = rng.randint(1, 60), rng.randint(1, 400)
        lines.append(
            f"{authors} ({rng.randint(1990, 2024)}). {title}. {rng.choice(JOURNALS)}, {volume}({rng.randint(1, 4)}), {start}-{start + rng.randint(5, 30)}."
        )
    return "\n".join(lines[:2] + sorted(lines[2:], key=str.lower))


def gen_glossary(rng: random.Random) -> str:
    terms = sorted(rng.sample(COMMON_WORDS, rng.randint(15, 40)))
    kinds = ["a", "the act of", "a kind of", "a person who handles", "the state of having", "a tool for"]
    lines = ["Glossary", ""]
    lines += [
        f"{cap(t)} — {rng.choice(kinds)} {rng.choice(COMMON_WORDS)} {rng.choice(['', 'or ' + rng.choice(COMMON_WORDS)])}".rstrip()
        + "."
        for t in terms
    ]
    return "\n".join(lines)


def gen_weather_table(rng: random.Random) -> str:
    town, days = rng.choice(TOWNS), rng.randint(7, 14)
    lines = [f"{town}: {days}-day forecast", "Day | High | Low | Rain | Wind"]
    for i in range(days):
        high, wind = rng.randint(8, 30), rng.choice(["N", "NE", "E", "SE", "S", "SW", "W", "NW"])
        low, rain = high - rng.randint(3, 12), rng.randint(0, 90)
        lines.append(f"{DAYS[i % 7]} | {high}°C | {low}°C | {rain}% | {rng.randint(5, 45)} km/h {wind}")
    return "\n".join(lines)


def gen_course_catalog(rng: random.Random) -> str:
    department = rng.choice(["MATH", "CS", "ECON", "BIO", "HIST"])
    lines = [f"Course catalog - {department}, {rng.choice(['Fall', 'Spring'])} {rng.randint(2022, 2025)}", ""]
    for number in sorted(rng.sample(range(100, 499), rng.randint(10, 30))):
        title = f"{rng.choice(['Introduction to', 'Topics in', 'Advanced', 'Seminar in'])} {rng.choice(MATH_TOPICS)}"
        slot = f"{rng.choice(['Mon/Wed', 'Tue/Thu', 'Fri'])} {rng.randint(8, 17)}:{rng.choice(['00', '30'])}"
        lines.append(
            f"{department} {number}  {title} ({rng.randint(2, 4)} credits)  {slot}  Room {rng.choice('ABCD')}{rng.randint(1, 40)}"
        )
    return "\n".join(lines)


GENERATORS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "rest_endpoints": ("code", gen_rest_endpoints), "enum_constants": ("code", gen_enum_constants),
    "repeated_tests": ("code", gen_repeated_tests), "makefile_rules": ("code", gen_makefile_rules),
    "struct_accessors": ("code", gen_struct_accessors), "changelog_lines": ("code", gen_changelog_lines),
    "requirements_lock": ("code", gen_requirements_lock), "compound_interest": ("math", gen_compound_interest),
    "binomial_table": ("math", gen_binomial_table), "fraction_table": ("math", gen_fraction_table),
    "calculus_table": ("math", gen_calculus_table), "number_sequence": ("math", gen_number_sequence),
    "z_table": ("math", gen_z_table), "amortization": ("math", gen_amortization),
    "sitemap": ("general", gen_sitemap), "price_list": ("general", gen_price_list),
    "fixtures": ("general", gen_fixtures), "bibliography": ("general", gen_bibliography),
    "glossary": ("general", gen_glossary), "weather_table": ("general", gen_weather_table),
    "course_catalog": ("general", gen_course_catalog),
}  # fmt: skip


def generated(rng: random.Random, admission: Admission, n: int) -> list[Doc]:
    """n documents from the generators, in turn (each generator its own seeded stream)."""
    candidates = []
    for index, (kind, (domain, generator)) in enumerate(sorted(GENERATORS.items())):
        stream = random.Random(1000 + index)
        for _ in range(3 * n // len(GENERATORS) + 1):
            candidates.append(Doc(kind, "generated", generator(stream).strip(), group=kind, domain=domain))
    return spread_sample(candidates, n, rng, admission)


# ---------------------------------------------------------------- output


def rows_of(population: str, docs: list[Doc]) -> list[dict]:
    domain, label, _ = POPULATIONS[population]
    docs = sorted(docs, key=lambda d: (d.domain or domain, d.kind, d.source, d.text))
    return [
        {"id": f"{population}-{i:04d}", "text": d.text, "domain": d.domain or domain, "kind": d.kind, "label": label,
         "source": d.source, "cut": d.cut}
        for i, d in enumerate(docs)
    ]  # fmt: skip


def lengths(rows: list[dict]) -> dict:
    sizes = [len(r["text"]) for r in rows]
    return {"count": len(rows), "mean_chars": round(statistics.mean(sizes)) if sizes else 0,
            "median_chars": round(statistics.median(sizes)) if sizes else 0}  # fmt: skip


def manifest(populations: dict[str, list[dict]], mixes: dict[str, list[dict]]) -> dict:
    files = {}
    for name, rows in {**populations, **{f"mix_{d}": r for d, r in mixes.items()}}.items():
        kinds = defaultdict(list)
        for row in rows:
            kinds[f"{row['label']}/{row['domain']}/{row['kind']}"].append(row)
        entry = {"file": f"{name}.jsonl", **lengths(rows), "cut": sum(r["cut"] for r in rows)}
        entry["wanted"] = POPULATIONS[name][2] if name in POPULATIONS else 32
        entry["kinds"] = {kind: lengths(kinds[kind]) for kind in sorted(kinds)}
        files[name] = entry
    return {"generated_by": "bench/fidelity_corpora.py", "min_chars": MIN_CHARS, "max_chars": MAX_CHARS, "files": files}


def draw(rows: list[dict], key: str, n: int, rng: random.Random) -> list[dict]:
    """n rows spread evenly over the values of `key` (a value short of its share leaves it to the others)."""
    groups = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    names = sorted(groups)
    for name in names:
        rng.shuffle(groups[name])
    picked = []
    while len(picked) < n and any(groups[name] for name in names):
        for name in names:
            if groups[name] and len(picked) < n:
                picked.append(groups[name].pop())
    return picked


def mixes(populations: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Per domain: 24 real documents (spread over that domain's real populations) and 8 boilerplate
    ones (spread over the two boilerplate populations), each at most 4,000 characters, shuffled."""
    rng = random.Random(0)
    out = {}
    for domain in ("code", "math", "general"):
        real = [dict(r, population=p) for p, rows in populations.items() for r in rows if r["label"] == "real"]
        boiler = [dict(r, population=p) for p, rows in populations.items() for r in rows if r["label"] == "boilerplate"]
        real = [r for r in real if r["domain"] == domain and len(r["text"]) <= MIX_MAX_CHARS]
        boiler = [r for r in boiler if r["domain"] == domain and len(r["text"]) <= MIX_MAX_CHARS]
        picked = draw(real, "population", 24, rng) + draw(boiler, "population", 8, rng)
        rng.shuffle(picked)
        out[domain] = [{k: v for k, v in row.items() if k != "population"} for row in picked]
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def build(data: Path) -> dict[str, list[dict]]:
    """Every population's rows, in the order of POPULATIONS (earlier ones take a shared text first)."""
    admission = Admission(test_lines())
    want = {name: wanted for name, (_, _, wanted) in POPULATIONS.items()}
    docs: dict[str, list[Doc]] = {}
    docs["doctest_functions"] = doctest_functions(random.Random(1), admission, want["doctest_functions"])
    docs["functions"] = plain_functions(random.Random(2), admission, want["functions"])
    docs["short_functions"] = short_functions(random.Random(12), admission, want["short_functions"])
    docs["other_languages"] = other_language_code(random.Random(3), admission, want["other_languages"])
    docs["gsm8k_train"], docs["worked_solutions_long"] = gsm8k_populations(data, admission)
    docs["wikitext_articles"] = wikitext_population(data, admission)
    docs["reference_docs"], docs["articles_with_lists"] = documentation_populations(random.Random(7), admission)
    docs["non_english"] = non_english(random.Random(9), admission)
    system = system_candidates(random.Random(10), 20)
    docs["boilerplate_system"] = spread_sample(system, want["boilerplate_system"], random.Random(10), admission)
    docs["boilerplate_generated"] = generated(random.Random(11), admission, want["boilerplate_generated"])
    return {name: rows_of(name, docs[name]) for name in POPULATIONS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for <population>.jsonl and MANIFEST.json")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="gsm8k/ and wikitext-2/")
    parser.add_argument("--mix", action="store_true", help="also write mix_<domain>.jsonl (24 real + 8 boilerplate)")
    args = parser.parse_args()
    data = args.data if (args.data / "gsm8k").is_dir() else Path("/work/shared/data")
    populations = build(data)
    mixed = mixes(populations) if args.mix else {}
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in {**populations, **{f"mix_{d}": r for d, r in mixed.items()}}.items():
        write_jsonl(args.out / f"{name}.jsonl", rows)
    summary = manifest(populations, mixed)
    (args.out / "MANIFEST.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, entry in summary["files"].items():
        kinds = Counter({k.rsplit("/", 1)[1]: v["count"] for k, v in entry["kinds"].items()})
        shown = ", ".join(f"{k} {v}" for k, v in kinds.most_common(6))
        print(f"{name}: {entry['count']}/{entry['wanted']} documents, median {entry['median_chars']} chars; {shown}")


if __name__ == "__main__":
    main()
