"""What event intake tells other apps, so they can react without intake knowing them."""
from django.dispatch import Signal

# Sent inside a batch's transaction, once its rows are written: `box` (Box) and `events` (the
# Event objects stored or completed, as the batch parsed them: a completed one carries what its
# history record brought). A receiver's writes join the batch's transaction (on SQLite a second
# transaction would queue for the one write lock again); slow work is scheduled on commit.
events_stored = Signal()
