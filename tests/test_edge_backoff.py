"""The agent's retry delays (edge_agent/backoff.py): each policy's figures, as its comment says."""
import pytest

from edge_agent.backoff import HISTORY, LOGIN, OUTBOX, STREAM


def test_outbox_history_and_stream_double_up_to_their_caps():
    assert [OUTBOX.delay(n) for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert [HISTORY.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert [STREAM.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert OUTBOX.delay(10_000) == 300  # no overflow after months of failures


@pytest.mark.parametrize("failures, ceiling", [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)])
def test_login_waits_a_random_time_below_its_doubling_ceiling(failures, ceiling):
    delays = [LOGIN.delay(failures) for _ in range(300)]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling / 2 and min(delays) < ceiling / 2  # spread out: boxes do not return together
