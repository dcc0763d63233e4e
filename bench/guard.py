"""Measure the selection guard on the calibration set and on the sample corpus.

Scores tests/fixtures/calibration/{dev,dev2,heldout}.jsonl with the embedded model and the shipped
heads, then for each part:
  - precision and recall of the guard (boilerplate excluded = positive), exclusion rate per kind,
    every real document it excludes, with the reason;
  - the selection at --fraction per domain through the real `select` (a run folder is built from
    the scores and the measures the pipeline computes; `select` writes DIR/selected/ and
    DIR/excluded.parquet): boilerplate kept overall, real documents kept per domain, with the
    default guard and with --no-guard (the baseline).
Then the selection of the sample corpus examples/corpus at --sample-fraction, with and without.

    PYTHONPATH=src python bench/guard.py [--cache /tmp/guard-scores.json] [--write-fixture-scores]

--cache keeps the model's scores (keyed by the text) so that a rerun only re-applies the guard;
--write-fixture-scores writes tests/fixtures/calibration/scores.jsonl (the calibration set's and
the sample corpus's scores), which the guard's tests read so that they need no model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import torch

from attention_influence.config import GuardSettings, SelectSettings
from attention_influence.measures import MEASURE_COLUMNS, text_measures
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import SCORE_SCHEMA, text_hash
from attention_influence.runs.sources import describe
from attention_influence.selection import select
from attention_influence.selection.guard import RULES, guard_reasons

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "tests" / "fixtures" / "calibration"
HEADS = REPO / "src" / "attention_influence" / "heads" / "shipped" / "smollm2-135m-instruct.json"
SCORE_FIELDS = ("n_tokens", "loss_base", "loss_masked", "score")
PARTS = ("dev", "dev2", "heldout")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample_corpus() -> list[dict]:
    """The documents of examples/corpus, domain = folder name."""
    docs = []
    for path in sorted((REPO / "examples" / "corpus").glob("*/*.jsonl")):
        docs += [dict(doc, domain=path.parent.name) for doc in read_jsonl(path)]
    return docs


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def score_docs(docs: list[dict], cache: dict, scorer_box: list) -> None:
    """Adds n_tokens, loss_base, loss_masked, score to each doc (from `cache` or the model)."""
    todo = [d for d in docs if text_key(d["text"]) not in cache]
    if todo:
        if not scorer_box:
            from attention_influence import Scorer, load_model

            model = load_model(None, device="cpu", dtype="float32")
            scorer_box.append(Scorer(model, str(HEADS), max_length=1024))
        start = time.perf_counter()
        for i in range(0, len(todo), 16):
            chunk = todo[i : i + 16]
            for doc, result in zip(chunk, scorer_box[0].score_texts([d["text"] for d in chunk]), strict=True):
                cache[text_key(doc["text"])] = {f: getattr(result, f) for f in SCORE_FIELDS}
        print(f"  scored {len(todo)} documents in {time.perf_counter() - start:.0f} s")
    for doc in docs:
        doc.update(cache[text_key(doc["text"])])


def score_table(docs: list[dict]) -> pa.Table:
    """The score rows as the run stores them: score columns, then the measures (float64)."""
    measures = [text_measures(d["text"]) for d in docs]
    columns = {f: [d[f] for d in docs] for f in SCORE_FIELDS}
    columns |= {name: pa.array([m[name] for m in measures], type=pa.float64()) for name in MEASURE_COLUMNS}
    return pa.table(columns)


def scored_run(folder: Path, docs: list[dict]) -> str:
    """A complete run folder holding `docs` (their stored scores, the measures the pipeline
    computes) over a JSONL corpus written next to it; returns the run's path."""
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs), encoding="utf-8")
    rows = []
    for row, doc in enumerate(docs):
        base = dict(id=doc["id"], domain=doc["domain"], source=str(corpus), row=row, truncated=False)
        base |= {f: doc[f] for f in SCORE_FIELDS} | {"text_hash": text_hash(doc["text"])}
        rows.append(base | text_measures(doc["text"]))
    table = pa.Table.from_pylist([{n: r.get(n) for n in SCORE_SCHEMA.names} for r in rows], schema=SCORE_SCHEMA)
    run = RunDir(str(folder / "run"))
    manifest = {
        "executor": "local",
        "model": {"name": "embedded:SmolLM2-135M-Instruct", "fingerprint": "bench"},
        "dtype": "float32",
        "heads": json.loads(HEADS.read_text())["selected"],
        "settings": {"fields": {"text": "text", "id": "id", "domain_field": "domain", "domain": None}},
        "sources": [describe(str(corpus)).as_dict()],
    }
    run.claim(manifest)
    run.start_shard(1, 0)
    run.write_chunk(0, 0, table, [])
    run.finish_shard(1, 0, {"records": len(docs), "seconds": 0.0})
    return run.uri


