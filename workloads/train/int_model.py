#!/usr/bin/python3
"""Integer reference evaluator of an exported QCDQ model (docs/workload_format.md).

It parses the ONNX file with exactly the pattern rules the C++ importer relies on, and computes
the ideal integer model, the value an ACiM with a lossless ADC and no noise must reproduce:

  x_int  = rhe(fl32(clamp(fl32(x / s_x), 0, 1) * Qx))      s_x = fl32(input_scale  * Qx)
  w_int  = clip(rhe(fl32(W / weight_scale)), -Qw, Qw)       s_w = fl32(weight_scale * Qw)
  acc    = sum w_int * x_int                                exact integers
  y      = fl32( double(acc) * f + double(bias) )          f = double(s_w)*double(s_x) / (double(Qw)*double(Qx))

i.e. dequantisation and bias in float64, every layer output rounded to float32, PACT Clip and
MaxPool on those float32 values, prediction = first index of the largest float32 logit.
The integer MACs run as float64 convolutions/matmuls on integer-valued tensors: exact, because
every partial sum stays below 2^53 (checked per layer).

With --onnx-semantics it also runs the graph literally under ONNX operator semantics in float32
(QuantizeLinear = rhe(x / scale)), to show the file means what the integer model computes.

Usage: /usr/bin/python3 workloads/train/int_model.py MODEL.onnx [--limit N] [--onnx-semantics]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402

F32 = np.float32


class FormatError(ValueError):
    pass


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _bits_from_qmax(qmax, signed):
    b = int(qmax + 1).bit_length() - 1
    if qmax < 1 or (1 << b) != qmax + 1:
        raise FormatError(f"clip bound {qmax} is not 2^k - 1")
    return b + 1 if signed else b


class Program:
    """The parsed model: a list of steps over named tensors."""

    def __init__(self, model):
        self.model = model
        g = model.graph
        opset = {o.domain: o.version for o in model.opset_import}
        if opset.get("", opset.get("ai.onnx")) != 13:
            raise FormatError(f"opset {opset} (expected 13)")
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.input = [i.name for i in g.input if i.name not in self.inits][0]
        self.output = g.output[0].name
        consumers = {}
        for n in g.node:
            for i in n.input:
                consumers.setdefault(i, []).append(n)
        self.steps, self.weights, self.layers = [], {}, []
        done = set()

        def only_consumer(name, op):
            c = consumers.get(name, [])
            if len(c) != 1 or c[0].op_type != op:
                raise FormatError(f"tensor {name} must feed exactly one {op}, feeds {[x.op_type for x in c]}")
            return c[0]

        def scalar(name, dtype):
            if name not in self.inits:
                raise FormatError(f"{name} must be an initializer")
            a = self.inits[name]
            if a.size != 1 or a.dtype != dtype:
                raise FormatError(f"{name} must be a {np.dtype(dtype).name} scalar (per tensor), got {a.dtype}{a.shape}")
            return a.reshape(()).item()

        for n in g.node:
            if id(n) in done:
                continue
            op = n.op_type
            if op == "QuantizeLinear":
                clip = only_consumer(n.output[0], "Clip")
                dq = only_consumer(clip.output[0], "DequantizeLinear")
                done.update({id(clip), id(dq)})
                if len(n.input) < 3 or len(dq.input) < 3:
                    raise FormatError(f"{n.name}: zero point must be given")
                if n.input[1:3] != dq.input[1:3] and (scalar(n.input[1], np.float32) != scalar(dq.input[1], np.float32)):
                    raise FormatError(f"{n.name}: QuantizeLinear and DequantizeLinear scales differ")
                scale = scalar(n.input[1], np.float32)
                is_weight = n.input[0] in self.inits
                zdt = np.int8 if is_weight else np.uint8
                if scalar(n.input[2], zdt) != 0:
                    raise FormatError(f"{n.name}: zero point must be 0")
                lo, hi = scalar(clip.input[1], zdt), scalar(clip.input[2], zdt)
                if not scale > 0 or not np.isfinite(scale):
                    raise FormatError(f"{n.name}: scale {scale} must be positive and finite")
                if is_weight:
                    if lo != -hi:
                        raise FormatError(f"{clip.name}: weight clip [{lo}, {hi}] is not symmetric")
                    bits = _bits_from_qmax(hi, True)
                    w = self.inits[n.input[0]].astype(F32)
                    codes = np.clip(np.rint(w / F32(scale)), -128, 127)  # ONNX QuantizeLinear, int8
                    codes = np.clip(codes, lo, hi).astype(np.int64)
                    self.weights[dq.output[0]] = dict(codes=codes, bits=bits, q=hi,
                                                      s=F32(F32(scale) * F32(hi)))
                else:
                    if lo != 0:
                        raise FormatError(f"{clip.name}: activation clip must start at 0, got {lo}")
                    bits = _bits_from_qmax(hi, False)
                    self.steps.append(("quant", n.input[0], dq.output[0],
                                       dict(bits=bits, q=hi, s=F32(F32(scale) * F32(hi)))))
            elif op in ("Conv", "Gemm"):
                x, w = n.input[0], n.input[1]
                if w not in self.weights:
                    raise FormatError(f"{n.name}: weight must come from a QuantizeLinear-Clip-DequantizeLinear chain")
                a = _attrs(n)
                bias = self.inits[n.input[2]].astype(F32) if len(n.input) > 2 and n.input[2] else None
                if op == "Gemm" and (a.get("transA", 0) != 0 or a.get("transB", 0) != 1
                                     or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0):
                    raise FormatError(f"{n.name}: Gemm must have transA=0, transB=1, alpha=beta=1")
                if op == "Conv" and a.get("group", 1) != 1:
                    raise FormatError(f"{n.name}: grouped Conv is not supported")
                self.steps.append((op.lower(), x, n.output[0], dict(w=self.weights[w], bias=bias, attrs=a, name=n.name)))
                self.layers.append(n.name)
            elif op in ("Clip", "Relu"):
                lo = scalar(n.input[1], np.float32) if op == "Clip" and len(n.input) > 1 and n.input[1] else -np.inf
                hi = scalar(n.input[2], np.float32) if op == "Clip" and len(n.input) > 2 and n.input[2] else np.inf
                if op == "Relu":
                    lo = 0.0
                self.steps.append(("clip", n.input[0], n.output[0], dict(lo=F32(lo), hi=F32(hi))))
            elif op == "MaxPool":
                a = _attrs(n)
                if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])) or \
                        a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                    raise FormatError(f"{n.name}: MaxPool with ceil_mode/dilations/auto_pad is not supported")
                self.steps.append(("maxpool", n.input[0], n.output[0], a))
            elif op == "Flatten":
                self.steps.append(("flatten", n.input[0], n.output[0], _attrs(n)))
            elif op == "Reshape":
                self.steps.append(("reshape", n.input[0], n.output[0], dict(shape=self.inits[n.input[1]])))
            else:
                raise FormatError(f"unsupported op {op} ({n.name})")

    def run_int(self, x, trim_noise=0.0, rng=None, trace=None):
        """Integer model on float32 input [N, ...] (pixels already fl32(byte/255)). Returns float32 logits.
        trim_noise > 0 adds ASiM's 'Inference'-mode rough noise acc <- acc * (1 + trim/100 * z) to every
        integer accumulator (z ~ N(0,1) from rng); 0 is the ideal integer model.
        trace(name, x, s_x, xbit, codes) is called for every activation quantisation (for cross-checks)."""
        vals = {self.input: np.asarray(x, F32)}
        for kind, src, dst, p in self.steps:
            v = vals[src]
            if kind == "quant":
                s, q = p["s"], F32(p["q"])
                codes = np.rint(np.clip(v / s, F32(0), F32(1)) * q)   # float32 throughout
                if trace:
                    trace(dst, v, s, p["bits"], codes)
                vals[dst] = dict(codes=codes.astype(np.float64), s=s, q=p["q"], bits=p["bits"])
            elif kind in ("conv", "gemm"):
                if not isinstance(v, dict):
                    raise FormatError(f"{p['name']}: input is not a quantised activation")
                wq = p["w"]
                xc, wc = torch.from_numpy(v["codes"]), torch.from_numpy(wq["codes"].astype(np.float64))
                rows = int(np.prod(wc.shape[1:]))
                if rows * wq["q"] * v["q"] >= 2 ** 53:
                    raise FormatError(f"{p['name']}: accumulator could exceed 2^53")
                if kind == "conv":
                    a = p["attrs"]
                    pads = a.get("pads", [0, 0, 0, 0])
                    xc = F.pad(xc, (pads[1], pads[3], pads[0], pads[2]))
                    acc = F.conv2d(xc, wc, None, a.get("strides", [1, 1]), 0, a.get("dilations", [1, 1]))
                    shape = (1, -1, 1, 1)
                else:
                    acc = xc @ wc.T
                    shape = (1, -1)
                f = float(wq["s"]) * float(v["s"]) / (float(wq["q"]) * float(v["q"]))
                acc = acc.numpy()
                if trim_noise > 0:
                    acc = acc * (1.0 + (trim_noise / 100.0) * rng.standard_normal(acc.shape))
                y = acc * f
                if p["bias"] is not None:
                    y = y + p["bias"].astype(np.float64).reshape(shape)
                vals[dst] = y.astype(F32)
            else:
                vals[dst] = _float_op(kind, v, p)
        return vals[self.output]


def _float_op(kind, v, p):
    if isinstance(v, dict):
        raise FormatError(f"{kind} applied to a quantised activation")
    if kind == "clip":
        return np.clip(v, p["lo"], p["hi"]).astype(F32)
    if kind == "maxpool":
        k, s = p["kernel_shape"], p.get("strides", [1, 1])
        pads = p.get("pads", [0, 0, 0, 0])
        t = torch.from_numpy(np.ascontiguousarray(v))
        t = F.pad(t, (pads[1], pads[3], pads[0], pads[2]), value=-np.inf)
        return F.max_pool2d(t, k, s).numpy()
    if kind == "flatten":
        ax = p.get("axis", 1)
        return v.reshape(int(np.prod(v.shape[:ax])), -1)
    if kind == "reshape":
        return v.reshape([int(d) if d != 0 else v.shape[i] for i, d in enumerate(p["shape"])])
    raise FormatError(f"unknown step {kind}")


def run_onnx_semantics(model, x):
    """The graph evaluated literally under ONNX (opset 13) operator semantics, in float32."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    vals = dict(inits)
    vals[[i.name for i in model.graph.input if i.name not in inits][0]] = np.asarray(x, F32)
    for n in model.graph.node:
        a = _attrs(n)
        ins = [vals[i] if i else None for i in n.input]
        op = n.op_type
        if op == "QuantizeLinear":
            zp = ins[2]
            lo, hi = (-128, 127) if zp.dtype == np.int8 else (0, 255)
            out = np.clip(np.rint(ins[0].astype(F32) / ins[1].astype(F32)) + zp.astype(np.int64), lo, hi).astype(zp.dtype)
        elif op == "DequantizeLinear":
            out = ((ins[0].astype(np.int32) - ins[2].astype(np.int32)).astype(F32) * ins[1].astype(F32)).astype(F32)
        elif op == "Clip":
            out = np.clip(ins[0], ins[1], ins[2]).astype(ins[0].dtype)
        elif op == "Relu":
            out = np.maximum(ins[0], F32(0))
        elif op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            xt = F.pad(torch.from_numpy(ins[0]), (pads[1], pads[3], pads[0], pads[2]))
            out = F.conv2d(xt, torch.tensor(ins[1]), torch.tensor(ins[2]) if len(ins) > 2 else None,
                           a.get("strides", [1, 1]), 0, a.get("dilations", [1, 1])).numpy()
        elif op == "Gemm":
            out = (ins[0] @ ins[1].T + ins[2]).astype(F32)
        elif op == "MaxPool":
            out = _float_op("maxpool", ins[0], a)
        elif op == "Flatten":
            out = _float_op("flatten", ins[0], a)
        elif op == "Reshape":
            out = _float_op("reshape", ins[0], dict(shape=ins[1]))
        elif op == "Identity":
            out = ins[0]
        else:
            raise FormatError(f"unsupported op {op}")
        vals[n.output[0]] = out
    return vals[model.graph.output[0].name]


