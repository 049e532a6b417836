// SEMANTICS.md §13 worked examples A-E, bit-exact as rationals, for every kernel and thread count,
// plus the Inference (lossless) identities. An engine result is num / den; an expected rational
// p / q is matched exactly by num * q == p * den.
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace acim::core;
using acim::test::engine_result;
using acim::test::repeat;
using acim::test::run_engine;

namespace {

constexpr std::size_t copies = 19;  // 2 full blocks of 8 and a partial one: spreads over threads

cim_params cfg(int wbit, int xbit, bool is_signed, int enc, int nrow, int adc) {
    cim_params p;
    p.wbit = wbit;
    p.xbit = xbit;
    p.signed_act = is_signed;
    p.act_enc = enc;
    p.row_parallelism = nrow;
    p.adc_bits = adc;
    return p;
}

// All cycles digital and exact: the Inference result.
cim_params all_digital(cim_params p) {
    const cycle_plan plan(p);
    p.hybrid_levels = plan.weight_cycles() + plan.act_cycles() - 1;
    p.digital = digital_mode::exact;
    return p;
}

void expect_all(const engine_result& r, std::int64_t p, std::int64_t q) {
    ASSERT_FALSE(r.num.empty());
    for (std::size_t k = 0; k < r.num.size(); ++k)
        ASSERT_EQ(r.num[k] * q, p * r.den) << "vector " << k << ": got " << r.num[k] << "/" << r.den
                                           << ", want " << p << "/" << q;
}

// Example data (one output).
const std::vector<std::int32_t> wA = {1, -1, 1, 1}, xA = {3, 2, 1, 3};
const std::vector<std::int32_t> wB = {1, -1, 1, 0}, xB = {3, -2, -1, 2};
const std::vector<std::int32_t> wC = {1, 1, 1, 1}, xC = {1, 3, 3, 3};
const std::vector<std::int32_t> wD = {3, -2, 1, -3, 2, 3}, xD = {7, 5, 2, 6, 7, 1};
// Example E: weights [1][C=3][2][2], image [3][2][2].
const std::vector<std::int32_t> wE = {1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1};
const std::vector<std::int32_t> imgE = {3, 1, 2, 0, 1, 2, 3, 3, 2, 2, 1, 3};
const conv_shape shapeE{3, 1, 2, 2, 2, 1, 0};

std::vector<std::int32_t> im2col_E() {
    const std::vector<std::int32_t> imgs = repeat(imgE, copies);
    std::vector<std::int32_t> out(shapeE.rows() * shapeE.pixels() * copies);
    im2col(imgs.data(), copies, shapeE, out.data());
    return out;
}

class WorkedExample : public acim::test::variant_test {
protected:
    engine_result linear(const cim_params& p, const std::vector<std::int32_t>& w,
                         const std::vector<std::int32_t>& x) {
        const auto r = run_engine(p, options(), w, 1, w.size(), dense_tiling(w.size(), p.row_parallelism),
                                  repeat(x, copies));
        check_kernel(r);
        return r;
    }
    engine_result conv_E(const cim_params& p, bool asim_drop) {
        const auto r = run_engine(p, options(), wE, 1, shapeE.rows(),
                                  channel_tiling(3, 2, p.row_parallelism, asim_drop), im2col_E());
        check_kernel(r);
        return r;
    }
    void check_kernel(const engine_result& r) {
        EXPECT_EQ(r.avx512, GetParam().isa == kernel_isa::avx512);
        EXPECT_EQ(r.num.size(), copies);
    }
};

}  // namespace

TEST_P(WorkedExample, A_BitSerialUnsigned) {
    const auto r = linear(cfg(2, 2, false, 1, 4, 2), wA, xA);
    EXPECT_EQ(r.den, 3);
    expect_all(r, 8, 3);  // 8/3
    expect_all(linear(all_digital(cfg(2, 2, false, 1, 4, 2)), wA, xA), 5, 1);
    expect_all(linear(cfg(2, 2, false, 1, 255, 8), wA, xA), 5, 1);  // lossless nrow 255 / adc 8
}

TEST_P(WorkedExample, B_BitSerialSigned) {
    const auto r = linear(cfg(2, 3, true, 1, 4, 2), wB, xB);
    expect_all(r, 8, 3);
    expect_all(linear(all_digital(cfg(2, 3, true, 1, 4, 2)), wB, xB), 4, 1);
    expect_all(linear(cfg(2, 3, true, 1, 255, 8), wB, xB), 4, 1);
    expect_all(linear(cfg(2, 3, true, 1, 3, 2), wB, xB), 4, 1);  // lossless: nrow 3 = L, tiles {0-2}, {3}
}

TEST_P(WorkedExample, C_BitParallelHalfEvenTie) {
    // One group, FS 12: c = 10 -> 2.5 -> 2 (half-away would give 3, i.e. 12 instead of 8).
    expect_all(linear(cfg(2, 2, false, 2, 4, 2), wC, xC), 8, 1);
    // The same data bit-serial: 28/3.
    expect_all(linear(cfg(2, 2, false, 1, 4, 2), wC, xC), 28, 3);
    // Lossless bit-parallel: FS = 3 * 5 = 15 = L (adc 4).
    expect_all(linear(cfg(2, 2, false, 2, 5, 4), wC, xC), 10, 1);
    expect_all(linear(all_digital(cfg(2, 2, false, 2, 4, 2)), wC, xC), 10, 1);
}

