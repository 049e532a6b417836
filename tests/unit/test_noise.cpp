// Noise statistics (SEMANTICS.md §5, §13 F) with fixed seeds: the std of a single analog cycle,
// unbiased mid-scale mean, the clamp bias at count 0, independence of draws, the per-code
// distribution of conversion_table::sample() against the exact CDF, and kernel equality with noise.
#include <acim/core/adc.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace acim::core;

namespace {

double phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct sample_stats {
    double mean = 0.0, sd = 0.0;
    std::vector<double> values;  // [vector][output], in count units
};

sample_stats summarise(std::vector<double> v) {
    sample_stats s;
    double sum = 0.0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    double ss = 0.0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
    s.values = std::move(v);
    return s;
}

// A layer where only cycle (0,0) is analog (SEMANTICS §13 F): wbit = xbit = 2, HCiM digital (exact)
// for every other cycle, weights 1 and activations `x` on `rows` rows, so every other cycle counts 0.
// enc = 2 makes it one bit-parallel group (FS = 3 nrow) whose (0,0) count is 3 * rows for x = 3.
sample_stats single_cycle(std::size_t rows, std::int32_t x, double sr, double snl, int adc, std::uint64_t seed,
                          std::size_t draws, int enc = 1, std::size_t outputs = 1,
                          kernel_isa isa = kernel_isa::portable) {
    cim_params p;
    p.wbit = 2;
    p.xbit = 2;
    p.act_enc = enc;
    p.row_parallelism = 255;
    p.adc_bits = adc;
    p.hybrid_levels = enc == 1 ? 2 : 1;
    p.sigma_rand = sr;
    p.sigma_nl = snl;
    mvm_engine e(p, engine_options{1, isa});
    const cycle_plan& plan = e.plan();
    EXPECT_EQ(plan.count(cycle_kind::analog), 1);
    EXPECT_EQ(plan.kind(0, 0), cycle_kind::analog);
    const std::vector<std::int32_t> w(outputs * rows, 1);
    e.load_weights(w.data(), outputs, rows, dense_tiling(rows, 255));
    const std::size_t chunk = 10000;
    const std::vector<std::int32_t> xs(chunk * rows, x);
    std::vector<std::int64_t> out(chunk * outputs);
    std::vector<double> v;
    stream_key key;
    key.seed = seed;
    for (std::size_t first = 0; first < draws; first += chunk) {
        const std::size_t n = std::min(chunk, draws - first);
        e.run(xs.data(), n, first, key, out.data());
        for (std::size_t k = 0; k < n * outputs; ++k)
            v.push_back(static_cast<double>(out[k]) / static_cast<double>(e.denominator()));
    }
    return summarise(std::move(v));
}

constexpr std::size_t draws = 100000;

// 4-sigma bound on a sample std of n Gaussian-like draws.
double sd_bound(double sd, std::size_t n) { return 4.0 * sd / std::sqrt(2.0 * static_cast<double>(n - 1)); }

}  // namespace

TEST(Noise, SingleCycleStdMatchesFormula) {
    // Count 100, nrow 255: std (counts) = 255 sqrt((sr/100)^2 + (snl/100)^2 / 101).
    // adc 12: one LSB is 255/4095 counts, its uniform rounding noise is added to the prediction.
    struct c {
        double sr, snl;
    };
    const double lsb = 255.0 / 4095.0;
    std::uint64_t seed = 11;
    for (const c& k : {c{1.0, 0.0}, c{0.0, 2.0}, c{1.0, 2.0}}) {
        const double sigma = 255.0 * std::sqrt(std::pow(k.sr / 100.0, 2) + std::pow(k.snl / 100.0, 2) / 101.0);
        const double want = std::sqrt(sigma * sigma + lsb * lsb / 12.0);
        const auto s = single_cycle(100, 1, k.sr, k.snl, 12, seed++, draws);
        EXPECT_NEAR(s.sd, want, sd_bound(want, draws)) << "sr=" << k.sr << " snl=" << k.snl;
        EXPECT_NEAR(s.mean, 100.0, 4.0 * want / std::sqrt(static_cast<double>(draws)));
    }
    // The SEMANTICS numbers: 2.550, 0.507, 2.600.
    EXPECT_NEAR(255.0 * std::sqrt(1e-4 + 4e-4 / 101.0), 2.600, 5e-4);
}

