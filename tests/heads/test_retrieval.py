import torch

from attention_influence.heads.retrieval import attention_argmax, copy_hits
from attention_influence.masking import enable_masking, record_attention_inputs
from tests.conftest import tiny_llama


def _planted(T=16, span=(3, 7), answer_start=11):
    """ids: a value at `span` copied as the answer at the end; q/k for 4 heads on 2 KV heads.

    Head 0 (KV 0) and head 2 (KV 1) copy: on row t-1 they look at the value token equal to
    token t. Head 1 (KV 0) looks at its own row (the current token). Head 3 (KV 1) looks at
    row t itself, the answer token, which a causal mask hides."""
    ids = torch.arange(100, 100 + T)
    ids[answer_start : answer_start + span[1] - span[0]] = ids[span[0] : span[1]]
    ids = ids[: answer_start + span[1] - span[0]]
    T = len(ids)
    eye = torch.eye(T + 1)
    key = torch.stack([eye[:T, :T], eye[1 : T + 1, :T]])  # (2, T, T): KV 1 codes position j as e_{j+1}
    query = torch.zeros(4, T, T)  # (H, T, D)
    for t in range(answer_start, T):
        source = span[0] + t - answer_start  # where token t sits in the value
        query[0, t - 1] = 10 * key[0, source]
        query[1, t - 1] = 10 * key[0, t - 1]
        query[2, t - 1] = 10 * key[1, source]
        query[3, t - 1] = 10 * key[1, t]
    rows = torch.arange(answer_start - 1, T - 1)
    return ids, query, key, rows, span, answer_start


def test_planted_copying_head_is_found_and_current_token_head_is_not():
    ids, query, key, rows, span, answer_start = _planted()
    argmax = attention_argmax(query, key, rows, scaling=1.0)  # (H, A)
    hits = copy_hits(argmax, ids, answer_start, span)
    assert hits[0].all() and hits[2].all()  # copiers, on KV heads 0 and 1 (GQA: h // 2)
    assert not hits[1].any()  # attends to the current token, row t-1
    assert not hits[3].any()  # would copy only if row t (the answer token itself) were visible
    assert (argmax[1] == rows).all()


def test_attention_on_the_span_counts_only_on_the_answer_token():
    ids, query, key, rows, span, answer_start = _planted()
    query[0] = query[0].roll(1, dims=-1)  # head 0 now lands one token later inside the value
    hits = copy_hits(attention_argmax(query, key, rows, 1.0), ids, answer_start, span)
    assert not hits[0].any()


def test_argmax_matches_eager_attention_weights_with_gqa():
    model = tiny_llama(layers=2, heads=4, kv_heads=2)
    model.set_attn_implementation("eager")
    layers = enable_masking(model)
    ids = torch.randint(0, 97, (1, 40), generator=torch.Generator().manual_seed(0))
    rows = torch.arange(20, 39)
    ours = {}

    def recorder(layer, query, key):
        ours[layer] = attention_argmax(query[0], key[0], rows, layers[layer].module.scaling)

    with torch.no_grad(), record_attention_inputs(model, recorder):
        attentions = model(input_ids=ids, output_attentions=True).attentions
    assert [layer.num_kv_heads for layer in layers] == [2, 2]
    for layer, weights in enumerate(attentions):  # (1, H, T, T)
        assert torch.equal(ours[layer], weights[0][:, rows].argmax(-1))
