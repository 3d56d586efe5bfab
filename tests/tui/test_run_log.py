"""RunLog: batched writes, the cap, and the textual 8.2.8 ``Log(max_lines)`` repaint bug."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Log

from fwlearn.tui.widgets.run_log import RunLog


class LogApp(App[None]):
    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log_widget = log

    def compose(self) -> ComposeResult:
        yield self.log_widget


def visible_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_capped_log_keeps_repainting_after_it_starts_dropping_lines() -> None:
    log = RunLog(max_lines=20)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.push(f"first {i}" for i in range(30))
        await pilot.pause(0.2)
        assert "first 29" in visible_text(app)
        log.push(f"second {i}" for i in range(5))  # the cap is reached: old lines drop
        await pilot.pause(0.2)
        screen = visible_text(app)
        assert "second 4" in screen, screen
        assert log.line_count == 20


async def test_plain_log_shows_the_bug_this_works_around() -> None:
    """If this starts failing, textual fixed the bug and the refresh() can go."""
    log = Log(max_lines=20)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.write_lines(f"first {i}" for i in range(30))
        await pilot.pause(0.2)
        log.write_lines(f"second {i}" for i in range(5))
        await pilot.pause(0.2)
        assert "second 4" not in visible_text(app)


async def test_a_flood_is_batched_and_capped() -> None:
    log = RunLog(max_lines=500)
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        for chunk in range(100):
            log.push(f"line {chunk}-{i}" for i in range(1000))
        await pilot.pause(0.3)
        assert log.lines_seen == 100_000
        assert log.line_count == 500
        assert log.text.endswith("line 99-999")
        log.set_partial("12/18 [====>....]")
        await pilot.pause(0.2)
        assert "12/18" in str(log.border_subtitle)


async def test_error_lines_are_styled() -> None:
    log = RunLog()
    app = LogApp(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.push(["fine", "ValueError: bad"])
        await pilot.pause(0.2)
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
