"""Hand-written QCDQ ONNX exporter (opset 13) for the models of qat.py.

The conventions written here are the contract with the C++ importer; docs/workload_format.md
describes them. In short, for every quantised Conv/Gemm layer <L>:

  <L>.weight (float32, holds exactly fl32(w_int * scale_w))
      -> QuantizeLinear(<L>.weight_scale, <L>.weight_zero_point int8 = 0)
      -> Clip(<L>.weight_qmin = -Qw, <L>.weight_qmax = +Qw)           (int8 bounds)
      -> DequantizeLinear(same scale, same zero point)
  activation (float32)
      -> QuantizeLinear(<L>.input_scale, <L>.input_zero_point uint8 = 0)
      -> Clip(<L>.input_qmin = 0, <L>.input_qmax = Qx)                  (uint8 bounds)
      -> DequantizeLinear(same scale, same zero point)
  Conv / Gemm(transB=1) with a float32 bias initializer
  PACT: Clip(float min 0, float max s_x of the next layer's input quantiser)
  MaxPool, Flatten.

The ONNX scales are the step sizes: scale_w = fl32(s_w / Qw), scale_x = fl32(s_x / Qx); the ASiM
clip ranges are then recovered exactly as s = fl32(scale * Q), and the exporter uses exactly those
s values to compute the integer codes (so the file and the integer model agree bit for bit).
"""
import json

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from qat import PACT, InputQuant, QConv2d, QLinear, act_qmax, weight_qmax

OPSET = 13
FORMAT = "acim-qcdq-1"
F32 = np.float32


def asim_weight_codes(w, s_w, qw):
    """SEMANTICS §1.1 in float32: sgn(W) * rhe(fl32(clamp(|W|/s_w, 0, 1) * Qw))."""
    w = w.astype(F32)
    a = np.clip(np.abs(w) / F32(s_w), F32(0), F32(1)) * F32(qw)
    return (np.sign(w) * np.rint(a)).astype(np.int64)


def onnx_quantize(x, scale, lo, hi):
    """ONNX QuantizeLinear (zero point 0, round half to even, saturate) followed by Clip."""
    q = np.rint(x.astype(F32) / F32(scale))
    return np.clip(q, lo, hi).astype(np.int64)


def layer_params(model):
    """Walks the trained nn.Sequential and returns the export plan: a list of steps
    ('quant_layer', dict) / ('pact', s_x_next) / ('maxpool', k) / ('flatten',) with all
    scales and integer codes fixed in float32 exactly as the integer model will use them."""
    mods = list(model)
    steps, pending_scale, pending_xbit, n_conv, n_fc = [], None, None, 0, 0
    for i, m in enumerate(mods):
        if isinstance(m, (InputQuant, PACT)):
            pending_scale = F32(m.scale().item())
            pending_xbit = m.xbit
            if isinstance(m, PACT):
                steps.append(["pact", None])  # max filled in when the consumer is known
        elif isinstance(m, (QConv2d, QLinear)):
            if pending_scale is None:
                raise ValueError(f"layer {i}: no activation quantiser before {type(m).__name__}")
            is_conv = isinstance(m, QConv2d)
            if is_conv:
                n_conv += 1
                name = f"conv{n_conv}"
            else:
                n_fc += 1
                name = f"fc{n_fc}"
            qw, qx = weight_qmax(m.wbit), act_qmax(pending_xbit)
            w = m.weight.detach().cpu().numpy().astype(F32)
            s_w_train = F32(np.abs(w).max() + F32(1e-7))
            scale_w = F32(s_w_train / F32(qw))
            s_w = F32(scale_w * F32(qw))
            codes = asim_weight_codes(w, s_w, qw)
            w_stored = (codes.astype(F32) * scale_w).astype(F32)
            if not np.array_equal(onnx_quantize(w_stored, scale_w, -qw, qw), codes):
                raise AssertionError(f"{name}: stored weights do not re-quantise to their codes")
            scale_x = F32(F32(pending_scale) / F32(qx))
            s_x = F32(scale_x * F32(qx))
            # the PACT clip just before this layer (if any) clips at exactly s_x
            for st in reversed(steps):
                if st[0] == "pact":
                    if st[1] is None:
                        st[1] = s_x
                    break
                if st[0] == "quant_layer":
                    break
            bias = (m.bias.detach().cpu().numpy().astype(F32) if m.bias is not None
                    else np.zeros(w.shape[0], F32))
            p = dict(name=name, op="Conv" if is_conv else "Gemm", wbit=m.wbit, xbit=pending_xbit,
                     qw=qw, qx=qx, scale_w=scale_w, s_w=s_w, scale_x=scale_x, s_x=s_x,
                     codes=codes, w_stored=w_stored, bias=bias)
            if is_conv:
                p.update(kernel=list(m.kernel_size), stride=list(m.stride), pads=list(m.padding) * 2,
                         dilation=list(m.dilation), groups=m.groups)
                if m.groups != 1 or m.padding_mode != "zeros":
                    raise ValueError(f"{name}: only groups=1 and zero padding are exported")
            steps.append(["quant_layer", p])
            pending_scale = None
        elif isinstance(m, nn.MaxPool2d):
            steps.append(["maxpool", int(m.kernel_size), int(m.stride)])
        elif isinstance(m, nn.Flatten):
            steps.append(["flatten"])
        else:
            raise ValueError(f"cannot export module {type(m).__name__}")
    for st in steps:
        if st[0] == "pact" and st[1] is None:
            raise ValueError("a PACT is not followed by a quantised layer")
    return steps


