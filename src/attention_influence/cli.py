"""The `attninf` command: a thin layer over the Python API (api.py). It parses flags into the API's
settings objects, prints results, and turns a UserError into one line and exit status 2."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
from collections.abc import Iterator

EXAMPLES = {
    "run": """
        examples:
          attninf run examples/corpus --out runs/demo      # embedded model, its shipped heads
          attninf run data/ --out runs/x --dry-run         # the plan only: documents, tokens, domains, time here
          attninf run data/ --heads 17:3,18:6 --out runs/x --fraction 0.1 --by tokens
          attninf run 'data/*.jsonl.zst' --model HuggingFaceTB/SmolLM2-360M --sentences wiki.txt --out runs/big
    """,
    "score": """
        examples:
          attninf score examples/corpus --out runs/demo    # embedded model, its shipped heads
          attninf score shard-*.parquet --heads heads.json --out runs/x --max-length 2048 --truncate
          attninf score data/ --heads heads.json --out runs/x --num-shards 64 --shard-index $SLURM_ARRAY_TASK_ID
          attninf score data/ --heads heads.json --out runs/x --engine ray --ray-address HEAD_IP:6379
          attninf score data/ --heads heads.json --out runs/x --engine datatrove --tasks 8 --workers 8
    """,
    "heads": """
        examples:
          attninf heads --sentences data/web.jsonl --out runs/heads --verify
          attninf heads --sentences examples/wiki.txt --num-probes 32 --probe-tokens 768 --top-k 8 --out runs/quick
          attninf heads --sentences examples/wiki.txt --out runs/heads --dry-run   # the plan: probes x tokens, time here
    """,
    "select": """
        examples:
          attninf select runs/demo --fraction 0.2
          attninf select runs/demo --fraction 0.1 --by tokens
          attninf select runs/demo --fraction 0.2 --max-repetition 0.2 --guard-min-tokens 32
          attninf select runs/demo --no-guard                # rank every document (no exclusion)
          attninf select runs/demo --output-layout hf        # runs/demo/selected/data/train-*.parquet
    """,
    "report": """
        examples:
          attninf report runs/demo                 # writes runs/demo/report.html, explain/, control.json
          attninf report runs/demo --no-model      # no explain pages, no random-heads control (no model loaded)
          attninf report runs/demo --heads-file heads.json --control-docs 64
    """,
    "compare": """
        examples:
          attninf compare runs/fp32 runs/bf16
          attninf compare runs/guard runs/no-guard --json compare.json
    """,
    "explain": """
        examples:
          attninf explain "Some text to look at." --heads 17:3,18:6
          attninf explain doc.txt --heads heads.json --out explained/
          attninf explain math-007 --run runs/demo      # an id of a scored run; its model and heads
    """,
}

FLAGS = {"inputs": "CORPUS", "out": "--out", "fields": "--text-field"}  # settings whose flag is not --name
GUARD_FLAGS = {  # GuardSettings field -> its flag on select and run
    "min_tokens": "--guard-min-tokens",
    "max_templated_text": "--guard-max-templated",
    "max_list_text": "--guard-max-list",
    "max_field_text": "--guard-max-fields",
    "max_digit_share": "--guard-max-digits",
    "max_repetition": "--max-repetition",
    "max_repeated_sentences": "--guard-max-sentences",
    "max_structured_text": "--guard-max-structured",
}
FLAGS |= GUARD_FLAGS | {"guard": "--no-guard"}


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Examples kept as written; every default shown."""

    def __init__(self, prog: str):
        super().__init__(prog, max_help_position=34)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text or action.nargs == 0:
            return text
        return text + " (default: %(default)s)"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("attention-influence")
    except PackageNotFoundError:
        from attention_influence import __version__

        return __version__


