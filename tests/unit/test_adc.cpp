// ADC transfer (SEMANTICS.md §5): the exact integer round-half-even code, conversion tables
// (linear, noisy, compressed), the sampling contract and the majority vote (§8.1).
#include <acim/core/adc.hpp>
#include <acim/core/error.hpp>
#include <acim/core/rng.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace acim::core;

namespace {

// rhe(c * top / fs), written differently from the core: compare 2x = 2c*top/fs with odd integers.
std::int64_t rational_rhe(std::int64_t c, std::int64_t fs, std::int64_t top) {
    const std::int64_t num2 = 2 * c * top;
    if (num2 % fs == 0) {
        const std::int64_t t = num2 / fs;  // 2x is an integer
        if (t % 2 == 0) return t / 2;      // x is an integer
        const std::int64_t lo = t / 2;     // x = lo + 1/2: the even neighbour wins
        return lo % 2 == 0 ? lo : lo + 1;
    }
    return (num2 + fs) / (2 * fs);  // floor(x + 1/2), no tie possible
}

std::int64_t half_away(std::int64_t c, std::int64_t fs, std::int64_t top) {
    return (2 * c * top + fs) / (2 * fs);
}

std::int64_t top_of(int adc) { return (std::int64_t{1} << adc) - 1; }

adc_model model(std::int64_t top, int nrow, double sr = 0.0, double snl = 0.0, double alpha = 0.0) {
    adc_model m;
    m.top = top;
    m.nrow = nrow;
    m.sigma_rand = sr;
    m.sigma_nl = snl;
    m.alpha = alpha;
    return m;
}

constexpr std::uint64_t u_max = (std::uint64_t{1} << 63) - 1;
// The largest u63 whose 53-bit probability (u >> 10) + 0.5 stays below 2^53 after rounding to
// double; the top 1024 values are covered by their own test (TopOfU63Range*).
constexpr std::uint64_t u_hi = u_max - 1024;

}  // namespace

TEST(IdealCode, MatchesExactRationalRoundHalfEven) {
    long ties_that_differ = 0;
    for (int nrow : {1, 2, 3, 4, 5, 6, 7, 12, 100, 255, 256, 1023}) {
        for (int e = 1; e <= 4; ++e) {
            const std::int64_t fs = ((std::int64_t{1} << e) - 1) * nrow;
            for (int adc : {1, 2, 3, 5, 8, 10, 16}) {
                const std::int64_t top = top_of(adc);
                for (std::int64_t c = 0; c <= fs; ++c) {
                    const std::int64_t want = rational_rhe(c, fs, top);
                    ASSERT_EQ(ideal_code(c, fs, top), want)
                        << "c=" << c << " fs=" << fs << " L=" << top;
                    ties_that_differ += (want != half_away(c, fs, top));
                }
            }
        }
    }
    EXPECT_GT(ties_that_differ, 100);  // the sweep really exercises the tie rule
}

TEST(IdealCode, HalfEvenCasesFromSemantics) {
    // nrow 6, adc 2, bit-serial: 1*3/6 = 0.5 -> 0, 3 -> 1.5 -> 2, 5 -> 2.5 -> 2.
    EXPECT_EQ(ideal_code(1, 6, 3), 0);
    EXPECT_EQ(ideal_code(3, 6, 3), 2);
    EXPECT_EQ(ideal_code(5, 6, 3), 2);
    // Example C: e = 2, nrow 4, adc 2: FS 12, c = 10 -> 2.5 -> 2.
    EXPECT_EQ(ideal_code(10, 12, 3), 2);
    // e = 2, nrow 12, adc 2: FS 36, c/12: 6 -> 0, 18 -> 2, 30 -> 2.
    EXPECT_EQ(ideal_code(6, 36, 3), 0);
    EXPECT_EQ(ideal_code(18, 36, 3), 2);
    EXPECT_EQ(ideal_code(30, 36, 3), 2);
    // e = 2, nrow 256, adc 8: FS 768, 128 -> 42.5 -> 42, 384 -> 127.5 -> 128, 640 -> 212.5 -> 212.
    EXPECT_EQ(ideal_code(128, 768, 255), 42);
    EXPECT_EQ(ideal_code(384, 768, 255), 128);
    EXPECT_EQ(ideal_code(640, 768, 255), 212);
    // Example D: FS 4, L 7: 2 -> 3.5 -> 4.
    EXPECT_EQ(ideal_code(2, 4, 7), 4);
    // Example A: FS 4, L 3: 1 -> 0.75 -> 1, 2 -> 1.5 -> 2, 3 -> 2.25 -> 2.
    EXPECT_EQ(ideal_code(1, 4, 3), 1);
    EXPECT_EQ(ideal_code(2, 4, 3), 2);
    EXPECT_EQ(ideal_code(3, 4, 3), 2);
    // nrow 256 bit-serial, adc 8: 128 -> 127.5 -> 128 (B3).
    EXPECT_EQ(ideal_code(128, 256, 255), 128);
    // adc 1: half-way 0.5 -> 0.
    EXPECT_EQ(ideal_code(2, 4, 1), 0);
    EXPECT_EQ(ideal_code(3, 4, 1), 1);
}

