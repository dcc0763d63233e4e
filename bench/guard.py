"""Measure the selection guard on the calibration set and on the sample corpus.

Scores tests/fixtures/calibration/{dev,heldout}.jsonl with the embedded model and the shipped
heads, applies the guard (selection/guard.py) and prints, for each part:
  - precision and recall of the guard (boilerplate excluded = positive), exclusion rate per kind;
  - selection at --fraction per domain (the fraction taken of all documents of the domain, only
    non-excluded ones ranked): boilerplate kept overall, real documents kept per domain, with
    the guard and without it (the baseline).
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
import math
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import torch

from attention_influence.measures import MEASURE_COLUMNS, text_measures
from attention_influence.selection.guard import GuardSettings, guard_reasons

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "tests" / "fixtures" / "calibration"
HEADS = REPO / "src" / "attention_influence" / "heads" / "shipped" / "smollm2-135m-instruct.json"
SCORE_FIELDS = ("n_tokens", "loss_base", "loss_masked", "score")


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


def simulate(docs: list[dict], excluded: list[bool], fraction: float) -> list[dict]:
    """Per domain, the ceil(fraction x documents) best-scoring documents among the non-excluded."""
    kept = []
    by_domain: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        by_domain[doc["domain"]].append(i)
    for rows in by_domain.values():
        quota = math.ceil(fraction * len(rows) - 1e-9)
        ranked = sorted((i for i in rows if not excluded[i]), key=lambda i: (-docs[i]["score"], docs[i]["id"]))
        kept += [docs[i] for i in ranked[:quota]]
    return kept


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
    result = dict(precision=precision, recall=recall)
    domains = sorted({d["domain"] for d in docs})
    for label, mask in (("without guard", [False] * len(docs)), ("with guard", excluded)):
        kept = simulate(docs, mask, fraction)
        boiler_kept = [d for d in kept if d["label"] == "boilerplate"]
        real_kept = {dom: sum(d["domain"] == dom and d["label"] == "real" for d in kept) for dom in domains}
        print(
            f"selection at {fraction} per domain, {label}: boilerplate kept {len(boiler_kept)} "
            f"({', '.join(d['kind'] for d in boiler_kept) or 'none'}); real kept per domain "
            + ", ".join(f"{dom} {n}/{sum(d['domain'] == dom for d in kept)}" for dom, n in real_kept.items())
        )
        result[label] = dict(boilerplate_kept=len(boiler_kept), real_kept=real_kept)
    return result


def report_sample(docs: list[dict], settings: GuardSettings, fraction: float) -> None:
    reasons = guard_reasons(score_table(docs), settings).to_pylist()
    print(f"\n## sample corpus examples/corpus: {len(docs)} documents, selection at {fraction} per domain")
    for label, mask in (("without guard", [False] * len(docs)), ("with guard", [r is not None for r in reasons])):
        kept = simulate(docs, mask, fraction)
        print(f"{label}: kept " + ", ".join(f"{d['id']} ({d['score']:.3f})" for d in kept))
    for doc, reason in zip(docs, reasons, strict=True):
        print(f"  {doc['id']:9s} score {doc['score']:.3f} base {doc['loss_base']:.2f}: {reason or 'ranked'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--sample-fraction", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="JSON file of scores keyed by text, read and updated")
    parser.add_argument("--write-fixture-scores", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cache = json.loads(args.cache.read_text()) if args.cache and args.cache.is_file() else {}
    settings = GuardSettings()
    print(f"guard settings: {settings}")
    scorer_box: list = []
    parts = {name: read_jsonl(CALIBRATION / f"{name}.jsonl") for name in ("dev", "heldout")}
    sample = sample_corpus()
    for docs in [*parts.values(), sample]:
        score_docs(docs, cache, scorer_box)
    if args.cache:
        args.cache.write_text(json.dumps(cache))
    for name, docs in parts.items():
        report_part(name, docs, settings, args.fraction)
    report_sample(sample, settings, args.sample_fraction)
    if args.write_fixture_scores:
        scored = [d for docs in [*parts.values(), sample] for d in docs]
        lines = [json.dumps({"id": d["id"]} | {f: d[f] for f in SCORE_FIELDS}) for d in scored]
        (CALIBRATION / "scores.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
