"""Export to ONNX for inference (issue 16.5): the network's forward pass, with the stored input
transform as a preprocessing step, as an ONNX model (opset 17).

The graph, for a network with L weight layers and its input transform x′ = (x − shift)/scale:

    input "x" [N, n₀]  →  Sub(shift) → Div(scale)  →  [MatMul(Wˡᵀ) → Add(bˡ) → activation] × L  →  "y"

The activations map to ONNX operators: identity → Identity, sigmoid → Sigmoid, tanh → Tanh,
relu → Relu, leaky_relu → LeakyRelu (alpha 0.01), elu → Elu (alpha 1), softplus → Softplus,
softmax → Softmax (axis −1). Step units have no ONNX operator of the same meaning and are refused.
Removed connections are weights of 0. The model computes in ``float32`` by default (what ONNX
runtimes support everywhere; outputs within about 1e-6 of bpstudio's float64) or ``float64``
(to float64 rounding; leaky_relu, elu and softplus are then written with basic operators:
LeakyRelu's slope is a float32 attribute, and onnxruntime has no float64 Elu or Softplus).

The ``onnx`` package is an optional extra (``pip install "bpstudio[onnx]"``); it is imported only here.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..data import DataError
from ..data.preprocess import transform_arrays
from ..engine import EngineError, Network
from ..formats.io import write_bytes_atomic

OPSET = 17
#: bpstudio activation → (ONNX operator, its attributes)
OPERATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "identity": ("Identity", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": 0.01}),
    "elu": ("Elu", {"alpha": 1.0}),
    "softplus": ("Softplus", {}),
    "softmax": ("Softmax", {"axis": -1}),
}
DTYPES = ("float32", "float64")


def _leaky_double(helper: Any, nh: Any, z: str, out: str, p: str) -> tuple[list[Any], list[Any]]:
    """z if z > 0 else 0.01·z, with the slope as a float64 constant (LeakyRelu's is a float32)."""
    inits = [nh.from_array(np.array(0.01), f"{p}_slope"), nh.from_array(np.array(0.0), f"{p}_zero")]
    nodes = [
        helper.make_node("Greater", [z, f"{p}_zero"], [f"{p}_positive"], name=f"{p}_leaky_test"),
        helper.make_node("Mul", [z, f"{p}_slope"], [f"{p}_sloped"], name=f"{p}_leaky_mul"),
        helper.make_node("Where", [f"{p}_positive", z, f"{p}_sloped"], [out], name=f"{p}_leaky_relu"),
    ]
    return nodes, inits


def _elu_double(helper: Any, nh: Any, z: str, out: str, p: str) -> tuple[list[Any], list[Any]]:
    """z if z > 0 else e^min(z, 0) − 1 (onnxruntime has no float64 Elu)."""
    inits = [nh.from_array(np.array(0.0), f"{p}_zero"), nh.from_array(np.array(1.0), f"{p}_one")]
    nodes = [
        helper.make_node("Greater", [z, f"{p}_zero"], [f"{p}_positive"], name=f"{p}_elu_test"),
        helper.make_node("Min", [z, f"{p}_zero"], [f"{p}_neg"], name=f"{p}_elu_min"),
        helper.make_node("Exp", [f"{p}_neg"], [f"{p}_exp"], name=f"{p}_elu_exp"),
        helper.make_node("Sub", [f"{p}_exp", f"{p}_one"], [f"{p}_expm1"], name=f"{p}_elu_sub"),
        helper.make_node("Where", [f"{p}_positive", z, f"{p}_expm1"], [out], name=f"{p}_elu"),
    ]
    return nodes, inits


def _softplus_double(helper: Any, nh: Any, z: str, out: str, p: str) -> tuple[list[Any], list[Any]]:
    """ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|) (onnxruntime has no float64 Softplus)."""
    inits = [nh.from_array(np.array(1.0), f"{p}_one")]
    nodes = [
        helper.make_node("Relu", [z], [f"{p}_relu"], name=f"{p}_softplus_relu"),
        helper.make_node("Abs", [z], [f"{p}_abs"], name=f"{p}_softplus_abs"),
        helper.make_node("Neg", [f"{p}_abs"], [f"{p}_negabs"], name=f"{p}_softplus_neg"),
        helper.make_node("Exp", [f"{p}_negabs"], [f"{p}_exp"], name=f"{p}_softplus_exp"),
        helper.make_node("Add", [f"{p}_exp", f"{p}_one"], [f"{p}_sum"], name=f"{p}_softplus_add"),
        helper.make_node("Log", [f"{p}_sum"], [f"{p}_log"], name=f"{p}_softplus_log"),
        helper.make_node("Add", [f"{p}_relu", f"{p}_log"], [out], name=f"{p}_softplus"),
    ]
    return nodes, inits


#: in float64 models, these activations are written with basic operators (see each function)
DOUBLE_FORMS = {"leaky_relu": _leaky_double, "elu": _elu_double, "softplus": _softplus_double}


class ExportError(EngineError):
    """The network cannot be exported (a unit ONNX has no operator for, or onnx is not installed)."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ExportError(
            'exporting to ONNX needs the onnx package: pip install "bpstudio[onnx]" (or pip install onnx)'
        ) from None
    return onnx


def build_model(
    net: Network, transform: dict[str, Any] | None = None, dtype: str = "float32", name: str = "bpstudio"
) -> Any:
    """The ONNX ModelProto of ``net`` (see the module docstring), checked with ``onnx.checker``."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    if dtype not in DTYPES:
        raise ExportError(f"dtype: choose float32 or float64, not {dtype!r}")
    np_type = np.float32 if dtype == "float32" else np.float64
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    for layer, act in enumerate(net.activations, start=1):
        if act not in OPERATORS:
            raise ExportError(
                f"layer {layer}: {act} units have no ONNX operator; export needs differentiable units"
            )
    nodes, inits = [], []
    current = "x"
    try:
        arrays = transform_arrays(transform, net.sizes[0])
    except DataError as exc:
        raise ExportError(f"the input transform cannot be exported: {exc}") from None
    if arrays is not None:
        shift, scale = arrays
        inits += [
            numpy_helper.from_array(shift.astype(np_type), "input_shift"),
            numpy_helper.from_array(scale.astype(np_type), "input_scale"),
        ]
        nodes += [
            helper.make_node("Sub", ["x", "input_shift"], ["x_shifted"], name="scale_inputs_sub"),
            helper.make_node("Div", ["x_shifted", "input_scale"], ["x_scaled"], name="scale_inputs_div"),
        ]
        current = "x_scaled"
    for l in range(net.n_layers):
        W = net.weights[l] if net.masks[l] is None else net.weights[l] * net.masks[l]
        inits += [
            numpy_helper.from_array(np.ascontiguousarray(W.T).astype(np_type), f"W{l + 1}_T"),
            numpy_helper.from_array(net.biases[l].astype(np_type), f"b{l + 1}"),
        ]
        out = "y" if l == net.n_layers - 1 else f"a{l + 1}"
        nodes += [
            helper.make_node("MatMul", [current, f"W{l + 1}_T"], [f"zw{l + 1}"], name=f"layer{l + 1}_matmul"),
            helper.make_node("Add", [f"zw{l + 1}", f"b{l + 1}"], [f"z{l + 1}"], name=f"layer{l + 1}_add"),
        ]
        act = net.activations[l]
        if dtype == "float64" and act in DOUBLE_FORMS:
            more_nodes, more_inits = DOUBLE_FORMS[act](
                helper, numpy_helper, f"z{l + 1}", out, f"layer{l + 1}"
            )
            nodes += more_nodes
            inits += more_inits
        else:
            op, attrs = OPERATORS[act]
            nodes.append(helper.make_node(op, [f"z{l + 1}"], [out], name=f"layer{l + 1}_{act}", **attrs))
        current = out
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", elem, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info("y", elem, ["N", net.sizes[-1]])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="bpstudio",
        doc_string=f"{'-'.join(map(str, net.sizes))} network ({', '.join(net.activations)}), by bpstudio",
    )
    model.ir_version = 8  # readable by onnxruntime 1.10 and newer
    onnx.checker.check_model(model, full_check=True)
    return model


def save_model(path: str | os.PathLike[str], model: Any) -> None:
    """Write the model (atomically: a half-written file never replaces a good one)."""
    write_bytes_atomic(path, model.SerializeToString())
