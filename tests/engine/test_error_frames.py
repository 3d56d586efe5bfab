"""The Error event's ``frames``: the traceback's frames in the learner's file, for the app to list
and jump to (issue 16 item 3), and the CUDA device's label in Start (issue 16 item 6)."""

from __future__ import annotations

from fwlearn.engine import Error, event_from_dict
from fwlearn.engine.protocol import MAX_FRAMES, decode, encode
from fwlearn.engine.worker import cuda_label


def test_frames_are_the_learners_own_outermost_first(run) -> None:
    """The standard library's frames (json's decoder) are not the learner's file: they are
    left out; the learner's caller and callee are listed with their functions, failing last."""
    result = run(
        """
        import json

        def parse(text):
            return json.loads(text)

        parse("{")
        """
    )
    error = result.error
    assert error is not None and error.exc_type == "JSONDecodeError"
    assert error.frames == (
        {"line": 6, "function": "<module>"},
        {"line": 4, "function": "parse"},
    )
    assert error.line == 4  # the innermost frame in the learner's file, as before
    assert "decoder.py" in error.traceback  # the traceback itself keeps every frame


def test_a_deep_recursion_sends_each_frame_once_and_at_most_max_frames(run) -> None:
    result = run(
        """
        def down(n):
            return down(n + 1) if n < 10 else up(n)

        def up(n):
            return up(n + 1)

        down(0)
        """
    )
    error = result.error
    assert error is not None and error.exc_type == "RecursionError"
    # ~1,000 frames of the same line became one; the innermost (where it failed) is kept.
    assert error.frames[-1] == {"line": 5, "function": "up"}
    assert len(error.frames) <= MAX_FRAMES
    pairs = list(zip(error.frames, error.frames[1:]))
    assert all(a != b for a, b in pairs)


def test_a_syntax_error_has_its_line_and_no_frames(run) -> None:
    result = run("x = 1\ny = (\n")
    error = result.error
    assert error is not None and error.kind == "syntax"
    assert error.line == 2 and error.frames == ()


def test_frames_survive_the_wire_and_json_and_bad_frames_are_skipped() -> None:
    frames = [{"line": 3, "function": "<module>"}, {"line": 1, "function": "f"}]
    sent = {"type": "error", "kind": "exception", "message": "E", "exc_type": "E",
            "traceback": "", "line": 1, "frames": frames}  # fmt: skip
    assert decode(encode(sent))["frames"] == frames  # type: ignore[typeddict-item]
    hostile = {**sent, "frames": [{"line": True}, {"line": -2}, "x", {"line": 7}]}
    assert decode(encode(hostile))["frames"] == [{"line": 7, "function": ""}]  # type: ignore[typeddict-item]
    error = Error("r", 0.0, line=1, frames=tuple(frames))  # type: ignore[arg-type]
    again = event_from_dict(error.to_dict())
    assert again == error  # frames come back as a tuple, as the event holds them


def test_cuda_label_names_the_gpu_and_its_memory() -> None:
    """No GPU on the test machine: the label's formatting, from what torch reports
    (``get_device_properties(0)``: name, total_memory in bytes)."""
    assert cuda_label(0, "NVIDIA H200", 150_754_820_096) == "cuda:0 (NVIDIA H200, 140 GiB)"
    assert cuda_label(1, "Tesla T4", 15_835_660_288) == "cuda:1 (Tesla T4, 15 GiB)"
    assert cuda_label(0, "NVIDIA A100-SXM4-80GB") == "cuda:0 (NVIDIA A100-SXM4-80GB)"
