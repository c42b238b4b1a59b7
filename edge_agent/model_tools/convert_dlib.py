"""Convert dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`) to ONNX.

The .dat file is dlib's own serialisation of the network defined in dlib's
`dnn_face_recognition_ex.cpp`:

    loss_metric<fc_no_bias<128, avg_pool_everything<
        alevel0<alevel1<alevel2<alevel3<alevel4<
        max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>

with `ares<N> = relu<add_prev1<block<N,1,tag1<...>>>>`, `ares_down<N> = relu<add_prev2<
avg_pool<2,2,2,2, skip1<tag2<block<N,2,tag1<...>>>>>>>` and `block<N,stride> =
affine<con<N,3,3,1,1, relu<affine<con<N,3,3,stride,stride, ...>>>>>`.

dlib writes a network outside-in: each layer record holds its version, then the
whole sub-network below it, then its own details. This reader mirrors that
template exactly (`_architecture`), so a file of any other shape is refused
rather than misread. Encodings (dlib/serialize.h, dlib/cuda/tensor.h):
integers are one control byte (0x80 = negative, low nibble = byte count) and
that many little-endian bytes; floats are an integer mantissa and exponent;
strings a length then bytes; bools the characters '1'/'0'; tensors a version
(2), four dimensions and raw little-endian float32 data.

The ONNX graph takes `image`: float32 [N, 3, 150, 150], RGB, 0..255 (an aligned
chip), does dlib's input normalisation ((x - mean) / 256) itself, and outputs
`embedding`: float32 [N, 128], dlib's descriptor (not normalised; compare with
euclidean distance, 0.6 being dlib's threshold).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHIP_SIZE = 150


class DlibFormatError(ValueError):
    pass


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DlibFormatError(f"unexpected end of file at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8:
            raise DlibFormatError(f"bad integer control byte {control:#x} at {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        exponent = self.int()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        return self._take(self.int()).decode("ascii")

    def bool(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise DlibFormatError(f"bad bool {char!r} at {self.pos - 1}")
        return char == b"1"

    def tensor(self) -> np.ndarray:
        version = self.int()
        if version != 2:
            raise DlibFormatError(f"tensor version {version} at {self.pos}")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        return np.frombuffer(self._take(4 * count), dtype="<f4").reshape(shape).astype(np.float32)

    def alias_shape(self) -> tuple[int, int, int, int]:
        if self.int() != 1:
            raise DlibFormatError(f"alias_tensor version at {self.pos}")
        return tuple(self.int() for _ in range(4))

    def expect(self, *names: str) -> str:
        name = self.string()
        if name not in names:
            raise DlibFormatError(f"expected {'/'.join(names)}, found {name!r} at {self.pos}")
        return name


# --- the network's structure -------------------------------------------------


@dataclass
class Node:
    kind: str  # input, con, affine, relu, max_pool, avg_pool, avg_pool_all, add_prev, tag, skip, fc, loss
    sub: Node | None = None
    tag: int = 0  # for tag / skip / add_prev
    num: int = 0  # filters or outputs
    size: int = 0  # kernel or window
    stride: int = 1
    params: dict = field(default_factory=dict)


def _block(n: int, stride: int, sub: Node) -> Node:
    first = Node("affine", Node("con", sub, num=n, size=3, stride=stride))
    return Node("affine", Node("con", Node("relu", first), num=n, size=3, stride=1))


def _ares(n: int, sub: Node) -> Node:
    return Node("relu", Node("add_prev", _block(n, 1, Node("tag", sub, tag=1)), tag=1))


def _ares_down(n: int, sub: Node) -> Node:
    block = _block(n, 2, Node("tag", sub, tag=1))
    pooled = Node("avg_pool", Node("skip", Node("tag", block, tag=2), tag=1), size=2, stride=2)
    return Node("relu", Node("add_prev", pooled, tag=2))


def _architecture() -> Node:
    net = Node("input")
    net = Node("con", net, num=32, size=7, stride=2)
    net = Node("max_pool", Node("relu", Node("affine", net)), size=3, stride=2)
    for n in (32, 32, 32):  # alevel4
        net = _ares(n, net)
    net = _ares_down(64, net)  # alevel3
    for n in (64, 64, 64):
        net = _ares(n, net)
    net = _ares_down(128, net)  # alevel2
    for n in (128, 128):
        net = _ares(n, net)
    net = _ares_down(256, net)  # alevel1
    for n in (256, 256):
        net = _ares(n, net)
    net = _ares_down(256, net)  # alevel0
    net = Node("fc", Node("avg_pool_all", net), num=128)
    return Node("loss", net)


# --- reading ----------------------------------------------------------------


def _read_details(reader: Reader, node: Node) -> None:
    kind = node.kind
    if kind == "con":
        version = reader.expect("con_4", "con_5", "con_6")
        params = reader.tensor().ravel()  # filters then biases, shaped by the aliases below
        num_filters, nr, nc, stride_y, stride_x = (reader.int() for _ in range(5))
        padding = (reader.int(), reader.int())
        if (num_filters, nr, nc, stride_y, stride_x) != (node.num, node.size, node.size, node.stride, node.stride):
            raise DlibFormatError(f"conv layer {num_filters}x{nr}x{nc}/{stride_y} does not match the architecture")
        filters_shape, biases_shape = reader.alias_shape(), reader.alias_shape()
        for _ in range(4):
            reader.float()  # learning-rate and weight-decay multipliers
        use_bias = reader.bool() if version in ("con_5", "con_6") else True
        if version == "con_6":
            reader.bool()  # use_relu (fused relu; never set in this model)
        count = int(np.prod(filters_shape))
        node.params = {
            "padding": padding,
            "filters": params[:count].reshape(filters_shape).copy(),
            "biases": params[count : count + int(np.prod(biases_shape))].copy() if use_bias else None,
        }
    elif kind == "affine":
        version = reader.expect("affine_", "affine_2")
        params = reader.tensor().ravel()
        gamma, beta = reader.alias_shape(), reader.alias_shape()
        reader.int()  # mode (conv: per channel)
        if version == "affine_2":
            reader.bool()  # disabled
        k = int(np.prod(gamma))
        if int(np.prod(beta)) != k or params.size != 2 * k:
            raise DlibFormatError("affine parameters do not match")
        node.params = {"gamma": params[:k].copy(), "beta": params[k:].copy()}
    elif kind == "relu":
        if reader.expect("relu_", "relu_2") == "relu_2":
            reader.bool()
    elif kind in ("max_pool", "avg_pool", "avg_pool_all"):
        reader.expect("max_pool_2" if kind == "max_pool" else "avg_pool_2")
        nr, nc, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(6))
        node.params = {"window": (nr, nc), "stride": (stride_y, stride_x), "padding": (pad_y, pad_x)}
    elif kind == "add_prev":
        reader.expect("add_prev_")
    elif kind == "fc":
        reader.expect("fc_2", "fc_3")
        num_outputs, num_inputs = reader.int(), reader.int()
        params = reader.tensor()
        reader.alias_shape(), reader.alias_shape()
        if reader.int() != 1:  # FC_NO_BIAS
            raise DlibFormatError("expected fc_no_bias")
        for _ in range(4):
            reader.float()
        node.params = {"weights": params.reshape(num_inputs, num_outputs).copy()}
    else:
        raise DlibFormatError(f"no details for {kind}")


def _read(reader: Reader, node: Node) -> None:
    if node.kind == "loss":
        if reader.int() != 1:
            raise DlibFormatError("add_loss_layer version")
        if reader.expect("loss_metric_", "loss_metric_2") == "loss_metric_2":
            reader.float(), reader.float()  # margin, distance threshold (training only)
        _read(reader, node.sub)
        return
    if node.kind in ("tag", "skip"):
        if reader.int() != 1:
            raise DlibFormatError(f"{node.kind} layer version at {reader.pos}")
        _read(reader, node.sub)
        return
    version = reader.int()
    over_input = node.sub.kind == "input"
    if over_input:
        reader.expect("input_rgb_image_sized")
        node.sub.params = {"mean": [reader.float() for _ in range(3)]}
        if (reader.int(), reader.int()) != (CHIP_SIZE, CHIP_SIZE):
            raise DlibFormatError("input size is not 150x150")
    else:
        _read(reader, node.sub)
    _read_details(reader, node)
    for _ in range(3):
        reader.bool()  # setup called, gradient stale, gradient disabled
    reader.tensor(), reader.tensor()  # x_grad, cached_output (empty)
    if over_input:
        reader.tensor()  # grad_final
        if version >= 3:
            reader.int()  # sample expansion factor
    elif version == 2:
        reader.tensor()  # params_grad


def read_dlib_resnet(path: Path) -> Node:
    reader = Reader(Path(path).read_bytes())
    net = _architecture()
    _read(reader, net)
    if reader.pos != len(reader.data):
        raise DlibFormatError(f"{len(reader.data) - reader.pos} unread bytes at the end")
    return net


# --- ONNX -------------------------------------------------------------------


def to_onnx(net: Node):
    """Build the ONNX graph, tracking static shapes to reproduce dlib's add_prev zero padding."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    counter = iter(range(10**6))

    def name(prefix: str) -> str:
        return f"{prefix}_{next(counter)}"

    def const(array: np.ndarray, prefix: str) -> str:
        tensor_name = name(prefix)
        initializers.append(numpy_helper.from_array(np.asarray(array), tensor_name))
        return tensor_name

    def emit(op: str, inputs: list[str], **attrs) -> str:
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def build(node: Node) -> tuple[str, tuple[int, int, int], dict]:
        """Returns (tensor name, (C, H, W), visible tags)."""
        if node.kind == "input":
            mean = np.array(node.params["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
            centred = emit("Sub", ["image", const(mean, "mean")])
            scaled = emit("Mul", [centred, const(np.array(1 / 256, dtype=np.float32), "scale")])
            return scaled, (3, CHIP_SIZE, CHIP_SIZE), {}
        if node.kind == "loss":
            return build(node.sub)
        x, (c, h, w), tags = build(node.sub)
        if node.kind == "tag":
            return x, (c, h, w), {**tags, node.tag: (x, (c, h, w))}
        if node.kind == "skip":
            x, shape = tags[node.tag]
            return x, shape, tags
        if node.kind == "con":
            p = node.params
            pad_y, pad_x = p["padding"]
            inputs = [x, const(p["filters"], "W")]
            if p["biases"] is not None:
                inputs.append(const(p["biases"], "B"))
            k, s = node.size, node.stride
            y = emit("Conv", inputs, kernel_shape=[k, k], strides=[s, s], pads=[pad_y, pad_x, pad_y, pad_x])
            return y, (node.num, (h + 2 * pad_y - k) // s + 1, (w + 2 * pad_x - k) // s + 1), tags
        if node.kind == "affine":
            gamma = node.params["gamma"].reshape(1, -1, 1, 1)
            beta = node.params["beta"].reshape(1, -1, 1, 1)
            y = emit("Add", [emit("Mul", [x, const(gamma, "gamma")]), const(beta, "beta")])
            return y, (c, h, w), tags
        if node.kind == "relu":
            return emit("Relu", [x]), (c, h, w), tags
        if node.kind in ("max_pool", "avg_pool"):
            (wy, wx), (sy, sx), (py, px) = (node.params[key] for key in ("window", "stride", "padding"))
            op = "MaxPool" if node.kind == "max_pool" else "AveragePool"
            y = emit(op, [x], kernel_shape=[wy, wx], strides=[sy, sx], pads=[py, px, py, px])
            return y, (c, (h + 2 * py - wy) // sy + 1, (w + 2 * px - wx) // sx + 1), tags
        if node.kind == "avg_pool_all":
            return emit("GlobalAveragePool", [x]), (c, 1, 1), tags
        if node.kind == "add_prev":
            other, other_shape = tags[node.tag]
            target = tuple(max(a, b) for a, b in zip((c, h, w), other_shape, strict=True))
            # dlib adds tensors of different sizes as if both were zero-padded at the end.
            a = pad_to(x, (c, h, w), target)
            b = pad_to(other, other_shape, target)
            return emit("Add", [a, b]), target, tags
        if node.kind == "fc":
            flat = emit("Flatten", [x], axis=1)
            return emit("MatMul", [flat, const(node.params["weights"], "fc")]), (node.num, 1, 1), tags
        raise DlibFormatError(f"cannot build {node.kind}")

    def pad_to(x: str, shape: tuple, target: tuple) -> str:
        if shape == target:
            return x
        pads = np.array([0, 0, 0, 0, 0, *(t - s for s, t in zip(shape, target, strict=True))], dtype=np.int64)
        return emit("Pad", [x, const(pads, "pads")], mode="constant")

    out, _, _ = build(net)
    nodes.append(helper.make_node("Identity", [out], ["embedding"]))
    graph = helper.make_graph(
        nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, CHIP_SIZE, CHIP_SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 128])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aibox-convert-dlib")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def convert(dat_path: Path, onnx_path: Path) -> None:
    model = to_onnx(read_dlib_resnet(dat_path))
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    onnx_path.write_bytes(model.SerializeToString(deterministic=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dat", type=Path)
    parser.add_argument("onnx", type=Path)
    args = parser.parse_args()
    convert(args.dat, args.onnx)
    print(f"wrote {args.onnx}")


if __name__ == "__main__":
    main()
