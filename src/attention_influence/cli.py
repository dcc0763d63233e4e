"""The `attninf` command: score, select, run (and the stages added by later modules)."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

EXAMPLES = {
    "run": """
        examples:
          attninf run examples/corpus --out runs/demo     # detects the heads first: runs/demo/heads.json
          attninf run examples/corpus --heads 17:3,18:6 --out runs/demo
          attninf run 'data/*.jsonl.zst' --model HuggingFaceTB/SmolLM2-360M --heads heads.json \\
              --out runs/big --fraction 0.2 --by tokens
    """,
    "score": """
        examples:
          attninf score examples/corpus --heads 17:3,18:6 --out runs/demo
          attninf score shard-*.parquet --heads heads.json --out runs/x --max-length 2048 --truncate
          attninf score data/ --heads heads.json --out runs/x --num-shards 64 --shard-index $SLURM_ARRAY_TASK_ID
          attninf score data/ --heads heads.json --out runs/x --engine ray --ray-address HEAD_IP:6379
    """,
    "heads": """
        examples:
          attninf heads --sentences data/web.jsonl --out runs/heads --verify
          attninf heads --sentences wiki.txt --num-probes 32 --probe-tokens 768 --top-k 8 --out runs/quick
    """,
    "select": """
        examples:
          attninf select runs/demo --fraction 0.2
          attninf select runs/demo --fraction 0.1 --by tokens
          attninf select runs/demo --fraction 0.2 --max-repetition 0.3
    """,
    "report": """
        examples:
          attninf report runs/demo                 # writes runs/demo/report.html
          attninf report runs/demo --heads-file heads.json
    """,
    "explain": """
        examples:
          attninf explain "Some text to look at." --heads 17:3,18:6
          attninf explain doc.txt --heads heads.json --out explained/
          attninf explain math-007 --run runs/demo      # an id of a scored run; its model and heads
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
    detect = "" if heads_required else " (default: detect them first, into DIR/heads.json)"
    p.add_argument(
        "--heads",
        required=heads_required,
        metavar="H",
        help='heads to mask: heads.json, or "layer:head,..." (0-based)' + detect,
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
        "--no-shared-prefix", action="store_true", help="two full passes instead of one shared pass (slower)"
    )
    g.add_argument("--compile", action="store_true", help="torch.compile the decoder layers")
    g.add_argument("--no-progress", action="store_true")
    g = p.add_argument_group("scale-out (README: Running at scale)")
    g.add_argument("--num-shards", type=int, default=1, help="split the corpus into N shards (one process each)")
    g.add_argument("--shard-index", type=int, default=0, help="which shard this process scores, 0..N-1")
    g.add_argument(
        "--chunk-docs",
        type=int,
        default=1024,
        help="documents per score file, sorted by length together; a restart skips finished ones",
    )
    g.add_argument("--engine", choices=["local", "ray"], default="local", help="local: this process; ray: Ray Data")
    g.add_argument("--ray-address", default=None, help="Ray cluster to join (default: start a local one)")
    g.add_argument("--ray-actors", type=int, default=None, help="scoring actors (default: one per GPU, else per CPU)")
    g = p.add_argument_group("faults")
    g.add_argument(
        "--on-error",
        choices=["skip", "fail"],
        default="skip",
        help="bad records: list them in DIR/errors.jsonl and go on (skip), or stop at the first (fail)",
    )
    g.add_argument("--overwrite", action="store_true", help="replace a run with other settings in --out")