TEST(IdealCode, PowerOfTwoRowsNeverDistinguishTiesInBitSerial) {
    // SEMANTICS §5.4: with nrow a power of two and adc >= 2, bit-serial ties agree with half-away.
    for (int lg = 0; lg <= 10; ++lg) {
        const std::int64_t nrow = std::int64_t{1} << lg;
        for (int adc = 2; adc <= 10; ++adc) {
            for (std::int64_t c = 0; c <= nrow; ++c)
                ASSERT_EQ(ideal_code(c, nrow, top_of(adc)), half_away(c, nrow, top_of(adc)));
        }
    }
}

TEST(ConversionTable, NoiseFreeCodesAreIdealCodes) {
    for (std::int64_t fs : {1, 4, 6, 12, 36, 255, 256, 765}) {
        for (int adc : {1, 2, 3, 8}) {
            const conversion_table t(fs, model(top_of(adc), 255), false);
            EXPECT_EQ(t.full_scale(), fs);
            EXPECT_FALSE(t.noisy());
            for (std::int64_t c = 0; c <= fs; ++c) {
                ASSERT_EQ(t.code(c), rational_rhe(c, fs, top_of(adc)));
                ASSERT_EQ(t.sample(c, 12345), t.code(c));
                ASSERT_EQ(t.codes()[c], t.code(c));
                ASSERT_DOUBLE_EQ(t.analog_value(c), static_cast<double>(c) / static_cast<double>(fs));
            }
        }
    }
}

TEST(ConversionTable, LinearIffFullScaleDividesTop) {
    int linear_seen = 0;
    for (std::int64_t fs = 1; fs <= 40; ++fs) {
        for (int adc = 1; adc <= 8; ++adc) {
            const std::int64_t top = top_of(adc);
            const conversion_table t(fs, model(top, 255), false);
            EXPECT_EQ(t.linear(), top % fs == 0) << "fs=" << fs << " L=" << top;
            linear_seen += t.linear();
        }
    }
    EXPECT_GT(linear_seen, 10);
    // 255 = 2^8 - 1: nrow 255 is lossless at adc 8 (and 16), nrow 256 is not.
    EXPECT_TRUE(conversion_table(255, model(255, 255), false).linear());
    EXPECT_TRUE(conversion_table(255, model(65535, 255), false).linear());
    EXPECT_FALSE(conversion_table(256, model(255, 256), false).linear());
    // Bit-parallel e = 2 at nrow 255: FS 765 does not divide 255.
    EXPECT_FALSE(conversion_table(765, model(255, 255), false).linear());
    EXPECT_TRUE(conversion_table(3, model(3, 1), false).linear());
}

TEST(ConversionTable, NoiseOrCompressionIsNotLinear) {
    EXPECT_FALSE(conversion_table(255, model(255, 255, 1.0), true).linear());
    EXPECT_FALSE(conversion_table(255, model(255, 255, 0.0, 2.0), true).linear());
    EXPECT_FALSE(conversion_table(255, model(255, 255, 0.0, 0.0, 0.01), false).linear());
    EXPECT_FALSE(conversion_table(1, model(1, 1, 0.0, 0.0, 1e-9), false).linear());
    // A noisy model used for a noise-free (digital, ASiM mode) table is linear again.
    const conversion_table digital(255, model(255, 255, 1.0, 2.0), false);
    EXPECT_FALSE(digital.noisy());
    EXPECT_TRUE(digital.linear());
    for (std::uint64_t u : {std::uint64_t{0}, std::uint64_t{1} << 62, u_max})
        EXPECT_EQ(digital.sample(37, u), 37);
    EXPECT_TRUE(conversion_table(255, model(255, 255, 1.0), true).noisy());
}

