#!/usr/bin/python3
"""Small data sets for tests/unit/test_arrays.cpp, written by numpy itself (an independent writer):
.npy arrays (uint8 images [5, 3, 4, 4], float32 images [5, 6], int64 labels), .npz archives
stored (np.savez) and deflated (np.savez_compressed), and CIFAR-10/100 binary batches. Each set
also gets <name>.ref.bin: the expected float32 samples, and <name>.labels.txt."""
import sys, os
import numpy as np

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(3)
img8 = rng.integers(0, 256, (5, 3, 4, 4), dtype=np.uint8)
imgf = rng.normal(0, 1, (5, 6)).astype(np.float32)
lab = np.array([0, 9, 3, 7, 1], dtype=np.int64)

np.save(os.path.join(d, "img8.npy"), img8)
np.save(os.path.join(d, "imgf.npy"), imgf)
np.save(os.path.join(d, "lab.npy"), lab)
np.save(os.path.join(d, "lab_bad.npy"), np.array([0, 1, 2, 3, 1.5]))
np.save(os.path.join(d, "img_fortran.npy"), np.asfortranarray(imgf))
np.savez(os.path.join(d, "stored.npz"), x=img8, y=lab)
np.savez_compressed(os.path.join(d, "deflated.npz"), images=imgf, labels=lab.astype(np.int32))
(img8.astype(np.float32) / np.float32(255)).tofile(os.path.join(d, "img8.ref.bin"))
imgf.tofile(os.path.join(d, "imgf.ref.bin"))

c_img = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
c10 = np.concatenate([np.array([[2], [5], [0], [9]], dtype=np.uint8), c_img.reshape(4, -1)], axis=1)
c10.tofile(os.path.join(d, "cifar10.bin"))
c100 = np.concatenate([np.array([[1, 42], [3, 99], [0, 0], [19, 7]], dtype=np.uint8), c_img.reshape(4, -1)], axis=1)
c100.tofile(os.path.join(d, "cifar100.bin"))
(c_img.astype(np.float32) / np.float32(255)).tofile(os.path.join(d, "cifar.ref.bin"))
# Normalised per channel, as torchvision's Normalize computes it in float32.
mean = np.array([0.5, 0.25, 0.125], dtype=np.float32)
std = np.array([0.25, 0.5, 2.0], dtype=np.float32)
((c_img.astype(np.float32) / np.float32(255) - mean[None, :, None, None]) / std[None, :, None, None]).astype(np.float32).tofile(
    os.path.join(d, "cifar_norm.ref.bin"))