TEST(Noise, SingleCycleStdDirectSampling16BitAdc) {
    // A 16-bit ADC is too wide for the code tables: conversions sample directly.
    const double sigma = 255.0 * std::sqrt(1e-4 + 4e-4 / 101.0);
    const auto s = single_cycle(100, 1, 1.0, 2.0, 16, 99, draws);
    EXPECT_NEAR(s.sd, sigma, sd_bound(sigma, draws));
    EXPECT_NEAR(s.mean, 100.0, 4.0 * sigma / std::sqrt(static_cast<double>(draws)));
}

TEST(Noise, BitParallelNonLinearTermUsesVTimesNrow) {
    // One 2-bit group, x = 3 on 100 rows: weighted count 300, FS 765. SEMANTICS §5.2: the sqrt
    // argument is v * nrow + 1 = 101, not c + 1 = 301.
    const double sigma = 765.0 * 0.02 / std::sqrt(101.0);
    const double lsb = 765.0 / 4095.0;
    const double want = std::sqrt(sigma * sigma + lsb * lsb / 12.0);
    const auto s = single_cycle(100, 3, 0.0, 2.0, 12, 5, draws, 2);
    EXPECT_NEAR(s.sd, want, sd_bound(want, draws));
    EXPECT_NEAR(s.mean, 300.0, 4.0 * want / std::sqrt(static_cast<double>(draws)));
}

TEST(Noise, MidScaleMeanIsUnbiased) {
    const double sigma = 255.0 * 0.01;
    for (int adc : {12, 16}) {
        const auto s = single_cycle(128, 1, 1.0, 0.0, adc, 1234, draws);
        EXPECT_NEAR(s.mean, 128.0, 4.0 * sigma / std::sqrt(static_cast<double>(draws))) << adc;
    }
}

TEST(Noise, ClampBiasAtCountZero) {
    // sigma_rand = 100/255 % is one LSB at adc 8, nrow 255. The code is rhe(max(0, Z)) with Z ~ N(0, 1):
    // P(code = k) = Phi(k + 1/2) - Phi(k - 1/2) for k >= 1.
    std::vector<double> pk(40, 0.0);
    double mean = 0.0;
    for (int k = 1; k < 40; ++k) {
        pk[static_cast<std::size_t>(k)] = phi(k + 0.5) - phi(k - 0.5);
        mean += k * pk[static_cast<std::size_t>(k)];
    }
    pk[0] = phi(0.5);
    double m2 = 0.0, m4 = 0.0;
    for (int k = 0; k < 40; ++k) {
        const double d = k - mean;
        m2 += d * d * pk[static_cast<std::size_t>(k)];
        m4 += d * d * d * d * pk[static_cast<std::size_t>(k)];
    }
    const double sd = std::sqrt(m2);
    ASSERT_NEAR(mean, 0.382, 0.001);
    const auto s = single_cycle(100, 0, 100.0 / 255.0, 0.0, 8, 77, draws);
    const double n = static_cast<double>(draws);
    EXPECT_NEAR(s.mean, mean, 4.0 * sd / std::sqrt(n));
    // Not Gaussian: the std's standard error from the fourth moment, sqrt((m4 - m2^2) / n) / (2 sd).
    EXPECT_NEAR(s.sd, sd, 4.0 * std::sqrt((m4 - m2 * m2) / n) / (2.0 * sd));
    EXPECT_GT(s.mean, 0.3);  // clearly biased upwards
}

