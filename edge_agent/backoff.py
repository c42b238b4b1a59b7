"""How long the agent waits after failures in a row: one helper, on tenacity's wait strategies.

Four places retry something that failed: logging in and holding the broker connection, the
results outbox, the history uploader (per target) and a video stream that cannot be opened.
Each names its policy here; `delay(failures)` is the wait after the n-th failure in a row
(n >= 1). The loops keep their own timing (an Event's wait, a time stored in SQLite), so
they ask for the figure rather than hand their work to a tenacity retry decorator.
"""
from __future__ import annotations

from tenacity import RetryCallState
from tenacity.wait import wait_base, wait_exponential, wait_random_exponential


class Backoff:
    def __init__(self, wait: wait_base) -> None:
        self.wait = wait

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row."""
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = max(1, failures)
        return float(self.wait(state))


# Login and broker: full jitter (boxes that lost the platform together do not come back
# together), up to 1, 2, 4 ... s, at most a minute.
LOGIN = Backoff(wait_random_exponential(multiplier=1, max=60))
# A result or report not delivered: 1, 2, 4 ... s, at most five minutes (it waits in SQLite).
OUTBOX = Backoff(wait_exponential(multiplier=1, max=300))
# A history target that failed: 2, 4, 8 ... s, at most a minute, then from where it stopped.
HISTORY = Backoff(wait_exponential(multiplier=2, max=60))
# A camera stream that cannot be opened or dropped: 2, 4, 8 ... s, at most a minute.
STREAM = Backoff(wait_exponential(multiplier=2, max=60))
