"""However TCP splits the stream, the same calls come out (property test)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cti.captures import capture_bytes, replay, replay_capture

SPLITS = st.lists(st.integers(min_value=1, max_value=4096), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=SPLITS)
def test_blind_transfer_splits_give_identical_records(chunks: list[int]) -> None:
    whole = replay_capture("blind_transfer")
    split = replay(capture_bytes("blind_transfer"), chunks=chunks)
    assert split.calls == whole.calls
    assert split.states == whole.states


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=20))
def test_tiny_splits_of_a_no_timestamps_capture_give_identical_records(chunks: list[int]) -> None:
    whole = replay_capture("no-timestamps/abandon")
    split = replay(capture_bytes("no-timestamps/abandon"), chunks=chunks)
    assert split.calls == whole.calls
    assert split.states == whole.states


def test_utf8_caller_names_survive_a_split_inside_a_character() -> None:
    data = capture_bytes("answered").replace(b"Ann Customer", "José 张伟".encode())
    cut = data.index("张".encode()) + 1  # between the bytes of one character
    whole = replay(data)
    split = replay(data, chunks=[cut, 1, 2, 3, len(data)])
    assert [c.caller_name for c in split.calls] == ["José 张伟"]
    assert split.calls == whole.calls
