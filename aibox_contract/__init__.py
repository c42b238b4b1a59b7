"""The AIBOX wire contract as plain data, shared by the platform and the edge agent.

Pure Python on purpose (no Django, no third-party package, nothing else of this project):
the box installs it without the platform, and the platform imports it without the agent.
`make lint` (import-linter, pyproject.toml) keeps it that way.

- `codes`: status codes (upstream §3) and ContractCodeError.
- `people`: person types (upstream §7) with the console's label and badge colour.
- `devices`: front-end device types (ep_type / device_type).
- `fiqa`: face image quality levels of the fiqa command (upstream §5.3).
- `urls`: how box and platform build and read each other's URLs (upstream §9, CONTRACT.md §6a).
"""