def _add_model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model", default=None, help="hub id, local folder or .gguf file (default: embedded SmolLM2-135M-Instruct)"
    )
    g.add_argument("--device", default="auto", help="auto (cuda if present), cpu, cuda, cuda:1, ...")
    g.add_argument("--dtype", default="auto", help="auto (bfloat16 on cuda, float32 on cpu), float32, bfloat16")
    g.add_argument("--trust-remote-code", action="store_true", help="run the model repository's own code")
    g.add_argument("--allow-pickle", action="store_true", help="allow pickle-based (.bin) weights")


def _add_corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="CORPUS", help="JSONL(.gz/.zst)/Parquet files, folders or globs")
    p.add_argument("--out", required=True, metavar="DIR", help="the run folder")
    p.add_argument(
        "--heads",
        metavar="H",
        help='heads to mask: heads.json, or "layer:head,..." (0-based); default: the heads shipped for the model',
    )
    _add_model_args(p)
    g = p.add_argument_group("corpus")
    g.add_argument("--text-field", default="text", help="field holding the text")
    g.add_argument("--id-field", default="id", help="field holding the id (else file:row)")
    g.add_argument("--domain-field", default="domain", help="field holding the domain (else --domain, else the folder)")
    g.add_argument("--domain", default=None, help="domain of records without a domain field (default: parent folder)")


def _add_scoring_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scoring")
    g.add_argument(
        "--max-length", type=int, default=None, help="tokens per window (default: the model's context, <= 4096)"
    )
    g.add_argument("--truncate", action="store_true", help="score only the first window of long documents")
    g.add_argument("--batch-tokens", type=int, default=None, help="tokens per batch (default: sized for the device)")
    g.add_argument(
        "--no-shared-prefix", action="store_true", help="two full passes instead of one shared pass (slower)"
    )
    g.add_argument(
        "--compile", action="store_true", default=None, help="torch.compile the decoder (default: on for CUDA)"
    )
    g.add_argument("--no-compile", dest="compile", action="store_false", help="never compile")
    g.add_argument(
        "--pack",
        action="store_true",
        default=None,
        help="pack documents into rows without padding (default: on for CUDA)",
    )
    g.add_argument("--no-pack", dest="pack", action="store_false", help="one document (window) per row")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (documents, tokens, domains, the time measured here) and stop before any work",
    )


def _add_scale_args(p: argparse.ArgumentParser) -> None:
    from attention_influence.config import ENGINE_OPTIONS, ENGINES

    g = p.add_argument_group("scale-out (README: Running at scale)")
    g.add_argument("--engine", choices=ENGINES, default="local", help="where chunks are scored")
    g.add_argument("--num-shards", type=int, default=1, help="split the run into N shards (one process each)")
    g.add_argument("--shard-index", type=int, default=0, help="which shard this process scores, 0..N-1 (default: 0)")
    g.add_argument(
        "--chunk-docs", type=int, default=1024, help="input rows per score file; a restart skips finished ones"
    )
    for name, option in ENGINE_OPTIONS.items():
        g.add_argument(_flag(name), type=option.kind, default=None, help=f"--engine {option.engine}: {option.help}")
    g = p.add_argument_group("faults")
    g.add_argument(
        "--on-error",
        choices=["skip", "fail"],
        default="skip",
        help="bad records: list them in DIR/errors.jsonl and go on (skip), or stop at the first (fail)",
    )
    g.add_argument("--overwrite", action="store_true", help="replace a run with other settings in --out")


def _add_score_args(p: argparse.ArgumentParser) -> None:
    _add_corpus_args(p)
    _add_scoring_args(p)
    _add_scale_args(p)


