"""CodePane.load: new code is not an edit the learner can undo, and reading starts at the top."""

from __future__ import annotations

from textual.app import App, ComposeResult

from fwlearn.tui.widgets.code_pane import CodePane

OLD = "\n".join(f"old_{i} = {i}" for i in range(40))
NEW = "EPOCHS = 3\nprint(EPOCHS)\n"


class OnePane(App[None]):
    def compose(self) -> ComposeResult:
        yield CodePane("keras", OLD, id="pane")


async def test_loaded_code_cannot_be_undone_into_the_old_code() -> None:
    app = OnePane()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CodePane)
        pane.go_to(35)  # the learner was reading far down
        pane.editing = True
        pane.editor.focus()
        await pilot.press("x")  # and typed something: an edit undo could take back
        await pilot.pause()
        pane.load(NEW)  # a reset, a taken solution, another step
        await pilot.pause()
        assert pane.text == NEW
        assert pane.editor.cursor_location == (0, 0)
        assert pane.editor.scroll_offset.y == 0
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert pane.text == NEW  # undo has nothing from before the load
        await pilot.press("y")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert pane.text == NEW  # but a new edit is undone as usual