def _add_detect_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("head detection (retrieval probes)")
    g.add_argument("--num-probes", type=int, default=800, help="synthetic key-value retrieval probes")
    g.add_argument(
        "--probe-tokens", type=int, default=4096, help="tokens per probe, prompt + answer (capped at the context)"
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the probes (held-out probes use another)")
    top = g.add_mutually_exclusive_group()
    top.add_argument("--top-frac", type=float, default=0.05, help="fraction of all heads to select")
    top.add_argument("--top-k", type=int, default=None, help="number of heads to select")
    g.add_argument(
        "--verify", action="store_true", help="accuracy on held-out probes: unmasked / selected / random masked"
    )
    g.add_argument("--verify-probes", type=int, default=None, help="held-out probes (default: --num-probes)")
    g.add_argument("--verify-draws", type=int, default=None, help="random head sets in --verify (c) (default 16)")
    g.add_argument(
        "--verify-draw-probes",
        type=int,
        default=None,
        help="held-out probes each (c) draw runs on (default: each probe serves 4 times over all draws)",
    )


def _detect_options(args: argparse.Namespace) -> dict:
    return dict(
        num_probes=args.num_probes,
        probe_tokens=args.probe_tokens,
        seed=args.seed,
        top_frac=args.top_frac,
        top_k=args.top_k,
        verify=args.verify,
        verify_probes=args.verify_probes,
        verify_draws=args.verify_draws,
        verify_draw_probes=args.verify_draw_probes,
    )


def _detect(args: argparse.Namespace, sentences, reuse: bool = False) -> dict:
    from attention_influence import api

    return api.detect_heads(
        args.model,
        args.out,
        sentences=sentences,
        device=args.device,
        dtype=args.dtype,
        trust_remote_code=args.trust_remote_code,
        allow_pickle=args.allow_pickle,
        progress=not args.no_progress,
        reuse=reuse,
        **_detect_options(args),
    )


def _print_heads(report: dict) -> None:
    probes = report["probes"]
    if report.get("reused"):
        print("heads: reusing the heads.json an earlier run detected with this model and these settings")
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


def _add_select_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fraction", type=float, default=0.2, help="fraction to keep per domain (0, 1]")
    p.add_argument("--by", choices=["docs", "tokens"], default="docs", help="the fraction counts documents or tokens")
    p.add_argument(
        "--max-repetition",
        type=float,
        default=None,
        metavar="X",
        help="exclude documents whose repetition (duplicated word n-gram character fraction, 0..1) is above X "
        "before ranking",
    )


def _add_command(sub, name: str, help: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, formatter_class=_formatter, epilog=textwrap.dedent(EXAMPLES[name]))


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
    _add_score_args(p, heads_required=False)
    _add_select_args(p)
    _add_detect_args(p)
    p = sub.add_parser(
        "score", help="score every document", formatter_class=_formatter, epilog=textwrap.dedent(EXAMPLES["score"])
    )
    _add_score_args(p, heads_required=True)
    p = sub.add_parser(
        "heads",
        help="find the retrieval heads: heads.json + heads.png",
        formatter_class=_formatter,
        epilog=textwrap.dedent(EXAMPLES["heads"]),
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (heads.json, heads.png)")
    p.add_argument("--sentences", required=True, metavar="FILE", help="text or JSONL file the probe values come from")
    _add_model_args(p)
    _add_detect_args(p)
    p.add_argument("--no-progress", action="store_true")
    p = sub.add_parser(
        "select",
        help="select the top fraction of each domain of a scored run",
        formatter_class=_formatter,
        epilog=textwrap.dedent(EXAMPLES["select"]),
    )
    p.add_argument("out", metavar="DIR", help="a folder written by `attninf score`")
    _add_select_args(p)
    p.add_argument("--no-progress", action="store_true")
    p = _add_command(sub, "report", "write DIR/report.html: settings, heads, totals, per-domain plots and documents")
    p.add_argument("out", metavar="DIR", help="a folder written by `attninf score` (and `select`)")
    p.add_argument("--heads-file", default=None, help="heads.json with a scores matrix (default: DIR/heads.json)")
    p = _add_command(
        sub, "explain", "colour each token of a document by how much its loss rises when the heads are masked"
    )
    p.add_argument("doc", metavar="DOC", help="the document: text, a file, or an id in the run given by --run")
    p.add_argument("--heads", metavar="H", help='heads.json or "layer:head,..." (default: the --run\'s heads)')
    p.add_argument("--run", metavar="DIR", help="a scored run: DOC may be one of its ids; default model and heads")
    p.add_argument("--out", metavar="DIR", help="write DIR/explain.html and DIR/tokens.jsonl instead of printing")
    p.add_argument("--max-length", type=int, default=None, help="tokens per window (default: as in scoring)")
    _add_model_args(p)
    return parser


def _score_options(args: argparse.Namespace) -> dict:
    from attention_influence.corpus import Fields

    return dict(
        fields=Fields(args.text_field, args.id_field, args.domain_field, args.domain),
        max_length=args.max_length,
        truncate=args.truncate,
        batch_tokens=args.batch_tokens,
        shared_prefix=not args.no_shared_prefix,
        compile=args.compile,
        device=args.device,
        dtype=args.dtype,
        trust_remote_code=args.trust_remote_code,
        allow_pickle=args.allow_pickle,
        progress=not args.no_progress,
        on_error=args.on_error,
        overwrite=args.overwrite,
        num_shards=args.num_shards,
        shard_index=args.shard_index,
        chunk_docs=args.chunk_docs,
    )


def _score(args: argparse.Namespace):
    from attention_influence import api

    if args.engine == "ray":
        from attention_influence.distributed.ray_engine import score_corpus_ray

        return score_corpus_ray(
            args.inputs,
            args.out,
            args.heads,
            args.model,
            address=args.ray_address,
            actors=args.ray_actors,
            **_score_options(args),
        )
    return api.score_corpus(args.inputs, args.out, args.heads, args.model, **_score_options(args))


def _print_selection(report: dict) -> None:
    def fmt(value, spec):
        return "-" if value is None else format(value, spec)

    print(
        f"{'domain':<16}{'docs':>8}{'kept':>8}{'tokens':>12}{'kept tok':>12}{'threshold':>11}"
        f"{'mean score':>12}{'mean rep':>10}{'too rep':>9}"
    )
    for domain, d in report["domains"].items():
        print(
            f"{domain:<16}{d['documents']:>8}{d['selected']:>8}{d['tokens']:>12,}"
            f"{d['selected_tokens']:>12,}{fmt(d['threshold'], '.4f'):>11}{fmt(d.get('mean_score'), '.4f'):>12}"
            f"{fmt(d.get('mean_repetition'), '.3f'):>10}{d.get('too_repetitive', 0):>9}"
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
    for flag, count in sorted(getattr(summary, "flags", {}).items()):
        print(f"  {count:>8,}  {flag} (scored)")


def _preflight(args: argparse.Namespace) -> None:
    from attention_influence import preflight

    if hasattr(args, "fraction"):
        preflight.check_fraction(args.fraction)
    if hasattr(args, "num_probes"):
        preflight.check_counts(_detect_options(args))
    if hasattr(args, "inputs"):
        preflight.check_output_location(args.inputs, args.out)


def _select(args: argparse.Namespace) -> None:
    from attention_influence import api

    report = api.select(
        args.out,
        fraction=args.fraction,
        by=args.by,
        max_repetition=args.max_repetition,
        progress=not args.no_progress,
    )
    _print_selection(report)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    try:
        _preflight(args)  # before importing torch: bad arguments fail in a second
        from attention_influence import api

        if args.command == "select":
            _select(args)
        elif args.command == "report":
            print(f"wrote {api.report(args.out, heads_file=args.heads_file)}")
        elif args.command == "explain":
            from attention_influence.reports.command import explain_command

            explain_command(args)
        elif args.command == "score":
            _print_score(_score(args))
        elif args.command == "heads":
            _print_heads(_detect(args, sentences=args.sentences))
        elif args.command == "run":
            if args.heads is None:  # detect them first, probe values drawn from the corpus
                from attention_influence.corpus.writers import join
                from attention_influence.heads.detect import corpus_texts

                texts = corpus_texts(args.inputs, _score_options(args)["fields"])
                _print_heads(_detect(args, sentences=texts, reuse=not args.overwrite))
                args.heads = join(args.out, "heads.json")
            _print_score(_score(args))  # sharded: selects once every shard is done, else says which are not
            _select(args)
            print(f"report: {api.report(args.out)}")
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