TEST(ConversionTable, GainCompression) {
    const conversion_table t(255, model(255, 255, 0.0, 0.0, 0.01), false);
    EXPECT_DOUBLE_EQ(t.analog_value(100), 50.0 / 255.0);  // 100 / (1 + 1)
    EXPECT_EQ(t.code(100), 50);
    EXPECT_EQ(t.code(200), 67);  // 200 / 3 = 66.67
    EXPECT_EQ(t.code(0), 0);
    EXPECT_EQ(t.code(255), 72);  // 255 / 3.55 = 71.83
    EXPECT_DOUBLE_EQ(compress(10.0, 0.1), 5.0);
    EXPECT_DOUBLE_EQ(compress(7.0, 0.0), 7.0);
    EXPECT_DOUBLE_EQ(compress(-3.0, 0.1), 0.0);
}

TEST(ConversionTable, BadFullScale) {
    try {
        conversion_table t(0, model(255, 255), false);
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.name(), "full_scale");
        EXPECT_EQ(e.value(), "0");
    }
}

TEST(NoiseSigma, Formula) {
    EXPECT_DOUBLE_EQ(noise_sigma(100.0 / 255.0, 1.0, 2.0, 255), std::sqrt(1e-4 + 4e-4 / 101.0));
    EXPECT_DOUBLE_EQ(noise_sigma(0.0, 0.0, 2.0, 255), 0.02);
    EXPECT_DOUBLE_EQ(noise_sigma(0.7, 3.0, 0.0, 12), 0.03);
    // Bit-parallel: the sqrt argument is v*nrow + 1, not the weighted count.
    EXPECT_DOUBLE_EQ(noise_sigma(300.0 / 765.0, 0.0, 1.0, 255), 0.01 / std::sqrt(101.0));
}

TEST(GaussianFromU63, QuantileShape) {
    EXPECT_NEAR(gaussian_from_u63(std::uint64_t{1} << 62), 0.0, 1e-12);
    EXPECT_NEAR(gaussian_from_u63(static_cast<std::uint64_t>(0.8413447460685429 * 0x1.0p63)), 1.0, 1e-9);
    EXPECT_LT(gaussian_from_u63(0), -8.0);
    EXPECT_GT(gaussian_from_u63(u_hi), 8.0);
    std::mt19937_64 rng(7);
    for (int k = 0; k < 1000; ++k) {
        const std::uint64_t u = rng() >> 1;
        EXPECT_NEAR(gaussian_from_u63(u), -gaussian_from_u63(u_max - u), 1e-9);
    }
}

TEST(SampleDirect, NoiseFreeRoundsHalfEven) {
    EXPECT_EQ(sample_direct(0.5, 0.0, 1, 999), 0);
    EXPECT_EQ(sample_direct(0.5, 0.0, 3, 999), 2);   // 1.5 -> 2
    EXPECT_EQ(sample_direct(5.0 / 6.0, 0.0, 3, 999), 2);  // 2.5 -> 2
    EXPECT_EQ(sample_direct(0.9, 10.0, 255, 0), 0);          // clamped low
    EXPECT_EQ(sample_direct(0.1, 10.0, 255, u_hi), 255);     // clamped high
}

TEST(GaussianFromU63, TopOfU63RangeIsFinite) {
    // u63 is any value in [0, 2^63). For the top 1024 values (u >> 10) = 2^53 - 1 and
    // (2^53 - 1) + 0.5 rounds to 2^53 in double, so p = 1 and the quantile overflows (boost throws).
    // A draw63() hits this with probability 2^-53 per draw: rare, but a direct-sampled conversion
    // (16-bit ADC) then throws out of mvm_engine::run.
    for (std::uint64_t u : {u_max, u_max - 1, u_max - 1023}) {
        double z = 0.0;
        EXPECT_NO_THROW(z = gaussian_from_u63(u)) << u;
        EXPECT_TRUE(std::isfinite(z)) << u;
        EXPECT_NO_THROW(sample_direct(0.5, 0.01, 65535, u)) << u;
    }
    EXPECT_TRUE(std::isfinite(gaussian_from_u63(u_hi)));
}

TEST(ToUnitOpen, StaysInsideTheOpenInterval) {
    // rng.hpp promises (0, 1); (2^53 - 1) + 0.5 rounds to 2^53 in double, giving exactly 1.0.
    EXPECT_GT(to_unit_open(0), 0.0);
    EXPECT_LT(to_unit_open(~std::uint64_t{0} - (std::uint64_t{1} << 12)), 1.0);
    EXPECT_LT(to_unit_open(~std::uint64_t{0}), 1.0);
}

