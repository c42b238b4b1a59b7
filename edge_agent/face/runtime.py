"""ONNX Runtime sessions, configured once for the whole engine."""
from pathlib import Path

import onnxruntime as ort


def new_session(path: Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU session; `threads` 0 lets ONNX Runtime use every core, 1 pins it to one."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
