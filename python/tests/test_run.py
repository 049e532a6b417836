"""acim.run: `acim run` in a child process, report.json as a dict with numpy arrays. Called several
times in one process (each call elaborates SystemC in its own child), with the parameters taking
effect, and a bad parameter is a RuntimeError carrying the executable's message."""

import os

import numpy as np
import pytest

import acim


def test_run_twice_in_one_process_with_parameters():
    lossless = acim.run(limit=8, params={"macro.sigma_rand": 0, "macro.adc_bits": 8})
    lossy = acim.run(limit=8, params={"macro.sigma_rand": 0.5, "macro.adc_bits": 4}, seed=3)
    for rep in (lossless, lossy):
        assert rep["images"] == 8
        assert rep["path"] == "tlm"
        assert set(rep["accuracy"]) >= {"ideal_integer", "acim"}
    analog = [layer for layer in lossless["layers"] if "code_errors" in layer]
    assert analog, "no layer ran on the macros"
    for layer in analog:
        ce = layer["code_errors"]
        assert isinstance(ce["all_cycles"], np.ndarray) and isinstance(ce["errors"], np.ndarray)
        assert len(ce["all_cycles"]) == len(ce["errors"])
        assert ce["nonzero"] == 0  # noise-free: every code is the ideal code
        assert int(ce["all_cycles"].sum()) == ce["conversions"]
    noisy = [layer["code_errors"]["nonzero"] for layer in lossy["layers"] if "code_errors" in layer]
    assert sum(noisy) > 0
    assert lossless["prediction_flips_vs_ideal"] == 0


def test_run_keeps_the_output_directory(tmp_path):
    acim.run(limit=2, out=tmp_path)
    assert (tmp_path / "report.json").exists() and (tmp_path / "layers.csv").exists()


def test_a_bad_parameter_is_a_runtime_error_with_the_message():
    with pytest.raises(RuntimeError, match="macro.adc_bits = '99'"):
        acim.run(limit=2, params={"macro.adc_bits": 99})


def test_the_executable_is_found():
    assert os.access(acim.executable(), os.X_OK)
