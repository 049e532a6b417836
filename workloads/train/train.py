#!/usr/bin/python3
"""Quantisation-aware training of the shipped Fashion-MNIST models, then QCDQ ONNX export.

Run with Debian's interpreter (it has python3-torch and python3-onnx):
  /usr/bin/python3 workloads/train/train.py --arch cnn --wbit 8 --xbit 8 --name cnn_w8a8
  /usr/bin/python3 workloads/train/train.py --smoke --out-dir /tmp/acim_smoke   # < 60 s, for CI

Writes <out-dir>/<name>.onnx and <out-dir>/<name>.json (accuracies on the 10k test images,
the exact command, training seconds, seed, torch version). See docs/workload_format.md.
"""
import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time

if "OMP_WAIT_POLICY" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # spinning OpenMP workers cost 100x on small ops here
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_onnx  # noqa: E402
import fmnist  # noqa: E402
import int_model  # noqa: E402
import qat  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=["cnn", "mlp"], default="cnn")
    ap.add_argument("--wbit", type=int, default=8)
    ap.add_argument("--xbit", type=int, default=8)
    ap.add_argument("--trim", type=float, default=0.0,
                    help="noise-aware training: multiplicative trim_noise in %% on every layer output")
    ap.add_argument("--clean-epochs", type=int, default=0,
                    help="with --trim: this many epochs without noise first (pretraining), then the noisy ones")
    ap.add_argument("--epochs", type=int, default=4, help="total epochs (including --clean-epochs)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--alpha", type=float, default=6.0, help="initial PACT clip")
    ap.add_argument("--alpha-decay", type=float, default=1e-3, help="L2 on the PACT clips")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is faster than 2 on this 2-core machine and leaves a core free)")
    ap.add_argument("--name", default=None)
    ap.add_argument("--out-dir", default=None,
                    help="default workloads/models (smoke: a fresh directory under $TMPDIR)")
    ap.add_argument("--data-dir", default=None, help="IDX directory (default Debian's dataset-fashion-mnist)")
    ap.add_argument("--float", action="store_true",
                    help="train the plain float network (ReLU, no quantisers) and export a float ONNX graph "
                         "for post-training quantisation at load (docs/ptq.md); --wbit/--xbit are ignored")
    ap.add_argument("--smoke", action="store_true",
                    help="a few steps on a 512-image subset, evaluated on 1000 test images (CI check)")
    args = ap.parse_args(argv)
    if args.wbit < 2 or args.wbit > 8 or args.xbit < 1 or args.xbit > 8:
        ap.error("wbit must be 2..8 and xbit 1..8 (int8 / uint8 QCDQ)")
    if args.name is None and args.float:
        args.name = f"{args.arch}_float"
    if args.name is None:
        args.name = f"{args.arch}_w{args.wbit}a{args.xbit}" + (f"_trim{args.trim:g}" if args.trim else "")
    if args.out_dir is None:
        args.out_dir = (tempfile.mkdtemp(prefix="acim_smoke_") if args.smoke
                        else os.path.join(HERE, "..", "models"))
    return args


# Noise robustness reported for every model: ASiM 'Inference'-mode rough noise on the integer
# accumulators, acc * (1 + trim/100 * z), seed 0 (int_model.py --trim).
NOISE_EVAL_TRIMS = (10.0, 30.0)


def debian_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def fit(model, args, xtr, ytr, param_groups):
    """Adam with a one-cycle LR over args.epochs; returns the training seconds."""
    opt = torch.optim.Adam(param_groups, lr=args.lr)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, n = 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            n += len(idx)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / n:.4f} {time.time() - t0:.0f}s", flush=True)
    return time.time() - t0


