// When a configuration is lossless (docs/models.md, "When is a configuration lossless"): noise-free,
// without mismatch, the macro equals the integer dot product for every input iff every activation
// cycle's full scale FS_j = (2^e_j - 1) * row_parallelism divides L = 2^adc_bits - 1. Enough ADC
// bits is not sufficient, and a short top activation slice has its own full scale.
#include "engine_test_util.hpp"

#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <random>

using namespace acim;

namespace {

// True iff num = den * (w . x) for every output of random full-range codes.
bool equals_dot_product(const core::cim_params& p) {
    constexpr std::size_t outputs = 8, rows = 100, vectors = 64;
    std::mt19937_64 rng(15);
    std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
    const std::int32_t wlo = -(1 << (p.wbit - 1)), whi = (1 << (p.wbit - 1)) - 1, xhi = (1 << p.xbit) - 1;
    for (auto& v : w) v = std::uniform_int_distribution<std::int32_t>(wlo, whi)(rng);
    for (auto& v : x) v = std::uniform_int_distribution<std::int32_t>(0, xhi)(rng);
    const auto r = test::run_engine(p, {1, core::kernel_isa::portable}, w, outputs, rows,
                                    core::dense_tiling(rows, p.row_parallelism), x);
    for (std::size_t v = 0; v < vectors; ++v)
        for (std::size_t o = 0; o < outputs; ++o) {
            std::int64_t dot = 0;
            for (std::size_t k = 0; k < rows; ++k) dot += std::int64_t{w[o * rows + k]} * x[v * rows + k];
            if (r.num[v * outputs + o] != dot * r.den) return false;
        }
    return true;
}

core::cim_params params(int xbit, int act_enc, int nrow, int adc_bits) {
    core::cim_params p;
    p.wbit = 4;
    p.xbit = xbit;
    p.act_enc = act_enc;
    p.row_parallelism = nrow;
    p.adc_bits = adc_bits;
    return p;
}

}  // namespace

TEST(Lossless, BitSerialIffRowParallelismDividesTheTop) {
    EXPECT_TRUE(equals_dot_product(params(8, 1, 255, 8)));   // 255 | 255
    EXPECT_TRUE(equals_dot_product(params(8, 1, 85, 8)));    // 85 | 255
    EXPECT_TRUE(equals_dot_product(params(8, 1, 5, 4)));     // 5 | 15
    // More ADC bits than the full scale needs, and still lossy: 255 does not divide 511.
    EXPECT_FALSE(equals_dot_product(params(8, 1, 255, 9)));
    EXPECT_FALSE(equals_dot_product(params(8, 1, 64, 8)));
}

TEST(Lossless, BitParallelNeedsEverySliceFullScaleToDivideTheTop) {
    // act_enc 4, nrow 17: FS = 15 * 17 = 255 for a 4-bit slice.
    EXPECT_TRUE(equals_dot_product(params(8, 4, 17, 8)));  // slices 4 + 4
    EXPECT_TRUE(equals_dot_product(params(5, 4, 17, 8)));  // short top slice of 1 bit: FS 17 | 255
    EXPECT_TRUE(equals_dot_product(params(6, 4, 17, 8)));  // 2 bits: FS 51 | 255
    // A short top slice of 3 bits: FS = 7 * 17 = 119 does not divide 255, so xbit 7 is lossy
    // where xbit 8 is not.
    EXPECT_FALSE(equals_dot_product(params(7, 4, 17, 8)));
    // Bit-parallel at nrow 255: FS 765 > 255.
    EXPECT_FALSE(equals_dot_product(params(8, 2, 255, 8)));
    EXPECT_TRUE(equals_dot_product(params(8, 2, 85, 8)));  // FS 255
}
