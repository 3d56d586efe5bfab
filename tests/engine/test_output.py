"""LineAssembler: what a terminal would show, from raw child bytes."""

from __future__ import annotations

from fwlearn.engine.output import MAX_LINE, LineAssembler


def feed_all(*chunks: bytes, max_chars: int | None = None) -> tuple[list[str], LineAssembler]:
    assembler = LineAssembler(max_chars=max_chars)
    lines: list[str] = []
    for chunk in chunks:
        lines += assembler.feed(chunk)
    return lines + assembler.flush(), assembler


def test_plain_lines_split_across_chunks() -> None:
    lines, _ = feed_all(b"hello\nwor", b"ld\n", b"tail")
    assert lines == ["hello", "world", "tail"]


def test_carriage_return_overwrites_like_a_terminal() -> None:
    lines, _ = feed_all(b"10%\r20%\r100%\n")
    assert lines == ["100%"]


def test_keras_style_backspace_redraw_gives_one_clean_line() -> None:
    bar = b" 1/3 [=>...] - loss: 0.9"
    redraw = b"\x08" * len(bar) + b" 3/3 [=====] - loss: 0.5"
    lines, _ = feed_all(bar, redraw, b"\n")
    assert lines == [" 3/3 [=====] - loss: 0.5"]


def test_pending_line_is_the_current_redraw() -> None:
    assembler = LineAssembler()
    assert assembler.feed(b"epoch 1\n 5/10 loss 0.7") == ["epoch 1"]
    assembler.feed(b"\r 9/10 loss 0.6")
    assert assembler.pending == " 9/10 loss 0.6"


def test_escape_sequences_and_control_codes_are_removed() -> None:
    raw = b"\x1b[1mbold\x1b[0m \x1b]0;title\x07text\x07 \x1b[2Jclear\x00\n"
    lines, _ = feed_all(raw)
    assert lines == ["bold text clear"]
    assert all("\x1b" not in line for line in lines)


def test_invalid_utf8_becomes_replacement_characters() -> None:
    lines, _ = feed_all(
        b"ok \xff\xfe bytes\n", "é split".encode()[:1], "é split".encode()[1:] + b"\n"
    )
    assert lines == ["ok \ufffd\ufffd bytes", "é split"]


def test_overlong_line_is_cut_with_a_marker() -> None:
    lines, _ = feed_all(b"x" * (MAX_LINE * 3) + b"\nnext\n")
    assert len(lines) == 2
    assert lines[0].startswith("x" * MAX_LINE) and "line cut" in lines[0]
    assert lines[1] == "next"


def test_volume_cap_drops_the_rest() -> None:
    lines, assembler = feed_all(b"line\n" * 100, b"more\n" * 100, max_chars=250)
    assert assembler.truncated
    assert len(lines) == 50 and lines[-1] == "line"


def test_endless_line_is_cheap_and_later_lines_still_arrive() -> None:
    assembler = LineAssembler(max_chars=10_000)
    lines = assembler.feed(b"y" * 5000)
    for _ in range(1000):
        lines += assembler.feed(b"x" * 65536)
    lines += assembler.feed(b"\nafter\n")
    assert len(lines) == 2 and lines[1] == "after" and not assembler.truncated
    assert len(lines[0]) < MAX_LINE + 50


def test_chunk_boundaries_never_change_the_lines() -> None:
    """The fast path (whole chunks) and the cell-by-cell path agree wherever a read splits."""
    data = (
        b"plain line\n\ttabbed \xc3\xa9 \x00nul\n"
        + b"x" * (MAX_LINE + 10)
        + b"\nprogress 1\rprogress 2\n\xc2\x85c1 gone\nlast"
    )
    whole, _ = feed_all(data)
    assert whole[:2] == ["plain line", "    tabbed é nul"]
    assert whole[3:] == ["progress 2", "c1 gone", "last"]
    for size in (1, 2, 3, 7, 64, 1000):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert feed_all(*chunks)[0] == whole, size


def test_a_flood_split_mid_line_keeps_every_line() -> None:
    data = b"".join(b"line %d of the flood\n" % i for i in range(20_000))
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    lines, assembler = feed_all(*chunks, max_chars=10**9)
    assert lines == [f"line {i} of the flood" for i in range(20_000)]
    assert assembler.chars_out == len(data)


def test_escape_sequence_cut_between_reads_is_still_removed() -> None:
    raw = b"\x1b[1mbold\x1b[0m plain \x1b]0;a title\x07end\n"
    for cut in range(1, len(raw)):
        lines, _ = feed_all(raw[:cut], raw[cut:])
        assert lines == ["bold plain end"], cut
