"""Rebuild the labelled calibration set of the selection guard (tests/fixtures/calibration/).

Real reasoning text and boilerplate, in three domains (math, code, general), split into a
development part (dev.jsonl: the guard's thresholds were tuned on it) and a held-out part
(heldout.jsonl: other documents and other kinds of boilerplate, for the final check only).

Sources, all on this machine (no download); LICENSES.md, written next to the set, names the
source and licence of every part:
  real       GSM8K (../shared/data/gsm8k, MIT), wikitext-2 (../shared/data/wikitext-2, CC BY-SA 3.0),
             Python's standard library sources (PSF), the Node.js API docs shipped by Debian (MIT)
  boilerplate Debian changelogs and copyright files (/usr/share/doc), the navigation of the
             Node.js API pages, wikitext-2 headings (tables of contents), and text generated here
             from fixed templates and word pools (accessors, listings, menus, tables, ...)

Deterministic: the same system files give the same set (fixed seeds, sorted inputs).

    python bench/build_calibration.py [--data ../shared/data] [--out tests/fixtures/calibration]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import html
import importlib
import inspect
import json
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = Path("/usr/share/doc")
NODE_API = DOC / "nodejs" / "api"

# Python standard-library modules whose functions/docstrings are real text; dev and held-out disjoint.
DEV_CODE_MODULES = ("textwrap", "heapq", "bisect", "fractions", "statistics", "shlex", "difflib", "calendar", "fnmatch")
HELD_CODE_MODULES = ("csv", "ipaddress", "base64", "random", "functools", "pprint", "urllib.parse", "gettext", "string")
DEV_DOC_MODULES = ("heapq", "bisect", "statistics", "fractions", "difflib", "shlex", "textwrap", "decimal", "pickle")
HELD_DOC_MODULES = ()  # held-out documentation comes from the Node.js API docs instead


def detokenize_wikitext(text: str) -> str:
    """Undo wikitext-2's tokenisation (" @,@ ", " , ", "( x )") so the prose reads as written."""
    text = text.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".")
    text = re.sub(r" ([.,;:!?)\]'])", r"\1", text)
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = text.replace(" n't", "n't").replace(" 's", "'s").replace('" ', '"', 1)
    return re.sub(r"\s+", " ", text).strip()


