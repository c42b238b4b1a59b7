"""What event intake tells other apps, so they can react without intake knowing them."""
from django.dispatch import Signal

# Sent after a batch is committed: `box` (Box) and `events` (the Event objects stored or
# completed, as the batch parsed them: a completed one carries what its history record brought).
# Receivers must be quick: intake waits for them (schedule work on commit).
events_stored = Signal()