def selected_ids(run: str, settings: SelectSettings) -> set[str]:
    """The ids `select` keeps with `settings` (it writes DIR/selected/)."""
    select(run, settings)
    return {json.loads(line)["id"] for f in Path(run, "selected").iterdir() for line in f.read_text().splitlines()}


def report_part(name: str, docs: list[dict], settings: GuardSettings, fraction: float) -> dict:
    reasons = guard_reasons(score_table(docs), settings).to_pylist()
    excluded = [r is not None for r in reasons]
    boiler = [d["label"] == "boilerplate" for d in docs]
    tp = sum(e and b for e, b in zip(excluded, boiler, strict=True))
    fp = sum(e and not b for e, b in zip(excluded, boiler, strict=True))
    fn = sum(b and not e for e, b in zip(excluded, boiler, strict=True))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"\n## {name}: {len(docs)} documents ({sum(boiler)} boilerplate)")
    print(f"guard: precision {precision:.3f} ({tp}/{tp + fp}), recall {recall:.3f} ({tp}/{tp + fn})")
    kinds: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for doc, e in zip(docs, excluded, strict=True):
        kinds[(doc["label"], doc["kind"])].append(e)
    print("excluded per kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for (_, k), v in sorted(kinds.items())))
    for doc, reason in zip(docs, reasons, strict=True):
        if reason is not None and doc["label"] == "real":
            print(f"  real excluded: {doc['id']} ({doc['kind']}, score {doc['score']:.3f}): {reason}")
    for doc, reason in zip(docs, reasons, strict=True):
        if reason is None and doc["label"] == "boilerplate":
            print(f"  boilerplate not excluded: {doc['id']} ({doc['kind']}, score {doc['score']:.3f})")
    result = dict(precision=precision, recall=recall)
    domains = sorted({d["domain"] for d in docs})
    by_id = {d["id"]: d for d in docs}
    with tempfile.TemporaryDirectory() as folder:
        run = scored_run(Path(folder), docs)
        for label, guard in (("--no-guard", GuardSettings(enabled=False)), ("default guard", settings)):
            kept = [by_id[i] for i in sorted(selected_ids(run, SelectSettings(fraction, guard=guard)))]
            boiler_kept = [d for d in kept if d["label"] == "boilerplate"]
            real_kept = {dom: sum(d["domain"] == dom and d["label"] == "real" for d in kept) for dom in domains}
            print(
                f"select --fraction {fraction}, {label}: boilerplate kept {len(boiler_kept)} "
                f"({', '.join(d['kind'] for d in boiler_kept) or 'none'}); real kept per domain "
                + ", ".join(f"{dom} {n}/{sum(d['domain'] == dom for d in kept)}" for dom, n in real_kept.items())
            )
            result[label] = dict(boilerplate_kept=len(boiler_kept), real_kept=real_kept)
    return result


def report_sample(docs: list[dict], settings: GuardSettings, fraction: float) -> None:
    reasons = guard_reasons(score_table(docs), settings).to_pylist()
    print(f"\n## sample corpus examples/corpus: {len(docs)} documents, select --fraction {fraction}")
    by_id = {d["id"]: d for d in docs}
    with tempfile.TemporaryDirectory() as folder:
        run = scored_run(Path(folder), docs)
        for label, guard in (("--no-guard", GuardSettings(enabled=False)), ("default guard", settings)):
            kept = sorted(selected_ids(run, SelectSettings(fraction, guard=guard)))
            print(f"{label}: kept " + ", ".join(f"{i} ({by_id[i]['score']:.3f})" for i in kept))
    for doc, reason in zip(docs, reasons, strict=True):
        print(f"  {doc['id']:9s} score {doc['score']:.3f} base {doc['loss_base']:.2f}: {reason or 'ranked'}")


BROAD_MODULES = (  # standard-library modules none of the calibration parts uses
    "os re json collections typing email.message http.client asyncio.base_events pathlib tarfile unittest.case "
    "inspect dataclasses enum ast subprocess shutil xml.dom.minidom turtle tkinter pdb doctest optparse smtplib "
    "imaplib ftplib mailbox plistlib sched selectors socket ssl threading multiprocessing.pool "
    "concurrent.futures._base trace pstats cmd code codecs copy dis filecmp glob gzip hashlib hmac locale lzma "
    "netrc numbers operator platform poplib pydoc quopri reprlib secrets shelve site stat symtable sysconfig "
    "tabnanny tempfile timeit tomllib._parser traceback tracemalloc types uuid wave weakref webbrowser zipimport"
).split()


def real_text_rates(data: Path) -> None:
    """How often each structure rule (no model needed) excludes large populations of real text on
    this machine: every GSM8K problem with its worked answer, every wikitext-2 valid/test paragraph
    over 300 characters, functions and classes and docstrings of 77 more standard-library modules,
    npm's functions."""
    import re

    from build_calibration import npm_functions, stdlib_docstrings, stdlib_functions, wikitext_articles

    problems = [json.loads(line) for f in ("train", "test") for line in (data / "gsm8k" / f"{f}.jsonl").open()]
    gsm8k = [p["question"] + "\n" + p["answer"] for p in problems]
    populations = {
        "GSM8K question + answer": gsm8k,
        "GSM8K, calculator annotations removed": [re.sub(r"<<[^>]*>>", "", t) for t in gsm8k],
        "wikitext-2 paragraphs": [
            p
            for f in ("valid", "test")
            for _, _, ps in wikitext_articles(data / "wikitext-2" / f"{f}.txt")
            for p in ps
            if len(p) > 300
        ],
        "Python stdlib functions and classes": [t for _, _, t in stdlib_functions(tuple(BROAD_MODULES))],
        "Python stdlib docstrings": [d for _, d in stdlib_docstrings(tuple(BROAD_MODULES))],
        "npm functions (JavaScript)": npm_functions(),
    }
    settings = GuardSettings()
    rules = [(rule.column, rule.setting) for rule in RULES if rule.comparison == ">"]  # the text rules
    print("\n## real text excluded by the structure rules (share of documents)")
    print("| population | documents | " + " | ".join(c for c, _ in rules) + " | any |")
    print("|---|---:|" + "---:|" * (len(rules) + 1))
    for name, texts in populations.items():
        measures = [text_measures(t) for t in texts]
        hits = [[m[c] > getattr(settings, s) for c, s in rules] for m in measures]
        shares = [sum(h[i] for h in hits) / len(hits) for i in range(len(rules))]
        anyhit = sum(any(h) for h in hits) / len(hits)
        print(f"| {name} | {len(texts):,} | " + " | ".join(f"{x:.2%}" for x in shares) + f" | {anyhit:.2%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--sample-fraction", type=float, default=0.2)
    parser.add_argument("--parts", default=",".join(PARTS), help="calibration parts, comma-separated")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="JSON file of scores keyed by text, read and updated")
    parser.add_argument("--write-fixture-scores", action="store_true")
    parser.add_argument("--real-text", action="store_true", help="also: the structure rules on large real populations")
    parser.add_argument(
        "--data", type=Path, default=Path("/work/shared/data"), help="GSM8K and wikitext-2 (--real-text)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cache = json.loads(args.cache.read_text()) if args.cache and args.cache.is_file() else {}
    settings = GuardSettings()
    print(f"guard settings: {settings}")
    scorer_box: list = []
    names = args.parts.split(",") if not args.write_fixture_scores else list(PARTS)
    parts = {name: read_jsonl(CALIBRATION / f"{name}.jsonl") for name in names}
    sample = sample_corpus()
    for docs in [*parts.values(), sample]:
        score_docs(docs, cache, scorer_box)
    if args.cache:
        args.cache.write_text(json.dumps(cache))
    for name, docs in parts.items():
        report_part(name, docs, settings, args.fraction)
    report_sample(sample, settings, args.sample_fraction)
    if args.real_text:
        real_text_rates(args.data)
    if args.write_fixture_scores:
        scored = [d for docs in [*parts.values(), sample] for d in docs]
        lines = [json.dumps({"id": d["id"]} | {f: d[f] for f in SCORE_FIELDS}) for d in scored]
        (CALIBRATION / "scores.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
