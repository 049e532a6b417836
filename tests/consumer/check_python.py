"""The installed Python module, as a user with PYTHONPATH=<prefix>/lib/python3.X/site-packages has
it: imported from the prefix, the core engine exact on a small layer, and acim.run through the
installed acim executable on the installed model. argv: prefix."""

import os
import sys

import numpy as np

import acim

prefix = os.path.realpath(sys.argv[1])
assert os.path.realpath(acim.__file__).startswith(prefix), acim.__file__
w = np.array([[1, -2, 3], [4, 5, -6]])
x = np.array([[7, 8, 9], [0, 1, 2]])
r = acim.mvm(w, x)
assert (r["numerators"] == (x @ w.T) * r["denominator"]).all(), r["numerators"]
exe = os.path.realpath(acim.executable())
assert exe.startswith(prefix) and os.access(exe, os.X_OK), exe
rep = acim.run(model=os.path.join(prefix, "share", "acim-tlm", "models", "cnn_w8a8.onnx"), limit=2)
assert rep["images"] == 2, rep
print("consumer (python): acim from", os.path.dirname(acim.__file__), "| mvm exact | run() through", exe,
      "on the installed model:", rep["accuracy"])