def predict(fn, images, batch=1000):
    preds = []
    for i in range(0, len(images), batch):
        logits = fn(fmnist.to_float(images[i:i + batch]))
        preds.append(np.argmax(logits, axis=1))  # first index of the maximum
    return np.concatenate(preds)


def evaluate(model, images, labels, onnx_semantics=False, noise_trims=(), noise_seed=0):
    prog = Program(model)
    p_int = predict(prog.run_int, images)
    res = dict(int_accuracy=float((p_int == labels).mean()), images=int(len(labels)))
    for t in noise_trims:
        rng = np.random.default_rng(noise_seed)
        p = predict(lambda x: prog.run_int(x, t, rng), images)
        res.setdefault("int_accuracy_with_trim_noise", {})[f"{t:g}"] = float((p == labels).mean())
    if onnx_semantics:
        p_onnx = predict(lambda x: run_onnx_semantics(model, x), images)
        res["onnx_semantics_accuracy"] = float((p_onnx == labels).mean())
        res["onnx_semantics_prediction_flips"] = int((p_onnx != p_int).sum())
    return res, p_int


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--limit", type=int, default=0, help="first N test images only")
    ap.add_argument("--onnx-semantics", action="store_true")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--trim", type=float, action="append", default=[],
                    help="also evaluate with ASiM Inference-mode noise acc*(1+trim/100*z) (repeatable)")
    ap.add_argument("--dump-logits", default=None,
                    help="write the integer model's float32 logits of the (limited) test images, raw little-endian")
    args = ap.parse_args()
    torch.set_num_threads(2)
    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    images, labels = fmnist.load("test", args.data_dir)
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    res, _ = evaluate(model, images, labels, args.onnx_semantics, args.trim)
    if args.dump_logits:
        prog = Program(model)
        logits = np.concatenate([prog.run_int(fmnist.to_float(images[i:i + 1000]))
                                 for i in range(0, len(images), 1000)]).astype("<f4")
        logits.tofile(args.dump_logits)
        res["dumped_logits"] = {"file": args.dump_logits, "shape": list(logits.shape)}
    meta = {p.key: p.value for p in model.metadata_props}
    if "acim.int_accuracy" in meta and not args.limit:
        res["recorded_int_accuracy"] = float(meta["acim.int_accuracy"])
    print(json.dumps(res, indent=1))
    if "recorded_int_accuracy" in res and res["recorded_int_accuracy"] != res["int_accuracy"]:
        sys.exit("integer accuracy differs from the one recorded in the model")


if __name__ == "__main__":
    main()
