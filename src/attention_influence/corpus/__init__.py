"""Corpus I/O: JSONL (plain, .gz, .zst) and Parquet in, Parquet/JSONL out, local or fsspec URLs."""

from attention_influence.corpus.readers import CorpusError, Fields, Record, expand_inputs, read_records

__all__ = ["CorpusError", "Fields", "Record", "expand_inputs", "read_records"]
