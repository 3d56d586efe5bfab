"""The lesson loader on fixture packs: what loads, and how each kind of breakage is reported.

Every problem must name the file (and the line where there is one), since a lesson author reads
these messages the way they read compiler errors.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fwlearn.lessons import (
    SIDES,
    LessonProblem,
    Pack,
    Section,
    builtin_pack_dir,
    load_lesson,
    load_pack,
)

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"


def line_of(path: Path, text: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``path`` containing ``text`` (bytes-safe)."""
    found = [
        number
        for number, line in enumerate(path.read_bytes().splitlines(), start=1)
        if text.encode() in line
    ]
    assert len(found) >= nth, f"{text!r} not {nth} times in {path}"
    return found[nth - 1]


@pytest.fixture(scope="module")
def good() -> Pack:
    return load_pack(GOOD)


@pytest.fixture(scope="module")
def broken() -> Pack:
    return load_pack(BROKEN)


def copy_lesson(tmp_path: Path, name: str = "01-basics") -> Path:
    """A writable copy of a good lesson, inside a pack folder of its own."""
    folder = tmp_path / "pack" / name
    shutil.copytree(GOOD / name, folder)
    return folder


def only_problems(folder: Path) -> list[LessonProblem]:
    lesson, problems = load_lesson(folder)
    assert lesson is None
    assert problems
    return problems


# -- a good pack --------------------------------------------------------------------------------


def test_good_pack_loads_sorted_without_problems(good: Pack) -> None:
    assert good.problems == []
    assert [lesson.id for lesson in good.lessons] == ["basics", "facts"]
    assert good.get("facts") is good.lessons[1]
    assert good.get("nope") is None
    assert good.root == GOOD


def test_front_matter_fields(good: Pack) -> None:
    basics = good.get("basics")
    assert basics is not None
    assert (basics.title, basics.order, basics.format_version) == ("Basics", 1, 1)
    assert basics.summary == "A fixture lesson for the loader tests"
    assert basics.timeout == 30.0
    assert basics.requires == ()
    assert basics.folder == GOOD / "01-basics"
    assert basics.source_path == GOOD / "01-basics" / "lesson.md"
    facts = good.get("facts")
    assert facts is not None
    assert facts.timeout == 60.0  # the default
    assert facts.requires == ("basics",)


def test_sections_have_marker_and_end_lines(good: Pack) -> None:
    basics = good.get("basics")
    assert basics is not None
    keras = basics.files["keras"]
    path = keras.path
    total = len(path.read_text(encoding="utf-8").splitlines())
    load_line = line_of(path, "# %% Load the data")
    train_line = line_of(path, "# %% Train")
    assert keras.sections == (
        Section("Load the data", load_line, train_line - 1),
        Section("Train", train_line, total),
    )
    assert basics.section_titles == ("Load the data", "Train")
    assert set(basics.files) == set(SIDES)
    assert basics.files["pytorch"].side == "pytorch"
    assert keras.section("Train") == keras.sections[1]
    assert keras.section("Nope") is None
    assert keras.section_source("Train").startswith("# %% Train\nEPOCHS = 2\n")
    assert keras.preamble_end == load_line - 1


def test_prose_is_split_by_section_headings(good: Pack) -> None:
    basics = good.get("basics")
    assert basics is not None
    assert basics.intro == "Intro prose: both programs read the same points.\n"
    assert basics.prose_for("Load the data").startswith("Read `points.csv`")
    train = basics.prose_for("Train")
    # A "## " line inside a code fence is code, not a heading.
    assert "## not a heading: inside a code fence" in train
    assert basics.prose_for("Nope") == ""
    facts = good.get("facts")
    assert facts is not None and facts.intro == ""


def test_pitfalls_are_found_with_section_and_line(good: Pack) -> None:
    basics = good.get("basics")
    assert basics is not None
    # The plain blockquote in "Train" is not a pitfall.
    (pitfall,) = basics.pitfalls
    assert pitfall.section == "Load the data"
    assert pitfall.text == (
        "the file is read from the working directory,\nwhich is a fresh folder for every run."
    )
    assert pitfall.line == line_of(basics.source_path, "> **Pitfall:**")
    # The note also stays in the prose, so rendering the prose shows it in place.
    assert "**Pitfall:**" in basics.prose_for("Load the data")