def train_float(args, command, xtr, ytr, xte, yte, te_lab):
    """The plain float network, exported as a standard float ONNX graph (docs/ptq.md)."""
    model = qat.build_float(args.arch)
    train_seconds = fit(model, args, xtr, ytr, [{"params": list(model.parameters())}])
    float_acc = accuracy(model, xte, yte)
    meta = {"acim.name": args.name, "acim.arch": args.arch,
            "acim.dataset": "fashion-mnist (Debian dataset-fashion-mnist, t10k)",
            "acim.input": "fl32(pixel / 255), NCHW [N,1,28,28]"}
    onx = export_onnx.export_float(model, [1, 28, 28], meta)
    # The graph must compute what PyTorch computed: run it literally (float32) on the test set.
    p_onnx = export_onnx.run_float_onnx(onx, xte)
    model.eval()
    with torch.no_grad():
        p_torch = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, len(xte), 1000)]).numpy()
    onnx_acc = float((p_onnx == te_lab[:len(p_onnx)]).mean())
    export_onnx.set_metadata(onx, {"acim.float_accuracy": float_acc, "acim.test_images": len(xte),
                                   "acim.seed": args.seed, "acim.command": command})
    info = dict(name=args.name, arch=args.arch, wbit=None, xbit=None, epochs=args.epochs,
                float_accuracy=float_acc, float_accuracy_first_1000=accuracy(model, xte[:1000], yte[:1000]),
                onnx_float_accuracy=onnx_acc,
                onnx_float_prediction_flips=int((p_onnx != p_torch).sum()),
                test_images=int(len(xte)), train_images=int(len(xtr)),
                command=command, train_seconds=round(train_seconds, 1), seed=args.seed,
                torch_version=torch.__version__, torch_debian_package=debian_version("python3-torch"),
                onnx_version=onnx.__version__, threads=args.threads,
                onnx_ops=sorted({n.op_type for n in onx.graph.node}), smoke=args.smoke,
                format=export_onnx.FLOAT_FORMAT)
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, args.name + ".onnx")
    onnx.save(onx, path)
    info["onnx_bytes"] = os.path.getsize(path)
    with open(os.path.join(args.out_dir, args.name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(json.dumps(info, indent=1))
    return info


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = "/usr/bin/python3 workloads/train/train.py " + " ".join(shlex.quote(a) for a in
                                                                      (sys.argv[1:] if argv is None else argv))
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    tr_img, tr_lab = fmnist.load("train", args.data_dir)
    te_img, te_lab = fmnist.load("test", args.data_dir)
    if args.smoke:
        tr_img, tr_lab = tr_img[:512], tr_lab[:512]
        te_img, te_lab = te_img[:1000], te_lab[:1000]
        args.epochs = 2
    xtr, ytr = torch.from_numpy(fmnist.to_float(tr_img)), torch.from_numpy(tr_lab)
    xte, yte = torch.from_numpy(fmnist.to_float(te_img)), torch.from_numpy(te_lab)

    if args.float:
        return train_float(args, command, xtr, ytr, xte, yte, te_lab)
    model = qat.build(args.arch, args.wbit, args.xbit, trim_noise=0.0, alpha=args.alpha)
    alphas = [p for n, p in model.named_parameters() if n.endswith("alpha")]
    others = [p for n, p in model.named_parameters() if not n.endswith("alpha")]
    opt = torch.optim.Adam([{"params": others}, {"params": alphas, "weight_decay": args.alpha_decay}], lr=args.lr)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        noisy = args.trim > 0 and epoch >= args.clean_epochs
        for m in model.modules():
            if hasattr(m, "trim_noise"):
                m.trim_noise = args.trim if noisy else 0.0
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, n = 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            n += len(idx)
        print(f"epoch {epoch + 1}/{args.epochs} noise {'on' if noisy else 'off'} loss {total / n:.4f} "
              f"alpha {[round(a.item(), 3) for a in alphas]} {time.time() - t0:.0f}s", flush=True)
    train_seconds = time.time() - t0

    qat.set_quantize(model, False)
    float_acc = accuracy(model, xte, yte)
    qat.set_quantize(model, True)
    qat_acc = accuracy(model, xte, yte)

    steps = export_onnx.layer_params(model)
    meta = {"acim.name": args.name, "acim.dataset": "fashion-mnist (Debian dataset-fashion-mnist, t10k)",
            "acim.arch": args.arch, "acim.wbit": args.wbit, "acim.xbit": args.xbit,
            "acim.trim_noise": args.trim, "acim.activation_scale": "static: PACT alpha",
            "acim.input": "fl32(pixel / 255), NCHW [N,1,28,28], s_x = 1"}
    onx = export_onnx.build_onnx(steps, [1, 28, 28], meta)
    res, p_int = int_model.evaluate(onx, te_img, te_lab, onnx_semantics=True, noise_trims=NOISE_EVAL_TRIMS)
    model.eval()
    with torch.no_grad():
        p_qat = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, len(xte), 1000)]).numpy()
    info = dict(name=args.name, arch=args.arch, wbit=args.wbit, xbit=args.xbit, trim_noise=args.trim,
                clean_epochs=args.clean_epochs if args.trim else None, epochs=args.epochs,
                float_accuracy=float_acc, qat_accuracy=qat_acc, int_accuracy=res["int_accuracy"],
                onnx_semantics_accuracy=res["onnx_semantics_accuracy"],
                onnx_semantics_prediction_flips=res["onnx_semantics_prediction_flips"],
                qat_prediction_flips=int((p_qat != p_int).sum()),
                int_accuracy_with_trim_noise=res["int_accuracy_with_trim_noise"],
                test_images=res["images"], train_images=int(len(xtr)),
                command=command, train_seconds=round(train_seconds, 1), seed=args.seed,
                torch_version=torch.__version__, torch_debian_package=debian_version("python3-torch"), onnx_version=onnx.__version__, threads=args.threads,
                pact_alphas=[float(a.item()) for a in alphas], smoke=args.smoke,
                format=export_onnx.FORMAT)
    export_onnx.set_metadata(onx, {"acim.float_accuracy": float_acc, "acim.int_accuracy": res["int_accuracy"],
                                   "acim.qat_accuracy": qat_acc, "acim.test_images": res["images"],
                                   "acim.seed": args.seed, "acim.command": command})
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, args.name + ".onnx")
    onnx.save(onx, path)
    # the saved file must give the recorded integer accuracy again
    again, _ = int_model.evaluate(onnx.load(path), te_img, te_lab)
    if again["int_accuracy"] != res["int_accuracy"]:
        raise AssertionError("re-loaded model gives a different integer accuracy")
    info["onnx_bytes"] = os.path.getsize(path)
    with open(os.path.join(args.out_dir, args.name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(json.dumps(info, indent=1))
    return info


if __name__ == "__main__":
    main()
