"""An AMI user without the dialplan class (no VarSet, no Newexten) gets the same records."""

from __future__ import annotations

import pytest

from tests.cti.captures import capture_bytes, replay, replay_capture


def _without_dialplan_class(data: bytes) -> bytes:
    frames = data.split(b"\r\n\r\n")
    kept = [f for f in frames if not f.startswith((b"Event: VarSet\r\n", b"Event: Newexten\r\n"))]
    return b"\r\n\r\n".join(kept)


@pytest.mark.parametrize(
    "scenario",
    ["queue_timeout", "abandon", "blind_transfer", "attended_transfer", "load_realistic"],
)
def test_same_records_without_dialplan_events(scenario: str) -> None:
    stripped = _without_dialplan_class(capture_bytes(scenario))
    assert b"Event: VarSet" not in stripped
    replayed = replay(stripped)
    assert replayed.calls == replay_capture(scenario).calls
    assert replayed.states == replay_capture(scenario).states
