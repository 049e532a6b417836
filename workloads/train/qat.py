"""Quantisation-aware training modules following SEMANTICS.md §1 and §10 (ASiM 'Train' mode),
with our decision B9: a STATIC per-layer activation scale.

* Weights: per-tensor symmetric, s_w = fl32(max|W| + 1e-7), Qw = 2^(wbit-1) - 1,
  w_int = sgn(W) * rhe(fl32(clamp(|W|/s_w, 0, 1) * Qw)), fake-quantised as w_int * s_w / Qw,
  straight-through estimator for round and clamp, s_w detached.
* Activations: unsigned, after PACT. The static activation scale of a layer's input IS the
  learnable PACT clip alpha of the preceding PACT (detached in the quantiser, so alpha learns
  through the PACT clamp only, as in the PACT paper). x_int = rhe(fl32(clamp(x/s_x, 0, 1) * Qx)),
  Qx = 2^xbit - 1. The network input (pixels in [0, 1]) uses s_x = 1.
* Noise-aware training: y <- y * (1 + trim/100 * z), z ~ N(0, 1) per element, on the whole layer
  output (bias included), only while module.training is True (not during evaluation, unlike
  ASiM's bug B18).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def weight_qmax(bits):
    return (1 << (bits - 1)) - 1


def act_qmax(bits):
    return (1 << bits) - 1


def ste(x, q):
    """Forward q, backward identity (straight-through)."""
    return x + (q - x).detach()


def weight_scale(w):
    return (w.detach().abs().max() + torch.tensor(1e-7, dtype=torch.float32))


def fake_quant_weight(w, bits):
    s = weight_scale(w)
    q = float(weight_qmax(bits))
    codes = torch.sign(w) * torch.round(torch.clamp(w.abs() / s, 0.0, 1.0) * q)
    return ste(w, (codes * s / q).detach())


def fake_quant_act(x, scale, bits):
    """Unsigned activation fake-quantisation with a given (static) scale."""
    s = scale.detach() if torch.is_tensor(scale) else torch.tensor(float(scale), dtype=torch.float32)
    q = float(act_qmax(bits))
    codes = torch.round(torch.clamp(x / s, 0.0, 1.0) * q)
    return ste(x, (codes * s / q).detach())


class InputQuant(nn.Module):
    """Quantises the network input (pixels in [0,1]) to xbit unsigned with s_x = 1."""

    def __init__(self, xbit):
        super().__init__()
        self.xbit = xbit
        self.quantize = True

    def scale(self):
        return torch.tensor(1.0, dtype=torch.float32)

    def forward(self, x):
        return fake_quant_act(x, 1.0, self.xbit) if self.quantize else x


class PACT(nn.Module):
    """clamp(x, 0, alpha) with learnable alpha, then fake quantisation with s_x = alpha."""

    def __init__(self, xbit, alpha=6.0):
        super().__init__()
        self.xbit = xbit
        self.alpha = nn.Parameter(torch.tensor(float(alpha)))
        self.quantize = True

    def scale(self):
        return self.alpha.detach()

    def forward(self, x):
        y = torch.where(x < self.alpha, F.relu(x), self.alpha)  # gradient to alpha where x >= alpha
        return fake_quant_act(y, self.alpha, self.xbit) if self.quantize else y


class _QLayer(nn.Module):
    def _post(self, y):
        if self.training and self.trim_noise > 0:
            y = y * (1.0 + (self.trim_noise / 100.0) * torch.randn_like(y))
        return y

    def qweight(self):
        return fake_quant_weight(self.weight, self.wbit) if self.quantize else self.weight


class QConv2d(nn.Conv2d, _QLayer):
    def __init__(self, cin, cout, k, wbit, padding=0, bias=True, trim_noise=0.0):
        super().__init__(cin, cout, k, padding=padding, bias=bias)
        self.wbit, self.trim_noise, self.quantize = wbit, trim_noise, True

    def forward(self, x):
        return self._post(F.conv2d(x, self.qweight(), self.bias, self.stride, self.padding))


class QLinear(nn.Linear, _QLayer):
    def __init__(self, fin, fout, wbit, bias=True, trim_noise=0.0):
        super().__init__(fin, fout, bias=bias)
        self.wbit, self.trim_noise, self.quantize = wbit, trim_noise, True

    def forward(self, x):
        return self._post(F.linear(x, self.qweight(), self.bias))


def build(arch, wbit, xbit, trim_noise=0.0, alpha=6.0):
    """The shipped architectures as a flat nn.Sequential (the exporter walks it in order)."""
    t = trim_noise
    if arch == "cnn":
        layers = [InputQuant(xbit),
                  QConv2d(1, 16, 3, wbit, padding=1, trim_noise=t), PACT(xbit, alpha), nn.MaxPool2d(2),
                  QConv2d(16, 32, 3, wbit, padding=1, trim_noise=t), PACT(xbit, alpha), nn.MaxPool2d(2),
                  nn.Flatten(),
                  QLinear(1568, 64, wbit, trim_noise=t), PACT(xbit, alpha),
                  QLinear(64, 10, wbit, trim_noise=t)]
    elif arch == "mlp":
        layers = [nn.Flatten(), InputQuant(xbit),
                  QLinear(784, 256, wbit, trim_noise=t), PACT(xbit, alpha),
                  QLinear(256, 128, wbit, trim_noise=t), PACT(xbit, alpha),
                  QLinear(128, 10, wbit, trim_noise=t)]
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return nn.Sequential(*layers)


def set_quantize(model, on):
    """on=False gives the 'float' network: same parameters, no weight/activation quantisation
    (PACT clips kept)."""
    for m in model.modules():
        if hasattr(m, "quantize"):
            m.quantize = on


def build_float(arch):
    """The same architectures as plain float networks (ReLU instead of PACT, no quantisers), for
    the float ONNX models that the C++ importer quantises at load (post-training quantisation,
    docs/ptq.md)."""
    if arch == "cnn":
        layers = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(),
                  nn.Linear(1568, 64), nn.ReLU(),
                  nn.Linear(64, 10)]
    elif arch == "mlp":
        layers = [nn.Flatten(),
                  nn.Linear(784, 256), nn.ReLU(),
                  nn.Linear(256, 128), nn.ReLU(),
                  nn.Linear(128, 10)]
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return nn.Sequential(*layers)
