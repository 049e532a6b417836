// Quantiser (SEMANTICS.md §1): float32 arithmetic, round-half-even ties, the vanishing 1e-7
// epsilon, signed/unsigned activations, per-channel weights, scale modes and input errors.
#include <acim/core/error.hpp>
#include <acim/core/quantizer.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

std::vector<std::int32_t> quant(const std::vector<float>& x, float scale, int bits, bool is_signed) {
    std::vector<std::int32_t> out(x.size(), -999);
    quantize(x.data(), x.size(), scale, bits, is_signed, out.data());
    return out;
}

template <class F>
std::string parameter_error_name(F&& f) {
    try {
        f();
    } catch (const parameter_error& e) {
        return e.name();
    }
    return "<no parameter_error>";
}

}  // namespace

TEST(QuantMax, SignedAndUnsignedRanges) {
    EXPECT_EQ(quant_max(2, true), 1);
    EXPECT_EQ(quant_max(3, true), 3);
    EXPECT_EQ(quant_max(8, true), 127);
    EXPECT_EQ(quant_max(1, false), 1);
    EXPECT_EQ(quant_max(2, false), 3);
    EXPECT_EQ(quant_max(8, false), 255);
    EXPECT_EQ(quant_max(16, false), 65535);
}

TEST(QuantMax, BadBitsNameTheParameter) {
    EXPECT_EQ(parameter_error_name([] { quant_max(1, true); }), "bits");
    EXPECT_EQ(parameter_error_name([] { quant_max(0, false); }), "bits");
    EXPECT_EQ(parameter_error_name([] { quant_max(31, false); }), "bits");
}

TEST(DynamicScale, EpsilonVanishesWhenMaxAtLeastTwo) {
    const float w[] = {1.5f, -3.0f, 0.25f};
    EXPECT_EQ(dynamic_scale(w, 3, true), 3.0f);  // 3 + 1e-7 rounds back to 3 in float32
    const float two[] = {2.0f, 1.0f};
    EXPECT_EQ(dynamic_scale(two, 2, false), 2.0f);
}

TEST(DynamicScale, EpsilonPresentBelowTwo) {
    const float w[] = {1.5f, -0.5f};
    const float s = dynamic_scale(w, 2, true);
    EXPECT_EQ(s, 0x1.800002p+0f);  // 1.5000001192092896
    EXPECT_EQ(s, std::nextafter(1.5f, 2.0f));
    EXPECT_NE(s, 1.5f);
    const float one[] = {-1.0f, 0.5f};
    EXPECT_EQ(dynamic_scale(one, 2, true), 0x1.000002p+0f);  // example A: s_w = 1.0000001
}

TEST(DynamicScale, UnsignedUsesPlainMaxSignedUsesMaxAbs) {
    const float x[] = {-5.0f, 2.0f, 1.0f};
    EXPECT_EQ(dynamic_scale(x, 3, false), 2.0f);
    EXPECT_EQ(dynamic_scale(x, 3, true), 5.0f);
}

TEST(DynamicScale, BadInputs) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const float first_nan[] = {nan, 1.0f};
    EXPECT_THROW(dynamic_scale(first_nan, 2, false), data_error);
    EXPECT_THROW(dynamic_scale(first_nan, 2, true), data_error);
    const float y[] = {inf, 1.0f};
    EXPECT_THROW(dynamic_scale(y, 2, true), data_error);
    const float z[] = {1.0f, -inf};
    EXPECT_THROW(dynamic_scale(z, 2, true), data_error);  // max-abs is inf
    EXPECT_THROW(dynamic_scale(y, 0, true), data_error);
}

TEST(DynamicScale, NaNAfterTheFirstElementIsDataError) {
    // std::max(m, NaN) returns m, so only a NaN in x[0] reaches the isfinite check.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float x[] = {1.0f, nan, 0.5f};
    EXPECT_THROW(dynamic_scale(x, 3, false), data_error);
    EXPECT_THROW(dynamic_scale(x, 3, true), data_error);
}