TEST_P(WorkedExample, D_PartialTile) {
    const auto r = linear(cfg(3, 3, false, 1, 4, 3), wD, xD);
    EXPECT_EQ(r.den, 7);
    expect_all(r, 88, 7);
    expect_all(linear(all_digital(cfg(3, 3, false, 1, 4, 3)), wD, xD), 12, 1);
    // Lossless with nrow 7 = L (adc 3): rows {0-5} in one tile.
    expect_all(linear(cfg(3, 3, false, 1, 7, 3), wD, xD), 12, 1);
}

TEST_P(WorkedExample, E_OneTileHighResolutionAdc) {
    // nrow 12: one tile, counts (0,1) = 5 and (0,0) = 4. ASiM's adc 30 becomes adc 16 here (L = 65535),
    // which is not lossless for FS 12: 5 -> rhe(27306.25) = 27306, 4 -> 21845 exactly.
    const auto r = conv_E(cfg(2, 2, false, 1, 12, 16), false);
    EXPECT_EQ(r.den, 65535);
    expect_all(r, 27306 * 12 * 2 + 21845 * 12, 65535);
    for (std::int64_t n : r.num) EXPECT_LT(std::abs(static_cast<double>(n) / 65535.0 - 14.0), 12.0 / 65535.0);
    expect_all(conv_E(all_digital(cfg(2, 2, false, 1, 12, 3)), false), 14, 1);
}

TEST_P(WorkedExample, E_Nrow8Adc3) {
    const auto r = conv_E(cfg(2, 2, false, 1, 8, 3), false);
    expect_all(r, 16, 1);  // 48/7 + 64/7
    expect_all(conv_E(cfg(2, 2, false, 1, 8, 3), true), 16, 1);  // no channel is dropped at nrow 8
}

TEST_P(WorkedExample, E_Nrow6DropAndFixed) {
    // Every tile has FS 6. At adc 16, c = 1 -> 10922.5 -> 10922 (even), c = 3 -> 32767.5 -> 32768,
    // c = 2 -> 21845. Tiles ch0 and ch1: counts (1, 1) each; ch2: (3, 2).
    const std::int64_t ch01 = 10922 * 6 * 2 + 10922 * 6;
    const std::int64_t ch2 = 32768 * 6 * 2 + 21845 * 6;
    expect_all(conv_E(cfg(2, 2, false, 1, 6, 16), true), 2 * ch01, 65535);        // ASiM: ch2 dropped, ~6
    expect_all(conv_E(cfg(2, 2, false, 1, 6, 16), false), 2 * ch01 + ch2, 65535);  // fixed: ~14
    // Exact digital counts make the drop visible exactly: 6 versus 14.
    expect_all(conv_E(all_digital(cfg(2, 2, false, 1, 6, 16)), true), 6, 1);
    expect_all(conv_E(all_digital(cfg(2, 2, false, 1, 6, 16)), false), 14, 1);
}

TEST_P(WorkedExample, E_Nrow6Adc2RoundsToZero) {
    // Every count 1 maps to 0.5 -> 0: ASiM returns 0 (half-away would give 12).
    expect_all(conv_E(cfg(2, 2, false, 1, 6, 2), true), 0, 1);
    // With ch2 kept: (0,1) c = 3 -> rhe(1.5) = 2 -> 4 counts, x2; (0,0) c = 2 -> 1 -> 2 counts: 10.
    expect_all(conv_E(cfg(2, 2, false, 1, 6, 2), false), 10, 1);
}

TEST_P(WorkedExample, HcimAdcModeStillQuantises) {
    // SEMANTICS §7: in ASiM mode a digital cycle skips the noise but keeps the ADC. Example A with
    // every cycle digital in adc mode equals the plain ADC result 8/3, not the exact 5.
    cim_params p = all_digital(cfg(2, 2, false, 1, 4, 2));
    p.digital = digital_mode::adc;
    expect_all(linear(p, wA, xA), 8, 3);
    // Example E at nrow 6, adc 2, no drop: the ADC result 10 again, not 14.
    cim_params e = all_digital(cfg(2, 2, false, 1, 6, 2));
    e.digital = digital_mode::adc;
    expect_all(conv_E(e, false), 10, 1);
}

TEST_P(WorkedExample, InferenceIdentityOnLosslessAdc) {
    // nrow 255, adc 8, bit-serial: every code equals its count, so results are exact integers.
    const std::vector<std::int32_t> w = {3, -4, 0, 2, -1, 1, -3, 3, 2, -2};
    const std::vector<std::int32_t> x = {7, 0, 5, 3, 6, 1, 7, 2, 4, 7};
    std::int64_t dot = 0;
    for (std::size_t r = 0; r < w.size(); ++r) dot += static_cast<std::int64_t>(w[r]) * x[r];
    ASSERT_EQ(dot, 21 - 0 + 0 + 6 - 6 + 1 - 21 + 6 + 8 - 14);
    expect_all(linear(cfg(3, 3, false, 1, 255, 8), w, x), dot, 1);
    // Split into tiles of 3 rows of a lossless nrow: still exact.
    cim_params p = cfg(3, 3, false, 1, 3, 2);
    const auto r = run_engine(p, options(), w, 1, w.size(), dense_tiling(w.size(), 3), repeat(x, copies));
    expect_all(r, dot, 1);
    // And an exact all-digital layer at a coarse ADC.
    expect_all(linear(all_digital(cfg(3, 3, false, 1, 4, 1)), w, x), dot, 1);
}

INSTANTIATE_TEST_SUITE_P(Kernels, WorkedExample, ::testing::ValuesIn(acim::test::all_variants()),
                         acim::test::variant_name);
