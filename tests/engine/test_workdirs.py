"""How data reaches a run: copies of what the caller lists, never links, nothing else.

Real runs (plain-Python snippets through the engine, and ``fwlearn run`` as a subprocess): a run
that writes to its data, or to a file next to the program it runs, must leave the originals as
they were, and a leftover in a lesson folder must not reach the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fwlearn.cmd_run as cmd_run
import fwlearn.engine.workdirs as workdirs
from fwlearn.lessons import load_lesson

LESSONS = Path(__file__).parent.parent / "lessons" / "fixtures"


def test_a_run_writing_to_its_data_cannot_change_the_originals(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Data past this used to be linked, so writes went through to the pack's file.
    monkeypatch.setattr(workdirs, "MAX_DATA_COPY", 1000)
    pack = tmp_path / "pack"
    (pack / "images").mkdir(parents=True)
    small, big = pack / "small.csv", pack / "big.bin"
    small.write_text("a,b\n")
    big.write_bytes(b"x" * 5000)
    (pack / "images" / "inner.txt").write_text("inner")
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    (pack / "images" / "link.txt").symlink_to(outside)
    result = run(
        """
        import os
        print(sorted(os.listdir(".")), sorted(os.listdir("images")))
        names = ["small.csv", "big.bin", "images/inner.txt", "images/link.txt"]
        print([os.path.islink(n) for n in names], open("images/link.txt").read())
        for name in names:
            open(name, "w").write("changed by the run")
        """,
        data_files=(small, big, pack / "images"),
    )
    assert result.ok, result.stderr
    assert result.stdout.splitlines() == [
        "['big.bin', 'images', 'small.csv', 'snippet.py'] ['inner.txt', 'link.txt']",
        "[False, False, False, False] outside",
    ]
    assert small.read_text() == "a,b\n"
    assert big.read_bytes() == b"x" * 5000
    assert (pack / "images" / "inner.txt").read_text() == "inner"
    assert outside.read_text() == "outside"


def test_a_fifo_in_a_data_folder_is_left_out_not_waited_on(run, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "rows.txt").write_text("1\n")
    os.mkfifo(folder / "pipe")
    result = run("import os\nprint(sorted(os.listdir('data')))\n", data_files=(folder,))
    assert result.ok, result.stderr
    assert result.stdout == "['rows.txt']"


def test_a_leftover_in_the_lesson_folder_does_not_reach_the_run(run, tmp_path: Path) -> None:
    """Only the declared ``data``: not a leftover of a hand run, the wrong answers, the
    recorded values or the solution."""
    folder = tmp_path / "01-basics"
    shutil.copytree(LESSONS / "good" / "01-basics", folder)
    (folder / "leftover.csv").write_text("from python in_keras.py\n")
    (folder / "reference.json").write_text("{}")
    (folder / "wrong" / "epochs").mkdir(parents=True)
    (folder / "wrong" / "epochs" / "in_keras.py").write_text("# Wrong: too few epochs\n")
    lesson, problems = load_lesson(folder)
    assert lesson is not None, problems
    result = run("import os\nprint(sorted(os.listdir('.')))\n", data_files=lesson.data_files)
    assert result.ok, result.stderr
    assert result.stdout == "['points.csv', 'snippet.py']"


def fwlearn_run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fwlearn_run_file_cannot_rewrite_a_file_next_to_it(tmp_path: Path) -> None:
    """It used to link the file's folder: a run rewrote the author's reference file."""
    (tmp_path / "reference.json").write_text('{"mse": 0.04}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("mine")
    program = tmp_path / "prog.py"
    program.write_text(
        "import os\n"
        "print(open('reference.json').read(), os.path.islink('reference.json'))\n"
        "open('reference.json', 'w').write('{}')\n"
        "open('sub/notes.txt', 'w').write('gone')\n"
        "open('prog.py', 'w').write('')\n"
    )
    done = fwlearn_run(program)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '{"mse": 0.04} False' in done.stdout
    assert (tmp_path / "reference.json").read_text() == '{"mse": 0.04}'
    assert (tmp_path / "sub" / "notes.txt").read_text() == "mine"
    assert program.read_text().startswith("import os")


def test_fwlearn_run_of_a_lesson_program_gets_the_lessons_data(tmp_path: Path) -> None:
    folder = tmp_path / "01-basics"
    shutil.copytree(LESSONS / "good" / "01-basics", folder)
    (folder / "leftover.csv").write_text("x")
    for program in (folder / "in_keras.py", folder / "solution" / "in_pytorch.py"):
        assert cmd_run.file_data(program) == ([folder / "points.csv"], None)
    done = fwlearn_run(folder / "solution" / "in_keras.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keras: 4 epochs on" in done.stdout


def test_fwlearn_run_copies_nothing_from_a_huge_folder_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workdirs, "MAX_DATA_COPY", 1000)
    monkeypatch.setattr(cmd_run, "MAX_DATA_COPY", 1000)
    program = tmp_path / "prog.py"
    program.write_text("print('hi')\n")
    (tmp_path / "small.txt").write_text("s")
    assert cmd_run.file_data(program) == ([tmp_path / "small.txt"], None)
    (tmp_path / "big.bin").write_bytes(b"x" * 2000)
    data, note = cmd_run.file_data(program)
    assert data == []
    assert note is not None and "none of it is copied into the run" in note