def _add_detect_args(p: argparse.ArgumentParser, required: bool) -> None:
    g = p.add_argument_group("head detection (retrieval probes)")
    g.add_argument(
        "--sentences",
        required=required,
        metavar="FILE",
        help="text or JSONL file the probe values come from" + ("" if required else " (detects heads when given)"),
    )
    g.add_argument(
        "--num-probes",
        type=int,
        default=None,
        help="synthetic key-value retrieval probes (default: 800 on a GPU, 32 on a CPU)",
    )
    g.add_argument(
        "--probe-tokens",
        type=int,
        default=None,
        help="tokens per probe (default: the paper's 4096 on a GPU, 768 on a CPU; always capped at the model's context)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the probes (held-out probes use another) (default: 0)")
    top = g.add_mutually_exclusive_group()
    top.add_argument("--top-frac", type=float, default=0.05, help="fraction of all heads to select")
    top.add_argument("--top-k", type=int, default=None, help="number of heads to select (instead of --top-frac)")
    g.add_argument("--verify", action="store_true", help="accuracy on held-out probes: unmasked / selected / random")
    g.add_argument("--verify-probes", type=int, default=None, help="held-out probes (default: --num-probes)")
    g.add_argument("--verify-draws", type=int, default=16, help="random head sets in --verify (c)")
    g.add_argument(
        "--verify-draw-probes",
        type=int,
        default=None,
        help="held-out probes per (c) draw (default: enough for every held-out probe to be used 4 times over all draws)",
    )
    g.add_argument(
        "--max-hours",
        type=float,
        default=2.0,
        help="refuse a detection planned to take longer than this on this device, naming cheaper flags (0: no limit)",
    )


def _add_select_args(p: argparse.ArgumentParser) -> None:
    from attention_influence.config import SHORT_OF_MEDIAN, GuardSettings

    g = p.add_argument_group("selection")
    g.add_argument("--fraction", type=float, default=0.2, help="fraction to keep per domain, (0, 1]")
    g.add_argument("--by", choices=["docs", "tokens"], default="docs", help="the fraction counts documents or tokens")
    g.add_argument(
        "--output-layout",
        choices=["per-source", "hf"],
        default="per-source",
        help="DIR/selected/: one file per input file in its format (per-source), or Parquet shards "
        "data/train-XXXXX-of-YYYYY.parquet with the selection's metadata, as `datasets` and the Hub use (hf)",
    )
    g = p.add_argument_group(
        "selection guard (docs/guard.md)",
        "Documents whose text can be copied from its own structure (tables, listings, templated code) are "
        "excluded before ranking; the fraction is still taken of all scored documents of a domain. Each excluded "
        "document and its reason is written to DIR/excluded.parquet. A rule is off at 0 (minimums) or 1 (maximums); "
        "a maximum of 0 excludes every document with any such text.",
    )
    g.add_argument("--no-guard", action="store_true", help="rank every scored document (no exclusion)")
    d = GuardSettings()
    help_of = {
        "min_tokens": f"exclude documents of fewer tokens (default: {d.min_tokens}), or of fewer than {SHORT_OF_MEDIAN:g} "
        "of their domain's typical document (the one holding its median token) where that is less",
        "max_templated_text": "exclude documents whose share of text in lines repeating an earlier line's structure "
        f"is above X (default: {d.max_templated_text})",
        "max_list_text": f"exclude documents whose share of text in list items is above X (default: {d.max_list_text})",
        "max_field_text": "exclude documents whose share of text in short 'label: value' lines is above X "
        f"(default: {d.max_field_text})",
        "max_digit_share": "exclude documents whose share of digits among letters and digits is above X "
        f"(default: {d.max_digit_share})",
        "max_repetition": "exclude documents whose repetition (duplicated word n-gram character fraction, 0..1) is "
        f"above X (default: {d.max_repetition})",
        "max_repeated_sentences": "exclude documents whose share of text in sentences that repeat an earlier "
        f"sentence with other names and numbers is above X (default: {d.max_repeated_sentences})",
        "max_structured_text": "exclude documents whose share of text in templated, list and 'label: value' lines "
        f"together is above X (default: {d.max_structured_text})",
    }
    for name, flag in GUARD_FLAGS.items():
        kind = int if name == "min_tokens" else float
        g.add_argument(flag, dest=f"guard_{name}", type=kind, default=None, metavar="N" if kind is int else "X",
                       help=help_of[name])  # fmt: skip


