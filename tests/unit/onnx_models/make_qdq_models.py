#!/usr/bin/python3
"""Quantised ONNX models in the forms other tools write, for tests/unit/test_onnx_ops.cpp, each with
an input batch and an independent float64 numpy/torch reference of the ONNX semantics:
  qdq_gemm_*  onnxruntime QDQ: uint8/int8 activations with zero points (QuantizeLinear ->
              DequantizeLinear), int8/uint8 weight initialisers -> DequantizeLinear, per channel
              on the output axis 1 of a [in, out] MatMul weight;
  qdq_conv_*  the same around a padded Conv, weights per channel on axis 0;
  fakequant   torch fake-quant export (QuantizeLinear/DequantizeLinear with Constant scales).
Files as make_models.py writes them."""
import sys, os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import torch
import torch.nn.functional as F

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(7)
N = 5


def save(name, model, x, y):
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, name)
    onnx.save(model, path + ".onnx")
    x.astype(np.float32).tofile(path + ".in.bin")
    y.astype(np.float32).tofile(path + ".out.bin")
    with open(path + ".shape", "w") as f:
        f.write(" ".join(str(d) for d in x.shape) + "\n")


def qdq_act(x, s, zp, lo, hi):  # ONNX QuantizeLinear then DequantizeLinear, float32 division, half-even
    q = np.clip(np.rint((x.astype(np.float32) / np.float32(s))).astype(np.int64) + zp, lo, hi)
    return (q - zp).astype(np.float64) * np.float64(np.float32(s))


def gemm(name, act_type, zp_x, w_type, zp_w):
    fin, fout = 6, 4
    lo, hi = (0, 255) if act_type == TensorProto.UINT8 else (-128, 127)
    wlo, whi = (0, 255) if w_type == TensorProto.UINT8 else (-127, 127)
    xs = np.float32(0.02)
    ws = rng.uniform(0.01, 0.05, fout).astype(np.float32)
    wq = rng.integers(wlo, whi + 1, (fin, fout))
    b = rng.normal(0, 0.1, fout).astype(np.float32)
    npt = {TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8}
    inits = [numpy_helper.from_array(np.array(xs), "xs"), numpy_helper.from_array(np.array(zp_x, dtype=npt[act_type]), "xz"),
             numpy_helper.from_array(wq.astype(npt[w_type]), "wq"), numpy_helper.from_array(ws, "ws"),
             numpy_helper.from_array(np.full(fout, zp_w, dtype=npt[w_type]), "wz"), numpy_helper.from_array(b, "b")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="xd"),
             helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="wd", axis=1),
             helper.make_node("MatMul", ["xd", "wd"], ["m"], name="mm"),
             helper.make_node("Add", ["m", "b"], ["y"], name="bias")]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", fin])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", fout])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    x = rng.normal(0, 1.5, (N, fin)).astype(np.float32)
    xd = qdq_act(x, xs, zp_x, lo, hi)
    wd = (wq - zp_w).astype(np.float64) * ws.astype(np.float64)[None, :]
    save(name, m, x, xd @ wd + b.astype(np.float64))


def conv(name, zp_x):
    C, O, H = 2, 3, 5
    xs = np.float32(0.03)
    ws = rng.uniform(0.01, 0.05, O).astype(np.float32)
    wq = rng.integers(-127, 128, (O, C, 3, 3))
    inits = [numpy_helper.from_array(np.array(xs), "xs"), numpy_helper.from_array(np.array(zp_x, dtype=np.uint8), "xz"),
             numpy_helper.from_array(wq.astype(np.int8), "wq"), numpy_helper.from_array(ws, "ws"),
             numpy_helper.from_array(np.zeros(O, dtype=np.int8), "wz"),
             numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "shape")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="xd"),
             helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="wd", axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Reshape", ["c", "shape"], ["y"], name="flat")]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", C, H, H])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", O * H * H])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    x = rng.normal(0.5, 1.0, (N, C, H, H)).astype(np.float32)
    xd = qdq_act(x, xs, zp_x, 0, 255)
    wd = wq.astype(np.float64) * ws.astype(np.float64)[:, None, None, None]
    y = F.conv2d(torch.from_numpy(xd), torch.from_numpy(wd), padding=1).numpy().reshape(N, -1)
    save(name, m, x, y)


class FakeQuant(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        xq = torch.fake_quantize_per_tensor_affine(x, 0.05, 0, 0, 127)
        w = torch.fake_quantize_per_channel_affine(self.fc.weight, torch.tensor([0.02, 0.03, 0.04]),
                                                   torch.zeros(3, dtype=torch.int32), 0, -128, 127)
        return F.linear(xq, w, self.fc.bias)


gemm("qdq_gemm_u8", TensorProto.UINT8, 100, TensorProto.INT8, 0)
gemm("qdq_gemm_s8", TensorProto.INT8, -5, TensorProto.UINT8, 128)
conv("qdq_conv_u8", 37)

torch.manual_seed(1)
fq = FakeQuant().eval()
x = torch.rand(N, 6)
with torch.no_grad():
    y = fq(x)
path = os.path.join(out_dir, "fakequant")
torch.onnx.export(fq, x, path + ".onnx", opset_version=13, do_constant_folding=False, input_names=["x"],
                  output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
x.numpy().tofile(path + ".in.bin")
y.numpy().tofile(path + ".out.bin")
with open(path + ".shape", "w") as f:
    f.write(f"{N} 6\n")
