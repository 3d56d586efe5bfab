"""``fwlearn check / list / run LESSON`` as a learner or author runs them: real subprocesses.

The fixture programs are plain Python, so a whole ``check`` takes a second or two. Commands run
in the fixtures folder with relative pack paths, as an author would type them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Starts real `fwlearn` subprocesses: `make test`, not `make test-fast` (fake engine only).
pytestmark = pytest.mark.engine

FIXTURES = Path(__file__).parent / "fixtures"
GOOD, FAILING, BROKEN = Path("good"), Path("failing"), Path("broken")


def fwlearn(*args: str | Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=FIXTURES,
        timeout=120,
    )


def rows(stdout: str) -> dict[tuple[str, str, str], list[str]]:
    """The check table as {(lesson, side, what): [status, check, time, ...]}."""
    table = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6 and (
            fields[2] in ("start", "solution") or fields[2].startswith("wrong:")
        ):
            table[(fields[0], fields[1], fields[2])] = fields[3:]
    return table


def test_check_passes_on_a_good_pack() -> None:
    done = fwlearn("check", GOOD)
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert set(table) == {
        ("basics", "keras", "wrong:three-epochs"),
        ("basics", "pytorch", "wrong:three-epochs"),
        ("facts", "pytorch", "wrong:answer-off-by-one"),
        ("basics", "keras", "start"),
        ("basics", "pytorch", "start"),
        ("basics", "keras", "solution"),
        ("basics", "pytorch", "solution"),
        ("facts", "keras", "start"),
        ("facts", "pytorch", "start"),
        ("facts", "pytorch", "solution"),  # the exercise only edits pytorch
    }
    assert all(fields[0] == "ok" for fields in table.values())
    # fails_initially: the starting code fails the check, the solution passes it.
    assert table[("basics", "keras", "start")][1] == "fail"
    assert table[("basics", "keras", "solution")][1] == "pass"
    assert table[("facts", "keras", "start")][1] == "-"
    assert re.fullmatch(r"\d+\.\ds", table[("basics", "keras", "start")][2])
    assert table[("basics", "keras", "wrong:three-epochs")][1] == "fail"  # refused, as it must be
    assert "val_acc 1 acc 1 loss 0.25" in fwlearn("check", GOOD, columns=120).stdout
    assert "all good: 2 lessons, 10 runs" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_check_fails_on_a_wrong_solution_and_a_crash() -> None:
    done = fwlearn("check", FAILING, "--jobs", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("crashes", "pytorch", "start")][0] == "failed"
    assert table[("wrong-solution", "keras", "solution")][:2] == ["ok", "fail"]
    crash_line = 16  # print(1 / 0) in failing/02-crashes/in_pytorch.py
    assert (FIXTURES / FAILING / "02-crashes" / "in_pytorch.py").read_text().splitlines()[
        crash_line - 1
    ] == ("print(1 / 0)")
    assert f"exception at line {crash_line}: ZeroDivisionError" in done.stdout
    assert "wrong-solution: the check fails on the solution:" in done.stdout
    assert "✗ keras: val_accuracy is 0.5; needs val_accuracy >= 0.95" in done.stdout
    assert "FAILED: 1 failed run, 1 unexpected check (2 lessons, 12 runs)" in done.stdout


def test_check_reports_problems_and_fails(tmp_path: Path) -> None:
    done = fwlearn("check", BROKEN, "--lesson", "fine")
    assert done.returncode == 0, done.stdout  # one good lesson of a broken pack
    done = fwlearn("check", BROKEN, "--lesson", "bad-toml")
    assert done.returncode == 1
    assert "broken/bad-toml/lesson.md:8: bad TOML in the front matter" in done.stdout
    assert "FAILED: 1 problem" in done.stdout
    done = fwlearn("check", BROKEN, "--lesson", "fien")
    assert done.returncode == 2
    assert "did you mean: fine?" in done.stderr
    done = fwlearn("check", tmp_path / "nowhere")
    assert done.returncode == 2 and "no lesson pack" in done.stderr


def test_list_json_and_human() -> None:
    done = fwlearn("list", "--json", "--lessons", BROKEN)
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert [lesson["id"] for lesson in data["lessons"]] == ["fine", "dup"]
    broken = {Path(entry["folder"]).name: entry for entry in data["broken"]}
    assert "bad-toml" in broken and "fine" not in broken
    assert broken["dup-two"]["id"] == "dup"
    assert "duplicate id" in broken["dup-two"]["problems"][0]
    human = fwlearn("--lessons", GOOD, "list")
    assert human.returncode == 0
    assert re.search(r"^\s+1\s+basics\s+Basics\s+A fixture lesson", human.stdout, re.MULTILINE)


def test_run_lesson_streams_both_sides_then_the_check() -> None:
    done = fwlearn("run", "basics", "--lessons", GOOD)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[keras] keras: 2 epochs on 3 points" in out
    assert "[pytorch] pytorch: 2 epochs on 3 points" in out
    assert out.index("[keras]") < out.index("[pytorch]")  # one side after the other
    assert "check: not passed" in out
    assert "✗ pytorch: epochs is 2; needs epochs == 4" in out


def test_run_lesson_json_one_side() -> None:
    done = fwlearn("run", "facts", "--side", "pytorch", "--json", "--lessons", GOOD)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["type"] == "start" and lines[-2]["type"] == "end"
    assert lines[-1] == {
        "type": "lesson_check",
        "lesson": "facts",
        "runs": {"pytorch": lines[0]["run_id"]},
        "passed": True,
        "messages": ["✓ pytorch: answer == 42"],
    }


def test_run_unknown_lesson_is_a_usage_error() -> None:
    done = fwlearn("run", "basic", "--lessons", GOOD)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == 'fwlearn: error: no lesson "basic" (did you mean: basics, 01-basics?)'
    )
    assert done.stdout == ""


def test_check_fails_when_one_starting_file_already_solves_its_side() -> None:
    """fails_initially is judged per side: the keras start passing is an error even though the
    pytorch start fails (judged together, the check 'failed' on the start and all looked fine)."""
    done = fwlearn("check", "half-solved")
    assert done.returncode == 1, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("half-solved", "keras", "start")][:2] == ["ok", "pass"]
    assert table[("half-solved", "pytorch", "start")][:2] == ["ok", "fail"]
    path = os.path.join("half-solved", "01-half-solved", "in_keras.py")
    assert (
        f"half-solved: the keras starting file {path} already passes its side's check "
        "(fails_initially = true)"
    ) in done.stdout
    assert "pytorch starting file" not in done.stdout
    assert "FAILED: 1 unexpected check (1 lesson, 6 runs)" in done.stdout


def test_run_and_check_accept_the_lesson_number_that_list_shows() -> None:
    listed = fwlearn("list", "--lessons", GOOD)
    assert re.search(r"^\s+2\s+facts\s", listed.stdout, re.MULTILINE), listed.stdout
    done = fwlearn("run", "2", "--side", "pytorch", "--lessons", GOOD)
    assert done.returncode == 0, done.stderr
    assert "── facts · pytorch" in done.stdout
    assert "✓ pytorch: answer == 42" in done.stdout
    checked = fwlearn("check", GOOD, "--lesson", "2")
    assert checked.returncode == 0, checked.stdout
    assert "all good: 1 lesson, 4 runs" in checked.stdout
    missing = fwlearn("run", "7", "--lessons", GOOD)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "fwlearn: error: no lesson 7 (the lessons are numbered 1-2)"


def test_run_help_shows_the_defaults() -> None:
    done = fwlearn("run", "--help", columns=200)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--timeout S wall-clock limit in seconds (default: 120; a lesson's own timeout" in text
    assert "--memory MB resident memory cap (default: 4096)" in text
    assert "--side {keras,pytorch,both} for a lesson: which file (default: both)" in text
    assert "(default: None)" not in text
    for odd in ("nan", "inf"):  # float() takes both; a NaN timeout would never fire
        done = fwlearn("run", "basics", "--lessons", GOOD, "--timeout", odd)
        assert done.returncode == 2
        assert f"--timeout: must be a finite number, not '{odd}'" in done.stderr


def _strict_json(data: bytes) -> object:
    """JSON as a strict reader takes it: UTF-8, no NaN/Infinity."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)


