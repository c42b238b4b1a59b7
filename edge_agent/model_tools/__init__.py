"""Tools that build the face models (`make setup` runs `python -m edge_agent.model_tools.build_models`).

Not part of the running agent: the engine (edge_agent/face/) only loads what these wrote and
checks it against the manifest; the tools need `onnx` (the `models` extra), the box does not.
"""
