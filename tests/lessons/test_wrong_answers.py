"""Issue 14's checks, as an author and a learner meet them: wrong answers in the loader and in
``fwlearn check``, run labels and across checks end to end, ``keras_backends``, and ``fwlearn
verify``. Real subprocesses on the plain-Python ``labels`` fixture (two labelled runs, an across
check, an invariant on the side the learner does not edit, two wrong answers), so each command
takes a second or two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fwlearn.lessons import load_lesson

FIXTURES = Path(__file__).parent / "fixtures"
LABELS = Path("labels")
LESSON = FIXTURES / "labels" / "01-labels"


def fwlearn(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command as an author types it in the fixtures folder (80 columns)."""
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
        cwd=FIXTURES,
        timeout=120,
    )


def copy(tmp_path: Path) -> Path:
    """A writable copy of the labels pack; returns the lesson folder."""
    shutil.copytree(LESSON.parent, tmp_path / "pack")
    return tmp_path / "pack" / LESSON.name


def problems(folder: Path) -> list[str]:
    lesson, found = load_lesson(folder)
    assert lesson is None or not found
    return [str(p) for p in found]


# -- the loader ---------------------------------------------------------------------------------


def test_the_loader_reads_wrong_answers_labels_and_across_checks() -> None:
    lesson, found = load_lesson(LESSON)
    assert lesson is not None, found
    wrong = {(w.name, w.side): w.why for w in lesson.exercise.wrong}
    assert wrong == {
        ("other-start", "keras"): "passes by starting from a smaller loss than the pytorch side",
        ("sgd-run", "keras"): "tunes the sgd run, which reports last, instead of the adam run",
    }
    adam, across, invariant = lesson.exercise.checks
    assert (adam.run, adam.label, adam.requirement()) == ("adam", "loss@adam", "loss@adam <= 0.2")
    assert across.across and not across.applies_to("keras") and not across.applies_to("pytorch")
    assert across.requirement() == "|keras loss_before - pytorch loss_before| <= 1e-06"
    assert invariant.side == "pytorch" and lesson.exercise.sides == ("keras",)
    assert lesson.keras_backends is None  # default: every installed backend


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("wrong/Bad_Name/in_keras.py", "# Wrong: x\n", 'wrong answer name "Bad_Name" must be'),
        ("wrong/no-why/in_keras.py", "x = 1\n", "first line says which mistake it is"),
        ("wrong/extra/notes.txt", "hello\n", "a wrong answer folder holds only in_keras.py"),
        ("wrong/torch/in_pytorch.py", "# Wrong: x\n", "exercise.sides does not include pytorch"),
        ("wrong/broken/in_keras.py", "# Wrong: x\ndef (:\n", "syntax error"),
    ],
)
def test_a_bad_wrong_answer_is_a_located_problem(
    tmp_path: Path, where: str, text: str, message: str
) -> None:
    folder = copy(tmp_path)
    path = folder / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    found = problems(folder)
    assert any(message in p for p in found), found


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('run = "adam"', 'run = "ad am"', "check run must be a run label"),
        ('side = "across"', 'side = "sideways"', "keras, pytorch, both or across"),
        ("max = 1e-6", 'equals = "same"', "equals must be a number"),
        ("timeout = 30", 'timeout = 30\nkeras_backends = ["theano"]', "keras_backends must list"),
        (
            "equals = 3",
            'equals = 3\n[pinned_keras_backend]\ntorch = "torch"',
            "'torch' is not a side",
        ),
        (
            "equals = 3",
            'equals = 3\n[pinned_keras_backend]\npytorch = "jaxx"',
            "pinned_keras_backend.pytorch",
        ),
    ],
)
def test_bad_check_fields_are_located_problems(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    folder = copy(tmp_path)
    lesson_md = folder / "lesson.md"
    lesson_md.write_text(lesson_md.read_text().replace(old, new, 1), encoding="utf-8")
    found = problems(folder)
    assert any(message in p and "lesson.md:" in p for p in found), found


def test_a_lesson_can_say_it_is_about_one_keras_backend(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    lesson_md = folder / "lesson.md"
    text = lesson_md.read_text().replace(
        "timeout = 30", 'timeout = 30\nkeras_backends = ["torch", "tensorflow"]'
    )
    lesson_md.write_text(text, encoding="utf-8")
    lesson, found = load_lesson(folder)
    assert lesson is not None, found
    assert lesson.keras_backends == ("tensorflow", "torch")  # in KERAS_BACKENDS order


def pin_pytorch_to_torch(folder: Path) -> None:
    """The labels lesson with its pytorch side pinned to Keras on torch, and an invariant that
    the side really ran with KERAS_BACKEND=torch (the program reports what it got)."""
    lesson_md = folder / "lesson.md"
    pinned = 'equals = 3\n\n[[exercise.check]]\nside = "pytorch"\nfact = "on_torch"\nequals = 1\n'
    pinned += '\n[pinned_keras_backend]\npytorch = "torch"'
    lesson_md.write_text(lesson_md.read_text().replace("equals = 3", pinned, 1), encoding="utf-8")
    program = folder / "in_pytorch.py"
    program.write_text(
        program.read_text()
        + 'import os\n\nreport_fact("on_torch", int(os.environ.get("KERAS_BACKEND") == "torch"))\n',
        encoding="utf-8",
    )


def test_a_side_can_be_pinned_to_a_keras_backend(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    pin_pytorch_to_torch(folder)
    lesson, found = load_lesson(folder)
    assert lesson is not None, found
    assert lesson.pinned_keras_backend == {"pytorch": "torch"}
    assert lesson.keras_backend_for("pytorch", "tensorflow") == "torch"
    assert lesson.keras_backend_for("keras", "tensorflow") == "tensorflow"


# -- fwlearn check ------------------------------------------------------------------------------


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_runs_a_pinned_side_once_on_its_pin(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    pin_pytorch_to_torch(folder)
    done = fwlearn("check", tmp_path / "pack", "--json", "--jobs", "2", "--keras-backend", "all")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    pytorch_runs = [r for r in report["runs"] if r["side"] == "pytorch"]
    assert len(pytorch_runs) == 1, pytorch_runs  # not once per Keras backend
    assert pytorch_runs[0]["check"] == "pass"  # on_torch == 1: it ran with KERAS_BACKEND=torch
    # Unpinned, the same invariant fails on the default backend: the pin is what made it pass.
    lesson_md = folder / "lesson.md"
    lesson_md.write_text(
        lesson_md.read_text().replace('[pinned_keras_backend]\npytorch = "torch"', ""),
        encoding="utf-8",
    )
    done = fwlearn("check", tmp_path / "pack", "--keras-backend", "tensorflow")
    assert done.returncode == 1 and "on_torch is 0; needs on_torch == 1" in done.stdout, done.stdout


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_run_and_verify_run_a_pinned_side_on_its_pin(tmp_path: Path) -> None:
    """`fwlearn run FILE`, `fwlearn run LESSON` and `fwlearn verify` honour the pin, as the app
    and check do: the program reports on_torch 1 with tensorflow asked for."""
    folder = copy(tmp_path)
    pin_pytorch_to_torch(folder)
    program = folder / "in_pytorch.py"
    fact = '"name": "on_torch", "value": 1'
    done = fwlearn("run", program, "--json", "--keras-backend", "tensorflow")
    assert done.returncode == 0 and fact in done.stdout, done.stdout + done.stderr
    pack = ["--lessons", tmp_path / "pack"]
    done = fwlearn("run", "labels", *pack, "--side", "pytorch", "--json")
    assert done.returncode == 0 and fact in done.stdout, done.stdout + done.stderr
    home = {"FWLEARN_HOME": str(tmp_path / "home")}
    done = fwlearn("verify", "labels", *pack, "--keras-backend", "tensorflow", env=home)
    assert "✓ pytorch: on_torch == 1" in done.stdout, done.stdout + done.stderr
    assert "pytorch (keras on torch, pinned by the lesson)" in done.stdout


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_runs_every_wrong_answer_and_requires_it_to_fail() -> None:
    done = fwlearn("check", LABELS, "--json", "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    runs = {(r["side"], r["what"]): r for r in report["runs"]}
    assert set(runs) == {
        ("keras", "start"),
        ("pytorch", "start"),
        ("keras", "solution"),
        ("keras", "wrong:sgd-run"),
        ("keras", "wrong:other-start"),
    }
    assert {k: (r["status"], r["check"], r["expected"]) for k, r in runs.items()} == {
        ("keras", "start"): ("ok", "fail", "fail"),
        ("pytorch", "start"): ("ok", "pass", "pass"),  # the invariant on the shipped program
        ("keras", "solution"): ("ok", "pass", "pass"),
        ("keras", "wrong:sgd-run"): ("ok", "fail", "fail"),  # the run label catches it
        ("keras", "wrong:other-start"): ("ok", "fail", "fail"),  # the across check catches it
    }
    assert all(r["backend"] is None for r in runs.values())  # plain Python: runs once
    assert all(r["seconds"] > 0 for r in runs.values())
    assert report["unexpected"] == [] and report["ok"]
    # The human table went to stderr, with a row per wrong answer.
    assert "wrong:sgd-run" in done.stderr and "all good: 1 lesson, 5 runs" in done.stderr


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_fails_naming_a_wrong_answer_that_passes(tmp_path: Path) -> None:
    """A check that reads whatever run reported last lets the sgd-run mistake through."""
    folder = copy(tmp_path)
    lesson_md = folder / "lesson.md"
    lesson_md.write_text(lesson_md.read_text().replace('run = "adam"\n', ""), encoding="utf-8")
    (folder / "solution" / "in_pytorch.py").write_text("# a draft nobody runs\n")
    done = fwlearn("check", tmp_path / "pack")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "the wrong answer " in done.stdout and "sgd-run/in_keras.py passes the check" in done.stdout
    )
    assert "solution/in_pytorch.py is not named in [exercise.solution]" in done.stdout
    # Without the label the starting file passes too: it reads the sgd run's loss.
    assert "already passes its side's check" in done.stdout


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_fails_when_the_shipped_program_breaks_its_invariant(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    program = folder / "in_pytorch.py"
    program.write_text(
        program.read_text().replace('report_fact("epochs", 3)', 'report_fact("epochs", 2)')
    )
    done = fwlearn("check", tmp_path / "pack")
    assert done.returncode == 1
    assert "(not edited in the exercise) fails its own conditions:" in done.stdout
    assert "✗ pytorch: epochs is 2; needs epochs == 3" in done.stdout


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_notes_the_backends_it_skips(tmp_path: Path) -> None:
    done = fwlearn("check", LABELS, "--keras-backend", "jax")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note: keras on jax skipped: jax is not installed (see fwlearn doctor)" in done.stdout
    folder = copy(tmp_path)
    lesson_md = folder / "lesson.md"
    text = lesson_md.read_text().replace(
        "timeout = 30", 'timeout = 30\nkeras_backends = ["tensorflow"]'
    )
    lesson_md.write_text(text, encoding="utf-8")
    done = fwlearn("check", tmp_path / "pack", "--keras-backend", "torch")
    assert (
        "note: labels: keras on torch skipped (lesson.md: keras_backends = [tensorflow])"
        in done.stdout
    )


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_check_rejects_an_unknown_backend() -> None:
    done = fwlearn("check", LABELS, "--keras-backend", "theano")
    assert done.returncode == 2 and "invalid choice: 'theano'" in done.stderr


# -- fwlearn verify -----------------------------------------------------------------------------


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_verify_fails_the_starting_file_and_shows_the_values(tmp_path: Path) -> None:
    done = fwlearn("verify", "labels", "--lessons", LABELS, env={"FWLEARN_HOME": str(tmp_path)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "keras on tensorflow: the starting file" in done.stdout
    assert "✗ keras: loss@adam is 0.4854; needs loss@adam <= 0.2" in done.stdout
    assert "✓ pytorch: epochs == 3 (shipped program, not part of the exercise)" in done.stdout
    assert "verdict: not passed yet" in done.stdout


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_verify_passes_the_solution_and_refuses_each_wrong_answer(tmp_path: Path) -> None:
    home = {"FWLEARN_HOME": str(tmp_path)}
    solution = LESSON / "solution" / "in_keras.py"
    done = fwlearn("verify", "labels", "--lessons", LABELS, "--keras", solution, env=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: pass" in done.stdout
    wrong = LESSON / "wrong" / "other-start" / "in_keras.py"
    done = fwlearn("verify", "1", "--lessons", LABELS, "--keras", wrong, "--json", env=home)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["passed"] is False and report["sides"]["keras"]["passed"] is True
    [across] = report["across"]
    assert across["name"] == "loss_before" and across["value"] == pytest.approx(0.45)
    assert across["needs"] == "|keras loss_before - pytorch loss_before| <= 1e-06"
    assert not across["passed"] and "(keras 0.05, pytorch 0.5)" in across["message"]
    [invariant] = report["sides"]["pytorch"]["checks"]
    assert (invariant["value"], invariant["passed"], report["sides"]["pytorch"]["edited"]) == (
        3,
        True,
        False,
    )


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_verify_usage_errors_exit_2(tmp_path: Path) -> None:
    home = {"FWLEARN_HOME": str(tmp_path)}
    missing = fwlearn("verify", "labels", "--lessons", LABELS, "--keras", "nope.py", env=home)
    assert missing.returncode == 2 and "cannot read --keras nope.py" in missing.stderr
    unknown = fwlearn("verify", "nosuch", "--lessons", LABELS, env=home)
    assert unknown.returncode == 2


@pytest.mark.engine  # runs `fwlearn` in a subprocess
def test_a_wrong_answer_may_fail_by_crashing_and_is_listed(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    crash = folder / "wrong" / "no-grad" / "in_keras.py"
    crash.parent.mkdir()
    crash.write_text("# Wrong: takes a gradient that is None\nraise RuntimeError('None grad')\n")
    done = fwlearn("check", tmp_path / "pack")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrong answers that fail by not finishing" in done.stdout
    assert "RuntimeError: None grad" in done.stdout and "failed runs:" not in done.stdout