namespace {

// Sweeps u over [0, 2^63) in increasing order: both ends, a dense grid and random points.
std::vector<std::uint64_t> u_sweep(std::uint64_t seed) {
    std::vector<std::uint64_t> u = {0, 1, u_hi - 1, u_hi};
    for (std::uint64_t k = 0; k < 4096; ++k) u.push_back(k << 51);
    std::mt19937_64 rng(seed);
    for (int k = 0; k < 4000; ++k) u.push_back(rng() >> 1);
    std::sort(u.begin(), u.end());
    return u;
}

void check_sampling_contract(const conversion_table& t, std::int64_t top, const char* what) {
    const auto us = u_sweep(static_cast<std::uint64_t>(t.full_scale()));
    for (std::int64_t c = 0; c <= t.full_scale(); c += std::max<std::int64_t>(1, t.full_scale() / 37)) {
        std::int32_t prev = -1;
        for (std::uint64_t u : us) {
            const std::int32_t q = t.sample(c, u);
            ASSERT_GE(q, 0) << what << " c=" << c << " u=" << u;
            ASSERT_LE(q, top) << what << " c=" << c << " u=" << u;
            ASSERT_GE(q, prev) << what << " c=" << c << " u=" << u;  // monotone in u
            prev = q;
        }
    }
}

}  // namespace

TEST(ConversionTable, NoisySamplesInRangeAndMonotoneInU) {
    struct cfg {
        std::int64_t fs;
        adc_model m;
        bool direct;
    };
    const std::vector<cfg> cfgs = {
        {255, model(255, 255, 1.0), false},
        {255, model(255, 255, 0.0, 2.0), false},
        {255, model(255, 255, 1.0, 2.0), false},
        {765, model(255, 255, 1.0, 2.0), false},
        {6, model(3, 6, 5.0, 5.0), false},
        {12, model(1, 12, 30.0), false},
        {255, model(255, 255, 100.0 / 255.0), false},
        {255, model(255, 255, 2.0, 0.0, 0.01), false},
        {1000, model(1023, 1000, 150.0, 80.0), false},  // huge noise: mostly clamped
        {255, model(65535, 255, 1.0), true},            // 16-bit ADC: direct sampling
        {4095, model(65535, 4095, 0.5, 1.0), true},
    };
    for (const auto& c : cfgs) {
        const conversion_table t(c.fs, c.m, true);
        EXPECT_TRUE(t.noisy());
        EXPECT_FALSE(t.linear());
        EXPECT_EQ(t.direct(), c.direct) << c.fs << " " << c.m.top;
        check_sampling_contract(t, c.m.top, c.direct ? "direct" : "table");
    }
}

TEST(ConversionTable, NoisyMedianIsTheIdealCode) {
    // With symmetric noise and v*L an integer away from the clamps, the median code is the ideal one.
    const std::uint64_t half = std::uint64_t{1} << 62;
    const conversion_table t(255, model(255, 255, 1.0, 2.0), true);
    for (std::int64_t c : {20, 100, 128, 200}) {
        EXPECT_EQ(t.sample(c, half - (std::uint64_t{1} << 50)), c);
        EXPECT_EQ(t.sample(c, half + (std::uint64_t{1} << 50)), c);
    }
    const conversion_table d(255, model(65535, 255, 1.0), true);
    ASSERT_TRUE(d.direct());
    EXPECT_EQ(d.sample(100, half + 12345), 100 * 257);
    // Tails reach well beyond 3 sigma (sigma = 2.55 codes for table t).
    EXPECT_LE(t.sample(100, 0), 100 - 20);
    EXPECT_GE(t.sample(100, u_max), 100 + 20);
    EXPECT_EQ(t.sample(0, 0), 0);
    EXPECT_EQ(t.sample(255, u_max), 255);  // table sampling handles the whole u63 range
}

TEST(Vote, ModeMinTieRules) {
    auto v = [](std::vector<std::int32_t> c, bool median) {
        return vote(c.data(), static_cast<int>(c.size()), median);
    };
    EXPECT_EQ(v({7}, false), 7);
    EXPECT_EQ(v({4, 9, 1}, false), 1);      // S = 3, all different: the minimum, not the median
    EXPECT_EQ(v({5, 3}, false), 3);         // S = 2 disagreement: the lower code
    EXPECT_EQ(v({5, 5, 3}, false), 5);
    EXPECT_EQ(v({3, 5, 5}, false), 5);
    EXPECT_EQ(v({3, 5, 5, 3}, false), 3);   // tie between two pairs: the smaller code
    EXPECT_EQ(v({9, 9, 2, 4, 2, 9}, false), 9);
    EXPECT_EQ(v({9, 2, 9, 2, 2, 9}, false), 2);
    EXPECT_EQ(v({6, 1, 6, 1, 8, 8, 8}, false), 8);
}

