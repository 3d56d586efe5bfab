"""The reference grammar of the prose (``fwlearn.lessons.refs``): parsing, code, rendering,
bare numbers, the tolerance, and the loader's errors for a malformed reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fwlearn.lessons import load_lesson, refs
from fwlearn.lessons.refs import MISSING, Malformed, Reference

FIXTURES = Path(__file__).parent / "fixtures"


def only(text: str) -> Reference:
    found, bad = refs.scan(text)
    assert bad == [] and len(found) == 1, (found, bad)
    return found[0]


def test_the_forms_of_a_run_reference() -> None:
    ref = only("Accuracy {keras.metric.val_accuracy:.3f} here.")
    assert (ref.kind, ref.side, ref.program, ref.name, ref.format) == (
        "metric",
        "keras",
        "start",
        "val_accuracy",
        ".3f",
    )
    assert (ref.backend, ref.label) == (None, None)
    ref = only("{solution.pytorch.fact.test_mse:.4f}")
    assert (ref.program, ref.side, ref.kind, ref.name) == (
        "solution",
        "pytorch",
        "fact",
        "test_mse",
    )
    ref = only("{keras.metric.val_loss@adam:.3f}")
    assert (ref.name, ref.label) == ("val_loss", "adam")
    ref = only("{keras@torch.fact.padding_effect:.2f}")
    assert (ref.backend, ref.name, ref.format) == ("torch", "padding_effect", ".2f")
    assert only("{pytorch.metric.loss}").format == refs.DEFAULT_FORMAT == ".4g"
    assert not ref.varies
    ref = only("{~solution.keras@torch.fact.ms_per_step@race:.1f}")
    assert ref.varies and (ref.program, ref.backend, ref.name, ref.label, ref.format) == (
        "solution",
        "torch",
        "ms_per_step",
        "race",
        ".1f",
    )


def test_quoted_numbers_render_as_written_and_an_article_says_so() -> None:
    text = "lr {article:0.01}, threshold {literal:0.85}."
    assert [r.kind for r in refs.scan(text)[0]] == ["article", "literal"]
    assert refs.render(text, lambda r: MISSING) == "lr 0.01 (article), threshold 0.85."


def test_rendering_recorded_and_own_values_and_what_is_not_recorded() -> None:
    text = "The start reaches {keras.metric.val_accuracy:.3f}; the fix {pytorch.fact.mse:.2f}."
    values = {"val_accuracy": 0.96912, "mse": MISSING}
    assert (
        refs.render(text, lambda r: values[r.name])
        == "The start reaches 0.969; the fix (not recorded)."
    )
    mine = refs.render(
        text, lambda r: values[r.name], lambda r: 0.9551 if r.side == "keras" else MISSING
    )
    assert mine == "The start reaches 0.969 (yours: 0.955); the fix (not recorded)."
    assert "{" not in mine


def test_code_spans_and_fences_are_never_references() -> None:
    text = (
        "Use `{x: 1}` and ``a `{b}` c`` here, 0.123 in `0.456`.\n"
        "```python\n"
        "d = {keras.metric.loss}  # 0.789\n"
        "```\n"
        "~~~\n"
        "{also code}\n"
        "~~~\n"
        "after {keras.metric.loss}\n"
    )
    found, bad = refs.scan(text, first_line=10)
    assert bad == []
    assert [(r.line, r.name) for r in found] == [(17, "loss")]
    assert refs.bare_decimals(text, first_line=10) == [(10, "0.123")]
    rendered = refs.render(text, lambda r: 0.5)
    assert rendered.startswith("Use `{x: 1}` and ``a `{b}` c`` here")
    assert "d = {keras.metric.loss}  # 0.789" in rendered
    assert rendered.endswith("after 0.5\n")


def test_an_unclosed_backtick_is_text_and_a_span_stops_at_a_blank_line() -> None:
    text = "a ` tick {keras.metric.loss}\n\nthen ` more"
    assert [r.name for r in refs.scan(text)[0]] == ["loss"]


def test_double_braces_are_literal_braces() -> None:
    text = "a dict {{'a': 1}} and {{ alone }}"
    assert refs.scan(text) == ([], [])
    assert refs.render(text, lambda r: MISSING) == "a dict {'a': 1} and { alone }"
    assert refs.bare_decimals("{{0.123}}") == [(1, "0.123")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{keras.metrc.loss}", 'unknown kind "metrc"'),
        ("{tf.metric.loss}", 'unknown side "tf"'),
        ("{pytorch@torch.metric.loss}", "only keras takes a backend"),
        ("{keras@tpu.metric.loss}", "only keras takes a backend"),
        ("{keras.metric.loss:.3q}", "bad format spec"),
        ("{keras.metric}", "expected {"),
        ("{article:about}", "must contain digits"),
        ("a {dict} here", "expected {"),
        ("open { without close", "without its '}'"),
        ("a lone } brace", "a lone '}'"),
    ],
)
def test_malformed_references(text: str, reason: str) -> None:
    found, bad = refs.scan(f"line one\n{text}", first_line=5)
    assert found == []
    assert len(bad) == 1 and isinstance(bad[0], Malformed)
    assert bad[0].line == 6
    assert reason in str(bad[0])


def test_bare_decimals_need_two_digits_and_skip_versions_words_and_links() -> None:
    text = (
        "loss 0.0425 and 93.75% but 1.5 and 3 are fine; torch 2.13.0, x1.25, "
        "[docs](https://x.org/v0.12.html), end 0.95.\n"
        "next .75 and {keras.metric.loss:.3f} and {literal:0.85}"
    )
    assert refs.bare_decimals(text, first_line=3) == [
        (3, "0.0425"),
        (3, "93.75"),
        (3, "0.95"),
        (4, ".75"),
    ]


def test_values_that_render_alike_agree_others_within_the_tolerance() -> None:
    ref = only("{keras.metric.acc:.2f}")
    assert refs.agree(ref, 0.9212, 0.9248, tolerance=0.0)  # both show "0.92"
    # Rounding can split values 0.0002 apart; the relative tolerance covers that.
    assert not refs.agree(ref, 0.9249, 0.9251, tolerance=0.0)
    assert refs.agree(ref, 0.9249, 0.9251, tolerance=0.02)
    precise = only("{pytorch.fact.mse:.4f}")
    assert not refs.agree(precise, 0.0425, 0.0411, tolerance=0.02)  # custom-loss's drift
    assert refs.agree(precise, 0.0425, 0.0421, tolerance=0.02)
    assert refs.agree(precise, 0.04251, 0.04249, tolerance=0.0)  # both show 0.0425
    assert refs.agree(only("{keras.fact.shape}"), [32, 3], [32, 3], tolerance=0.02)
    assert not refs.agree(only("{keras.fact.shape}"), [32, 3], [32, 2], tolerance=0.02)


def test_a_malformed_reference_is_a_loader_error_naming_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "01-basics"
    shutil.copytree(FIXTURES / "good" / "01-basics", folder)
    lesson_md = folder / "lesson.md"
    text = lesson_md.read_text(encoding="utf-8")
    text = text.replace("Count epochs from 1", "Count {keras.metrik.loss} epochs from 1")
    text = text.replace('hint = "Look at EPOCHS."', 'hint = "Look at {EPOCHS}."')
    lesson_md.write_text(text, encoding="utf-8")
    lesson, problems = load_lesson(folder)
    assert lesson is None
    lines = text.splitlines()
    body_line = next(i for i, line in enumerate(lines, 1) if "metrik" in line)
    hint_line = next(i for i, line in enumerate(lines, 1) if line.startswith("hint ="))
    found = {(p.line, p.message.split(":")[0]) for p in problems}
    assert found == {
        (hint_line, "malformed reference {EPOCHS}"),
        (body_line, "malformed reference {keras.metrik.loss}"),
    }
    assert all(p.path == lesson_md for p in problems)


def test_references_in_a_multiline_task_are_located(tmp_path: Path) -> None:
    folder = tmp_path / "01-basics"
    shutil.copytree(FIXTURES / "good" / "01-basics", folder)
    lesson_md = folder / "lesson.md"
    text = lesson_md.read_text(encoding="utf-8").replace(
        'task = "Train for 4 epochs instead of 2 so that accuracy reaches 1."',
        'task = """\nTrain for 4 epochs\ninstead of {keras.metric.val_accuracy:.2f}."""',
    )
    lesson_md.write_text(text, encoding="utf-8")
    lesson, problems = load_lesson(folder)
    assert lesson is not None, problems
    from fwlearn.lessons.prose_check import lesson_references

    found, _bare = lesson_references(lesson)
    line = next(i for i, line in enumerate(text.splitlines(), 1) if "instead of {" in line)
    assert [(r.line, r.name) for r in found] == [(line, "val_accuracy")]
