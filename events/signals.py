"""What event intake tells other apps, so they can react without intake knowing them."""
from django.dispatch import Signal

# Sent after a batch is committed: `box` (Box) and `keys` (the dedup_keys of the events stored
# or completed). Receivers must be quick: intake waits for them (schedule work on commit).
events_stored = Signal()
