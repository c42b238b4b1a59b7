"""The box's own HTTP API, one module per section of the upstream documents.

- app.py: the Flask app, the API key, error replies; hands each section only its parts.
- bodies.py: reading a request (JSON or form-data), the fog API's error codes.
- box_config.py: upstream 01 §8, dev_sno and login URL; /health.
- groups.py: part 2 §4.1 permission groups, §4.2 comparison ("face") groups and their members.
- people.py: part 2 §4.3 people (enrolled through edge_agent/enrolment.py).
- events.py: part 2 §4.4 event settings, door actions, and the stored events (our extension).
- system.py: part 2 §4.5 status-report target and wiping.
- inputs.py: our extensions: pictures to recognise, front-end devices.
"""
