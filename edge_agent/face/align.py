"""Face alignment: a similarity transform from five landmarks onto the embedder's template."""
import numpy as np
from PIL import Image


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """2x3 matrix of the least-squares similarity (rotation, uniform scale, shift) mapping
    `source` points onto `target` points (Umeyama, 1991)."""
    src_mean, dst_mean = source.mean(axis=0), target.mean(axis=0)
    src, dst = source - src_mean, target - dst_mean
    covariance = dst.T @ src / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(singular) @ sign) / src.var(axis=0).sum()
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def align_face(image: Image.Image, landmarks: np.ndarray, template: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The aligned chip (H x W x 3 uint8), sampled bilinearly from the original image."""
    forward = similarity_transform(np.asarray(landmarks, dtype=np.float64), np.asarray(template, dtype=np.float64))
    full = np.vstack([forward, [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(full)[:2]  # Pillow maps output pixels back to input pixels
    chip = image.transform(size, Image.AFFINE, data=tuple(inverse.ravel()), resample=Image.BILINEAR)
    return np.asarray(chip, dtype=np.uint8)