def _scalar(name, value, dtype):
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def build_onnx(steps, input_shape, meta):
    """QCDQ graph from the export plan. input_shape excludes the batch ('N')."""
    nodes, inits, cur = [], [], "input"
    layers_meta = []
    k = 0

    def fresh(base):
        nonlocal k
        k += 1
        return f"{base}_{k}"

    for st in steps:
        kind = st[0]
        if kind == "flatten":
            out = fresh("flatten")
            nodes.append(helper.make_node("Flatten", [cur], [out], name=out, axis=1))
            cur = out
        elif kind == "maxpool":
            out = fresh("maxpool")
            nodes.append(helper.make_node("MaxPool", [cur], [out], name=out, kernel_shape=[st[1], st[1]],
                                          strides=[st[2], st[2]], pads=[0, 0, 0, 0]))
            cur = out
        elif kind == "pact":
            out = fresh("pact")
            lo, hi = f"{out}.min", f"{out}.max"
            inits += [_scalar(lo, 0.0, np.float32), _scalar(hi, st[1], np.float32)]
            nodes.append(helper.make_node("Clip", [cur, lo, hi], [out], name=out))
            cur = out
        elif kind == "quant_layer":
            p = st[1]
            n = p["name"]
            # activation QCDQ (uint8, unsigned)
            inits += [_scalar(f"{n}.input_scale", p["scale_x"], np.float32),
                      _scalar(f"{n}.input_zero_point", 0, np.uint8),
                      _scalar(f"{n}.input_qmin", 0, np.uint8),
                      _scalar(f"{n}.input_qmax", p["qx"], np.uint8)]
            nodes += [
                helper.make_node("QuantizeLinear", [cur, f"{n}.input_scale", f"{n}.input_zero_point"],
                                 [f"{n}.input_q"], name=f"{n}.input_quantize"),
                helper.make_node("Clip", [f"{n}.input_q", f"{n}.input_qmin", f"{n}.input_qmax"],
                                 [f"{n}.input_qc"], name=f"{n}.input_clip"),
                helper.make_node("DequantizeLinear", [f"{n}.input_qc", f"{n}.input_scale",
                                                      f"{n}.input_zero_point"],
                                 [f"{n}.input_dq"], name=f"{n}.input_dequantize")]
            # weight QCDQ (int8, symmetric)
            inits += [numpy_helper.from_array(p["w_stored"], f"{n}.weight"),
                      _scalar(f"{n}.weight_scale", p["scale_w"], np.float32),
                      _scalar(f"{n}.weight_zero_point", 0, np.int8),
                      _scalar(f"{n}.weight_qmin", -p["qw"], np.int8),
                      _scalar(f"{n}.weight_qmax", p["qw"], np.int8),
                      numpy_helper.from_array(p["bias"], f"{n}.bias")]
            nodes += [
                helper.make_node("QuantizeLinear", [f"{n}.weight", f"{n}.weight_scale", f"{n}.weight_zero_point"],
                                 [f"{n}.weight_q"], name=f"{n}.weight_quantize"),
                helper.make_node("Clip", [f"{n}.weight_q", f"{n}.weight_qmin", f"{n}.weight_qmax"],
                                 [f"{n}.weight_qc"], name=f"{n}.weight_clip"),
                helper.make_node("DequantizeLinear", [f"{n}.weight_qc", f"{n}.weight_scale",
                                                      f"{n}.weight_zero_point"],
                                 [f"{n}.weight_dq"], name=f"{n}.weight_dequantize")]
            out = f"{n}.output"
            if p["op"] == "Conv":
                nodes.append(helper.make_node("Conv", [f"{n}.input_dq", f"{n}.weight_dq", f"{n}.bias"], [out],
                                              name=n, kernel_shape=p["kernel"], strides=p["stride"],
                                              pads=p["pads"], dilations=p["dilation"], group=p["groups"]))
            else:
                nodes.append(helper.make_node("Gemm", [f"{n}.input_dq", f"{n}.weight_dq", f"{n}.bias"], [out],
                                              name=n, alpha=1.0, beta=1.0, transA=0, transB=1))
            cur = out
            layers_meta.append(dict(name=n, op=p["op"], wbit=p["wbit"], xbit=p["xbit"],
                                    weight_shape=list(p["codes"].shape),
                                    s_w=float(p["s_w"]), s_x=float(p["s_x"]),
                                    weight_scale=float(p["scale_w"]), input_scale=float(p["scale_x"])))
    if not nodes or nodes[-1].op_type not in ("Conv", "Gemm"):
        raise ValueError("the network must end with a quantised Conv/Gemm (the logits)")
    nodes[-1].output[0] = "logits"
    n_out = layers_meta[-1]["weight_shape"][0]
    graph = helper.make_graph(
        nodes, "acim_" + meta.get("acim.name", "model"),
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + list(input_shape))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_out])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="acim-tlm workloads/train", producer_version=FORMAT,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    props = {"acim.format": FORMAT, "acim.layers": json.dumps(layers_meta)}
    props.update({k2: str(v) for k2, v in meta.items()})
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    return model