def wikitext_articles(path: Path) -> list[tuple[str, list[tuple[int, str]], list[str]]]:
    """(title, headings as (level, name), paragraphs) of every article in a wikitext-2 file."""
    articles: list[tuple[str, list[tuple[int, str]], list[str]]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        stripped = line.strip()
        heading = re.fullmatch(r"(=(?: =)*) (.+?) (=(?: =)*)", stripped)
        if heading:
            level = heading.group(1).count("=")
            name = detokenize_wikitext(heading.group(2))
            if level == 1:
                articles.append((name, [], []))
            elif articles:
                articles[-1][1].append((level - 1, name))
        elif stripped and articles:
            articles[-1][2].append(detokenize_wikitext(stripped))
    return articles


# ---------------------------------------------------------------- real documents


def gsm8k_docs(path: Path, n: int, rng: random.Random, clean_half: bool) -> list[tuple[str, str]]:
    """(kind, text): question + worked answer; a third of the documents hold two problems;
    with `clean_half`, every second one has its <<calculator>> annotations removed."""
    problems = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    picks = rng.sample(range(len(problems)), 2 * n)
    docs = []
    for i in range(n):
        parts = [picks[2 * i]] + ([picks[2 * i + 1]] if i % 3 == 2 else [])
        text = "\n\n".join(problems[p]["question"].strip() + "\n" + problems[p]["answer"].strip() for p in parts)
        kind = "worked_math"
        if clean_half and i % 2:
            text, kind = re.sub(r"<<[^>]*>>", "", text), "worked_math_plain"
        docs.append((kind, text))
    return docs


def stdlib_functions(modules: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(kind, module, source) of functions and small classes of the modules, 400-1800 characters."""
    found = []
    for name in modules:
        module = importlib.import_module(name)
        source = inspect.getsource(module)
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            text = ast.get_source_segment(source, node, padded=True)
            if text is None or not 400 <= len(text) <= 1800 or text.count("\n") < 8:
                continue
            text = inspect.cleandoc("\n" + text) if text.startswith(" ") else text
            kind = "python_class" if isinstance(node, ast.ClassDef) else "python_function"
            found.append((kind, name, text))
    return found


def stdlib_docstrings(modules: tuple[str, ...]) -> list[tuple[str, str]]:
    """(module, docstring) of modules, classes and functions, 500-1800 characters."""
    found = []
    for name in modules:
        module = importlib.import_module(name)
        source = inspect.getsource(module)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef):
                doc = ast.get_docstring(node)
                if doc and 500 <= len(doc) <= 1800:
                    found.append((name, doc))
    return found


def node_doc_sections(files: list[Path]) -> list[tuple[str, str]]:
    """(file name, section) of the Node.js API markdown docs: '## ' sections of 600-1800 characters
    whose lines are mostly prose (API tables and option lists left out)."""
    sections = []
    for path in files:
        text = re.sub(r"<!--.*?-->\n?", "", path.read_text(encoding="utf-8"), flags=re.S)
        for section in re.split(r"\n(?=## )", text):
            section = section.strip()
            lines = [line for line in section.splitlines() if line.strip()]
            prose = [line for line in lines if len(line.split()) >= 7 and not line.lstrip().startswith(("*", "|"))]
            if 600 <= len(section) <= 1800 and len(prose) >= 0.5 * len(lines):
                sections.append((path.name, section))
    return sections


# ---------------------------------------------------------------- boilerplate from system files


def debian_changelogs(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(package, text): the first entries of Debian changelogs, cut at an entry boundary near 1,200 characters."""
    paths = sorted(DOC.glob("*/changelog.Debian.gz"))
    docs = []
    for path in rng.sample(paths, len(paths)):
        text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
        entries = re.split(r"\n(?=\S+ \([^)]*\) )", text)
        doc = ""
        for entry in entries:
            if len(doc) + len(entry) > 1400:
                break
            doc += entry.rstrip() + "\n\n"
        if len(doc) >= 500 and doc.count("\n *") + doc.count("\n  *") >= 3:
            docs.append((path.parent.name, doc.strip()))
        if len(docs) == n:
            break
    return docs


def debian_copyrights(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(package, text): the Files/Copyright/License paragraphs of machine-readable copyright files."""
    paths = sorted(DOC.glob("*/copyright"))
    docs = []
    for path in rng.sample(paths, len(paths)):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.startswith("Format:"):
            continue
        stanzas = [s for s in text.split("\n\n") if s.startswith("Files:")]
        doc = ""
        for stanza in stanzas:
            if len(doc) + len(stanza) > 1400:
                break
            doc += stanza.strip() + "\n\n"
        if len(doc) >= 600 and len(stanzas) >= 5:
            docs.append((path.parent.name, doc.strip()))
        if len(docs) == n:
            break
    return docs


def node_navigation(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(file name, text): navigation of Node.js API pages as their text reads: the site's module
    menu (first document) and the pages' own tables of contents (the others), 20-60 entries."""
    paths = sorted(p for p in NODE_API.glob("*.html") if p.name != "all.html")
    docs = []
    for i, path in enumerate(rng.sample(paths, len(paths))):
        page = path.read_text(encoding="utf-8")
        if i == 0:
            part = page[page.index('id="column2"') :]
            part = part[: part.index('id="column1"')] if 'id="column1"' in part else part[:8000]
        elif 'id="toc"' in page:
            part = page[page.index('id="toc"') :]
            part = part[: part.index("</details>")]
        else:
            continue
        items = [
            html.unescape(re.sub(r"<[^>]+>", "", a)).strip() for a in re.findall(r"<a [^>]*>(.*?)</a>", part, re.S)
        ]
        items = [item for item in items if item][:60]
        if len(items) >= 20:
            docs.append((path.name, "\n".join(items)))
        if len(docs) == n:
            break
    return docs


def wikitext_tocs(articles, rng: random.Random, n: int, dotted: bool) -> list[tuple[str, str]]:
    """(article titles, table of contents): a few articles' headings as the chapters and sections
    of a book, numbered like a wiki or with dotted leaders and page numbers."""
    clean = [(t, [(lv, h) for lv, h in hs if "<unk>" not in h]) for t, hs, _ in articles if "<unk>" not in t]
    clean = [a for a in clean if len(a[1]) >= 4]
    docs = []
    for _ in range(n):
        picks, entries = [], 0
        for title, headings in rng.sample(clean, len(clean)):
            picks.append((title, headings))
            entries += len(headings) + 1
            if entries >= 24:
                break
        lines = ["Table of Contents" if dotted else "Contents", ""]
        page = 1
        for chapter, (title, headings) in enumerate(picks, 1):
            numbers = [chapter, 0, 0]
            lines.append(f"{chapter} {title}" + (f" {'.' * max(3, 44 - len(title))} {page}" if dotted else ""))
            for level, name in headings:
                level = min(level + 1, 3)
                numbers[level - 1] += 1
                numbers[level:] = [0] * (3 - level)
                label = ".".join(str(x) for x in numbers[:level])
                page += rng.randint(1, 4)
                leader = f" {'.' * max(3, 40 - len(name))} {page}" if dotted else ""
                lines.append(f"{'  ' * (level - 1)}{label} {name}{leader}")
        docs.append((" / ".join(t for t, _ in picks), "\n".join(lines)))
    return docs


# ---------------------------------------------------------------- generated boilerplate

FIRST = (
    "Anna Ben Carla David Emma Felix Grace Hugo Iris Jonas Karin Leo Maya Nils Olga Paul Rosa Sam Tara Victor".split()
)
LAST = "Smith Jones Berg Novak Costa Keller Moreau Rossi Larsen Silva Weber Young Fischer Hall Ortiz Brandt".split()
FIELDS = (
    "name email age address phone city country zipCode street birthDate createdAt updatedAt status role "
    "price quantity discount currency title description category rating weight height color size sku brand "
    "username password token balance accountNumber iban orderId customerId invoiceDate dueDate total"
).split()
JAVA_TYPES = {"age": "int", "price": "double", "quantity": "int", "discount": "double", "rating": "float"}
CLASSES = "Customer Order Product Invoice Account Employee Address Shipment Supplier Payment Booking Ticket".split()
ADJ = "Classic Deluxe Compact Premium Organic Wireless Vintage Ultra Smart Eco Portable Heavy-Duty Slim Pro".split()
NOUN = (
    "Coffee Maker|Desk Lamp|Backpack|Water Bottle|Running Shoes|Wall Clock|Cutting Board|Office Chair|Headphones|"
    "Yoga Mat|Blender|Travel Mug|Notebook|Rain Jacket|Bookshelf|Phone Case|Toaster|Garden Hose|Pillow|Frying Pan"
).split("|")
COLORS = "Black White Red Blue Green Grey Beige Navy Olive Silver".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
PLACES = (
    "Main Office|City Library|Swimming Pool|Town Hall|Post Office|Pharmacy|Bakery|Museum|Dental Clinic|"
    "Recycling Centre|Community Centre|Garden Centre|Bike Shop|Hardware Store|Tourist Information"
).split("|")
SITE = (
    "Home|About Us|Products|Services|Blog|News|Careers|Contact|Support|FAQ|Shop|Pricing|Partners|Press|Events|"
    "Downloads|Documentation|Community|Login|Sign Up|Privacy Policy|Terms of Use|Cookie Settings|Sitemap|"
    "Accessibility|Newsletter|Gift Cards|Store Locator|Returns|Shipping|Order Status|Help Center"
).split("|")
TAGS = (
    "python javascript travel recipes photography music gardening fitness startup design css linux "
    "productivity books history science movies coffee hiking diy machine-learning tutorial review "
    "family budget career health nature art cooking vegan climate education react django docker"
).split()
MATH_TOPICS = (
    "Whole Numbers|Place Value|Addition and Subtraction|Multiplication|Division|Fractions|Decimals|Percentages|"
    "Ratios and Rates|Integers|Order of Operations|Exponents|Square Roots|Algebraic Expressions|Linear Equations|"
    "Inequalities|Graphing Lines|Systems of Equations|Polynomials|Factoring|Quadratic Equations|Functions|"
    "Angles|Triangles|Circles|Area and Perimeter|Volume|Pythagorean Theorem|Probability|Statistics|Data and Graphs"
).split("|")
MATH_WORDS = (
    "addend sum minuend subtrahend difference factor product dividend divisor quotient remainder numerator "
    "denominator fraction decimal percent ratio rate proportion integer exponent base power root radical "
    "coefficient variable constant term expression equation inequality polynomial monomial binomial vertex "
    "angle acute obtuse right straight reflex triangle isosceles equilateral scalene hypotenuse perimeter area "
    "volume radius diameter circumference chord arc sector tangent slope intercept domain range function mean "
    "median mode outlier quartile probability outcome event sample prime composite multiple divisor parallel"
).split()
COMMON_WORDS = (
    "abandon ability absence academy accent accept access accident account accurate achieve acid acquire "
    "across action active actor actual adapt addition adequate adjust admire adopt adult advance advice "
    "affair afford afraid agency agenda agent agree ahead aircraft alarm album alcohol alert alive alley "
    "allow almost alone along already alter amazing amount analyst anchor ancient anger angle animal ankle "
    "announce annual answer anxiety apart apology appeal appear apple apply approve april arena argue arise"
).split()
UNITS = [
    ("inch", "centimetres", 2.54),
    ("foot", "metres", 0.3048),
    ("yard", "metres", 0.9144),
    ("mile", "kilometres", 1.609344),
    ("ounce", "grams", 28.349523),
    ("pound", "kilograms", 0.45359237),
    ("US gallon", "litres", 3.785411784),
    ("acre", "square metres", 4046.8564224),
]
FORMULAS = [
    ("Area of a rectangle", "A = l × w"),
    ("Perimeter of a rectangle", "P = 2l + 2w"),
    ("Area of a triangle", "A = ½ b h"),
    ("Area of a circle", "A = π r²"),
    ("Circumference of a circle", "C = 2 π r"),
    ("Area of a trapezoid", "A = ½ (a + b) h"),
    ("Volume of a cube", "V = s³"),
    ("Volume of a cylinder", "V = π r² h"),
    ("Volume of a cone", "V = ⅓ π r² h"),
    ("Volume of a sphere", "V = 4⁄3 π r³"),
    ("Surface area of a sphere", "S = 4 π r²"),
    ("Pythagorean theorem", "a² + b² = c²"),
    ("Slope of a line", "m = (y₂ − y₁) / (x₂ − x₁)"),
    ("Slope-intercept form", "y = mx + b"),
    ("Quadratic formula", "x = (−b ± √(b² − 4ac)) / 2a"),
    ("Distance formula", "d = √((x₂ − x₁)² + (y₂ − y₁)²)"),
    ("Midpoint formula", "M = ((x₁ + x₂)/2, (y₁ + y₂)/2)"),
    ("Simple interest", "I = P r t"),
    ("Compound interest", "A = P (1 + r/n)^(n t)"),
    ("Arithmetic sequence", "aₙ = a₁ + (n − 1) d"),
    ("Geometric sequence", "aₙ = a₁ rⁿ⁻¹"),
    ("Mean", "x̄ = (x₁ + x₂ + … + xₙ) / n"),
    ("Speed", "v = d / t"),
    ("Percent change", "(new − old) / old × 100%"),
]


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def gen_accessor_java(rng: random.Random) -> str:
    cls = rng.choice(CLASSES)
    fields = rng.sample(FIELDS, rng.randint(4, 6))
    lines = [f"public class {cls} {{", ""]
    lines += [f"    private {JAVA_TYPES.get(f, 'String')} {f};" for f in fields] + [""]
    lines += [f"    public {cls}() {{", "    }", ""]
    for f in fields:
        t = JAVA_TYPES.get(f, "String")
        lines += [f"    public {t} get{cap(f)}() {{", f"        return {f};", "    }", ""]
        lines += [f"    public void set{cap(f)}({t} {f}) {{", f"        this.{f} = {f};", "    }", ""]
    return "\n".join(lines).rstrip() + "\n}"


def gen_accessor_python(rng: random.Random) -> str:
    cls = rng.choice(CLASSES)
    fields = [re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), f) for f in rng.sample(FIELDS, rng.randint(4, 5))]
    lines = [f"class {cls}:", f"    def __init__(self, {', '.join(fields)}):"]
    lines += [f"        self._{f} = {f}" for f in fields] + [""]
    for f in fields:
        lines += ["    @property", f"    def {f}(self):", f"        return self._{f}", ""]
        lines += [f"    @{f}.setter", f"    def {f}(self, value):", f"        self._{f} = value", ""]
    return "\n".join(lines).rstrip()


def gen_accessor_csharp(rng: random.Random) -> str:
    cls = rng.choice(CLASSES)
    fields = rng.sample(FIELDS, rng.randint(5, 7))
    lines = ["using System;", "", "namespace Shop.Models", "{", f"    public class {cls}", "    {"]
    for f in fields:
        t = JAVA_TYPES.get(f, "string")
        lines += [f"        private {t} _{f};", f"        public {t} {cap(f)}", "        {"]
        lines += [f"            get {{ return _{f}; }}", f"            set {{ _{f} = value; }}", "        }", ""]
    return "\n".join(lines).rstrip() + "\n    }\n}"


def gen_config_ini(rng: random.Random) -> str:
    sections = rng.sample(["server", "database", "cache", "logging", "mail", "auth", "storage", "queue", "metrics"], 5)
    lines = [f"; {rng.choice(['Application', 'Service', 'Worker'])} configuration", ""]
    for s in sections:
        lines.append(f"[{s}]")
        for key in rng.sample(
            ["host", "port", "user", "password", "timeout", "enabled", "level", "path", "retries"], 4
        ):
            values = {
                "host": rng.choice(["localhost", "127.0.0.1", f"{s}.internal"]),
                "port": str(rng.randint(1000, 9999)),
                "user": rng.choice(["app", "admin", s]),
                "password": rng.choice(["changeme", "secret", "${" + s.upper() + "_PASSWORD}"]),
                "timeout": str(rng.randint(1, 60)),
                "enabled": rng.choice(["true", "false"]),
                "level": rng.choice(["info", "debug", "warning"]),
                "path": f"/var/lib/app/{s}",
                "retries": str(rng.randint(1, 9)),
            }
            lines.append(f"{key} = {values[key]}")
        lines.append("")
    return "\n".join(lines).rstrip()


def gen_html_nav(rng: random.Random) -> str:
    items = rng.sample(SITE, rng.randint(8, 12))
    lines = ['<nav class="main-nav" role="navigation">', '  <ul class="menu">']
    for item in items:
        slug = re.sub(r"[^a-z]+", "-", item.lower()).strip("-")
        lines += [f'    <li class="menu-item"><a href="/{slug}/" title="{item}">{item}</a></li>']
    lines += ["  </ul>", "</nav>", '<div class="breadcrumbs">']
    lines += [f'  <a href="/">Home</a> &raquo; <a href="/{items[0].lower()}/">{items[0]}</a>', "</div>"]
    return "\n".join(lines)


def gen_sql_insert(rng: random.Random) -> str:
    table = rng.choice(["customers", "orders", "products", "employees"])
    lines = [f"-- Dump of table {table}", f"LOCK TABLES `{table}` WRITE;"]
    for i in range(rng.randint(7, 10)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lines.append(
            f"INSERT INTO `{table}` (`id`, `name`, `email`, `city`, `created_at`) VALUES ({i + 1}, '{first} {last}', "
            f"'{first.lower()}.{last.lower()}@example.com', '{rng.choice(PLACES)}', '2023-0{rng.randint(1, 9)}-1{i % 10}');"
        )
    return "\n".join(lines + ["UNLOCK TABLES;"])


def gen_product_listing(rng: random.Random) -> str:
    lines = [rng.choice(["Best sellers", "New arrivals", "Today's deals", "Shop all products"]), ""]
    for _ in range(rng.randint(8, 11)):
        name = f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
        price = rng.randint(5, 199) + rng.choice([0.99, 0.49, 0.0])
        stock = rng.choice(["In stock", "In stock", "Only 3 left", "Out of stock"])
        lines.append(f"{name} - {rng.choice(COLORS)} - ${price:.2f} - {stock} - ★{rng.randint(30, 50) / 10}")
    return "\n".join(lines)


def gen_opening_hours(rng: random.Random) -> str:
    lines = []
    for place in rng.sample(PLACES, 3):
        lines += [f"{place} - opening hours"]
        for day in DAYS:
            if day == "Sunday" or rng.random() < 0.1:
                lines.append(f"{day}: closed")
            else:
                lines.append(
                    f"{day}: {rng.choice([8, 9, 10])}:00 - {rng.choice([17, 18, 19, 20])}:{rng.choice(['00', '30'])}"
                )
        lines.append("")
    return "\n".join(lines).rstrip()


def gen_tag_cloud(rng: random.Random) -> str:
    tags = rng.sample(TAGS, rng.randint(24, 32))
    if rng.random() < 0.5:
        return "Tags: " + " ".join(f"{t} ({rng.randint(1, 90)})" for t in tags)
    return (
        "Popular tags\n"
        + " · ".join(tags)
        + "\nArchives\n"
        + " · ".join(f"{m} 2023" for m in ["January", "February", "March", "April", "May", "June", "July", "August"])
    )


def gen_word_list(rng: random.Random, pool: list[str], title: str) -> str:
    words = sorted(rng.sample(pool, rng.randint(30, 45)))
    if rng.random() < 0.5:
        return f"{title}\n" + "\n".join(words)
    return f"{title}: " + ", ".join(words) + "."


def gen_event_schedule(rng: random.Random) -> str:
    month = rng.choice(["March", "April", "May", "September", "October"])
    lines = [f"Events in {month} 2024", ""]
    for day in sorted(rng.sample(range(1, 29), 9)):
        lines.append(
            f"{rng.choice(DAYS)[:3]} {day} {month[:3]} | {rng.randint(9, 20)}:{rng.choice(['00', '30'])} | "
            f"{rng.choice(['Workshop', 'Concert', 'Reading', 'Market', 'Meetup', 'Tour'])}: "
            f"{rng.choice(TAGS).capitalize()} | {rng.choice(PLACES)} | Free entry"
        )
    return "\n".join(lines)


def gen_multiplication_table(rng: random.Random) -> str:
    a = rng.randint(2, 19)
    lines = [f"Multiplication table of {a}"]
    lines += [f"{a} x {b} = {a * b}" for b in range(1, 13)]
    c = rng.randint(2, 19)
    lines += ["", f"Multiplication table of {c}"] + [f"{c} x {b} = {c * b}" for b in range(1, 13)]
    return "\n".join(lines)


def gen_unit_conversion(rng: random.Random) -> str:
    unit, target, factor = rng.choice(UNITS)
    lines = [f"{unit.capitalize()} to {target} conversion chart", f"{unit}s | {target}"]
    lines += [f"{n} | {n * factor:.4g}" for n in list(range(1, 11)) + [15, 20, 25, 50, 100]]
    return "\n".join(lines)


def gen_math_toc(rng: random.Random) -> str:
    topics = rng.sample(MATH_TOPICS, 10)
    lines = [f"{rng.choice(['Pre-Algebra', 'Grade 7 Mathematics', 'Foundations of Math'])}: Table of Contents", ""]
    page = 1
    for ch, topic in enumerate(topics, 1):
        lines.append(f"Chapter {ch}  {topic} {'.' * (32 - len(topic))} {page}")
        for sec in range(1, rng.randint(2, 4)):
            page += rng.randint(3, 9)
            lines.append(
                f"   {ch}.{sec}  {rng.choice(['Introduction', 'Practice', 'Review', 'Word Problems'])} ... {page}"
            )
        page += rng.randint(4, 12)
    return "\n".join(lines)


def gen_formula_sheet(rng: random.Random) -> str:
    lines = ["Formula sheet", ""] + [f"{name}: {formula}" for name, formula in rng.sample(FORMULAS, 16)]
    return "\n".join(lines)


def gen_grade_table(rng: random.Random) -> str:
    lines = ["student,quiz1,quiz2,midterm,final,average,grade"]
    for _ in range(rng.randint(10, 14)):
        marks = [rng.randint(55, 100) for _ in range(4)]
        mean = sum(marks) / 4
        grade = "A" if mean >= 90 else "B" if mean >= 80 else "C" if mean >= 70 else "D"
        lines.append(f"{rng.choice(FIRST)} {rng.choice(LAST)},{','.join(map(str, marks))},{mean:.1f},{grade}")
    return "\n".join(lines)


def gen_site_menu(rng: random.Random) -> str:
    topics = rng.sample(MATH_TOPICS, 12)
    lines = ["Math Help Online", " | ".join(rng.sample(SITE, 6)), "", "Topics"]
    lines += [f"> {t} worksheets" for t in topics]
    lines += ["", " | ".join(rng.sample(SITE, 7)), "© 2024 Math Help Online. All rights reserved."]
    return "\n".join(lines)


# ---------------------------------------------------------------- the two parts


def build(data: Path) -> tuple[list[dict], list[dict], set[str]]:
    """(dev rows, held-out rows, Debian packages whose files were used)."""
    rng = random.Random(20250507)
    dev: list[dict] = []
    held: list[dict] = []
    packages: set[str] = set()

    def add(rows: list[dict], domain: str, label: str, kind: str, source: str, text: str) -> None:
        text = text.strip()
        rows.append(dict(domain=domain, label=label, kind=kind, source=source, text=text))

    # math, real: GSM8K train (dev), test (held-out; half without calculator annotations)
    for kind, text in gsm8k_docs(data / "gsm8k" / "train.jsonl", 24, rng, clean_half=False):
        add(dev, "math", "real", kind, "gsm8k/train.jsonl", text)
    for kind, text in gsm8k_docs(data / "gsm8k" / "test.jsonl", 24, rng, clean_half=True):
        add(held, "math", "real", kind, "gsm8k/test.jsonl", text)

    # code, real: standard-library functions and classes (other modules in each part)
    for rows, modules in ((dev, DEV_CODE_MODULES), (held, HELD_CODE_MODULES)):
        found = stdlib_functions(modules)
        classes = [f for f in found if f[0] == "python_class"]
        functions = [f for f in found if f[0] == "python_function"]
        picks = rng.sample(classes, min(6, len(classes)))
        picks += rng.sample(functions, 24 - len(picks))
        for kind, module, text in picks:
            add(rows, "code", "real", kind, f"python3.11 stdlib: {module}", text)

    # general, real: encyclopedia prose (wikitext-2 valid / test) and library documentation
    for rows, split in ((dev, "valid"), (held, "test")):
        articles = wikitext_articles(data / "wikitext-2" / f"{split}.txt")
        paragraphs = [(t, p) for t, _, ps in articles for p in ps if 500 <= len(p) <= 1600 and p.count("<unk>") <= 2]
        for title, paragraph in rng.sample(paragraphs, 12):
            add(rows, "general", "real", "encyclopedia", f"wikitext-2/{split}.txt: {title}", paragraph)
    for module, doc in rng.sample(stdlib_docstrings(DEV_DOC_MODULES), 12):
        add(dev, "general", "real", "library_doc", f"python3.11 stdlib: {module}", doc)
    node_md = sorted(NODE_API.glob("*.md"))
    for name, section in rng.sample(node_doc_sections(node_md), 12):
        add(held, "general", "real", "library_doc_markdown", f"/usr/share/doc/nodejs/api/{name}", section)
        packages.add("nodejs")

    # boilerplate, development kinds
    for package, text in debian_changelogs(rng, 3):
        add(dev, "code", "boilerplate", "changelog", f"/usr/share/doc/{package}/changelog.Debian.gz", text)
        packages.add(package)
    for _ in range(3):
        add(dev, "code", "boilerplate", "accessor_java", "generated", gen_accessor_java(rng))
    for _ in range(2):
        add(dev, "code", "boilerplate", "config_ini", "generated", gen_config_ini(rng))
    tocs = wikitext_tocs(wikitext_articles(data / "wikitext-2" / "valid.txt"), rng, 3, dotted=False)
    tocs[2:] = wikitext_tocs(wikitext_articles(data / "wikitext-2" / "valid.txt"), rng, 1, dotted=True)
    for title, text in tocs:
        add(dev, "general", "boilerplate", "toc", f"wikitext-2/valid.txt headings: {title}", text)
    for _ in range(3):
        add(dev, "general", "boilerplate", "product_listing", "generated", gen_product_listing(rng))
    for _ in range(2):
        add(dev, "general", "boilerplate", "opening_hours", "generated", gen_opening_hours(rng))
    for _ in range(3):
        add(dev, "math", "boilerplate", "multiplication_table", "generated", gen_multiplication_table(rng))
    for _ in range(3):
        add(dev, "math", "boilerplate", "unit_conversion", "generated", gen_unit_conversion(rng))
    for _ in range(2):
        add(dev, "math", "boilerplate", "math_toc", "generated", gen_math_toc(rng))

    # boilerplate, held-out kinds (none of them in dev)
    for package, text in debian_copyrights(rng, 2):
        add(held, "code", "boilerplate", "copyright_file", f"/usr/share/doc/{package}/copyright", text)
        packages.add(package)
    add(held, "code", "boilerplate", "accessor_python", "generated", gen_accessor_python(rng))
    add(held, "code", "boilerplate", "accessor_csharp", "generated", gen_accessor_csharp(rng))
    for _ in range(2):
        add(held, "code", "boilerplate", "html_nav", "generated", gen_html_nav(rng))
    for _ in range(2):
        add(held, "code", "boilerplate", "sql_insert", "generated", gen_sql_insert(rng))
    for _ in range(2):
        add(held, "general", "boilerplate", "tag_cloud", "generated", gen_tag_cloud(rng))
    for _ in range(2):
        add(held, "general", "boilerplate", "word_list", "generated", gen_word_list(rng, COMMON_WORDS, "Word list"))
    for name, text in node_navigation(rng, 2):
        add(held, "general", "boilerplate", "doc_navigation", f"/usr/share/doc/nodejs/api/{name} (navigation)", text)
    for _ in range(2):
        add(held, "general", "boilerplate", "event_schedule", "generated", gen_event_schedule(rng))
    for _ in range(2):
        add(held, "math", "boilerplate", "formula_sheet", "generated", gen_formula_sheet(rng))
    for _ in range(2):
        add(held, "math", "boilerplate", "grade_table", "generated", gen_grade_table(rng))
    for _ in range(2):
        add(
            held,
            "math",
            "boilerplate",
            "math_word_list",
            "generated",
            gen_word_list(rng, MATH_WORDS, "Math vocabulary"),
        )
    for _ in range(2):
        add(held, "math", "boilerplate", "site_menu", "generated", gen_site_menu(rng))

    for prefix, rows in (("dev", dev), ("held", held)):
        rows.sort(key=lambda r: (r["domain"], r["label"], r["kind"]))
        for i, row in enumerate(rows):
            row["id"] = f"{prefix}-{row['domain']}-{i:03d}"
    return dev, held, packages


# ---------------------------------------------------------------- dev2: a wider development part
#
# Built after the first held-out check, to measure the rule on more kinds than dev has: boilerplate
# from system files (C headers, stdlib data tables, npm package.json files, logs, tables of the
# tz database and /etc/services, dpkg status, licence texts) and from new generators (spec sheets,
# league tables, recipes, contacts, value tables, answer keys, worksheets, calendars), and real
# text of other kinds (JavaScript from npm, other stdlib modules, the Python language reference).

NPM = Path("/usr/lib/node_modules/npm")
DEV2_CODE_MODULES = ("json.decoder", "argparse", "datetime", "logging", "tokenize", "zipfile", "configparser")
INCLUDE = Path("/usr/include/linux")


def npm_functions() -> list[str]:
    """Top-level functions and classes of npm's own sources (lib/), 400-1800 characters."""
    found = []
    block = re.compile(
        r"^(?:async function|function|class|const \w+ = (?:async )?(?:\([^)]*\)|\w+) =>)[^\n]*\{\n.*?^\}\n", re.S | re.M
    )
    for path in sorted((NPM / "lib").rglob("*.js")):
        for match in block.finditer(path.read_text(encoding="utf-8")):
            text = match.group(0)
            if 400 <= len(text) <= 1800 and text.count("\n") >= 8:
                found.append(text)
    return found


def language_reference(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(topic, section) of the Python language reference (pydoc_data.topics), 600-1800 characters
    of prose paragraphs (code samples left in)."""
    from pydoc_data.topics import topics

    found = []
    for name in sorted(topics):
        paragraphs = [p.strip() for p in topics[name].split("\n\n") if p.strip()]
        doc = ""
        for paragraph in paragraphs:
            if len(doc) + len(paragraph) > 1800:
                break
            doc += paragraph + "\n\n"
        doc = doc.strip()
        if len(doc) >= 600 and sum(len(p.split()) >= 12 for p in doc.split("\n\n")) >= 2:
            found.append((name, doc))
    return rng.sample(found, n)


def c_defines(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(header, text): 25-40 consecutive lines of a Linux UAPI header that are mostly #define."""
    docs = []
    for path in rng.sample(sorted(INCLUDE.glob("*.h")), len(list(INCLUDE.glob("*.h")))):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for start in range(0, max(0, len(lines) - 30), 10):
            window = lines[start : start + 32]
            if sum(line.startswith("#define") for line in window) >= 24:
                docs.append((path.name, "\n".join(window)))
                break
        if len(docs) == n:
            break
    return docs


def stdlib_data_tables() -> list[tuple[str, str]]:
    """(module, excerpt) of tables in the standard library's sources: a code page's decoding table,
    the HTML entity table, the locale alias table."""
    out = []
    source = inspect.getsource(importlib.import_module("encodings.cp1252"))
    start = source.index("decoding_table = (")
    out.append(("encodings.cp1252", "\n".join(source[start:].splitlines()[40:76])))
    source = inspect.getsource(importlib.import_module("html.entities"))
    start = source.index("name2codepoint = {")
    out.append(("html.entities", "\n".join(source[start:].splitlines()[:36])))
    source = inspect.getsource(importlib.import_module("locale"))
    start = source.index("locale_alias = {")
    out.append(("locale", "\n".join(source[start:].splitlines()[200:236])))
    return out


def npm_package_files(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(package, package.json text) of npm's bundled packages, 700-1800 characters."""
    paths = sorted((NPM / "node_modules").glob("*/package.json"))
    docs = []
    for path in rng.sample(paths, len(paths)):
        text = path.read_text(encoding="utf-8")
        if 700 <= len(text) <= 1800:
            docs.append((f"{path.parent.name} ({json.loads(text).get('license', '?')})", text))
        if len(docs) == n:
            break
    return docs


def log_excerpts(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(file, 30 consecutive lines) of this machine's dpkg log."""
    lines = Path("/var/log/dpkg.log").read_text(encoding="utf-8", errors="replace").splitlines()
    starts = sorted(rng.sample(range(0, max(1, len(lines) - 30)), n))
    return [("/var/log/dpkg.log", "\n".join(lines[s : s + 30])) for s in starts]


def table_excerpts(rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, source, 30 lines) of tab-separated system tables: the tz database's zone1970.tab
    and /etc/services (comments left out)."""
    out = []
    for kind, path in (("tz_table", "/usr/share/zoneinfo/zone1970.tab"), ("services_table", "/etc/services")):
        lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
        for _ in range(2):
            start = rng.randrange(0, len(lines) - 30)
            out.append((kind, path, "\n".join(lines[start : start + 30])))
    return out


def dpkg_stanzas(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(package, stanza) of /var/lib/dpkg/status with its Description, 600-1800 characters."""
    stanzas = Path("/var/lib/dpkg/status").read_text(encoding="utf-8", errors="replace").split("\n\n")
    picked = []
    for stanza in rng.sample(stanzas, len(stanzas)):
        if 600 <= len(stanza) <= 1800:
            picked.append((stanza.split("\n", 1)[0].removeprefix("Package: "), stanza))
        if len(picked) == n:
            break
    return picked


def licence_texts(n: int) -> list[tuple[str, str]]:
    """(licence, its first 1,400 characters cut at a paragraph) of /usr/share/common-licenses."""
    out = []
    for name in ("Apache-2.0", "GPL-3", "MPL-2.0")[:n]:
        text = Path("/usr/share/common-licenses", name).read_text(encoding="utf-8")
        out.append((name, text[: text.rfind("\n\n", 0, 1400)].strip()))
    return out


STREETS = "Oak Street|Mill Road|Station Avenue|High Street|Park Lane|Church Road|River Way|Hill Crescent".split("|")
TOWNS = "Springfield|Riverton|Lakeside|Fairview|Greenwood|Maple Falls|Brookhaven|Westbury".split("|")
TEAMS = "Rovers|United|City|Athletic|Wanderers|Rangers|Albion|Town|Harriers|Olympic|Dynamo|Celtic".split("|")
INGREDIENTS = (
    "flour|sugar|butter|eggs|milk|salt|baking powder|vanilla extract|olive oil|garlic|onion|tomatoes|"
    "basil|black pepper|lemon juice|honey|rice|chicken stock|carrots|celery|parsley|cinnamon|yogurt|oats"
).split("|")
QUANTITIES = "1 cup|2 cups|1/2 cup|1 tbsp|2 tbsp|1 tsp|1/2 tsp|200 g|100 g|2|3|1 pinch|250 ml|1 can".split("|")


def gen_spec_sheet(rng: random.Random) -> str:
    name = f"{rng.choice(ADJ)} {rng.choice(NOUN)}"
    specs = [
        ("Brand", rng.choice(["Nordvik", "Alto", "Kessler", "Brightline", "Orlo"])),
        ("Model", f"{rng.choice('ABCXZ')}{rng.randint(100, 999)}-{rng.choice(['S', 'M', 'L', 'XL'])}"),
        ("Colour", rng.choice(COLORS)),
        ("Material", rng.choice(["Stainless steel", "Aluminium", "ABS plastic", "Bamboo", "Glass"])),
        ("Dimensions", f"{rng.randint(10, 60)} x {rng.randint(10, 60)} x {rng.randint(5, 40)} cm"),
        ("Weight", f"{rng.randint(2, 95) / 10} kg"),
        ("Power", f"{rng.choice([600, 800, 1000, 1200, 1500])} W"),
        ("Voltage", rng.choice(["220-240 V", "110-120 V"])),
        ("Capacity", f"{rng.choice([0.5, 1, 1.5, 1.7, 2])} L"),
        ("Warranty", f"{rng.randint(1, 5)} years"),
        ("Country of origin", rng.choice(["Germany", "China", "Poland", "Vietnam", "Italy"])),
        ("EAN", str(rng.randint(10**12, 10**13 - 1))),
        ("In the box", f"{name}, user manual, power cord"),
        ("Rating", f"{rng.randint(30, 50) / 10} out of 5 ({rng.randint(5, 900)} reviews)"),
    ]
    return f"{name} - technical specifications\n\n" + "\n".join(f"{k}: {v}" for k, v in specs)


def gen_league_table(rng: random.Random) -> str:
    teams = rng.sample([f"{rng.choice(TOWNS)} {t}" for t in TEAMS], 10)
    rows = []
    for team in teams:
        won, drawn, lost = rng.randint(3, 20), rng.randint(2, 10), rng.randint(3, 18)
        scored, conceded = rng.randint(20, 70), rng.randint(20, 70)
        rows.append((3 * won + drawn, team, won + drawn + lost, won, drawn, lost, scored, conceded))
    rows.sort(reverse=True)
    lines = [
        f"League table {rng.choice(['2022/23', '2023/24'])}",
        "Pos  Team                   P   W   D   L   GF  GA  Pts",
    ]
    for i, (points, team, played, won, drawn, lost, scored, conceded) in enumerate(rows, 1):
        lines.append(f"{i:<4} {team:<22} {played:<3} {won:<3} {drawn:<3} {lost:<3} {scored:<3} {conceded:<3} {points}")
    return "\n".join(lines)


def gen_recipe_card(rng: random.Random) -> str:
    lines = [
        f"{rng.choice(['Easy', 'Classic', 'Quick', 'Homemade'])} {rng.choice(NOUN).split()[-1].lower()} recipe",
        "",
    ]
    lines += [
        f"Prep time: {rng.randint(5, 30)} min",
        f"Cook time: {rng.randint(10, 90)} min",
        f"Serves: {rng.randint(2, 8)}",
    ]
    lines += ["", "Ingredients"]
    lines += [f"- {rng.choice(QUANTITIES)} {item}" for item in rng.sample(INGREDIENTS, 11)]
    lines += ["", "Nutrition per serving"]
    lines += [f"{k}: {rng.randint(2, 60)}{u}" for k, u in (("Fat", " g"), ("Carbohydrates", " g"), ("Protein", " g"))]
    lines += [f"Calories: {rng.randint(150, 700)} kcal"]
    return "\n".join(lines)


def gen_contact_directory(rng: random.Random) -> str:
    lines = [f"{rng.choice(TOWNS)} business directory", ""]
    for _ in range(7):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        place = rng.choice(PLACES)
        lines += [
            f"{last} & {rng.choice(LAST)} {rng.choice(['Ltd', 'GmbH', 'and Sons', 'Partners'])} ({place})",
            f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}",
            f"Tel. +44 {rng.randint(1000, 9999)} {rng.randint(100000, 999999)} | {first.lower()}@{last.lower()}.example",
            "",
        ]
    return "\n".join(lines).rstrip()


def gen_timetable(rng: random.Random) -> str:
    stops = rng.sample(TOWNS + [p for p in PLACES[:6]], 8)
    start = rng.randint(5, 8) * 60
    lines = [f"Bus {rng.randint(10, 99)}: {stops[0]} - {stops[-1]}, Monday to Friday", ""]
    for trip in range(6):
        minute = start + trip * rng.choice([30, 40, 60])
        times = []
        for _ in stops:
            times.append(f"{minute // 60:02d}:{minute % 60:02d}")
            minute += rng.randint(3, 9)
        lines.append(" ".join(times))
    return "\n".join(["  ".join(f"{s[:10]:<10}" for s in stops)] + lines)


def gen_value_table(rng: random.Random) -> str:
    kind = rng.choice(["squares", "powers", "roots"])
    start = rng.randint(1, 30)
    lines = [f"Table of {kind} from {start} to {start + 24}", "n | value"]
    for n in range(start, start + 25):
        value = n * n if kind == "squares" else 2**n if kind == "powers" else round(n**0.5, 4)
        lines.append(f"{n} | {value}")
    return "\n".join(lines)


def gen_prime_list(rng: random.Random) -> str:
    limit = rng.choice([300, 400, 500])
    primes = [p for p in range(2, limit) if all(p % d for d in range(2, int(p**0.5) + 1))]
    return f"Prime numbers up to {limit}\n" + ", ".join(map(str, primes))


def gen_trig_table(rng: random.Random) -> str:
    import math

    step = rng.choice([5, 6])
    lines = ["Angle (deg)   sin      cos      tan"]
    for degrees in range(0, 90, step):
        r = math.radians(degrees)
        lines.append(f"{degrees:<13} {math.sin(r):.4f}   {math.cos(r):.4f}   {math.tan(r):.4f}")
    return "Trigonometric table\n" + "\n".join(lines)


def gen_answer_key(rng: random.Random) -> str:
    lines = [f"Answer key - Unit {rng.randint(1, 12)} test ({rng.choice(MATH_TOPICS)})", ""]
    for q in range(1, 31):
        answer = rng.choice(["A", "B", "C", "D"]) if rng.random() < 0.6 else str(rng.randint(-20, 150))
        lines.append(f"{q}. {answer}")
    return "\n".join(lines)


def gen_worksheet(rng: random.Random) -> str:
    op = rng.choice(["+", "-", "x", "÷"])
    names = {"+": "addition", "-": "subtraction", "x": "multiplication", "÷": "division"}
    lines = [
        f"Worksheet: {names[op]}",
        "",
        "Name: ____________   Date: ________",
        "",
    ]
    for q in range(1, 21):
        a, b = rng.randint(10, 99), rng.randint(2, 40)
        a = a * b if op == "÷" else a
        lines.append(f"{q}) {a} {op} {b} = ______")
    return "\n".join(lines)


def gen_calendar(rng: random.Random) -> str:
    import calendar

    year, month = rng.randint(2020, 2026), rng.randint(1, 11)
    text = (
        calendar.TextCalendar().formatmonth(year, month) + "\n" + calendar.TextCalendar().formatmonth(year, month + 1)
    )
    return "Calendar\n" + text


def build_dev2(data: Path, used: set[str]) -> tuple[list[dict], set[str]]:
    """dev2 rows (none of their texts in `used`, the texts of dev and held-out) and Debian
    packages whose files were used."""
    rng = random.Random(20250715)
    rows: list[dict] = []
    packages: set[str] = set()

    def add(domain: str, label: str, kind: str, source: str, text: str) -> None:
        text = text.strip()
        if text not in used:
            rows.append(dict(domain=domain, label=label, kind=kind, source=source, text=text))

    # real
    problems = [json.loads(line) for line in (data / "gsm8k" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    count = 0
    for p in rng.sample(problems, 400):
        text = p["question"].strip() + "\n" + p["answer"].strip()
        if not any(p["question"].strip() in u for u in used) and count < 16:
            add("math", "real", "worked_math", "gsm8k/train.jsonl", text)
            count += 1
    for text in rng.sample(npm_functions(), 8):
        add("code", "real", "javascript", "npm lib/ (Artistic-2.0)", text)
    functions = [f for f in stdlib_functions(DEV2_CODE_MODULES)]
    for kind, module, text in rng.sample(functions, 8):
        add("code", "real", kind, f"python3.11 stdlib: {module}", text)
    for name, text in language_reference(rng, 8):
        add("general", "real", "language_reference", f"python3.11 pydoc_data.topics: {name}", text)
    articles = wikitext_articles(data / "wikitext-2" / "valid.txt")
    paragraphs = [(t, p) for t, _, ps in articles for p in ps if 500 <= len(p) <= 1600 and p.count("<unk>") <= 2]
    picked = 0
    for title, paragraph in rng.sample(paragraphs, len(paragraphs)):
        if paragraph not in used and picked < 8:
            add("general", "real", "encyclopedia", f"wikitext-2/valid.txt: {title}", paragraph)
            picked += 1

    # boilerplate
    for name, text in c_defines(rng, 2):
        add("code", "boilerplate", "c_defines", f"/usr/include/linux/{name}", text)
    for module, text in stdlib_data_tables()[:2]:
        add("code", "boilerplate", "data_table", f"python3.11 stdlib: {module}", text)
    for name, text in npm_package_files(rng, 2):
        add("code", "boilerplate", "package_json", f"npm node_modules/{name}", text)
    for name, text in log_excerpts(rng, 2):
        add("code", "boilerplate", "log_file", name, text)
    for name, text in dpkg_stanzas(rng, 2):
        add("general", "boilerplate", "package_status", f"/var/lib/dpkg/status: {name}", text)
        packages.add(name)
    for kind, source, text in table_excerpts(rng):
        add("general", "boilerplate", kind, source, text)
        packages.add("tzdata" if kind == "tz_table" else "netbase")
    for name, text in licence_texts(2):
        add("general", "boilerplate", "licence_text", f"/usr/share/common-licenses/{name}", text)
    for _ in range(2):
        add("general", "boilerplate", "spec_sheet", "generated", gen_spec_sheet(rng))
    for _ in range(2):
        add("general", "boilerplate", "league_table", "generated", gen_league_table(rng))
    for _ in range(2):
        add("general", "boilerplate", "recipe_card", "generated", gen_recipe_card(rng))
    for _ in range(2):
        add("general", "boilerplate", "contact_directory", "generated", gen_contact_directory(rng))
    for _ in range(2):
        add("general", "boilerplate", "timetable", "generated", gen_timetable(rng))
    for _ in range(2):
        add("math", "boilerplate", "value_table", "generated", gen_value_table(rng))
    for _ in range(2):
        add("math", "boilerplate", "prime_list", "generated", gen_prime_list(rng))
    for _ in range(2):
        add("math", "boilerplate", "trig_table", "generated", gen_trig_table(rng))
    for _ in range(2):
        add("math", "boilerplate", "answer_key", "generated", gen_answer_key(rng))
    for _ in range(2):
        add("math", "boilerplate", "worksheet", "generated", gen_worksheet(rng))
    for _ in range(2):
        add("math", "boilerplate", "calendar", "generated", gen_calendar(rng))

    rows.sort(key=lambda r: (r["domain"], r["label"], r["kind"]))
    for i, row in enumerate(rows):
        row["id"] = f"dev2-{row['domain']}-{i:03d}"
    return rows, packages


def first_license(package: str) -> str:
    """The licence names of a Debian package's copyright file (its License: fields, in order)."""
    path = DOC / package / "copyright"
    names = re.findall(r"^License: *(\S.*)$", path.read_text(encoding="utf-8", errors="replace"), flags=re.M)
    known = {"nodejs": "MIT (the Node.js licence)"}
    return ", ".join(dict.fromkeys(n.strip() for n in names)) or known.get(package, "see its copyright file")


LICENSES_HEAD = """# Sources and licences of the calibration set

Built by `bench/build_calibration.py` (deterministic); every document's `source` field names
where its text comes from.

| source | used for | licence |
|---|---|---|
| GSM8K (`gsm8k/train.jsonl`, `gsm8k/test.jsonl`), Cobbe et al. 2021 | real math: question + worked answer | MIT |
| wikitext-2 (`wikitext-2/valid.txt`, `test.txt`), Merity et al. 2016, from Wikipedia | real prose (detokenised paragraphs); article headings for tables of contents | CC BY-SA 3.0 |
| Python 3.11 standard library sources | real code (functions, classes) and documentation (docstrings) | PSF License Agreement (PSF-2.0) |
| Node.js API documentation (`/usr/share/doc/nodejs/api/*.md`, `*.html`) | real documentation (markdown sections); page navigation (boilerplate) | MIT (Node.js licence) |
| text generated by `bench/build_calibration.py` from its own templates and word pools | boilerplate: accessors, configs, listings, menus, tables, schedules, word lists | Apache-2.0 (this project) |
| npm's sources (`/usr/lib/node_modules/npm/lib`) | dev2 real code (JavaScript) | Artistic-2.0 |
| npm's bundled packages' `package.json` files | dev2 boilerplate; each document's `source` names the package and its licence | as named (ISC, MIT, ...) |
| Python 3.11 `pydoc_data.topics` (the language reference) | dev2 real documentation | PSF-2.0 |
| Linux UAPI headers (`/usr/include/linux`) | dev2 boilerplate (`#define` tables) | GPL-2.0 WITH Linux-syscall-note |
| `/usr/share/common-licenses` | dev2 boilerplate (licence texts) | verbatim copying permitted by each licence |
| `/var/log/dpkg.log` of the build machine | dev2 boilerplate (log lines) | machine-generated, no creative content |

Debian packages whose `/usr/share/doc/PACKAGE/changelog.Debian.gz` or `copyright` file was used
(boilerplate; dev2: `/var/lib/dpkg/status` stanzas, `/etc/services`, the tz database's
`zone1970.tab`), with the licences their copyright file names:

| package | licence (copyright file) |
|---|---|
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "calibration")
    args = parser.parse_args()
    data = args.data if (args.data / "gsm8k").is_dir() else Path("/work/shared/data")
    dev, held, packages = build(data)
    dev2, more = build_dev2(data, {row["text"] for row in dev + held})
    packages |= more
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("dev.jsonl", dev), ("heldout.jsonl", held), ("dev2.jsonl", dev2)):
        keys = ("id", "domain", "label", "kind", "source", "text")
        lines = [json.dumps({k: row[k] for k in keys}, ensure_ascii=False) for row in rows]
        (args.out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = "".join(f"| {p} | {first_license(p)} |\n" for p in sorted(packages))
    (args.out / "LICENSES.md").write_text(LICENSES_HEAD + table, encoding="utf-8")
    for name, rows in (("dev", dev), ("held-out", held), ("dev2", dev2)):
        kinds: dict[str, int] = {}
        for row in rows:
            kinds[f"{row['domain']}/{row['label']}/{row['kind']}"] = (
                kinds.get(f"{row['domain']}/{row['label']}/{row['kind']}", 0) + 1
            )
        print(f"{name}: {len(rows)} documents; " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