def _add_command_args(sub, name: str, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, formatter_class=_Formatter, epilog=textwrap.dedent(EXAMPLES[name]))
    if name in ("run", "score"):
        _add_score_args(p)
    if name in ("run", "select"):
        if name == "select":
            p.add_argument("out", metavar="DIR", help="a run folder written by `attninf score`")
        _add_select_args(p)
    if name in ("run", "heads"):
        if name == "heads":
            p.add_argument("--out", required=True, metavar="DIR", help="output folder (heads.json, heads.png)")
            _add_model_args(p)
        _add_detect_args(p, required=name == "heads")
    if name in ("heads", "select", "report"):
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
    if name == "heads":
        p.add_argument(
            "--dry-run", action="store_true", help="print the plan (probes x tokens, the time measured here) and stop"
        )
    return p


def _add_report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="DIR", help="a run folder written by `attninf score` (and `select`)")
    p.add_argument("--heads-file", default=None, help="heads.json with a scores matrix (default: DIR/heads.json)")
    p.add_argument(
        "--no-model",
        action="store_true",
        help="do not load the run's model: no token-level explain pages, no random-heads control",
    )
    p.add_argument(
        "--control-docs", type=int, default=32, help="documents per domain in the random-heads control (0: none)"
    )
    p.add_argument("--control-seed", type=int, default=0, help="seed of the control's sample and random heads")
    _add_model_args(p)


def _add_compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="RUN_A", help="a scored and selected run folder")
    p.add_argument("run_b", metavar="RUN_B", help="another run of the same corpus")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the comparison as JSON to FILE")


def _add_explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "doc",
        metavar="DOC",
        help="the document: an id in the run given by --run, a file (UTF-8 text), - for standard input, or the "
        "text itself. A DOC without whitespace that contains / or \\ or ends in an extension (.txt, .jsonl, ...) "
        "is a path: if no such file exists that is an error; with --run, so is a DOC without whitespace that is "
        "neither an id of the run nor a file (to explain such a string: echo 'and/or' | attninf explain -)",
    )
    p.add_argument(
        "--heads",
        metavar="H",
        help='heads.json or "layer:head,..." (default: the --run\'s heads, else those shipped for the model)',
    )
    p.add_argument("--run", metavar="DIR", help="a scored run: DOC may be one of its ids; default model and heads")
    p.add_argument("--out", metavar="DIR", help="write DIR/explain.html and DIR/tokens.jsonl instead of printing")
    p.add_argument("--max-length", type=int, default=None, help="tokens per window (default: as in scoring)")
    p.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the tokens; auto: only on a terminal, with NO_COLOR unset or empty and TERM not dumb. "
        "Without colour: a tab-separated table (position, delta, loss_base, loss_masked, token as JSON)",
    )
    _add_model_args(p)


