"""acim-tlm from Python (docs/python.md).

* ``MvmEngine`` / ``mvm()``: one layer on the bit-true core engine (acim::core::mvm_engine), in
  process: integer weight and input codes as numpy arrays in, exact numerators, counters, ADC
  code-error histograms and optionally every conversion out.
* ``run()``: a whole network through the TLM macros, as ``acim run`` does it, in a child process
  (SystemC elaborates once per process, so each call gets a fresh one); returns report.json as a
  dict with numpy arrays.
"""

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from ._acim import CYCLE_KINDS, MvmEngine, check_params, cpu_has_avx512_kernel, default_params

__all__ = ["CYCLE_KINDS", "MvmEngine", "check_params", "cpu_has_avx512_kernel", "default_params", "mvm", "run",
           "executable"]


def mvm(weights, inputs, params=None, *, key=None, first_vector=0, tiles=None, threads=1, conversions=False):
    """One layer: ``weights`` [outputs, rows] and ``inputs`` [vectors, rows] integer codes.

    Returns a dict: ``numerators`` (int64 [vectors, outputs]), ``denominator``, ``outputs``
    (numerators / denominator as float64), ``counters``, ``code_errors`` (``counts``
    [P, Q, bins] and the ``errors`` of the bins), ``cycle_kinds``, ``params`` (completed with the
    defaults) and, with ``conversions=True``, ``conversions``: a dict of equal-length arrays, one
    entry per ADC conversion (``kind`` indexes ``CYCLE_KINDS``).
    """
    engine = MvmEngine(dict(params or {}), threads=threads)
    engine.load_weights(np.asarray(weights), tiles)
    result = engine.run(np.asarray(inputs), first_vector=first_vector, key=key, conversions=conversions)
    numerators, events = result if conversions else (result, None)
    out = {
        "numerators": numerators,
        "denominator": engine.denominator,
        "outputs": numerators / float(engine.denominator),
        "counters": engine.counters,
        "code_errors": engine.code_errors,
        "cycle_kinds": engine.cycle_kinds,
        "params": engine.params,
    }
    if conversions:
        out["conversions"] = events
    return out


def executable():
    """The ``acim`` executable that run() starts: $ACIM_EXECUTABLE, else the one built or
    installed with this module, else ``acim`` on PATH."""
    env = os.environ.get("ACIM_EXECUTABLE")
    if env:
        return env
    try:
        from ._paths import ACIM_EXECUTABLE  # written by the build / the install
        path = ACIM_EXECUTABLE if os.path.isabs(ACIM_EXECUTABLE) else \
            os.path.normpath(os.path.join(os.path.dirname(__file__), ACIM_EXECUTABLE))
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    found = shutil.which("acim")
    if found is None:
        raise FileNotFoundError("the acim executable was not found: set ACIM_EXECUTABLE")
    return found


def _arrays(value):
    """Lists of numbers (at any depth) become numpy arrays; dicts are converted recursively."""
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return np.asarray(value)
        if value and all(isinstance(v, list) for v in value):
            try:
                arr = np.asarray(value)
                if arr.dtype.kind in "iuf":
                    return arr
            except ValueError:
                pass
        return [_arrays(v) for v in value]
    return value


def _param_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run(model=None, data=None, params=None, *, limit=None, threads=None, seed=None, config=None, out=None,
        timeout=None):
    """Runs ``acim run`` in a child process and returns its report.json as a dict.

    ``params`` maps parameter names (``acim config --dump``) to values, passed as ``-p name=value``.
    Lists of numbers in the report (predictions, histograms, ...) come back as numpy arrays.
    ``out``: keep report.json and layers.csv in this directory (default: a temporary one).
    A failed run raises RuntimeError with the executable's error output.
    """
    cmd = [executable(), "run"]
    if model is not None:
        cmd += ["--model", os.fspath(model)]
    if data is not None:
        cmd += ["--data", os.fspath(data)]
    if config is not None:
        cmd += ["--config", os.fspath(config)]
    if limit is not None:
        cmd += ["--limit", str(int(limit))]
    if threads is not None:
        cmd += ["--threads", str(int(threads))]
    if seed is not None:
        cmd += ["--seed", str(int(seed))]
    for name, value in (params or {}).items():
        cmd += ["-p", f"{name}={_param_text(value)}"]
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="acim_run_")
        out = tmp.name
    try:
        cmd += ["--out", os.fspath(out)]
        env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="DISABLE")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"acim run failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            return _arrays(json.load(f))
    finally:
        if tmp is not None:
            tmp.cleanup()
