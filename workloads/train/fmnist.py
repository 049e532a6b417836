"""Fashion-MNIST from Debian's dataset-fashion-mnist package (IDX files, gzip).

Nothing is downloaded: the files come from `apt-get install dataset-fashion-mnist`.
Pixels are returned as uint8 [n, 28, 28]; the networks see fl32(byte / 255) (docs/workload_format.md).
"""
import gzip
import os
import struct

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path):
    """Reads an unsigned-byte IDX file (plain or gzip) into a uint8 array of the declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: truncated header")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndim == 0:
        raise ValueError(f"{path}: bad magic {data[:4].hex()} (expected 0x000008nn, unsigned byte)")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    count = int(np.prod(dims, dtype=np.int64))
    body = data[4 + 4 * ndim:]
    if len(body) != count:
        raise ValueError(f"{path}: {len(body)} data bytes, header declares {count}")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def load(split, data_dir=None):
    """(images uint8 [n,28,28], labels int64 [n]) of 'train' or 'test'."""
    d = data_dir or os.environ.get("ACIM_FASHION_MNIST_DIR", DEFAULT_DIR)
    img_name, lab_name = FILES[split]
    images = read_idx(os.path.join(d, img_name))
    labels = read_idx(os.path.join(d, lab_name)).astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{d}: inconsistent {split} files {images.shape} / {labels.shape}")
    return images, labels


def to_float(images):
    """Network input: fl32(byte / 255) as float32 [n,1,28,28] (the input quantiser then uses s_x = 1)."""
    return (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]