def test_a_fence_closes_only_with_its_own_marker(tmp_path: Path) -> None:
    """A ``~~~`` line inside a ```` ``` ```` fence is code: the quote after it is still inside
    the fence, so it is no pitfall note (and the ``## `` line is no heading)."""
    folder = copy_lesson(tmp_path)
    path = replace_in_lesson(
        folder,
        "> Just a quote, not a pitfall.",
        "```text\n~~~\n> **Pitfall:** inside a code fence, not a note\n## Nope\n```\n",
    )
    lesson, problems = load_lesson(folder)
    assert problems == [] and lesson is not None
    assert [pitfall.line for pitfall in lesson.pitfalls] == [line_of(path, "> **Pitfall:** the")]
    assert "> **Pitfall:** inside a code fence" in lesson.prose_for("Train")


def test_exercise_fields(good: Pack) -> None:
    basics = good.get("basics")
    facts = good.get("facts")
    assert basics is not None and facts is not None
    exercise = basics.exercise
    assert exercise.task.startswith("Train for 4 epochs")
    assert exercise.hint == "Look at EPOCHS."
    assert exercise.sides == ("keras", "pytorch")
    assert exercise.fails_initially is True
    assert exercise.solution == {
        side: GOOD / "01-basics" / "solution" / f"in_{side}.py" for side in SIDES
    }
    assert "EPOCHS = 4" in exercise.solution_source("keras")
    assert [c.describe() for c in exercise.checks] == [
        "val_accuracy >= 0.95 (both)",
        "epochs == 4 (both)",
    ]
    assert facts.exercise.sides == ("pytorch",)
    assert facts.exercise.fails_initially is False
    with pytest.raises(KeyError, match="no solution for 'keras'"):
        facts.exercise.solution_source("keras")


def test_builtin_pack_dir_is_next_to_the_package() -> None:
    assert builtin_pack_dir().name == "builtin"
    assert builtin_pack_dir().parent.name == "lessons"


# -- a broken pack: one lesson per kind of problem ----------------------------------------------


def problem_for(pack: Pack, folder: str) -> list[LessonProblem]:
    found = [p for p in pack.problems if p.folder == BROKEN / folder]
    assert found, f"no problem reported for {folder}: {[str(p) for p in pack.problems]}"
    return found


def test_broken_lessons_are_skipped_and_the_rest_loads(broken: Pack) -> None:
    assert [lesson.id for lesson in broken.lessons] == ["fine", "dup"]
    assert broken.get("dup") is not None and broken.get("dup").folder.name == "dup-one"  # type: ignore[union-attr]
    assert set(broken.broken()) == {
        p.folder for p in broken.problems if p.folder not in (BROKEN / "fine", BROKEN / "dup-one")
    }
    # "_tools" is ignored; "not-a-lesson" (no lesson.md) is reported.
    assert not any("_tools" in str(p) for p in broken.problems)