TEST(Noise, DrawsAreIndependentAcrossVectorsAndColumns) {
    const auto s = single_cycle(100, 1, 1.0, 0.0, 12, 4321, 50000, 1, 2);
    const std::size_t n = s.values.size() / 2;
    std::vector<double> a(n), b(n);
    for (std::size_t v = 0; v < n; ++v) {
        a[v] = s.values[2 * v];
        b[v] = s.values[2 * v + 1];
    }
    auto corr = [](const std::vector<double>& x, const std::vector<double>& y) {
        const double nn = static_cast<double>(x.size());
        double mx = 0, my = 0;
        for (std::size_t k = 0; k < x.size(); ++k) {
            mx += x[k];
            my += y[k];
        }
        mx /= nn;
        my /= nn;
        double sxy = 0, sxx = 0, syy = 0;
        for (std::size_t k = 0; k < x.size(); ++k) {
            sxy += (x[k] - mx) * (y[k] - my);
            sxx += (x[k] - mx) * (x[k] - mx);
            syy += (y[k] - my) * (y[k] - my);
        }
        return sxy / std::sqrt(sxx * syy);
    };
    const double bound = 4.0 / std::sqrt(static_cast<double>(n));
    EXPECT_NEAR(corr(a, b), 0.0, bound);  // two columns, same vector
    const std::vector<double> a0(a.begin(), a.end() - 1), a1(a.begin() + 1, a.end());
    EXPECT_NEAR(corr(a0, a1), 0.0, bound);  // consecutive vectors, same column
    // The two columns really are noisy (not a degenerate constant).
    EXPECT_GT(s.sd, 2.0);
}

namespace {

// P(code = k) for analog value v, std sigma (normalised), top L, with clamping to [0, 1].
double code_probability(int k, double v, double sigma, std::int64_t top) {
    const double l = static_cast<double>(top);
    const double lo = k == 0 ? 0.0 : phi(((k - 0.5) / l - v) / sigma);
    const double hi = k == top ? 1.0 : phi(((k + 0.5) / l - v) / sigma);
    return hi - lo;
}

void check_code_distribution(const conversion_table& t, std::int64_t c, double sigma, std::int64_t top,
                             std::uint64_t seed, int n, int bin = 1) {
    std::mt19937_64 g(seed);
    std::vector<int> hist(static_cast<std::size_t>(top / bin + 1), 0);
    for (int k = 0; k < n; ++k) ++hist[static_cast<std::size_t>(t.sample(c, g() >> 1) / bin)];
    const double v = t.analog_value(c);
    int checked = 0;
    for (std::size_t b = 0; b < hist.size(); ++b) {
        double p = 0.0;
        for (int k = static_cast<int>(b) * bin; k < std::min<int>(static_cast<int>(b + 1) * bin, static_cast<int>(top) + 1); ++k)
            p += code_probability(k, v, sigma, top);
        const double expect = p * n;
        const double tol = 4.0 * std::sqrt(expect * (1.0 - p)) + 1.0;
        EXPECT_NEAR(hist[b], expect, tol) << "count " << c << " code bin " << b;
        checked += expect > 10.0;
    }
    EXPECT_GE(checked, 3);
}

}  // namespace

TEST(ConversionTableDistribution, MatchesExactCdf) {
    adc_model m;
    m.top = 255;
    m.nrow = 255;
    m.sigma_rand = 1.0;
    m.sigma_nl = 2.0;
    const conversion_table t(255, m, true);
    ASSERT_FALSE(t.direct());
    for (std::int64_t c : {100, 2, 0, 254}) {
        const double sigma = noise_sigma(static_cast<double>(c) / 255.0, 1.0, 2.0, 255);
        check_code_distribution(t, c, sigma, 255, static_cast<std::uint64_t>(c) + 17, 200000);
    }
    // A half-integer analog value (c L / FS = 100.5 at FS 510): no rounding bias between 100 and 101.
    const conversion_table h(510, m, true);
    check_code_distribution(h, 201, noise_sigma(201.0 / 510.0, 1.0, 2.0, 255), 255, 3, 200000);
}

