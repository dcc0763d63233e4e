"""Non-finite losses are reported per document (a reason in errors.jsonl), never written as
scores, and never spill into the other documents of the batch."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import torch

from attention_influence import score_corpus, select
from attention_influence.models import load_model
from attention_influence.runs import RunDir

DOCS = [
    "Tom has three apples and buys two more, so he has five apples in total.",
    "A zebra crossing lets people walk across the street safely.",
    "The train leaves at nine and arrives at eleven, a two hour trip.",
]


@pytest.mark.slow
def test_an_infinite_embedding_spoils_only_its_document(tmp_path):
    loaded = load_model(None, device="cpu", dtype="float32")  # a private copy: its weights are damaged below
    model, tokenizer = loaded.model, loaded.tokenizer
    others = {t for doc in (DOCS[0], DOCS[2]) for t in tokenizer(doc)["input_ids"]}
    (poison,) = [t for t in tokenizer(DOCS[1])["input_ids"] if t not in others][:1]
    head = model.get_output_embeddings()
    head.weight = torch.nn.Parameter(head.weight.detach().clone(), requires_grad=False)  # untie the LM head
    model.get_input_embeddings().weight[poison] = float("inf")  # (vocab, hidden): one row
    corpus = tmp_path / "corpus" / "general"
    corpus.mkdir(parents=True)
    (corpus / "docs.jsonl").write_text(
        "".join(json.dumps({"text": d, "id": f"d{i}"}) + "\n" for i, d in enumerate(DOCS))
    )
    out = tmp_path / "run"

    summary = score_corpus(str(corpus.parent), str(out), "17:3,18:6", loaded, progress=False)

    assert (summary.records, summary.scored, summary.reasons) == (3, 2, {"non-finite loss": 1})
    rows = {r["id"]: r for r in pq.ParquetDataset(RunDir(out).parts()).read().to_pylist()}
    assert rows["d1"]["score"] is None and rows["d1"]["loss_base"] is None and rows["d1"]["reason"] == "non-finite loss"
    assert all(rows[i]["score"] is not None and abs(rows[i]["score"]) < 10 for i in ("d0", "d2"))
    (listed,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert (listed["id"], listed["row"], listed["reason"]) == ("d1", 1, "non-finite loss")
    assert select(str(out), fraction=1.0, write_documents=False)["total"]["documents"] == 2