@pytest.mark.parametrize(
    ("folder", "file", "line_text", "message"),
    [
        ("bad-toml", "lesson.md", "timeout = 5", "bad TOML in the front matter: Unclosed array"),
        ("missing-file", "in_pytorch.py", None, "missing pytorch program"),
        ("dup-two", "lesson.md", 'id = "dup"', 'duplicate id "dup"'),
        (
            "mismatched-sections",
            "in_pytorch.py",
            "# %% Training loop",
            'section 2 is "Training loop"',
        ),
        ("unknown-section", "lesson.md", "## Evaluate", 'unknown section "Evaluate"'),
        ("unknown-key", "lesson.md", "titel =", 'unknown key "titel" in the front matter'),
        ("unknown-key", "lesson.md", "minimum = 1", 'unknown key "minimum" in [exercise.check]'),
        ("missing-exercise", "lesson.md", "+++", "missing [exercise] table"),
        ("missing-hint", "lesson.md", "[exercise]", "missing required field exercise.hint"),
        ("newer-format", "lesson.md", "format_version", "format_version 2 is newer than"),
        ("no-pitfall", "lesson.md", None, "no pitfall note"),
        ("missing-solution", "solution/in_keras.py", None, "missing solution file"),
        ("not-a-lesson", "lesson.md", None, "no lesson.md"),
    ],
)
def test_each_problem_names_file_and_line(
    broken: Pack, folder: str, file: str, line_text: str | None, message: str
) -> None:
    path = BROKEN / folder / file
    line = line_of(path, line_text) if line_text is not None else None
    matching = [p for p in problem_for(broken, folder) if message in p.message]
    assert matching, [str(p) for p in problem_for(broken, folder)]
    problem = matching[0]
    assert problem.path == path
    assert problem.line == line
    expected_where = f"{path}:{line}" if line else str(path)
    assert str(problem) == f"{expected_where}: {problem.message}"


def test_duplicate_id_names_both_files(broken: Pack) -> None:
    (problem,) = problem_for(broken, "dup-two")
    assert str(BROKEN / "dup-one" / "lesson.md") in problem.message
    assert problem.path == BROKEN / "dup-two" / "lesson.md"
    assert problem.lesson_id == "dup"


def test_mismatched_sections_points_at_both_markers(broken: Pack) -> None:
    (problem,) = problem_for(broken, "mismatched-sections")
    keras_line = line_of(BROKEN / "mismatched-sections" / "in_keras.py", "# %% Train")
    assert f"in_keras.py:{keras_line}" in problem.message


def test_newer_format_does_not_complain_about_its_keys(broken: Pack) -> None:
    problems = problem_for(broken, "newer-format")
    assert len(problems) == 1
    assert "upgrade fwlearn" in problems[0].message


# -- more problems, made on the fly (fixtures that would upset the linter) ----------------------


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "in_keras.py"
    path.write_text(path.read_text().replace("EPOCHS = 2", "EPOCHS = = 2"), encoding="utf-8")
    (problem,) = only_problems(folder)
    assert problem.path == path
    assert problem.line == line_of(path, "EPOCHS = = 2")
    assert problem.message.startswith("syntax error: ")