TEST(Vote, MedianRule) {
    auto v = [](std::vector<std::int32_t> c) { return vote(c.data(), static_cast<int>(c.size()), true); };
    EXPECT_EQ(v({7}), 7);
    EXPECT_EQ(v({4, 9, 1}), 4);
    EXPECT_EQ(v({5, 3}), 3);  // lower median
    EXPECT_EQ(v({3, 5, 5, 3}), 3);
    EXPECT_EQ(v({9, 1, 5, 7, 3}), 5);
    EXPECT_EQ(v({5, 5, 3}), 5);
    EXPECT_EQ(v({0, 0, 255, 255, 255}), 255);
}

namespace {

// The documented coupling: code = smallest k with u < round(2^63 P(code <= k | c)), where
// P(code <= k) = Phi(((k + 1/2)/L - v) / sigma) for k < L (clamping puts the tails on 0 and L).
std::int64_t inverse_cdf_code(std::uint64_t u, double v, double sigma, std::int64_t top) {
    const double l = static_cast<double>(top);
    for (std::int64_t k = 0; k < top; ++k) {
        const double z = ((static_cast<double>(k) + 0.5) / l - v) / sigma;
        const long double p = 0.5L * static_cast<long double>(std::erfc(-z / std::sqrt(2.0)));
        const auto t = static_cast<std::uint64_t>(std::llround(std::ldexp(static_cast<double>(p), 63)));
        if (u < t) return k;
    }
    return top;
}

}  // namespace

TEST(ConversionTable, SampleIsTheInverseCdfOfEachCount) {
    struct cfg {
        std::int64_t fs;
        adc_model m;
    };
    for (const cfg& c : {cfg{255, model(255, 255, 1.0, 2.0)}, cfg{765, model(255, 255, 0.5, 1.0)},
                         cfg{6, model(3, 6, 20.0, 10.0)}, cfg{100, model(1023, 100, 0.05)}}) {
        const conversion_table t(c.fs, c.m, true);
        ASSERT_FALSE(t.direct());
        std::mt19937_64 g(static_cast<std::uint64_t>(c.fs));
        for (int k = 0; k < 3000; ++k) {
            const auto cnt = static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(c.fs + 1));
            const std::uint64_t u = g() >> 1;
            const double v = t.analog_value(cnt);
            const double sigma = noise_sigma(v, c.m.sigma_rand, c.m.sigma_nl, c.m.nrow);
            ASSERT_EQ(t.sample(cnt, u), inverse_cdf_code(u, v, sigma, c.m.top))
                << "fs=" << c.fs << " L=" << c.m.top << " c=" << cnt << " u=" << u;
        }
    }
}

TEST(ConversionTable, FastRangeGivesTheNoiseFreeCode) {
    // Inside [fast_lo, fast_hi) every count must sample its noise-free code; the range is non-empty
    // at small noise and (nearly) covers the median.
    adc_model m = model(255, 255, 0.1);  // 0.255 LSB
    const conversion_table t(255, m, true);
    ASSERT_LT(t.fast_lo(), t.fast_hi());
    EXPECT_LT(t.fast_lo(), std::uint64_t{1} << 62);
    EXPECT_GT(t.fast_hi(), std::uint64_t{1} << 62);
    std::mt19937_64 g(1);
    const std::uint64_t span = t.fast_hi() - t.fast_lo();
    for (int k = 0; k < 20000; ++k) {
        const std::uint64_t u = t.fast_lo() + g() % span;
        const auto c = static_cast<std::int64_t>(g() % 256);
        ASSERT_EQ(t.sample(c, u), t.code(c)) << c;
        const double v = t.analog_value(c);
        ASSERT_EQ(t.sample(c, u), inverse_cdf_code(u, v, noise_sigma(v, 0.1, 0.0, 255), 255)) << c;
    }
    // Just outside the range some count leaves its noise-free code.
    if (t.fast_lo() > 0) {
        bool moved = false;
        for (std::int64_t c = 0; c <= 255; ++c) moved = moved || t.sample(c, t.fast_lo() - 1) != t.code(c);
        EXPECT_TRUE(moved);
    }
}
