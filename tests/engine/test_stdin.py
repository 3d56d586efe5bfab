"""A running program's stdin through the sandbox: input(), pdb, EOF, and the limits that stay.

Real sandboxed child processes running plain Python (no framework import): each run is
~0.3-1 s here. The answers are sent when the run says it waits (``InputWanted``), as the app
and ``fwlearn run`` do, never after a sleep.
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable

from fwlearn.engine import End, Error, Event, Output, Run, RunSpec, SpareKey, WarmPool
from fwlearn.engine.events import InputWanted
from fwlearn.engine.process import MAX_INPUT_BUFFER

Answer = Callable[[Run, InputWanted], None]


def drive(
    source: str,
    answers: list[str] | Answer | None = None,
    *,
    interactive: bool = True,
    echo: bool = True,
    timeout: float = 30,
    before: Callable[[Run], None] | None = None,
) -> tuple[list[Event], Run]:
    """Run ``source``; each InputWanted gets the next of ``answers`` (EOF once they are used
    up), or calls ``answers(run, event)``."""
    spec = RunSpec(source=textwrap.dedent(source), framework="python", timeout=timeout)
    run = Run(spec, interactive=interactive, echo=echo)
    pending = list(answers) if isinstance(answers, list) else []

    async def main() -> list[Event]:
        if before is not None:
            before(run)
        events: list[Event] = []
        async for event in run.events():
            events.append(event)
            if isinstance(event, InputWanted):
                if callable(answers):
                    answers(run, event)
                elif pending:
                    assert run.send_input(pending.pop(0))
                else:
                    run.close_input()
        return events

    return asyncio.run(main()), run


def stdout_of(events: list[Event]) -> list[str]:
    return [
        line
        for e in events
        if isinstance(e, Output) and e.stream == "stdout" and not e.partial
        for line in e.lines
    ]


def end_of(events: list[Event]) -> End:
    end = events[-1]
    assert isinstance(end, End)
    return end


def prompts(events: list[Event]) -> list[str]:
    return [e.prompt for e in events if isinstance(e, InputWanted)]


def test_input_is_answered_and_its_prompt_announced() -> None:
    events, _ = drive(
        """
        name = input("Name? ")
        age = int(input("Age? "))
        print(f"hi {name}, next year {age + 1}")
        """,
        ["Ada", "36"],
    )
    assert end_of(events).status == "ok"
    assert prompts(events) == ["Name? ", "Age? "]
    # The echo puts each answer after its prompt, as a terminal shows them.
    assert stdout_of(events) == ["Name? Ada", "Age? 36", "hi Ada, next year 37"]


def test_without_echo_the_answer_is_not_in_the_output() -> None:
    events, _ = drive('print("got", input("n? "))\n', ["7"], echo=False)
    assert stdout_of(events) == ["n? got 7"]


def test_pdb_prints_its_prompt_and_answers_p_then_continues() -> None:
    events, _ = drive(
        """
        def forward(x):
            y = x * 2
            breakpoint()
            return y + 1
        print("result", forward(20))
        """,
        ["p y", "p x + y", "c"],
    )
    out = stdout_of(events)
    assert end_of(events).status == "ok", out
    assert prompts(events) == ["(Pdb) "] * 3
    assert any(line.startswith("> ") and "forward()" in line for line in out), out
    assert "(Pdb) p y" in out and out[out.index("(Pdb) p y") + 1] == "40"
    assert out[out.index("(Pdb) p x + y") + 1] == "60"
    assert out[-2:] == ["(Pdb) c", "result 41"]


def test_a_run_that_is_not_interactive_gets_eof_at_once() -> None:
    started = time.monotonic()
    events, run = drive(
        """
        import sys
        try:
            input("never answered? ")
        except EOFError:
            print("EOF")
        print(repr(sys.stdin.read()))
        """,
        interactive=False,
    )
    assert end_of(events).status == "ok"
    assert stdout_of(events) == ["never answered? EOF", "''"]
    assert prompts(events) == []  # a read at EOF does not wait: nothing announced
    assert time.monotonic() - started < 15
    assert not run.send_input("too late") and not run.input_open


def test_close_input_is_eof_for_input_and_for_pdb() -> None:
    events, _ = drive(
        """
        try:
            input("a? ")
        except EOFError:
            print("EOF for input")
        breakpoint()
        print("never: pdb quits at EOF, as under python file.py </dev/null")
        """,
        [],
    )
    out = stdout_of(events)
    assert prompts(events) == ["a? "]  # after EOF, pdb's read returns at once
    assert "a? EOF for input" in out and out[-1] == "(Pdb) "
    errors = [e for e in events if isinstance(e, Error)]
    assert end_of(events).status == "failed" and errors[0].exc_type == "BdbQuit"


def test_lines_sent_before_the_program_reads_them_are_not_announced() -> None:
    """Typed ahead (here: before the child even started) lines wait in the pipe; only the
    read that finds nothing there says the program waits."""

    def type_ahead(run: Run) -> None:
        assert run.send_input("1") and run.send_input("2")

    events, _ = drive(
        """
        print(int(input()) + int(input()))
        print("third", input("3rd? "))
        """,
        ["3"],
        before=type_ahead,
    )
    assert end_of(events).status == "ok"
    assert prompts(events) == ["3rd? "]
    assert stdout_of(events)[-1] == "third 3"


def test_a_run_waiting_for_input_still_times_out() -> None:
    started = time.monotonic()
    events, _ = drive('input("waiting forever? ")\n', lambda run, event: None, timeout=1.5)
    end = end_of(events)
    assert end.status == "timeout"
    assert prompts(events) == ["waiting forever? "]
    assert time.monotonic() - started < 15


def test_a_run_waiting_for_input_can_be_cancelled() -> None:
    events, _ = drive("breakpoint()\n", lambda run, event: run.cancel())
    assert end_of(events).status == "cancelled"


def test_a_flood_of_input_is_bounded_and_does_not_wedge_the_run() -> None:
    """A program that never reads: writes are refused past MAX_INPUT_BUFFER (not queued in
    the engine's memory), each returns at once, and the run ends as usual."""
    chunk = "x" * 65535
    taken: list[bool] = []

    def flood(run: Run, event: InputWanted) -> None:
        started = time.monotonic()
        taken.extend(run.send_input(chunk) for _ in range(3 * MAX_INPUT_BUFFER // len(chunk)))
        assert time.monotonic() - started < 2  # nothing blocked the loop
        run.close_input()

    events, _ = drive(
        """
        import sys, time
        sys.stdin.read(1)  # one read that waits, then never again
        time.sleep(0.5)
        print("done")
        """,
        flood,
        echo=False,
    )
    assert end_of(events).status == "ok"
    assert stdout_of(events)[-1] == "done"
    assert taken[0] and not taken[-1]
    assert sum(taken) * len(chunk) <= MAX_INPUT_BUFFER + 2 * 65536


def test_forged_input_messages_reach_the_consumer_once_per_line_sent() -> None:
    events, _ = drive(
        """
        import json, os
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        for _ in range(500):
            os.write(fd, b'{"type": "input", "prompt": "fake"}\\n')
        print("done")
        """,
        lambda run, event: None,
    )
    assert end_of(events).status == "ok"
    assert prompts(events) == ["fake"]


def test_a_warm_spare_takes_input_too() -> None:
    """A spare's stdin pipe is made when it starts, before its run is known."""

    async def main() -> tuple[list[Event], bool]:
        pool = WarmPool()
        try:
            pool.want([SpareKey("python")])
            assert await pool.ready(30)
            run = Run(
                RunSpec(source='print("got", input("n? "))\n', framework="python", timeout=30),
                pool,
                interactive=True,
                echo=True,
            )
            events: list[Event] = []
            async for event in run.events():
                events.append(event)
                if isinstance(event, InputWanted):
                    run.send_input("5")
            return events, run.warm
        finally:
            await pool.close()

    events, warm = asyncio.run(main())
    assert warm
    assert end_of(events).status == "ok"
    assert stdout_of(events) == ["n? 5", "got 5"]
