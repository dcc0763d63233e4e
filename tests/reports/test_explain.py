"""Token-level influence on the embedded model: masking copy heads hurts the repeated passage;
`attninf explain` as a command: colour only on a terminal, one-line errors for what is not a document."""

import contextlib
import json
import os

import pytest

from attention_influence import explain, score_corpus
from attention_influence.cli import main
from attention_influence.reports.command import looks_like_path, use_color
from attention_influence.reports.explain import render_html, render_terminal, summary
from attention_influence.scoring import Scorer

# Copy (induction) heads of SmolLM2-135M-Instruct, found empirically until head detection lands:
# one forward pass over three wikitext passages of 60 tokens written twice, ranking heads by the
# attention from each token of the second copy to the token after its first occurrence; top 14.
# On the test document below, masking them raises the loss of the second copy's tokens by 2.48
# nats on average and of the first copy's by 0.34; 14 random other heads: 0.05 and 0.13.
COPY_HEADS = "17:3,17:4,17:5,18:6,18:7,20:5,20:6,20:7,21:8,22:7,23:2,23:7,24:0,24:4"


@pytest.fixture(scope="module")
def repeated(embedded, wikitext_texts):
    """A ~60-token wikitext passage written twice, and its per-token influence."""
    ids = embedded.tokenizer(wikitext_texts[3])["input_ids"][:60]
    passage = embedded.tokenizer.decode(ids)
    text = passage + " " + passage
    return text, passage, explain(text, embedded, COPY_HEADS)


def _occurrences(tokens, passage):
    """Indices of the tokens of the first and of the second occurrence (by character position)."""
    first, second, position = [], [], 0
    for index, t in enumerate(tokens):
        start, position = position, position + len(t.token)
        if t.delta is None:
            continue
        (first if start < len(passage) else second).append(index)
    return first, second


@pytest.mark.slow
def test_second_occurrence_is_far_more_affected(repeated):
    text, passage, tokens = repeated
    assert "".join(t.token for t in tokens) == text
    first, second = _occurrences(tokens, passage)
    assert len(first) > 40 and len(second) > 40
    mean_first = sum(tokens[i].delta for i in first) / len(first)
    mean_second = sum(tokens[i].delta for i in second) / len(second)
    assert mean_second > 1.0  # nats per token
    assert mean_second > 4 * mean_first
    assert all(abs(t.loss_masked - t.loss_base - t.delta) < 1e-6 for t in tokens[1:])


@pytest.mark.slow
def test_random_heads_leave_the_repeat_alone(embedded, repeated):
    text, passage, _ = repeated
    tokens = explain(text, embedded, "2:0,4:7,6:3,8:1,9:5,11:2,13:6,14:0,19:1,21:4,25:3,26:8,27:5,29:2")
    _, second = _occurrences(tokens, passage)
    assert sum(tokens[i].delta for i in second) / len(second) < 0.5


@pytest.mark.slow
def test_tokens_agree_with_document_score(embedded, repeated):
    text, _, tokens = repeated
    scored = Scorer(embedded, COPY_HEADS).score_texts([text])[0]
    s = summary(tokens)
    assert s["loss_base"] == pytest.approx(scored.loss_base, rel=1e-4)
    assert s["loss_masked"] == pytest.approx(scored.loss_masked, rel=1e-4)
    assert s["score"] == pytest.approx(scored.score, rel=1e-3)


@pytest.mark.slow
def test_windows_give_every_token_one_loss(embedded, repeated):
    text, _, tokens = repeated
    windowed = explain(text, embedded, COPY_HEADS, max_length=50)
    assert [t.token for t in windowed] == [t.token for t in tokens]
    assert windowed[0].delta is None and all(t.delta is not None for t in windowed[1:])


@pytest.mark.slow
def test_renderings(repeated):
    _, _, tokens = repeated
    terminal = render_terminal(tokens)
    assert "\x1b[48;2;" in terminal and "score" in terminal
    page = render_html(tokens)
    assert page.count("<span style=") == len(tokens) + 3  # every token, and the colour key
    assert "http://" not in page and "https://" not in page


@pytest.mark.slow
def test_explain_command_writes_html(embedded, tmp_path, capsys):
    doc = tmp_path / "doc.txt"
    doc.write_text("The cat sat on the mat. The cat sat on the mat.")
    assert main(["explain", str(doc), "--heads", COPY_HEADS, "--out", str(tmp_path / "x"), "--device", "cpu"]) == 0
    assert (tmp_path / "x" / "explain.html").is_file()
    assert len((tmp_path / "x" / "tokens.jsonl").read_text().splitlines()) > 10
    assert "wrote" in capsys.readouterr().out


@pytest.mark.slow
def test_explain_masks_the_shipped_heads_when_given_none(embedded, tmp_path, capsys):
    """As score and run do: the embedded model's shipped heads, by default."""
    from attention_influence.heads import parse_heads, shipped_heads

    text = "The cat sat on the mat. The cat sat on the mat."
    shipped = parse_heads(str(shipped_heads(embedded.fingerprint)))
    assert [t.delta for t in explain(text, embedded)] == [t.delta for t in explain(text, embedded, shipped)]
    assert main(["explain", text, "--out", str(tmp_path / "x"), "--device", "cpu", "--dtype", "float32"]) == 0
    assert (tmp_path / "x" / "explain.html").is_file()


SHORT = "The cat sat on the mat. The cat sat on the mat."


