#!/usr/bin/python3
"""Builds small float ONNX models as torch.onnx.export writes them (Constant nodes and shape
arithmetic kept: do_constant_folding=False), each with a random input batch and torch's own output,
for tests/unit/test_onnx_ops.cpp. torch is the independent reference (Debian's onnx 1.12 has no
onnx.reference). Files: <name>.onnx, <name>.in.bin (float32 [N, ...]), <name>.out.bin (float32),
<name>.shape (N and the per-sample input shape as text)."""
import sys, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(0)
N = 4


class ShapeReshape(nn.Module):  # Conv, x.view(x.size(0), -1), Dropout, Identity, ReLU6 (Clip with Constants)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.drop = nn.Dropout(0.5)
        self.ident = nn.Identity()
        self.fc = nn.Linear(3 * 5 * 5, 4)

    def forward(self, x):
        y = F.relu6(self.conv(x))
        y = y.view(y.size(0), -1)
        return self.fc(self.ident(self.drop(y)))


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8 * 7, 5)

    def forward(self, x):
        y = self.fc1(x) * 2.0
        parts = [torch.sigmoid(y), torch.tanh(y), F.gelu(y), F.gelu(y, approximate="tanh"),
                 F.leaky_relu(y, 0.1), F.hardsigmoid(y), F.hardswish(y)]
        z = torch.cat(parts, dim=1)
        z = (z - 0.25) / 1.5 + z * z
        return F.softmax(self.fc2(z), dim=-1)


class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.ln = nn.LayerNorm(8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(torch.erf(self.ln(self.fc1(x))))


class DataMovement(nn.Module):  # tokens: reshape, transpose, slice, gather, concat, squeeze/unsqueeze, tensor ops
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 2, stride=2)
        self.fc = nn.Linear(4 * 8, 3)

    def forward(self, x):
        t = self.conv(x)                                  # [N, 4, 3, 3]
        t = t.reshape(t.shape[0], 4, 9).transpose(1, 2)   # [N, 9, 4]
        a = t[:, 1:, :]                                   # [N, 8, 4]
        b = t[:, [0, 2, 4, 6, 8, 1, 3, 5], :]             # [N, 8, 4]
        c = torch.cat([a * b, 1.0 - a], dim=2)            # [N, 8, 8]
        c = c.unsqueeze(1).squeeze(1)
        d = c.mean(dim=-1, keepdim=True)                  # ReduceMean
        c = (c - d).transpose(1, 2)                       # [N, 8, 8]
        return self.fc(c.flatten(1)[:, :32] + torch.tanh(c.flatten(1)[:, 32:]))


class AttentionScores(nn.Module):  # q @ k^T: a MatMul of two activations
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(6, 6)
        self.k = nn.Linear(6, 6)

    def forward(self, x):
        q = self.q(x).unsqueeze(2)
        k = self.k(x).unsqueeze(1)
        return torch.matmul(q, k).flatten(1)


class GroupedConv(nn.Module):  # grouped conv, depthwise conv + BN, pointwise conv
    def __init__(self):
        super().__init__()
        self.g = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.pw = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        return self.pw(F.relu(self.bn(self.dw(F.relu(self.g(x)))))).flatten(1)


def export(name, model, shape, opset=13):
    model.eval()
    x = torch.randn(N, *shape)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out_dir, name)
    torch.onnx.export(model, x, path + ".onnx", opset_version=opset, do_constant_folding=False,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    x.numpy().astype(np.float32).tofile(path + ".in.bin")
    y.numpy().astype(np.float32).tofile(path + ".out.bin")
    with open(path + ".shape", "w") as f:
        f.write(" ".join(str(d) for d in (N, *shape)) + "\n")


export("shape_reshape", ShapeReshape(), (2, 5, 5))
export("activations", Activations(), (6,))
export("norms_op17", Norms(), (6,), opset=17)
export("norms_decomposed", Norms(), (6,), opset=13)
export("data_movement", DataMovement(), (1, 6, 6))
gc = GroupedConv()
with torch.no_grad():
    gc.bn.running_mean.uniform_(-0.5, 0.5)
    gc.bn.running_var.uniform_(0.5, 2.0)
export("grouped_conv", gc, (4, 5, 5))
export("attention_scores", AttentionScores(), (6,))
