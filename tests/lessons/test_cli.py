"""``fwlearn check / list / run LESSON`` as a learner or author runs them: real subprocesses.

The fixture programs are plain Python, so a whole ``check`` takes a second or two. Commands run
in the fixtures folder with relative pack paths, as an author would type them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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
        if len(fields) >= 6 and fields[2] in ("start", "solution"):
            table[(fields[0], fields[1], fields[2])] = fields[3:]
    return table


def test_check_passes_on_a_good_pack() -> None:
    done = fwlearn("check", GOOD)
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert set(table) == {
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
    assert "val_acc 1 acc 1 loss 0.25" in done.stdout
    assert "all good: 2 lessons, 7 runs" in done.stdout
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
    assert "FAILED: 1 failed run, 1 unexpected check (2 lessons, 8 runs)" in done.stdout


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