@pytest.mark.slow
def test_plain_table_when_stdout_is_not_a_terminal(capsys):
    assert main(["explain", SHORT, "--heads", COPY_HEADS, "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "position\tdelta\tloss_base\tloss_masked\ttoken"
    rows = [line.split("\t") for line in lines[1:] if not line.startswith("#")]
    assert rows[0][1:4] == ["-", "-", "-"]  # the first token is not predicted
    assert all(float(r[1]) == pytest.approx(float(r[3]) - float(r[2]), abs=2e-4) for r in rows[1:])
    assert "".join(json.loads(r[4]) for r in rows).endswith(SHORT)
    assert lines[-1].startswith("# loss base ") and "score " in lines[-1]


def _on_a_terminal(argv: list[str]) -> tuple[int, str]:
    """main(argv) with stdout on a real pseudo-terminal: (exit status, what the terminal received)."""
    controller, terminal = os.openpty()
    try:
        with open(terminal, "w", encoding="utf-8", closefd=False) as tty, contextlib.redirect_stdout(tty):
            status = main(argv)
        received = b""
        while chunk := _read_available(controller):
            received += chunk
        return status, received.decode()
    finally:
        os.close(terminal)
        os.close(controller)


def _read_available(fd: int) -> bytes:
    import select

    return os.read(fd, 1 << 16) if select.select([fd], [], [], 0)[0] else b""


@pytest.mark.slow
def test_no_color_turns_colour_off_on_a_terminal(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    status, received = _on_a_terminal(["explain", SHORT, "--heads", COPY_HEADS, "--device", "cpu"])
    assert status == 0
    assert "\x1b" not in received and received.startswith("position\tdelta")


def test_use_color_follows_the_terminal_and_no_color(tmp_path):
    controller, terminal = os.openpty()
    with open(terminal, "w", closefd=True) as tty, open(tmp_path / "out.txt", "w") as file:
        assert use_color(tty, {}) and use_color(tty, {"NO_COLOR": ""})  # set but empty: colour stays on
        assert not use_color(tty, {"NO_COLOR": "1"}) and not use_color(tty, {"NO_COLOR": "false"})
        assert not use_color(tty, {"TERM": "dumb"})
        assert not use_color(file, {}) and use_color(file, {"NO_COLOR": "1"}, mode="always")
        assert not use_color(tty, {}, mode="never")
    os.close(controller)


def _error(argv: list[str], capsys) -> str:
    """The one-line message of a command that must fail with exit status 2."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("attninf: error: ")
    return err


@pytest.mark.parametrize(
    "data, message",
    [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file (it has NUL bytes)"), (b"caf\xe9 au lait", "not UTF-8")],
)
def test_binary_file_is_an_error(tmp_path, capsys, data, message):
    doc = tmp_path / "doc.bin"
    doc.write_bytes(data)
    assert message in _error(["explain", str(doc), "--heads", COPY_HEADS, "--device", "cpu"], capsys)


@pytest.mark.parametrize("doc", ["notes/missing.txt", "missing.jsonl", "./doc", "data\\doc"])
def test_mistyped_path_is_an_error(tmp_path, capsys, monkeypatch, doc):
    monkeypatch.chdir(tmp_path)
    err = _error(["explain", doc, "--heads", COPY_HEADS, "--device", "cpu"], capsys)
    assert f"{doc!r} is not a file" in err and "attninf explain -" in err


def test_a_folder_is_an_error(tmp_path, capsys):
    assert "is a folder" in _error(["explain", str(tmp_path), "--heads", COPY_HEADS, "--device", "cpu"], capsys)


@pytest.mark.parametrize(
    "doc, path",
    [
        ("notes/missing.txt", True),
        ("corpus.jsonl.gz", True),
        ("C:\\doc", True),
        ("Hello.", False),
        ("e.g.", False),
        ("3.14", False),
        ("and/or is fine in a sentence.", False),
        ("see notes.txt", False),
    ],
)
def test_looks_like_path(doc, path):
    assert looks_like_path(doc) is path


@pytest.fixture(scope="module")
def run_with_duplicate_id(embedded, tmp_path_factory):
    """A scored run whose id "dup" names a document in each of two files."""
    folder = tmp_path_factory.mktemp("dup")
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, text in (("a.jsonl", "Two plus two is four."), ("b.jsonl", "The lobster is blue in life.")):
        (corpus / name).write_text(json.dumps({"id": "dup", "text": text}) + "\n")
    (corpus / "c.jsonl").write_text(json.dumps({"id": "one", "text": "A cat sat on a mat."}) + "\n")
    score_corpus([str(corpus)], str(folder / "run"), COPY_HEADS, embedded, progress=False)
    return folder / "run", corpus


@pytest.mark.slow
def test_duplicate_id_in_the_run_is_an_error(run_with_duplicate_id, capsys):
    run, corpus = run_with_duplicate_id
    err = _error(["explain", "dup", "--run", str(run), "--device", "cpu"], capsys)
    assert "'dup' occurs 2 times" in err and str(corpus / "a.jsonl") in err and str(corpus / "b.jsonl") in err


@pytest.mark.slow
def test_mistyped_id_of_the_run_is_an_error(run_with_duplicate_id, capsys):
    run, _ = run_with_duplicate_id
    assert f"'onee' is not an id of {run}, nor a file" in _error(["explain", "onee", "--run", str(run)], capsys)


@pytest.mark.parametrize("data", [b"not \xff text", b"\x00\x01"])
def test_standard_input_is_read_with_a_dash_and_checked(capsys, monkeypatch, tmp_path, data):
    (tmp_path / "in.txt").write_bytes(data)
    with open(tmp_path / "in.txt", "rb") as raw, open(raw.fileno(), closefd=False) as stdin:
        monkeypatch.setattr("sys.stdin", stdin)
        assert "standard input: " in _error(["explain", "-", "--heads", COPY_HEADS], capsys)
