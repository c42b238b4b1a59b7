"""The default relay driver logs what it would do and keeps only the latest actions (issue 14)."""
from edge_agent.relay import Action, LoggingRelay


def test_the_logging_relay_keeps_the_latest_actions_only():
    relay = LoggingRelay(keep=3)
    actions = [Action("10.0.0.1", "5555", "opendoor", action_duration=n) for n in range(10)]
    for action in actions:
        relay.perform(action)
    assert list(relay.performed) == actions[-3:]


def test_by_default_it_keeps_a_hundred():
    relay = LoggingRelay()
    for n in range(150):
        relay.perform(Action("10.0.0.1", "5555", "opendoor", action_duration=n))
    assert [a.action_duration for a in relay.performed] == list(range(50, 150))