TEST(Quantize, WeightTieRoundsHalfToEven) {
    // SEMANTICS §1.1: W = [1.5, 3.0], wbit 3 -> s = 3, 1.5/3*3 = 1.5 -> 2 (half-away would also give 2,
    // so add 0.5 and 2.5 style ties that separate the two rules).
    const std::vector<float> w = {1.5f, 3.0f};
    std::vector<std::int32_t> q(2);
    const auto s = quantize_weights(w.data(), 1, 2, 3, false, q.data());
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], 3.0f);
    EXPECT_EQ(q, (std::vector<std::int32_t>{2, 3}));
    // wbit 3 (Q = 3) with scale 6: 1 -> 0.5 -> 0; 5 -> 2.5 -> 2; -5 -> -2; 3 -> 1.5 -> 2.
    EXPECT_EQ(quant({1.0f, 5.0f, -5.0f, 3.0f, -1.0f}, 6.0f, 3, true),
              (std::vector<std::int32_t>{0, 2, -2, 2, 0}));
}

TEST(Quantize, ActivationTieRoundsHalfToEven) {
    // SEMANTICS §1.2: X = [0.5, 3.0], xbit 2 -> [0, 3]; half-away would give [1, 3].
    const std::vector<float> x = {0.5f, 3.0f};
    std::vector<std::int32_t> q(2);
    const auto s = quantize_activations(x.data(), 1, 2, 2, false, scale_mode::per_batch, 0.0f, q.data());
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], 3.0f);
    EXPECT_EQ(q, (std::vector<std::int32_t>{0, 3}));
}

TEST(Quantize, Float32ArithmeticNotDouble) {
    // Pairs where fl32(fl32(x/s) * Q) lands on a .5 tie or across one, so that the float32 path and a
    // double path disagree. The expected codes are the float32 ones (ASiM/PyTorch).
    const float s1 = 0x1.0cccccp+2f;
    const float x1 = 0x1.666666p-1f;
    ASSERT_EQ(std::nearbyint(static_cast<double>(x1) / static_cast<double>(s1) * 255.0), 43.0);
    EXPECT_EQ(quantize_value(x1, s1, 8, false), 42);

    const float s2 = 0x1.5c28f6p+1f;
    const float x2 = 0x1.ae147ap+0f;
    ASSERT_EQ(std::nearbyint(static_cast<double>(x2) / static_cast<double>(s2) * 255.0), 157.0);
    EXPECT_EQ(quantize_value(x2, s2, 8, false), 158);

    const float s3 = 0x1.8624dep+3f;
    const float x3 = 0x1.6147aep+2f;
    ASSERT_EQ(std::nearbyint(static_cast<double>(x3) / static_cast<double>(s3) * 127.0), 57.0);
    EXPECT_EQ(quantize_value(x3, s3, 8, true), 58);
    EXPECT_EQ(quantize_value(-x3, s3, 8, true), -58);
}

TEST(Quantize, UnsignedClampsNegativesAndOverflow) {
    EXPECT_EQ(quant({-1.0f, 0.0f, 4.0f, 8.0f, 100.0f}, 4.0f, 3, false),
              (std::vector<std::int32_t>{0, 0, 7, 7, 7}));
    EXPECT_EQ(quant({1.0f, 2.0f}, 4.0f, 3, false), (std::vector<std::int32_t>{2, 4}));  // 1.75 -> 2, 3.5 -> 4
}

TEST(Quantize, SignedActivations) {
    // xbit 3 signed: Q = 3, max|X| = 3 -> s = 3 exactly.
    const std::vector<float> x = {-1.5f, 3.0f, -3.0f, 0.0f, 0.75f, -0.0f, -0.4f};
    std::vector<std::int32_t> q(x.size());
    const auto s = quantize_activations(x.data(), 1, x.size(), 3, true, scale_mode::per_batch, 0.0f, q.data());
    EXPECT_EQ(s[0], 3.0f);
    // -1.5 -> -rhe(1.5) = -2; 0.75 -> rhe(0.75) = 1; -0.4 -> -rhe(0.4) = 0.
    EXPECT_EQ(q, (std::vector<std::int32_t>{-2, 3, -3, 0, 1, 0, 0}));
    // Symmetric: -2^(b-1) is never produced, even beyond the scale.
    EXPECT_EQ(quantize_value(-10.0f, 3.0f, 3, true), -3);
    EXPECT_EQ(quantize_value(10.0f, 3.0f, 3, true), 3);
}

