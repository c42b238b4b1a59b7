"""Face embedders: an ONNX model described by the manifest's `embedder` section."""
from pathlib import Path

import numpy as np

from .runtime import new_session


class OnnxEmbedder:
    """Runs aligned chips through the model: input NCHW/NHWC, RGB/BGR, (x - mean) / std per
    the manifest; the output is L2-normalised only when the manifest says so."""

    def __init__(self, model_dir: Path, config: dict, threads: int = 0) -> None:
        self.session = new_session(model_dir / config["file"], threads)
        self.input = config.get("input") or self.session.get_inputs()[0].name
        self.output = config.get("output") or self.session.get_outputs()[0].name
        self.layout = config.get("layout", "NCHW")
        self.bgr = config.get("color", "RGB") == "BGR"
        self.mean = np.asarray(config.get("mean", [0, 0, 0]), dtype=np.float32)
        self.std = np.asarray(config.get("std", [1, 1, 1]), dtype=np.float32)
        self.normalize = bool(config.get("normalize", False))
        self.size = int(config["embedding_size"])

    def embed(self, chips: np.ndarray) -> np.ndarray:
        """chips: N x H x W x 3 uint8 RGB → N x size float32."""
        batch = chips.astype(np.float32)
        if self.bgr:
            batch = batch[..., ::-1]
        batch = (batch - self.mean) / self.std
        if self.layout == "NCHW":
            batch = batch.transpose(0, 3, 1, 2)
        vectors = self.session.run([self.output], {self.input: np.ascontiguousarray(batch)})[0].astype(np.float32)
        if self.normalize:
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        return vectors
