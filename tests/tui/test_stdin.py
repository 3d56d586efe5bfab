"""The app answers a running program: ``input()`` and ``breakpoint()`` in the input line.

Real sandboxed runs of plain Python (the real engine: the scripted one has no stdin), on a
copy of the numpy fixture pack whose Keras side is replaced in each test. What is asserted is
what a learner sees: the line under the log with the prompt, the transcript in the log, the
run's end, and that the one-key commands (``q``, ``e``, ``r``...) typed there are text.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.input_line import InputLine

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"
SIZE = (160, 48)

pytestmark = pytest.mark.slow  # real child processes, ~1 s a run here


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """The fixture pack's basics lesson alone, with a wrong answer per side (which the
    loader may ask for; these tests never check the exercise)."""
    root = tmp_path / "pack"
    lesson = root / "01-basics"
    shutil.copytree(FIXTURE_PACK / "01-basics", lesson)
    for side in ("keras", "pytorch"):
        wrong = lesson / "wrong" / "few-epochs" / f"in_{side}.py"
        wrong.parent.mkdir(parents=True, exist_ok=True)
        wrong.write_text("# Wrong: too few epochs\nfrom fwlearn import report_fact\n")
        wrong.write_text(wrong.read_text() + "report_fact('epochs', 1)\n")
    return root


async def start(pilot: Any, wait: Any, code: str) -> tuple[LessonScreen, InputLine]:
    """Open the lesson, put ``code`` in the Keras side and run it."""
    pilot.app.open_lesson("basics")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    screen.sides["keras"].load(code)
    await pilot.press("f5")
    return screen, screen.sides["keras"].input


def ended(screen: LessonScreen) -> Callable[[], bool]:
    return lambda: screen.runs["keras"].end is not None and "keras" not in screen.session.active


def log_text(screen: LessonScreen) -> str:
    return screen.sides["keras"].log.text


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def test_input_is_answered_and_command_keys_are_text_there(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str], pack: Path
) -> None:
    app = make_app(pack, real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen, line = await start(pilot, wait, 'name = input("Name? ")\nprint("hi", name)\n')
        await wait(pilot, lambda: line.open and line.field.has_focus, timeout=60)
        await wait(pilot, lambda: "Name? " in screen_text(app))  # the prompt, on screen
        # q (back), e (edit), r (reset), h (hint), ? (help) are commands in reading mode.
        await type_text(pilot, "qe rh?")
        assert line.field.value == "qe rh?"
        assert isinstance(app.screen, LessonScreen) and screen.editing is None
        await pilot.press("enter")
        await wait(pilot, ended(screen), timeout=60)
        assert screen.runs["keras"].state == "ok"
        screen.sides["keras"].log.flush_now()
        # The transcript reads as in a terminal: the prompt, the answer echoed, the output.
        assert "Name? qe rh?\nhi qe rh?" in log_text(screen)
        await wait(pilot, lambda: not line.open)  # the line goes when the run ends
        assert not line.field.has_focus


async def test_breakpoint_is_answered_with_p_then_c(
    make_app: Callable[..., Any], wait: Any, pack: Path
) -> None:
    app = make_app(pack, real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        code = "x = 41\nbreakpoint()\nprint('after', x)\n"
        screen, line = await start(pilot, wait, code)
        await wait(pilot, lambda: line.open, timeout=60)
        assert str(line.prompt.render()).strip() == "(Pdb)"
        await type_text(pilot, "p x + 1")
        await pilot.press("enter")
        await wait(pilot, lambda: "(Pdb) p x + 1\n42" in log_text(screen), timeout=30)
        assert line.open and line.field.value == ""
        await pilot.press("c", "enter")
        await wait(pilot, ended(screen), timeout=60)
        screen.sides["keras"].log.flush_now()
        assert screen.runs["keras"].state == "ok"
        assert "(Pdb) c\nafter 41" in log_text(screen)
        assert not line.open


async def test_esc_cancels_a_run_waiting_for_input(
    make_app: Callable[..., Any], wait: Any, pack: Path
) -> None:
    app = make_app(pack, real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen, line = await start(pilot, wait, 'input("waiting? ")\n')
        await wait(pilot, lambda: line.field.has_focus, timeout=60)
        await pilot.press("escape")
        await wait(pilot, ended(screen), timeout=30)
        assert screen.runs["keras"].state == "cancelled"
        assert not line.open


async def test_ctrl_d_sends_what_was_typed_then_eof(
    make_app: Callable[..., Any], wait: Any, pack: Path
) -> None:
    code = (
        "import sys\n"
        "print('got', repr(sys.stdin.read()))\n"  # reads until EOF
        "try:\n    input('more? ')\nexcept EOFError:\n    print('EOF')\n"
    )
    app = make_app(pack, real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen, line = await start(pilot, wait, code)
        await wait(pilot, lambda: line.field.has_focus, timeout=60)
        await type_text(pilot, "one")
        await pilot.press("enter")
        await type_text(pilot, "two")
        await pilot.press("ctrl+d")
        await wait(pilot, ended(screen), timeout=60)
        screen.sides["keras"].log.flush_now()
        assert screen.runs["keras"].state == "ok", log_text(screen)
        assert "got 'one\\ntwo'" in log_text(screen)
        assert "more? EOF" in log_text(screen)  # no line again once the input ended