def test_syntax_error_in_a_solution(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "solution" / "in_pytorch.py"
    path.write_text("def broken(:\n", encoding="utf-8")
    (problem,) = only_problems(folder)
    assert (problem.path, problem.line) == (path, 1)


def test_invalid_utf8_in_lesson_md_names_the_line_of_the_byte(tmp_path: Path) -> None:
    """Made here, not committed: 'ruff format .' refuses to read a non-UTF-8 .md file."""
    folder = copy_lesson(tmp_path)
    path = folder / "lesson.md"
    path.write_bytes(path.read_bytes().replace(b"Count epochs", b"Count \xff epochs"))
    (problem,) = only_problems(folder)
    assert (problem.path, problem.line) == (path, line_of(path, "Count "))
    assert problem.message.startswith("not valid UTF-8: byte 0xff")


def test_invalid_utf8_in_code_names_the_line_of_the_byte(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "in_pytorch.py"
    data = path.read_bytes().replace(b"# %% Train", b"# %% Tr\xe9in")
    path.write_bytes(data)
    problems = only_problems(folder)
    assert [(p.path, p.line) for p in problems] == [(path, line_of(path, "# %% Tr"))]
    assert "0xe9" in problems[0].message


def test_section_markers_need_unique_titles(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "in_keras.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("# %% Train", "# %% Load the data") + "# %%\n", "utf-8")
    problems = only_problems(folder)
    messages = {(p.line, p.message.split(" (")[0]) for p in problems if p.path == path}
    lines = text.count("\n")
    assert messages == {
        (line_of(path, "EPOCHS") - 1, 'section "Load the data" appears twice'),
        (lines + 1, "a section marker needs a title: '# %% Title'"),
    }


def test_extra_section_in_one_file(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "in_keras.py"
    path.write_text(path.read_text() + "\n# %% Extra\nprint('more')\n", encoding="utf-8")
    (problem,) = only_problems(folder)
    assert (problem.path, problem.line) == (path, line_of(path, "# %% Extra"))
    assert 'section "Extra" has no counterpart in in_pytorch.py' in problem.message


def replace_in_lesson(folder: Path, old: str, new: str) -> Path:
    path = folder / "lesson.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        ("format_version = 1", "format_version = 0", "format_version", "format_version must be 1"),
        ('id = "basics"', 'id = "Basics_1"', "id =", "must be lowercase letters"),
        ("order = 1", 'order = "1"', "order =", "order must be an integer"),
        ('side = "both"', 'side = "jax"', 'side = "jax"', "check side must be keras, pytorch"),
        (
            'metric = "val_accuracy"',
            'metric = "a"\nfact = "b"',
            "[[exercise.check]]",
            "exactly one",
        ),
        ("min = 0.95", 'min = "high"', 'min = "high"', "check min must be a number"),
        ("equals = 4", "", "[[exercise.check]]#2", "needs min, max or equals"),
        (
            'sides = ["keras", "pytorch"]',
            'sides = ["keras"]',
            "pytorch =",
            "a solution for pytorch",
        ),
        ("timeout = 30", "timeout = -1", "timeout = -1", "timeout must be a positive"),
        # TOML has nan and inf; a NaN timeout never fires, an infinite one never ends a run.
        ("timeout = 30", "timeout = nan", "timeout = nan", "seconds, not nan"),
        ("timeout = 30", "timeout = inf", "timeout = inf", "seconds, not inf"),
        ("min = 0.95", "min = nan", "min = nan", "check min must be a number, not nan"),
        ("[exercise]", "[exercise]\nextra = 1", "extra = 1", 'unknown key "extra" in [exercise]'),
    ],
)
def test_front_matter_values_are_checked(
    tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    folder = copy_lesson(tmp_path)
    path = replace_in_lesson(folder, old, new)
    problems = only_problems(folder)
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].path == path
    text, _, nth = at.partition("#")
    assert matching[0].line == line_of(path, text, int(nth or 1))


def test_unknown_required_lesson_is_a_problem_but_the_lesson_loads(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = replace_in_lesson(folder, "timeout = 30", 'requires = ["nowhere"]')
    pack = load_pack(folder.parent)
    assert pack.ids == ["basics"]
    (problem,) = pack.problems
    assert (problem.path, problem.line) == (path, line_of(path, "requires"))
    assert 'requires unknown lesson "nowhere"' in problem.message


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "lesson.md"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    lesson, problems = load_lesson(folder)
    assert problems == []
    assert lesson is not None and lesson.pitfalls[0].line == line_of(path, "> **Pitfall:**")


def test_front_matter_must_be_opened_and_closed(tmp_path: Path) -> None:
    folder = copy_lesson(tmp_path)
    path = folder / "lesson.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("+++\n", "", 1), encoding="utf-8")
    (problem,) = only_problems(folder)
    assert (problem.line, problem.message) == (
        1,
        "lesson.md must start with a '+++' line (TOML front matter)",
    )
    path.write_text(text.rsplit("+++", 1)[0], encoding="utf-8")
    (problem,) = only_problems(folder)
    assert "never closed" in problem.message


def test_load_pack_never_raises_for_a_missing_folder(tmp_path: Path) -> None:
    pack = load_pack(tmp_path / "nowhere")
    assert pack.lessons == []
    assert "no such lesson pack" in str(pack.problems[0])
    empty = load_pack(tmp_path)
    assert (empty.lessons, empty.problems) == ([], [])


# -- imports ------------------------------------------------------------------------------------


def test_lessons_and_cli_commands_stay_light() -> None:
    """fwlearn.lessons is stdlib only; the lesson commands import no UI and no framework."""
    code = (
        "import sys, fwlearn.lessons, fwlearn.cmd_check\n"
        "heavy = ('numpy', 'torch', 'tensorflow', 'keras', 'jax', 'textual', 'rich')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