def set_metadata(model, extra):
    props = {p.key: p.value for p in model.metadata_props}
    props.update({k: str(v) for k, v in extra.items()})
    del model.metadata_props[:]
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)


FLOAT_FORMAT = "float"


def export_float(model, input_shape, meta):
    """A plain float ONNX graph (opset 13) of a float nn.Sequential, written by torch.onnx.export:
    Conv/Gemm with float initialisers, Relu, MaxPool, Flatten; no QuantizeLinear/DequantizeLinear.
    The C++ importer quantises it at load (docs/ptq.md). `meta` becomes metadata_props."""
    import io
    model.eval()
    buf = io.BytesIO()
    dummy = torch.zeros([1] + list(input_shape), dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(model, dummy, buf, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    onx = onnx.load_from_string(buf.getvalue())
    ops = sorted({n.op_type for n in onx.graph.node})
    bad = [o for o in ops if o in ("QuantizeLinear", "DequantizeLinear")]
    if bad:
        raise AssertionError(f"float export holds quantisers {bad}")
    props = {"acim.format": FLOAT_FORMAT}
    props.update({k: str(v) for k, v in meta.items()})
    helper.set_model_props(onx, props)
    onnx.checker.check_model(onx, full_check=True)
    return onx


def run_float_onnx(onx, x, batch=1000):
    """Predictions of a float graph (the ops export_float writes) run literally in float32 with
    torch ops: a check that the file computes what the PyTorch module computed."""
    import torch.nn.functional as F
    g = onx.graph
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
    preds = []
    for i in range(0, len(x), batch):
        env = dict(inits)
        env[g.input[0].name] = x[i:i + batch]
        for n in g.node:
            a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
            ins = [env[k] for k in n.input if k]
            if n.op_type == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1, 1]),
                             padding=(p[0], p[1]))
            elif n.op_type == "Relu":
                y = F.relu(ins[0])
            elif n.op_type == "MaxPool":
                y = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]))
            elif n.op_type == "Flatten":
                y = ins[0].flatten(1)
            elif n.op_type == "Reshape":
                y = ins[0].reshape([int(v) for v in ins[1]])
            elif n.op_type == "Gemm":
                w = ins[1].t() if a.get("transB", 0) else ins[1]
                y = ins[0] @ w + (ins[2] if len(ins) > 2 else 0)
            elif n.op_type == "MatMul":
                y = ins[0] @ ins[1]
            elif n.op_type == "Add":
                y = ins[0] + ins[1]
            else:
                raise ValueError(f"run_float_onnx: op {n.op_type} not supported")
            env[n.output[0]] = y
        preds.append(env[g.output[0].name].argmax(1))
    return torch.cat(preds).numpy()