COMMANDS = {  # name -> help (the order of `attninf --help`)
    "run": "the whole job: score a corpus, select the top of each domain, write the report",
    "score": "stage: score every document into a run folder",
    "heads": "stage: find the retrieval heads (heads.json + heads.png)",
    "select": "stage: select the top fraction of each domain of a scored run",
    "report": "write DIR/report.html: settings, heads, totals, per-domain plots and documents",
    "compare": "how two runs of the same corpus agree: overlap of their selections, rank correlation",
    "explain": "colour each token of a document by how much its loss rises when the heads are masked",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attninf",
        formatter_class=_Formatter,
        description="AttentionInfluence: score documents by how much a small LM's loss rises when its "
        "retrieval heads are masked, and keep the top of each domain.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    extra = {"report": _add_report_args, "compare": _add_compare_args, "explain": _add_explain_args}
    for name, help in COMMANDS.items():
        p = _add_command_args(sub, name, help)
        if name in extra:
            extra[name](p)
    return parser


def _settings(args: argparse.Namespace) -> dict:
    """The API's settings objects from the flags (validated as they are built, before torch is
    imported: bad settings fail in a second)."""
    from attention_influence.config import (
        ENGINE_OPTIONS,
        DetectSettings,
        EngineSettings,
        Fields,
        ModelSettings,
        ScoreSettings,
        select_settings,
    )

    built = {}
    if hasattr(args, "device"):
        built["model"] = ModelSettings(args.model, args.device, args.dtype, args.trust_remote_code, args.allow_pickle)
    if hasattr(args, "inputs"):
        built["score"] = ScoreSettings(
            fields=Fields(args.text_field, args.id_field, args.domain_field, args.domain),
            max_length=args.max_length,
            truncate=args.truncate,
            batch_tokens=args.batch_tokens,
            chunk_docs=args.chunk_docs,
            shared_prefix=not args.no_shared_prefix,
            compile=args.compile,
            pack=args.pack,
            on_error=args.on_error,
            num_shards=args.num_shards,
            shard_index=args.shard_index,
        )
        options = {name: getattr(args, name) for name in ENGINE_OPTIONS if getattr(args, name) is not None}
        built["engine"] = EngineSettings(args.engine, options)
    if hasattr(args, "fraction"):
        thresholds = {name: getattr(args, f"guard_{name}") for name in GUARD_FLAGS}
        thresholds = {name: value for name, value in thresholds.items() if value is not None}
        built["select"] = select_settings(
            fraction=args.fraction, by=args.by, guard=not args.no_guard, output_layout=args.output_layout, **thresholds
        )
    if hasattr(args, "num_probes") and (args.command == "heads" or args.sentences is not None):
        names = ("sentences", "num_probes", "probe_tokens", "seed", "top_frac", "top_k", "verify", "verify_probes")
        names += ("verify_draws", "verify_draw_probes", "max_hours")
        built["detect"] = DetectSettings(**{name: getattr(args, name) for name in names})
    return built


def _print_heads(report: dict) -> None:
    probes = report["probes"]
    print(
        f"{report['model']}: {probes['solved']}/{probes['num_probes']} probes solved "
        f"({probes['mean_tokens']:.0f} tokens, {probes['mean_pairs']:.1f} pairs, "
        f"answer accuracy {probes['answer_accuracy']:.3f}); {report['seconds']:.0f} s"
    )
    scores = report["scores"]
    heads = ", ".join(f"{layer}:{head} ({scores[layer][head]:.3f})" for layer, head in report["selected"])
    print(f"selected {len(report['selected'])} heads: {heads}")
    verify = report.get("verify")
    if verify:
        print(f"retrieval token accuracy on {verify['probes']} held-out probes:")
        print(f"  (a) unmasked              {verify['unmasked']:.3f}")
        print(f"  (b) selected heads masked {verify['selected_masked']:.3f}  ({verify['selected_ratio']:.2f} x a)")
        stderr = verify.get("random_ratio_stderr")
        spread = f" +- {stderr:.2f}" if stderr is not None else ""
        print(
            f"  (c) random heads masked   {verify['random_masked']:.3f}  ({verify['random_ratio']:.2f}{spread} x a; "
            f"{len(verify['random_draws'])} draws of {verify['probes_per_draw']} probes)"
        )
        for draw in verify["random_draws"]:
            heads = ",".join(f"{layer}:{head}" for layer, head in draw["heads"])
            print(f"      {draw['accuracy']:.3f}  ({draw['ratio']:.2f} x a on its probes)  {heads}")


def _print_selection(report: dict) -> None:
    from attention_influence.config import SHORT_OF_MEDIAN

    def fmt(value, spec):
        return "-" if value is None else format(value, spec)

    print(
        f"{'domain':<16}{'docs':>8}{'excluded':>10}{'kept':>8}{'tokens':>12}{'kept tok':>12}{'threshold':>11}"
        f"{'mean score':>12}{'mean rep':>10}{'as unguarded':>14}"
    )
    for domain, d in report["domains"].items():
        excluded = sum(d.get("excluded", {}).values())
        overlap = (d.get("without_guard") or {}).get("overlap")
        print(
            f"{domain:<16}{d['documents']:>8}{excluded:>10}{d['selected']:>8}{d['tokens']:>12,}"
            f"{d['selected_tokens']:>12,}{fmt(d['threshold'], '.4f'):>11}{fmt(d.get('mean_score'), '.4f'):>12}"
            f"{fmt(d.get('mean_repetition'), '.3f'):>10}{fmt(overlap, '.1%'):>14}"
        )
    guard = report.get("guard") or {}
    if not guard.get("enabled"):
        print("guard: off (every scored document was ranked)")
        return
    counts = {rule: n for rule, n in report["total"].get("excluded", {}).items() if n}
    reasons = ", ".join(f"{rule} {n:,}" for rule, n in counts.items()) or "none"
    print(f"guard: excluded before ranking: {reasons}; each with its reason in {report.get('excluded_file')}")
    lowered = {name: d["min_tokens"] for name, d in report["domains"].items() if d.get("min_tokens") is not None}
    lowered = {name: limit for name, limit in lowered.items() if limit < guard.get("min_tokens", 0)}
    if lowered:
        limits = ", ".join(f"{name} {limit:g}" for name, limit in lowered.items())
        print(
            f"guard: too short below {limits} tokens ({SHORT_OF_MEDIAN:g} of the domain's typical document, the one "
            f"holding its median token; elsewhere {guard['min_tokens']})"
        )
    cost = report["total"].get("without_guard")
    if cost and cost["selected"]:
        print(
            f"guard: the selection holds {cost['kept']:,} of the {cost['selected']:,} documents it would hold without "
            f"the guard ({cost['overlap']:.1%}); {cost['excluded']:,} of those were excluded"
        )
    for domain, d in report["domains"].items():
        unguarded = (d.get("without_guard") or {}).get("selected") or 0
        if d["eligible"] < unguarded:  # the guard left fewer documents than the fraction asks for: all are kept
            print(
                f"warning: {domain}: the guard left {d['eligible']:,} of {d['documents']:,} documents eligible, "
                f"fewer than the {unguarded:,} the selection would hold without it; check the --guard-* thresholds",
                file=sys.stderr,
            )


def _print_score(summary, out: str) -> None:
    resumed = summary.nothing_scored
    rate = "every chunk found finished, none scored again" if resumed else f"{summary.tokens_per_second:,.0f} tok/s"
    print(
        f"scored {summary.scored:,} of {summary.records:,} records ({summary.tokens:,} tokens, "
        f"{rate}); no score: {summary.unscored:,}; unreadable: {summary.errors:,}"
    )
    if resumed:
        print(f"  the scoring's time, tokens/s and padding: {out}/summary.json")
    else:
        print(
            f"  padding {summary.padding_fraction:.1%} of batch slots; model busy {summary.busy_fraction:.0%} of the "
            f"time; peak memory {summary.peak_memory_bytes / 2**30:.2f} GiB"
        )
    for reason, count in sorted(summary.reasons.items()):
        print(f"  {count:>8,}  {reason}")
    for flag, count in sorted(summary.flags.items()):
        print(f"  {count:>8,}  {flag} (scored)")
    if summary.errors or summary.unscored:
        from attention_influence.corpus.readers import location
        from attention_influence.errors import RunError
        from attention_influence.runs.rundir import ERRORS, RunDir

        rundir = RunDir(out)
        try:
            first = rundir.errors(limit=1)  # one line read, however many there are
        except RunError:  # a shard of an unfinished run: its errors are merged when every shard is done
            print(f"  each listed in {rundir.file(ERRORS)} once every shard is done")
            return
        shown = "".join(f"; the first: {location(e['source'], e['row'])}: {e['reason']}" for e in first)
        print(f"  each listed in {rundir.file(ERRORS)}{shown}")


def _select(args: argparse.Namespace, built: dict, run) -> None:
    from attention_influence.runs.rundir import REPORT, RunDir

    _print_selection(run.select(args.out, built["select"], progress=built["progress"]))
    rundir = RunDir(args.out)
    if rundir.has(REPORT):
        print(
            f"note: {rundir.file(REPORT)} still shows the previous selection: "
            f"`attninf report {args.out}` renders it for this one (with --no-model: in seconds, without the "
            "explain pages and the random-heads control)",
            file=sys.stderr,
        )


def _report(args: argparse.Namespace, built: dict, run) -> None:
    path = run.report(
        args.out, args.heads_file, built["model"], use_model=not args.no_model, control_docs=args.control_docs,
        control_seed=args.control_seed, progress=built["progress"],
    )  # fmt: skip
    print(f"wrote {path}")


def _compare(args: argparse.Namespace, built: dict, run) -> None:
    from attention_influence.reports.compare import format_comparison

    print(format_comparison(run.compare(args.run_a, args.run_b, args.json)))
    if args.json:
        print(f"wrote {args.json}")


def _explain(args: argparse.Namespace, built: dict, run) -> None:
    from attention_influence.reports.command import explain_command

    explain_command(args, built["model"])


def _heads(args: argparse.Namespace, built: dict, run) -> None:
    report = run.detect_heads(
        built["model"], args.out, built["detect"], progress=built["progress"], on_plan=_print_plan,
        dry_run=args.dry_run,
    )  # fmt: skip
    if not args.dry_run:
        _print_heads(report)


def _score(args: argparse.Namespace, built: dict, run) -> None:
    summary = run.score_corpus(
        args.inputs, args.out, args.heads, built["model"], built["score"], engine=built["engine"],
        overwrite=args.overwrite, progress=built["progress"], on_plan=_print_plan, dry_run=args.dry_run,
    )  # fmt: skip
    if not args.dry_run:
        _print_score(summary, args.out)


def _run(args: argparse.Namespace, built: dict, run) -> None:
    result = run.run(
        args.inputs, args.out, args.heads, built["model"], engine=built["engine"], score=built["score"],
        selection=built["select"], detect=built.get("detect"), overwrite=args.overwrite, progress=built["progress"],
        on_plan=_print_plan, dry_run=args.dry_run,
    )  # fmt: skip
    if args.dry_run:
        return
    _print_score(result["score"], args.out)
    if result["selection"] is not None:
        _print_selection(result["selection"])
        print(f"report: {result['report']}")


HANDLERS = {  # command -> what it does with its settings and the API
    "run": _run,
    "score": _score,
    "heads": _heads,
    "select": _select,
    "report": _report,
    "compare": _compare,
    "explain": _explain,
}


def _dispatch(args: argparse.Namespace) -> None:
    built = _settings(args)  # before importing torch: bad settings fail in a second
    built["progress"] = not getattr(args, "no_progress", False)
    from attention_influence import api

    with _library_bars(built["progress"]):
        HANDLERS[args.command](args, built, api)


@contextlib.contextmanager
def _library_bars(shown: bool) -> Iterator[None]:
    """transformers' own bars (loading weights, converting a GGUF file) follow --no-progress too."""
    if shown:
        yield
        return
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


def _print_plan(plan) -> None:
    """A plan goes to stderr, before its work (stdout keeps the results)."""
    print(str(plan), file=sys.stderr, flush=True)


def _flag(setting: str) -> str:
    return FLAGS.get(setting, "--" + setting.replace("_", "-"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from attention_influence.errors import InternalError, SettingError, UserError

    try:
        _dispatch(args)
        return 0
    except KeyboardInterrupt:
        print("attninf: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - one line for the user, traceback on request
        if os.environ.get("ATTNINF_DEBUG"):
            raise
        if isinstance(err, SettingError):
            message = f"{_flag(err.setting)}: {err.detail}"
        else:
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, UserError):
            print(f"attninf: error: {message}", file=sys.stderr)
            return 2
        kind = "internal error" if isinstance(err, InternalError) else f"unexpected {type(err).__name__}"
        print(f"attninf: {kind}: {message} (ATTNINF_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
