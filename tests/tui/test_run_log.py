"""RunLog: batched writes, the cap, and the textual 8.2.8 ``Log(max_lines)`` repaint bug."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Log

from fwlearn.tui.widgets.run_log import RunLog


class LogApp(App[None]):
    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log_widget = log

    def compose(self) -> ComposeResult:
        yield self.log_widget


async def test_capped_log_keeps_repainting_after_it_starts_dropping_lines(
    screen_text: Callable[[Any], str], wait: Any
) -> None:
    log = RunLog(max_lines=20)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.push(f"first {i}" for i in range(30))
        await wait(pilot, lambda: "first 29" in screen_text(app))
        log.push(f"second {i}" for i in range(5))  # the cap is reached: old lines drop
        await wait(pilot, lambda: log.lines_seen == 35 and log.text.endswith("second 4"))
        await pilot.wait_for_scheduled_animations()  # and a repaint after it
        screen = screen_text(app)
        assert "second 4" in screen, screen
        assert log.line_count == 20


async def test_plain_log_shows_the_bug_this_works_around(screen_text: Callable[[Any], str]) -> None:
    """If this starts failing, textual fixed the bug and the refresh() can go."""
    log = Log(max_lines=20)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.write_lines(f"first {i}" for i in range(30))
        await pilot.wait_for_scheduled_animations()
        log.write_lines(f"second {i}" for i in range(5))
        await pilot.wait_for_scheduled_animations()
        assert log.lines[-1] == "second 4"  # written, and yet not painted:
        assert "second 4" not in screen_text(app)


async def test_a_flood_is_batched_and_capped(wait: Any) -> None:
    log = RunLog(max_lines=500)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        for chunk in range(100):
            log.push(f"line {chunk}-{i}" for i in range(1000))
        assert log.lines_seen == 100_000  # counted as pushed, shown on the next flush
        await wait(pilot, lambda: log.text.endswith("line 99-999"))
        assert log.line_count == 500
        log.set_partial("12/18 [====>....]")
        await wait(pilot, lambda: "12/18" in str(log.border_subtitle))


async def test_error_lines_are_styled(wait: Any) -> None:
    log = RunLog()
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.push(["fine", "ValueError: bad"])
        await wait(pilot, lambda: log.line_count == 2)
        plain = log.render_line(0)
        error = log.render_line(1)
        assert next(iter(plain)).style != next(iter(error)).style


def test_lines_wider_than_the_log_are_folded_not_cut() -> None:
    from fwlearn.tui.widgets.run_log import _wrap

    line = "18/18 - 1s - 44ms/step - accuracy: 0.4132 - loss: 0.6829 - val_loss: 0.6738"
    folded = _wrap([line, "short"], 40)
    assert all(len(part) <= 40 for part in folded)
    assert folded[-1] == "short" and len(folded) == 4
    assert "loss: 0.6829" in " ".join(part.strip() for part in folded)
    assert _wrap(["a" * 10], 40) == ["a" * 10]


EPOCH_LINE = "3/3 - 0s - 9ms/step - accuracy: 0.9750 - loss: 0.0916 - val_accuracy: 0.9875"


async def test_a_log_hidden_while_its_run_streams_folds_its_lines_once_shown(
    screen_text: Callable[[Any], str], wait: Any
) -> None:
    """F7 at 80 columns: the side not on screen has width 0 while its epochs arrive."""
    log = RunLog()
    log.display = False
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.push([EPOCH_LINE, "done"])
        await wait(pilot, lambda: log.lines_seen == 2)
        log.display = True
        await wait(pilot, lambda: "done" in screen_text(app))
        screen = screen_text(app)
        assert "0.9875" in screen, screen  # the end of the line, not cut at the edge
        assert all(len(line) <= 40 for line in log.lines)
        await pilot.resize_terminal(100, 10)  # wider again: one line each
        await wait(pilot, lambda: len(log.lines) == 2)
        assert list(log.lines) == [EPOCH_LINE, "done"]


def traceback_lines(snippet: str, site: str) -> list[str]:
    """What a Keras failure prints to stderr: the learner's frame, keras's, a C++ log line."""
    return [
        "Epoch 1/3",
        "W0000 00:00:1733077000.123456   12345 local_rendezvous.cc:412] Local rendezvous is",
        "Traceback (most recent call last):",
        f'  File "{snippet}", line 53, in <module>',
        "    model.fit(x, y, epochs=3)",
        f'  File "{site}/keras/src/utils/traceback_utils.py", line 122, in error_handler',
        "    raise e.with_traceback(filtered_tb) from None",
        f'  File "{site}/keras/src/layers/input_spec.py", line 227, in assert_input_compat',
        "    raise ValueError(",
        "    ^^^^^^^^^^^^^^^^^",
        "ValueError: Input 0 of layer dense is incompatible with the layer",
        "I0000 00:00:1733077001.000000   12345 cpu_allocator.cc:99] freed",
    ]


async def test_framework_frames_and_native_log_lines_fold_under_the_learners_frames(
    wait: Any,
) -> None:
    log = RunLog()
    app = LogApp(log)
    site = "/venv/lib/python3.11/site-packages"
    printed = traceback_lines("/lessons/04-training/in_keras.py", site)
    async with app.run_test(size=(140, 20)) as pilot:
        log.push(printed[:7])  # a traceback can arrive in two flushes, mid-frame
        log.flush_now()
        log.push(printed[7:])
        log.flush_now()
        shown = list(log.lines)
        assert shown == [
            "Epoch 1/3",
            "  … 1 framework line hidden (f shows them)",
            "Traceback (most recent call last):",
            '  File "/lessons/04-training/in_keras.py", line 53, in <module>',
            "    model.fit(x, y, epochs=3)",
            "  … 5 framework lines hidden (f shows them)",
            "ValueError: Input 0 of layer dense is incompatible with the layer",
            "  … 1 framework line hidden (f shows them)",
        ]
        assert log.hidden_lines == 7
        assert log.text == "\n".join(printed)  # kept as printed
        log.focus()
        await pilot.press("f")
        assert list(log.lines) == printed and log.hidden_lines == 0
        await pilot.press("f")
        assert list(log.lines) == shown


async def test_a_pinned_summary_stays_on_screen_below_what_comes_after_it(
    screen_text: Callable[[Any], str], wait: Any
) -> None:
    log = RunLog()
    app = LogApp(log)
    site = "/usr/lib/python3/dist-packages"
    async with app.run_test(size=(80, 5)) as pilot:  # a 5-line log, as at 80x24
        log.push(f"epoch {i}" for i in range(30))
        log.pin("✗ exception (line 53): ValueError: Input 0 of layer dense is incompatible")
        log.push(traceback_lines("/l/in_keras.py", site) * 3)
        log.push(["── failed in 3.20 s"])
        await wait(pilot, lambda: "── failed in 3.20 s" in screen_text(app))
        screen = screen_text(app).splitlines()
        assert len(screen) == 5 and screen[-1].startswith("✗ exception (line 53): ValueError"), (
            screen
        )
        assert "── failed in 3.20 s" in screen[-2]
        log.reset()
        log.push(["next run"])
        await wait(pilot, lambda: log.lines_seen >= 1 and "next run" in log.text)
        assert list(log.lines) == ["next run"]