TEST(ConversionTableDistribution, CoarseAdcHeavyNoise) {
    adc_model m;
    m.top = 7;
    m.nrow = 6;
    m.sigma_rand = 20.0;
    m.sigma_nl = 30.0;
    const conversion_table t(6, m, true);
    for (std::int64_t c = 0; c <= 6; ++c)
        check_code_distribution(t, c, noise_sigma(static_cast<double>(c) / 6.0, 20.0, 30.0, 6), 7,
                                static_cast<std::uint64_t>(c), 100000);
}

TEST(ConversionTableDistribution, DirectSamplingMatchesExactCdf) {
    adc_model m;
    m.top = 65535;
    m.nrow = 255;
    m.sigma_rand = 1.0;
    const conversion_table t(255, m, true);
    ASSERT_TRUE(t.direct());
    // Bins of 128 codes (0.5 counts).
    check_code_distribution(t, 100, 0.01, 65535, 8, 100000, 128);
}

TEST(Noise, KernelsGiveBitIdenticalNoisyOutputs) {
    if (!cpu_has_avx512_kernel()) GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    std::mt19937_64 g(2024);
    struct c {
        int wbit, xbit;
        bool s;
        int enc, nrow, adc, lh;
        digital_mode dm;
        int lv, S;
        std::size_t rows;
    };
    for (const c& k : {c{4, 4, false, 1, 255, 8, 0, digital_mode::exact, 0, 1, 300},
                       c{3, 5, true, 2, 64, 6, 2, digital_mode::adc, 4, 3, 200},
                       c{8, 8, false, 4, 100, 7, 1, digital_mode::exact, 0, 1, 130},
                       c{2, 9, true, 1, 37, 5, 0, digital_mode::exact, 3, 4, 75},
                       c{5, 6, false, 3, 255, 9, 3, digital_mode::adc, 5, 5, 260}}) {
        cim_params p;
        p.wbit = k.wbit;
        p.xbit = k.xbit;
        p.signed_act = k.s;
        p.act_enc = k.enc;
        p.row_parallelism = k.nrow;
        p.adc_bits = k.adc;
        p.hybrid_levels = k.lh;
        p.digital = k.dm;
        p.voting_levels = k.lv;
        p.voting_samples = k.S;
        p.sigma_rand = 1.5;
        p.sigma_nl = 3.0;
        const std::size_t outputs = 5, vectors = 37;
        std::vector<std::int32_t> w(outputs * k.rows), x(vectors * k.rows);
        for (auto& v : w) v = std::uniform_int_distribution<int>(-(1 << (k.wbit - 1)), (1 << (k.wbit - 1)) - 1)(g);
        const int lo = k.s ? -(1 << (k.xbit - 1)) : 0, hi = k.s ? (1 << (k.xbit - 1)) - 1 : (1 << k.xbit) - 1;
        for (auto& v : x) v = std::uniform_int_distribution<int>(lo, hi)(g);
        stream_key key;
        key.seed = 99;
        key.layer = 3;
        std::vector<std::vector<std::int64_t>> outs;
        for (kernel_isa isa : {kernel_isa::portable, kernel_isa::avx512}) {
            mvm_engine e(p, engine_options{2, isa});
            EXPECT_EQ(e.uses_avx512(), isa == kernel_isa::avx512) << p.describe();
            e.load_weights(w.data(), outputs, k.rows, dense_tiling(k.rows, k.nrow));
            std::vector<std::int64_t> out(vectors * outputs);
            e.run(x.data(), vectors, 1000, key, out.data());
            outs.push_back(out);
        }
        EXPECT_EQ(outs[0], outs[1]) << p.describe();
        // Noise is really on: the output differs from the noise-free one.
        cim_params q = p;
        q.sigma_rand = 0.0;
        q.sigma_nl = 0.0;
        mvm_engine e(q, engine_options{1, kernel_isa::portable});
        e.load_weights(w.data(), outputs, k.rows, dense_tiling(k.rows, k.nrow));
        std::vector<std::int64_t> clean(vectors * outputs);
        e.run(x.data(), vectors, 1000, key, clean.data());
        EXPECT_NE(outs[0], clean) << p.describe();
    }
}
