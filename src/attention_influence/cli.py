"""The `attninf` command: score, select, run (and the stages added by later modules)."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

EXAMPLES = {
    "run": """
        examples:
          attninf run examples/corpus --heads 17:3,18:6 --out runs/demo
          attninf run 'data/*.jsonl.zst' --model HuggingFaceTB/SmolLM2-360M --heads heads.json \\
              --out runs/big --fraction 0.2 --by tokens
    """,
    "score": """
        examples:
          attninf score examples/corpus --heads 17:3,18:6 --out runs/demo
          attninf score shard-*.parquet --heads heads.json --out runs/x --max-length 2048 --truncate
    """,
    "select": """
        examples:
          attninf select runs/demo --fraction 0.2
          attninf select runs/demo --fraction 0.1 --by tokens
    """,
}


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _add_model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument(
        "--model", default=None, help="hub id, local folder or .gguf file (default: the embedded SmolLM2-135M-Instruct)"
    )
    g.add_argument("--device", default="auto", help="auto (cuda if present), cpu, cuda, cuda:1, ...")
    g.add_argument("--dtype", default="auto", help="auto (bfloat16 on cuda, float32 on cpu), float32, bfloat16")
    g.add_argument("--trust-remote-code", action="store_true", help="run the model repository's own code")
    g.add_argument("--allow-pickle", action="store_true", help="allow pickle-based (.bin) weights")


def _add_score_args(p: argparse.ArgumentParser, heads_required: bool) -> None:
    p.add_argument("inputs", nargs="+", metavar="CORPUS", help="JSONL(.gz/.zst)/Parquet files, folders or globs")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--heads", required=heads_required, metavar="H", help='heads to mask: heads.json, or "layer:head,..." (0-based)'
    )
    _add_model_args(p)
    g = p.add_argument_group("corpus")
    g.add_argument("--text-field", default="text")
    g.add_argument("--id-field", default="id", help="default: id, else file:row")
    g.add_argument("--domain-field", default="domain", help="default: domain, else --domain or the parent folder")
    g.add_argument("--domain", default=None, help="domain of records without a domain field")
    g = p.add_argument_group("scoring")
    g.add_argument(
        "--max-length", type=int, default=None, help="tokens per window (default: the model's context, at most 4096)"
    )
    g.add_argument("--truncate", action="store_true", help="score only the first window of long documents")
    g.add_argument("--batch-tokens", type=int, default=8192, help="padded tokens per batch")
    g.add_argument(
        "--buffer-docs", type=int, default=4096, help="documents sorted by length together (and per output part)"
    )
    g.add_argument(
        "--no-shared-prefix", action="store_true", help="two full passes instead of one shared pass (slower)"
    )
    g.add_argument("--compile", action="store_true", help="torch.compile the decoder layers")
    g.add_argument("--no-progress", action="store_true")


def _add_select_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fraction", type=float, default=0.2, help="fraction to keep per domain (0, 1]")
    p.add_argument("--by", choices=["docs", "tokens"], default="docs", help="the fraction counts documents or tokens")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attninf",
        formatter_class=_formatter,
        description="AttentionInfluence: score documents by how much a small LM's loss rises when its "
        "retrieval heads are masked, and keep the top of each domain.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "run",
        help="score a corpus and select the top of each domain",
        formatter_class=_formatter,
        epilog=textwrap.dedent(EXAMPLES["run"]),
    )
    _add_score_args(p, heads_required=True)
    _add_select_args(p)
    p = sub.add_parser(
        "score", help="score every document", formatter_class=_formatter, epilog=textwrap.dedent(EXAMPLES["score"])
    )
    _add_score_args(p, heads_required=True)
    p = sub.add_parser(
        "select",
        help="select the top fraction of each domain of a scored run",
        formatter_class=_formatter,
        epilog=textwrap.dedent(EXAMPLES["select"]),
    )
    p.add_argument("out", metavar="DIR", help="a folder written by `attninf score`")
    _add_select_args(p)
    return parser


def _score_options(args: argparse.Namespace) -> dict:
    from attention_influence.corpus import Fields

    return dict(
        fields=Fields(args.text_field, args.id_field, args.domain_field, args.domain),
        max_length=args.max_length,
        truncate=args.truncate,
        batch_tokens=args.batch_tokens,
        chunk_docs=args.buffer_docs,
        shared_prefix=not args.no_shared_prefix,
        compile=args.compile,
        device=args.device,
        dtype=args.dtype,
        trust_remote_code=args.trust_remote_code,
        allow_pickle=args.allow_pickle,
        progress=not args.no_progress,
    )


def _print_selection(report: dict) -> None:
    print(f"{'domain':<16}{'docs':>8}{'kept':>8}{'tokens':>12}{'kept tok':>12}{'threshold':>11}")
    for domain, d in report["domains"].items():
        threshold = "-" if d["threshold"] is None else f"{d['threshold']:.4f}"
        print(
            f"{domain:<16}{d['documents']:>8}{d['selected']:>8}{d['tokens']:>12,}"
            f"{d['selected_tokens']:>12,}{threshold:>11}"
        )


def _print_score(summary) -> None:
    print(
        f"scored {summary.scored:,} of {summary.records:,} records ({summary.tokens:,} tokens, "
        f"{summary.tokens_per_second:,.0f} tok/s); no score: {summary.unscored:,}; errors: {summary.errors:,}"
    )
    print(
        f"  padding {summary.padding_fraction:.1%} of batch slots; peak memory {summary.peak_memory_bytes / 2**30:.2f} GiB"
    )
    for reason, count in sorted(summary.reasons.items()):
        print(f"  {count:>8,}  {reason}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from attention_influence import api

    try:
        if args.command == "select":
            _print_selection(api.select(args.out, fraction=args.fraction, by=args.by))
        elif args.command == "score":
            _print_score(api.score_corpus(args.inputs, args.out, args.heads, args.model, **_score_options(args)))
        elif args.command == "run":
            result = api.run(
                args.inputs,
                args.out,
                args.heads,
                args.model,
                fraction=args.fraction,
                by=args.by,
                **_score_options(args),
            )
            _print_score(result["score"])
            _print_selection(result["selection"])
        return 0
    except KeyboardInterrupt:
        print("attninf: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - one line for the user, traceback on request
        if os.environ.get("ATTNINF_DEBUG"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"attninf: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