def test_list_survives_folder_names_that_are_not_utf8(tmp_path: Path) -> None:
    """A folder name with bytes that are not UTF-8 (a pack unpacked from an old archive) comes
    back from the OS with lone surrogates: `list --json` printed them (invalid UTF-8, or a
    UnicodeEncodeError crash under a strict UTF-8 stdout), the human listing crashed too."""
    pack = tmp_path / "pack"
    pack.mkdir()
    odd = os.fsdecode(b"01-caf\xe9")  # Latin-1 é
    shutil.copytree(FIXTURES / GOOD / "01-basics", pack / odd)
    (pack / os.fsdecode(b"02-\xff")).mkdir()  # broken: no lesson.md
    for encoding in ({}, {"PYTHONIOENCODING": "utf-8"}):
        env = {**os.environ, "COLUMNS": "80", **encoding}
        done = subprocess.run(
            [sys.executable, "-m", "fwlearn", "list", "--json", "--lessons", str(pack)],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        data = _strict_json(done.stdout)
        assert isinstance(data, dict)
        assert [lesson["id"] for lesson in data["lessons"]] == ["basics"]
        assert data["lessons"][0]["folder"].endswith("01-caf\ufffd")
        assert data["broken"][0]["folder"].endswith("02-\ufffd")
        human = subprocess.run(
            [sys.executable, "-m", "fwlearn", "list", "--lessons", str(pack)],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert human.returncode == 0, human.stderr.decode(errors="replace")
        assert b"basics" in human.stdout and b"broken (1;" in human.stdout


def test_run_lesson_json_check_record_is_strict_json(tmp_path: Path) -> None:
    """The closing lesson_check record quotes reported values: a fact holding a lone surrogate
    (text decoded with surrogateescape) must not make that line invalid UTF-8."""
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURES / GOOD / "02-facts", pack / "02-facts")
    program = pack / "02-facts" / "in_pytorch.py"
    source = program.read_text(encoding="utf-8")
    program.write_text(
        source.replace('report_fact("answer", 42)', 'report_fact("answer", "caf\\udce9")'),
        encoding="utf-8",
    )
    command = ["run", "facts", "--side", "pytorch", "--json", "--lessons", str(pack)]
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", *command],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    record = _strict_json(done.stdout.splitlines()[-1])
    assert isinstance(record, dict) and record["type"] == "lesson_check"
    assert record["passed"] is False
    assert record["messages"] == ["✗ pytorch: answer is caf\ufffd; needs answer == 42"]


def test_strict_json_helper() -> None:
    from fwlearn import jsonout

    text = jsonout.dumps(
        {"nan": float("nan"), "inf": [float("-inf"), 1.5], "odd\udcff": ("\udcff", "\U0001f600")}
    )
    assert _strict_json(text.encode("utf-8")) == {
        "nan": None,
        "inf": [None, 1.5],
        "odd\ufffd": ["\ufffd", "\U0001f600"],
    }


def test_a_number_two_lessons_share_asks_for_the_id(tmp_path: Path) -> None:
    from fwlearn.packs import find_lesson, open_pack, unknown_lesson_message

    for name, lesson_id in (("a", "first"), ("b", "second")):
        shutil.copytree(FIXTURES / GOOD / "01-basics", tmp_path / name)
        lesson_md = tmp_path / name / "lesson.md"
        text = lesson_md.read_text(encoding="utf-8")
        lesson_md.write_text(text.replace('id = "basics"', f'id = "{lesson_id}"'), "utf-8")
    pack = open_pack(tmp_path)
    assert [(lesson.id, lesson.order) for lesson in pack.lessons] == [("first", 1), ("second", 1)]
    assert find_lesson(pack, "1") is None
    assert (
        unknown_lesson_message(pack, "1") == "lessons first, second share the number 1: give the id"
    )
    assert find_lesson(pack, "second") is pack.lessons[1]
