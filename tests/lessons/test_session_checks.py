"""The app's verdict (``LessonSession``, Textual-free) on across checks and invariants.

The app and ``fwlearn verify`` must agree on the same run, so the session hands
``verify_lesson`` every side's run: an across check waits for both ("run both sides (F7)"), and
the shipped program of the side the learner does not edit is judged and shown. Runs are faked as
the events the engine sends, as in tests/core/test_session.py.
"""

from __future__ import annotations

from pathlib import Path

from fwlearn.engine import End, Fact, Metric
from fwlearn.lessons import load_lesson
from fwlearn.session import LessonSession
from fwlearn.store import DB_NAME, Store

LABELS = Path(__file__).parent / "fixtures" / "labels" / "01-labels"


def fake_run(session: LessonSession, side: str, *events: Fact | Metric) -> None:
    session.runs[side].begin(session.code[side])
    for event in events:
        session.apply(side, event)
    session.apply(side, End(run_id="r", t=0.1, status="ok", wall=0.1))


def test_an_across_check_waits_for_both_sides_then_decides(tmp_path: Path) -> None:
    lesson, problems = load_lesson(LABELS)
    assert lesson is not None, problems
    session = LessonSession(lesson, Store(tmp_path / DB_NAME))
    fake_run(
        session,
        "keras",
        Fact("r", 0.0, "loss_before", 0.5),
        Metric("r", 0.0, {"loss": 0.1}, 3, run="adam"),
    )
    first = session.finish("keras")
    assert first.passed is None and session.check.overall is None  # pytorch has not run
    assert session.check.sides["keras"].passed
    assert session.check.others == (
        "✗ across: loss_before compares both sides' runs: run both sides (F7)",
    )
    fake_run(session, "pytorch", Fact("r", 0.0, "loss_before", 0.6), Fact("r", 0.0, "epochs", 3))
    second = session.finish("pytorch")
    assert second.passed is False and session.check.overall is False
    assert session.check.others == (
        "✓ pytorch: epochs == 3 (shipped program, not part of the exercise)",
        "✗ across: |keras loss_before - pytorch loss_before| is 0.1; needs |keras loss_before "
        "- pytorch loss_before| <= 1e-06 (keras 0.5, pytorch 0.6)",
    )