TEST(Quantize, PerTensorVersusPerChannelWeights) {
    const std::vector<float> w = {1.5f, 3.0f,    // channel 0, max 3 -> s = 3
                                  0.5f, -1.0f};  // channel 1, max 1 -> s = 1.0000001
    std::vector<std::int32_t> q(4);
    const auto sc = quantize_weights(w.data(), 2, 2, 3, true, q.data());
    ASSERT_EQ(sc.size(), 2u);
    EXPECT_EQ(sc[0], 3.0f);
    EXPECT_EQ(sc[1], 0x1.000002p+0f);
    // 0.5/1.0000001*3 = 1.4999998 -> 1 ; -1/1.0000001*3 = -2.9999996 -> -3.
    EXPECT_EQ(q, (std::vector<std::int32_t>{2, 3, 1, -3}));

    const auto st = quantize_weights(w.data(), 2, 2, 3, false, q.data());
    ASSERT_EQ(st.size(), 1u);
    EXPECT_EQ(st[0], 3.0f);
    // 0.5/3*3 = 0.5 -> 0 (half-even); -1/3*3 = -1.
    EXPECT_EQ(q, (std::vector<std::int32_t>{2, 3, 0, -1}));
}

TEST(Quantize, ScaleModes) {
    const std::vector<float> x = {1.0f, 2.0f,   // item 0: max 2
                                  4.0f, 8.0f};  // item 1: max 8
    std::vector<std::int32_t> q(4);

    auto s = quantize_activations(x.data(), 2, 2, 3, false, scale_mode::given, 4.0f, q.data());
    EXPECT_EQ(s, (std::vector<float>{4.0f, 4.0f}));
    EXPECT_EQ(q, (std::vector<std::int32_t>{2, 4, 7, 7}));  // 1.75->2, 3.5->4, 7, clamp 7

    s = quantize_activations(x.data(), 2, 2, 3, false, scale_mode::per_image, 0.0f, q.data());
    EXPECT_EQ(s, (std::vector<float>{2.0f, 8.0f}));
    EXPECT_EQ(q, (std::vector<std::int32_t>{4, 7, 4, 7}));  // 3.5 -> 4, 7; 3.5 -> 4, 7

    s = quantize_activations(x.data(), 2, 2, 3, false, scale_mode::per_batch, 0.0f, q.data());
    EXPECT_EQ(s, (std::vector<float>{8.0f, 8.0f}));
    EXPECT_EQ(q, (std::vector<std::int32_t>{1, 2, 4, 7}));  // 0.875->1, 1.75->2, 3.5->4, 7
}

TEST(Quantize, AllNegativeUnsignedInputFlipsScaleSign) {
    // SEMANTICS §1.2 edge case: the scale is negative and every code becomes positive. Note -2 + 1e-7
    // does not vanish (finer float spacing below 2): s = -1.9999999.
    const std::vector<float> x = {-2.0f, -4.0f};
    std::vector<std::int32_t> q(2);
    const auto s = quantize_activations(x.data(), 1, 2, 2, false, scale_mode::per_batch, 0.0f, q.data());
    EXPECT_EQ(s[0], -0x1.fffffep+0f);
    EXPECT_EQ(q, (std::vector<std::int32_t>{3, 3}));
}

TEST(Quantize, DequantFactor) {
    EXPECT_DOUBLE_EQ(dequant_factor(0.5f, 3.0f, 3, 2, false), 1.5 / (3.0 * 3.0));
    EXPECT_DOUBLE_EQ(dequant_factor(2.0f, 4.0f, 8, 8, false), 8.0 / (127.0 * 255.0));
    EXPECT_DOUBLE_EQ(dequant_factor(2.0f, 4.0f, 8, 8, true), 8.0 / (127.0 * 127.0));
    EXPECT_DOUBLE_EQ(dequant_factor(1.0f, 1.0f, 2, 3, true), 1.0 / (1.0 * 3.0));
}

