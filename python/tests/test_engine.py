"""acim.MvmEngine / acim.mvm against plain numpy: the lossless macro gives the integer dot product,
results are deterministic and independent of how the vectors are split, the counters and the
per-conversion records agree with each other, and bad input is a clear error naming the field."""

import numpy as np
import pytest

import acim


def random_layer(outputs, rows, vectors, seed, wbit=8, xbit=8):
    g = np.random.default_rng(seed)
    w = g.integers(-(1 << (wbit - 1)), 1 << (wbit - 1), size=(outputs, rows), dtype=np.int64)
    x = g.integers(0, 1 << xbit, size=(vectors, rows), dtype=np.int64)
    return w, x


def test_lossless_macro_gives_the_integer_dot_product():
    # Bit-serial, 8-bit ADC, 255 rows per analog operation: every conversion is exact.
    w, x = random_layer(outputs=12, rows=300, vectors=9, seed=1)
    r = acim.mvm(w, x, {"row_parallelism": 255, "adc_bits": 8})
    assert r["denominator"] == 255
    np.testing.assert_array_equal(r["numerators"], (x @ w.T) * 255)
    np.testing.assert_array_equal(r["outputs"], (x @ w.T).astype(np.float64))
    assert r["numerators"].dtype == np.int64 and r["numerators"].shape == (9, 12)


def test_lossy_adc_differs_and_is_counted():
    w, x = random_layer(outputs=8, rows=128, vectors=16, seed=2)
    r = acim.mvm(w, x, {"row_parallelism": 128, "adc_bits": 4})
    assert r["denominator"] == 15
    assert not np.array_equal(r["numerators"], (x @ w.T) * 15)
    c = r["counters"]
    # One analog conversion per vector, output, tile and cycle (i, j): 16 x 8 x 1 x 8 x 8.
    assert c["conversions"] == 16 * 8 * 8 * 8
    assert c["analog"] == c["conversions"] and c["adc_conversions"] == c["conversions"]
    assert r["cycle_kinds"] == [["analog"] * 8] * 8


def test_noise_is_deterministic_and_independent_of_the_vector_split():
    w, x = random_layer(outputs=6, rows=200, vectors=20, seed=3)
    params = {"row_parallelism": 64, "adc_bits": 6, "sigma_rand": 0.8}
    key = {"seed": 42, "die": 1, "macro": 2, "layer": 3}
    e = acim.MvmEngine(params)
    e.load_weights(w)
    whole = e.run(x, key=key)
    np.testing.assert_array_equal(whole, e.run(x, key=key))
    parts = np.vstack([e.run(x[:7], first_vector=0, key=key), e.run(x[7:], first_vector=7, key=key)])
    np.testing.assert_array_equal(whole, parts)
    assert not np.array_equal(whole, e.run(x, key=dict(key, seed=43)))
    # Threads change nothing.
    e4 = acim.MvmEngine(params, threads=4)
    e4.load_weights(w)
    np.testing.assert_array_equal(whole, e4.run(x, key=key))


def test_conversion_records_match_the_counters_and_histograms():
    w, x = random_layer(outputs=3, rows=40, vectors=4, seed=4)
    r = acim.mvm(w, x, {"row_parallelism": 20, "adc_bits": 3, "sigma_rand": 2.0}, key={"seed": 7},
                 conversions=True)
    ev = r["conversions"]
    n = r["counters"]["conversions"]
    assert n == 4 * 3 * 2 * 8 * 8  # two row tiles of 20
    for name in ("vector", "output", "tile", "i", "j", "kind", "ideal", "full_scale", "code", "error_lsb",
                 "saturated"):
        assert len(ev[name]) == n, name
    assert set(np.unique(ev["tile"])) == {0, 1}
    assert np.all((ev["ideal"] >= 0) & (ev["ideal"] <= ev["full_scale"]))
    assert np.all((ev["code"] >= 0) & (ev["code"] <= 7))
    assert [acim.CYCLE_KINDS[k] for k in np.unique(ev["kind"])] == ["analog"]
    assert int(ev["saturated"].sum()) == r["counters"]["saturations"]
    h = r["code_errors"]
    assert h["counts"].shape == (8, 8, len(h["errors"]))
    assert int(h["counts"].sum()) == r["counters"]["adc_conversions"]
    # The histogram bins the integer code error code - ideal_code; the records carry it per event.
    ideal_code = np.rint(ev["ideal"] * 7 / ev["full_scale"]).astype(np.int64)  # round half even
    err = np.clip(ev["code"] - ideal_code, -9, 9)
    per_bin = np.array([np.count_nonzero(err == e) for e in h["errors"]])
    np.testing.assert_array_equal(per_bin, h["counts"].sum(axis=(0, 1)))
    assert per_bin[h["errors"] != 0].sum() > 0  # the noise shows


def test_reset_counters_and_params_round_trip():
    d = acim.default_params()
    assert d["wbit"] == 8 and d["digital"] == "exact" and d["adc_arch"] == "ideal"
    full = acim.check_params({"wbit": 4, "vote": "median"})
    assert full["wbit"] == 4 and full["vote"] == "median" and full["xbit"] == 8
    e = acim.MvmEngine(full)
    w, x = random_layer(2, 10, 3, seed=5, wbit=4)
    e.load_weights(w)
    e.run(x)
    assert e.counters["conversions"] > 0
    e.reset_counters()
    assert e.counters["conversions"] == 0
    assert e.params == full


@pytest.mark.parametrize("params, exc, text", [
    ({"wbits": 8}, ValueError, "unknown cim_params field 'wbits'"),
    ({"wbit": 1}, ValueError, "wbit"),
    ({"wbit": 8.0}, TypeError, "'wbit': expected an int"),
    ({"sigma_rand": "high"}, TypeError, "'sigma_rand'"),
    ({"digital": "fast"}, ValueError, "must be one of exact, adc"),
    ({"signed_act": 1}, TypeError, "'signed_act': expected a bool"),
])
def test_bad_params_name_the_field(params, exc, text):
    with pytest.raises(exc, match=text):
        acim.MvmEngine(params)


def test_bad_arrays_are_clear_errors():
    e = acim.MvmEngine()
    with pytest.raises(TypeError, match="weights: expected an integer array"):
        e.load_weights(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"weight\[1\]\[2\] = 200"):
        e.load_weights(np.array([[0, 0, 0], [0, 0, 200]]))
    e.load_weights(np.zeros((2, 3), dtype=np.int8))
    with pytest.raises(ValueError, match="inputs: 4 rows per vector, the weights have 3"):
        e.run(np.zeros((1, 4), dtype=np.int32))
    with pytest.raises(ValueError, match=r"input\[0\]\[1\] = 256"):
        e.run(np.array([[0, 256, 0]]))
    with pytest.raises(ValueError, match="unknown key field 'sed'"):
        e.run(np.zeros((1, 3), dtype=np.int32), key={"sed": 1})
    np.testing.assert_array_equal(e.run(np.array([1, 2, 3])), np.zeros((1, 2)))  # one vector