TEST(Quantize, ExampleAReconstructsIntegers) {
    // SEMANTICS §13 A: W = [1, -1, 1, 1] wbit 2, X = [3, 2, 1, 3] xbit 2.
    const std::vector<float> w = {1.0f, -1.0f, 1.0f, 1.0f};
    const std::vector<float> x = {3.0f, 2.0f, 1.0f, 3.0f};
    std::vector<std::int32_t> wq(4), xq(4);
    const auto sw = quantize_weights(w.data(), 1, 4, 2, false, wq.data());
    const auto sx = quantize_activations(x.data(), 1, 4, 2, false, scale_mode::per_batch, 0.0f, xq.data());
    EXPECT_EQ(wq, (std::vector<std::int32_t>{1, -1, 1, 1}));
    EXPECT_EQ(xq, (std::vector<std::int32_t>{3, 2, 1, 3}));
    EXPECT_EQ(sw[0], 0x1.000002p+0f);
    EXPECT_EQ(sx[0], 3.0f);
    // Inference result 5 * s_w * s_x / (1 * 3) = 5.0000006 (ASiM prints 5.0000005 in float32).
    EXPECT_NEAR(5.0 * dequant_factor(sw[0], sx[0], 2, 2, false), 5.0000006, 1e-7);
}

TEST(Quantize, BadScaleNamesTheParameter) {
    const float x[] = {1.0f};
    std::int32_t q = 0;
    EXPECT_EQ(parameter_error_name([&] { quantize(x, 1, 0.0f, 8, false, &q); }), "scale");
    EXPECT_EQ(parameter_error_name([&] {
                  quantize(x, 1, std::numeric_limits<float>::quiet_NaN(), 8, false, &q);
              }),
              "scale");
    EXPECT_EQ(parameter_error_name([&] {
                  quantize(x, 1, std::numeric_limits<float>::infinity(), 8, true, &q);
              }),
              "scale");
    EXPECT_EQ(parameter_error_name([&] {
                  quantize_activations(x, 1, 1, 8, false, scale_mode::given, 0.0f, &q);
              }),
              "scale");
    EXPECT_EQ(parameter_error_name([&] { quantize(x, 1, 1.0f, 1, true, &q); }), "bits");
    try {
        quantize(x, 1, 0.0f, 8, false, &q);
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_NE(std::string(e.what()).find("scale"), std::string::npos) << e.what();
    }
}

TEST(Quantize, EmptyTensorsAreDataErrors) {
    const float x[] = {1.0f};
    std::int32_t q = 0;
    try {
        quantize_weights(x, 0, 1, 8, false, &q);
        FAIL() << "no throw";
    } catch (const data_error& e) {
        EXPECT_NE(std::string(e.what()).find("quantize_weights"), std::string::npos) << e.what();
    }
    try {
        quantize_activations(x, 1, 0, 8, false, scale_mode::per_batch, 0.0f, &q);
        FAIL() << "no throw";
    } catch (const data_error& e) {
        EXPECT_NE(std::string(e.what()).find("quantize_activations"), std::string::npos) << e.what();
    }
}

TEST(Quantize, NonFiniteDataUnderDynamicScaleIsDataError) {
    const std::vector<float> x = {1.0f, std::numeric_limits<float>::quiet_NaN()};
    std::vector<std::int32_t> q(2);
    EXPECT_THROW(quantize_activations(x.data(), 1, 2, 8, false, scale_mode::per_batch, 0.0f, q.data()),
                 data_error);
    EXPECT_THROW(quantize_weights(x.data(), 1, 2, 8, false, q.data()), data_error);
}

TEST(Quantize, NaNDataWithGivenScaleIsDataError) {
    // error.hpp: an invalid data value must be reported, never reach undefined behaviour. A NaN
    // with a static (given) scale is not seen by dynamic_scale; casting rhe(NaN) to int32 is UB.
    const std::vector<float> x = {1.0f, std::numeric_limits<float>::quiet_NaN()};
    std::vector<std::int32_t> q(2, 0);
    EXPECT_THROW(quantize_activations(x.data(), 1, 2, 8, false, scale_mode::given, 2.0f, q.data()),
                 data_error);
    EXPECT_THROW(quantize_value(std::numeric_limits<float>::quiet_NaN(), 1.0f, 8, true), data_error);
}
