// Engine features beyond the plain ADC: majority voting, HCiM digital modes, counters, the
// observability sink, saturation, gain compression, cell variation, weight-full-bit-parallel
// conversion, and input validation.
#include <acim/core/engine.hpp>
#include <acim/core/error.hpp>
#include <acim/core/layer.hpp>
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace acim::core;
using acim::test::repeat;
using acim::test::run_engine;

namespace {

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

std::vector<std::int32_t> random_codes(std::mt19937_64& g, std::size_t n, int lo, int hi) {
    std::vector<std::int32_t> v(n);
    for (auto& x : v) x = std::uniform_int_distribution<int>(lo, hi)(g);
    return v;
}

std::vector<std::int32_t> random_weights(std::mt19937_64& g, std::size_t n, int wbit) {
    return random_codes(g, n, -(1 << (wbit - 1)), (1 << (wbit - 1)) - 1);
}

std::vector<std::int32_t> random_acts(std::mt19937_64& g, std::size_t n, const cim_params& p) {
    return p.signed_act ? random_codes(g, n, -(1 << (p.xbit - 1)), (1 << (p.xbit - 1)) - 1)
                        : random_codes(g, n, 0, (1 << p.xbit) - 1);
}

struct recorder : conversion_sink {
    std::vector<conversion_event> events;
    void on_conversion(const conversion_event& e) override { events.push_back(e); }
};

template <class F>
std::string parameter_error_name(F&& f) {
    try {
        f();
    } catch (const parameter_error& e) {
        return e.name() + " = " + e.value();
    }
    return "<no parameter_error>";
}

template <class F>
std::string data_error_text(F&& f) {
    try {
        f();
    } catch (const data_error& e) {
        return e.what();
    }
    return "<no data_error>";
}

double mean_square_error(const std::vector<std::int64_t>& num, std::int64_t den, double ideal) {
    double s = 0.0;
    for (std::int64_t n : num) {
        const double d = static_cast<double>(n) / static_cast<double>(den) - ideal;
        s += d * d;
    }
    return s / static_cast<double>(num.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Majority voting (SEMANTICS §8.1)

TEST(Voting, ReducesErrorVariance) {
    // Every cycle voted; sigma_rand = 1 LSB at adc 8 / nrow 255 (lossless, so all error is noise).
    cim_params p = cfg(2, 2, false, 1, 255, 8);
    p.sigma_rand = 100.0 / 255.0;
    p.voting_levels = 3;
    const std::vector<std::int32_t> w(100, 1);
    const std::vector<std::int32_t> x = repeat(std::vector<std::int32_t>(100, 3), 20000);
    stream_key key;
    key.seed = 31;
    p.voting_samples = 1;
    const auto r1 = run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x, key);
    p.voting_samples = 5;
    const auto r5 = run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x, key);
    p.vote = vote_rule::median;
    const auto rm = run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x, key);
    const double e1 = mean_square_error(r1.num, r1.den, 300.0);
    const double e5 = mean_square_error(r5.num, r5.den, 300.0);
    const double em = mean_square_error(rm.num, rm.den, 300.0);
    EXPECT_GT(e1, 3.0);  // the noise is real: 4 cycles, weights 1, 2, 2, 4 of ~0.5-1 LSB^2 each
    EXPECT_LT(e5, 0.5 * e1) << e1 << " " << e5;  // measured: 18.5 -> 6.9 (mode), 6.0 (median)
    EXPECT_LT(em, 0.5 * e1) << e1 << " " << em;
}

namespace {

void voting_without_noise(kernel_isa isa) {
    std::mt19937_64 g(3);
    for (int enc : {1, 2}) {
        cim_params p = cfg(4, 4, false, enc, 50, 5);  // lossy ADC: every cycle uses a code table
        const std::size_t rows = 130, outputs = 3;
        const auto w = random_weights(g, outputs * rows, 4);
        const auto x = random_acts(g, 20 * rows, p);
        const auto plain = run_engine(p, {1, isa}, w, outputs, rows, dense_tiling(rows, 50), x);
        p.voting_levels = enc == 1 ? 7 : 5;
        p.voting_samples = 7;
        const auto voted = run_engine(p, {1, isa}, w, outputs, rows, dense_tiling(rows, 50), x);
        EXPECT_EQ(voted.avx512, isa == kernel_isa::avx512);
        EXPECT_EQ(plain.num, voted.num);
        EXPECT_GT(voted.counters.voted, 0u);
    }
}

}  // namespace

TEST(Voting, WithoutNoiseVotingChangesNothing) { voting_without_noise(kernel_isa::portable); }

TEST(Voting, WithoutNoiseVotingChangesNothingAvx512) {
    // engine_avx512.cpp reads keys[] for voted cycles (S > 1) even when nothing is noisy; keys is
    // only filled when pr.any_noisy, so this crashed (SIGSEGV) when written.
    if (!cpu_has_avx512_kernel()) GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    voting_without_noise(kernel_isa::avx512);
}

TEST(Voting, OnlyVotedCyclesChange) {
    // Lv = 1: only (P-1, Q-1) is voted. Non-voted cycles draw sample 0 in both runs, so their codes
    // are identical; the voted cycle's code changes for some conversions.
    std::mt19937_64 g(8);
    cim_params p = cfg(3, 3, false, 1, 20, 5);
    p.sigma_rand = 3.0;
    p.voting_levels = 1;
    const std::size_t rows = 20, outputs = 2, vectors = 50;
    const auto w = random_weights(g, outputs * rows, 3);
    const auto x = random_acts(g, vectors * rows, p);
    recorder a, b;
    p.voting_samples = 1;
    run_engine(p, {}, w, outputs, rows, {{0, rows}}, x, {}, &a);
    p.voting_samples = 3;
    run_engine(p, {}, w, outputs, rows, {{0, rows}}, x, {}, &b);
    ASSERT_EQ(a.events.size(), b.events.size());
    int voted_changed = 0, voted = 0;
    for (std::size_t k = 0; k < a.events.size(); ++k) {
        const auto& ea = a.events[k];
        const auto& eb = b.events[k];
        ASSERT_EQ(std::make_tuple(ea.vector, ea.output, ea.tile, ea.i, ea.j),
                  std::make_tuple(eb.vector, eb.output, eb.tile, eb.i, eb.j));
        if (ea.i == 2 && ea.j == 2) {
            EXPECT_EQ(eb.kind, cycle_kind::voted);
            ++voted;
            voted_changed += ea.code != eb.code;
        } else {
            EXPECT_EQ(eb.kind, cycle_kind::analog);
            EXPECT_EQ(ea.code, eb.code);
        }
    }
    EXPECT_EQ(voted, static_cast<int>(vectors * outputs));
    EXPECT_GT(voted_changed, 5);
}

// ---------------------------------------------------------------------------------------------
// HCiM digital cycles (SEMANTICS §7, B6)

TEST(Hcim, ExactDigitalIsExactAdcModeQuantisesToZero) {
    // 10 rows with w = 1, x = 3: cycles (0,0) and (0,1) count 10, all others 0. With adc 3 at
    // nrow 255, rhe(10 * 7 / 255) = rhe(0.27) = 0: the ADC loses everything.
    cim_params p = cfg(2, 2, false, 1, 255, 3);
    const std::vector<std::int32_t> w(10, 1), x = repeat(std::vector<std::int32_t>(10, 3), 9);
    const auto tiles = dense_tiling(10, 255);
    for (auto isa : {kernel_isa::portable, kernel_isa::avx512}) {
        if (isa == kernel_isa::avx512 && !cpu_has_avx512_kernel()) continue;
        const engine_options o{1, isa};
        p.hybrid_levels = 0;
        for (std::int64_t n : run_engine(p, o, w, 1, 10, tiles, x).num) EXPECT_EQ(n, 0);  // all analog
        p.hybrid_levels = 3;  // every cycle digital
        p.digital = digital_mode::adc;
        for (std::int64_t n : run_engine(p, o, w, 1, 10, tiles, x).num) EXPECT_EQ(n, 0);  // still quantised
        p.digital = digital_mode::exact;
        const auto r = run_engine(p, o, w, 1, 10, tiles, x);
        for (std::int64_t n : r.num) EXPECT_EQ(n, 30 * r.den);  // exact: 10 * 1 + 10 * 2
        // Only the MSB-side levels digital: (0,0) and (0,1) are levels 3 and 2. Lh = 2 makes (0,1)
        // exact (20) and leaves (0,0) analog (0).
        p.hybrid_levels = 2;
        const auto r2 = run_engine(p, o, w, 1, 10, tiles, x);
        for (std::int64_t n : r2.num) EXPECT_EQ(n, 20 * r2.den);
    }
}

TEST(Hcim, DigitalCyclesAreNoiseFree) {
    // Heavy noise, every cycle digital: exact mode gives the dot product, adc mode the noise-free ADC.
    std::mt19937_64 g(12);
    cim_params p = cfg(3, 4, true, 1, 16, 4);
    p.sigma_rand = 20.0;
    p.sigma_nl = 20.0;
    p.hybrid_levels = 3 + 4 - 1;
    const std::size_t rows = 40;
    const auto w = random_weights(g, rows, 3);
    const auto x = random_acts(g, 10 * rows, p);
    const auto exact = run_engine(p, {}, w, 1, rows, dense_tiling(rows, 16), x);
    for (std::size_t v = 0; v < 10; ++v) {
        std::int64_t dot = 0;
        for (std::size_t r = 0; r < rows; ++r) dot += static_cast<std::int64_t>(w[r]) * x[v * rows + r];
        EXPECT_EQ(exact.num[v], dot * exact.den);
    }
    p.digital = digital_mode::adc;
    const auto adc_mode = run_engine(p, {}, w, 1, rows, dense_tiling(rows, 16), x);
    cim_params clean = p;
    clean.sigma_rand = clean.sigma_nl = 0.0;
    clean.hybrid_levels = 0;
    EXPECT_EQ(adc_mode.num, run_engine(clean, {}, w, 1, rows, dense_tiling(rows, 16), x).num);
}

// ---------------------------------------------------------------------------------------------
// Counters

TEST(Counters, ConversionSplit) {
    std::mt19937_64 g(4);
    struct c {
        int wbit, xbit;
        bool s;
        int enc, lh;
        digital_mode dm;
        int lv, S;
    };
    for (const c& k : {c{4, 5, false, 1, 2, digital_mode::exact, 4, 3}, c{4, 5, false, 2, 1, digital_mode::adc, 3, 5},
                       c{3, 6, true, 2, 0, digital_mode::exact, 2, 2}, c{2, 2, false, 1, 3, digital_mode::adc, 0, 1}}) {
        cim_params p = cfg(k.wbit, k.xbit, k.s, k.enc, 30, 6);
        p.hybrid_levels = k.lh;
        p.digital = k.dm;
        p.voting_levels = k.lv;
        p.voting_samples = k.S;
        p.sigma_rand = 1.0;
        const std::size_t rows = 70, outputs = 3, vectors = 11;  // 3 tiles
        const auto w = random_weights(g, outputs * rows, k.wbit);
        const auto x = random_acts(g, vectors * rows, p);
        const auto r = run_engine(p, {}, w, outputs, rows, dense_tiling(rows, 30), x);
        const cycle_plan plan(p);
        const std::uint64_t per = vectors * outputs * 3;
        const auto n = [&](cycle_kind kind) { return per * static_cast<std::uint64_t>(plan.count(kind)); };
        SCOPED_TRACE(p.describe());
        EXPECT_EQ(r.counters.conversions, per * static_cast<std::uint64_t>(plan.weight_cycles() * plan.act_cycles()));
        EXPECT_EQ(r.counters.analog, n(cycle_kind::analog));
        EXPECT_EQ(r.counters.digital, n(cycle_kind::digital));
        EXPECT_EQ(r.counters.voted, n(cycle_kind::voted));
        EXPECT_EQ(r.counters.analog + r.counters.digital + r.counters.voted, r.counters.conversions);
        const std::uint64_t adc = n(cycle_kind::analog) + n(cycle_kind::voted) * static_cast<std::uint64_t>(k.S) +
                                  (k.dm == digital_mode::adc ? n(cycle_kind::digital) : 0);
        EXPECT_EQ(r.counters.adc_conversions, adc);
    }
}

TEST(Counters, AccumulateAndReset) {
    const cim_params p = cfg(2, 2, false, 1, 4, 2);
    mvm_engine e(p);
    const std::vector<std::int32_t> w = {1, -1, 1, 1}, x = {3, 2, 1, 3};
    e.load_weights(w.data(), 1, 4, dense_tiling(4, 4));
    std::int64_t out = 0;
    e.run(x.data(), 1, 0, {}, &out);
    e.run(x.data(), 1, 1, {}, &out);
    EXPECT_EQ(e.counters().conversions, 8u);
    EXPECT_EQ(e.counters().adc_conversions, 8u);
    e.reset_counters();
    EXPECT_EQ(e.counters().conversions, 0u);
    e.run(x.data(), 1, 0, {}, &out);
    EXPECT_EQ(e.counters().conversions, 4u);
}

// ---------------------------------------------------------------------------------------------
// Observability sink

namespace {

int bit(std::int32_t v, int b) { return static_cast<int>((static_cast<std::uint32_t>(v) >> b) & 1u); }

void check_sink(const cim_params& p, std::size_t rows, std::size_t outputs, std::size_t vectors,
                const std::vector<row_tile>& tiles, std::uint64_t seed) {
    SCOPED_TRACE(p.describe());
    std::mt19937_64 g(seed);
    const auto w = random_weights(g, outputs * rows, p.wbit);
    const auto x = random_acts(g, vectors * rows, p);
    stream_key key;
    key.seed = seed;
    mvm_engine e(p, engine_options{2, kernel_isa::automatic});
    e.load_weights(w.data(), outputs, rows, tiles);
    std::vector<std::int64_t> plain(vectors * outputs), seen(vectors * outputs);
    e.run(x.data(), vectors, 500, key, plain.data());
    const engine_counters c_plain = e.counters();
    e.reset_counters();
    recorder rec;
    e.run(x.data(), vectors, 500, key, seen.data(), &rec);
    EXPECT_EQ(plain, seen);  // the sink path computes the same numbers
    EXPECT_TRUE(c_plain == e.counters());
    EXPECT_EQ(rec.events.size(), e.counters().conversions);

    const cycle_plan& plan = e.plan();
    const std::int64_t top = e.denominator();
    std::map<std::tuple<std::uint64_t, std::uint32_t>, std::int64_t> rebuilt;
    std::uint64_t saturated = 0;
    std::map<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t, int, int>, int> seen_cycle;
    for (const conversion_event& ev : rec.events) {
        ASSERT_GE(ev.vector, 500u);
        ASSERT_LT(ev.vector, 500u + vectors);
        ASSERT_LT(ev.output, outputs);
        ASSERT_LT(ev.tile, tiles.size());
        ++seen_cycle[{ev.vector, ev.output, ev.tile, ev.i, ev.j}];
        const std::size_t v = ev.vector - 500;
        const row_tile& t = tiles[ev.tile];
        const std::int32_t* wo = &w[ev.output * rows];
        const std::int32_t* xv = &x[v * rows];
        if (p.weight_bit_parallel) {
            std::int64_t d = 0;
            for (std::size_t r = t.begin; r < t.end; ++r) d += static_cast<std::int64_t>(wo[r]) * xv[r];
            EXPECT_EQ(ev.kind, cycle_kind::full_bp);
            EXPECT_EQ(ev.ideal, d);
            EXPECT_DOUBLE_EQ(ev.error_lsb, static_cast<double>(ev.code) - static_cast<double>(d) *
                                                                             static_cast<double>(top) /
                                                                             static_cast<double>(ev.full_scale));
            rebuilt[{ev.vector, ev.output}] += static_cast<std::int64_t>(ev.code) * ev.full_scale;
            saturated += ev.saturated;
            continue;
        }
        const act_cycle& a = plan.act(ev.j);
        std::int64_t count = 0;
        for (std::size_t r = t.begin; r < t.end; ++r) {
            if (!bit(wo[r], ev.i)) continue;
            for (int b = 0; b < a.width; ++b) count += static_cast<std::int64_t>(bit(xv[r], a.lo + b)) << b;
        }
        EXPECT_EQ(ev.ideal, count);
        EXPECT_EQ(ev.kind, plan.kind(ev.i, ev.j));
        EXPECT_EQ(ev.full_scale, a.fs);
        const std::int64_t scale = (std::int64_t{1} << plan.shift(ev.i, ev.j)) * plan.sign(ev.i, ev.j);
        if (ev.kind == cycle_kind::digital && p.digital == digital_mode::exact) {
            EXPECT_EQ(ev.code, count);
            EXPECT_EQ(ev.error_lsb, 0.0);
            EXPECT_FALSE(ev.saturated);
            rebuilt[{ev.vector, ev.output}] += ev.code * top * scale;
        } else {
            EXPECT_GE(ev.code, 0);
            EXPECT_LE(ev.code, top);
            EXPECT_DOUBLE_EQ(ev.error_lsb, static_cast<double>(ev.code) - static_cast<double>(count) *
                                                                             static_cast<double>(top) /
                                                                             static_cast<double>(a.fs));
            EXPECT_EQ(ev.saturated, (ev.code == 0 || ev.code == top) && count > 0 && count < a.fs);
            rebuilt[{ev.vector, ev.output}] += ev.code * a.fs * scale;
        }
        saturated += ev.saturated;
    }
    for (const auto& kv : seen_cycle) EXPECT_EQ(kv.second, 1);  // each conversion reported once
    EXPECT_EQ(saturated, e.counters().saturations);
    // The events alone reconstruct every output.
    for (std::size_t v = 0; v < vectors; ++v)
        for (std::size_t o = 0; o < outputs; ++o)
            EXPECT_EQ((rebuilt[{500 + v, static_cast<std::uint32_t>(o)}]), plain[v * outputs + o]) << v << "," << o;
}

}  // namespace

TEST(Sink, ReportsEveryConversionConsistently) {
    cim_params a = cfg(4, 5, false, 1, 37, 5);
    a.sigma_rand = 2.0;
    a.sigma_nl = 3.0;
    a.hybrid_levels = 2;
    a.voting_levels = 4;
    a.voting_samples = 3;
    check_sink(a, 100, 3, 13, dense_tiling(100, 37), 1);

    cim_params b = cfg(3, 7, true, 3, 64, 6);  // signed bit-parallel, HCiM in adc mode
    b.sigma_rand = 1.0;
    b.hybrid_levels = 3;
    b.digital = digital_mode::adc;
    check_sink(b, 150, 2, 9, dense_tiling(150, 64), 2);

    cim_params c = cfg(8, 8, false, 1, 255, 8);  // lossless, noise-free: linear fast path
    check_sink(c, 300, 2, 10, dense_tiling(300, 255), 3);

    cim_params d = cfg(2, 2, false, 1, 8, 1);  // 1-bit ADC: heavy saturation
    check_sink(d, 20, 2, 17, {{0, 8}, {10, 18}}, 4);  // rows 8, 9, 18, 19 in no tile

    cim_params f = cfg(4, 4, false, 2, 20, 6);  // weight-full-bit-parallel
    f.weight_bit_parallel = true;
    f.sigma_rand = 2.0;
    check_sink(f, 50, 2, 7, dense_tiling(50, 20), 5);
}

// ---------------------------------------------------------------------------------------------
// Saturation

TEST(Saturation, CountsCodesAtTheRailsForInteriorCounts) {
    // nrow 6, adc 2 (L = 3): c = 1 -> 0.5 -> 0 saturates; c = 5 -> 2.5 -> 2 and c = 6 -> 3 do not.
    const cim_params p = cfg(2, 2, false, 1, 6, 2);
    const std::vector<std::int32_t> w(6, 1);
    const std::vector<std::int32_t> x = {1, 0, 0, 0, 0, 0,   // (0,0) c = 1: saturated
                                         3, 3, 3, 3, 3, 1,   // (0,0) c = 6, (0,1) c = 5: none
                                         2, 0, 0, 0, 0, 0};  // (0,1) c = 1: saturated
    for (auto isa : {kernel_isa::portable, kernel_isa::avx512}) {
        if (isa == kernel_isa::avx512 && !cpu_has_avx512_kernel()) continue;
        const auto r = run_engine(p, {1, isa}, w, 1, 6, dense_tiling(6, 6), x);
        EXPECT_EQ(r.counters.saturations, 2u);
        EXPECT_EQ(r.num[0], 0);
        EXPECT_EQ(r.num[1], 2 * 6 * 2 + 3 * 6 * 1);  // (0,1): code 2 -> 2*6, x2; (0,0): code 3
        EXPECT_EQ(r.num[2], 0);
    }
    // adc 1: every interior count saturates.
    const auto r1 = run_engine(cfg(2, 2, false, 1, 6, 1), {}, w, 1, 6, dense_tiling(6, 6), x);
    EXPECT_EQ(r1.counters.saturations, 3u);  // c = 1; c = 6 (no, = FS), c = 5 (-> 1 = L); c = 1
}

// ---------------------------------------------------------------------------------------------
// Gain compression (SEMANTICS §8.2)

TEST(GainCompression, ExactCase) {
    // One non-zero cycle (0,0) with c = 100; alpha = 0.01 -> 100 / 2 = 50 -> code 50 at adc 8 / nrow 255.
    cim_params p = cfg(2, 2, false, 1, 255, 8);
    const std::vector<std::int32_t> w(100, 1), x(100, 1);
    EXPECT_EQ(run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x).num[0], 100 * 255);
    p.gain_compression = 0.01;
    const auto r = run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x);
    EXPECT_EQ(r.num[0], 50 * 255);
    // c = 200 (x = 3 on 100 rows gives (0,0) = (0,1) = 100); use 200 rows of x = 1: 200 / 3 -> 67.
    const std::vector<std::int32_t> w2(200, 1), x2(200, 1);
    EXPECT_EQ(run_engine(p, {}, w2, 1, 200, dense_tiling(200, 255), x2).num[0], 67 * 255);
    // Compression hits HCiM-digital cycles in adc mode but not exact digital ones.
    p.hybrid_levels = 3;
    p.digital = digital_mode::adc;
    EXPECT_EQ(run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x).num[0], 50 * 255);
    p.digital = digital_mode::exact;
    EXPECT_EQ(run_engine(p, {}, w, 1, 100, dense_tiling(100, 255), x).num[0], 100 * 255);
}

TEST(GainCompression, ReducesLargeCountsMore) {
    cim_params p = cfg(2, 2, false, 1, 255, 12);
    p.gain_compression = 0.002;
    for (std::size_t rows : {10u, 100u, 250u}) {
        const std::vector<std::int32_t> w(rows, 1), x(rows, 1);
        const auto r = run_engine(p, {}, w, 1, rows, dense_tiling(rows, 255), x);
        const double c = static_cast<double>(rows);
        const double want = c / (1.0 + 0.002 * c);
        EXPECT_NEAR(static_cast<double>(r.num[0]) / static_cast<double>(r.den), want, 255.0 / 4095.0) << rows;
    }
}

// ---------------------------------------------------------------------------------------------
// Cell variation (SEMANTICS §8.2, frozen per die by default)

namespace {

cim_params cell_params() {
    cim_params p = cfg(2, 2, false, 1, 255, 12);
    p.hybrid_levels = 2;  // only (0,0) analog
    p.cell_sigma = 5.0;
    return p;
}

std::vector<std::int64_t> cell_run(const cim_params& p, std::size_t outputs, const stream_key& key,
                                   std::int64_t* den = nullptr) {
    const std::size_t rows = 100;
    const std::vector<std::int32_t> w(outputs * rows, 1), x(rows, 1);
    mvm_engine e(p);
    e.load_weights(w.data(), outputs, rows, dense_tiling(rows, 255));
    std::vector<std::int64_t> out(outputs);
    e.run(x.data(), 1, 0, key, out.data());
    if (den) *den = e.denominator();
    return out;
}

}  // namespace

TEST(CellVariation, SpreadMatchesSigmaTimesSqrtActiveCells) {
    // Count 100 with 100 active cells: error std = 5 % * sqrt(100) = 0.5 counts, across columns and dies.
    const cim_params p = cell_params();
    std::vector<double> v;
    for (std::uint32_t die = 0; die < 4; ++die) {
        stream_key key;
        key.seed = 17;
        key.die = die;
        std::int64_t den = 0;
        for (std::int64_t n : cell_run(p, 1000, key, &den)) v.push_back(static_cast<double>(n) / static_cast<double>(den));
    }
    double mean = 0.0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0.0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
    const double lsb = 255.0 / 4095.0;
    const double want = std::sqrt(0.25 + lsb * lsb / 12.0);
    const double n = static_cast<double>(v.size());
    EXPECT_NEAR(sd, want, 4.0 * want / std::sqrt(2.0 * n));
    EXPECT_NEAR(mean, 100.0, 4.0 * want / std::sqrt(n));
}

TEST(CellVariation, FrozenPerDieUnlessRedrawn) {
    cim_params p = cell_params();
    stream_key key;
    key.seed = 5;
    const auto a = cell_run(p, 64, key);
    EXPECT_EQ(cell_run(p, 64, key), a);  // frozen: the same die gives the same mismatch
    {
        // Same engine, two calls.
        const std::vector<std::int32_t> w(64 * 100, 1), x(100, 1);
        mvm_engine e(p);
        e.load_weights(w.data(), 64, 100, dense_tiling(100, 255));
        std::vector<std::int64_t> o1(64), o2(64);
        e.run(x.data(), 1, 0, key, o1.data());
        e.run(x.data(), 1, 7, key, o2.data());  // other vector index: static mismatch does not change
        EXPECT_EQ(o1, a);
        EXPECT_EQ(o2, a);
    }
    stream_key later = key;
    later.epoch = 1;
    EXPECT_EQ(cell_run(p, 64, later), a);  // the epoch matters only with cell_redraw
    stream_key other_die = key;
    other_die.die = 1;
    EXPECT_NE(cell_run(p, 64, other_die), a);
    p.cell_redraw = true;
    const auto r0 = cell_run(p, 64, key);
    EXPECT_NE(cell_run(p, 64, later), r0);  // redrawn per call (epoch)
    // Not a degenerate test: the mismatch moves most outputs away from the mismatch-free result.
    cim_params clean = cell_params();
    clean.cell_sigma = 0.0;
    const auto ideal = cell_run(clean, 64, key);
    int off = 0;
    for (std::size_t o = 0; o < a.size(); ++o) off += a[o] != ideal[o];
    EXPECT_GT(off, 32);
}

// ---------------------------------------------------------------------------------------------
// Weight-full-bit-parallel (SEMANTICS §8.3, our per-tile scheme)

TEST(WeightBitParallel, HandCaseOneConversionPerTile) {
    // wbit 3 (Qw 3), xbit 2 unsigned (Qx 3), nrow 2: FS_w = 18. adc 4: L' = 7.
    cim_params p = cfg(3, 2, false, 2, 2, 4);
    p.weight_bit_parallel = true;
    const std::vector<std::int32_t> w = {3, -2, 1, 3, -4}, x = {3, 1, 2, 3, 3};
    // Tiles {0,1}: D = 7 -> 49/18 = 2.72 -> 3; {2,3}: D = 11 -> 4.28 -> 4; {4}: D = -12 -> -4.67 -> -5.
    for (auto isa : {kernel_isa::portable, kernel_isa::avx512}) {
        if (isa == kernel_isa::avx512 && !cpu_has_avx512_kernel()) continue;
        const auto r = run_engine(p, {2, isa}, w, 1, 5, dense_tiling(5, 2), repeat(x, 10));
        EXPECT_EQ(r.den, 7);
        for (std::int64_t n : r.num) EXPECT_EQ(n, (3 + 4 - 5) * 18);
        EXPECT_EQ(r.counters.conversions, 30u);  // 10 vectors x 3 tiles
        EXPECT_EQ(r.counters.adc_conversions, 30u);
    }
    // Half-even ties at adc 3 (L' = 3): D = 15 -> 2.5 -> 2, D = 3 -> 0.5 -> 0, D = 9 -> 1.5 -> 2,
    // D = -9 -> -1.5 -> -2. Half-away would give 3 + 1 + 2 - 2.
    p.adc_bits = 3;
    const std::vector<std::int32_t> wt = {3, 3, 1, 0, 3, 0, -3, 0}, xt = {3, 2, 3, 0, 3, 0, 3, 0};
    const auto r = run_engine(p, {}, wt, 1, 8, dense_tiling(8, 2), xt);
    EXPECT_EQ(r.den, 3);
    EXPECT_EQ(r.num[0], (2 + 0 + 2 - 2) * 18);
}

TEST(WeightBitParallel, HighResolutionAdcApproximatesTheDotProduct) {
    std::mt19937_64 g(21);
    for (bool s : {false, true}) {
        cim_params p = cfg(6, 6, s, 3, 64, 12);
        p.weight_bit_parallel = true;
        const std::size_t rows = 200, outputs = 4, vectors = 20;
        const auto w = random_weights(g, outputs * rows, 6);
        // Keep |x| <= Qx so no tile exceeds its full scale.
        const auto x = s ? random_codes(g, vectors * rows, -31, 31) : random_acts(g, vectors * rows, p);
        const auto r = run_engine(p, {}, w, outputs, rows, dense_tiling(rows, 64), x);
        const double qx = s ? 31.0 : 63.0;
        const double fsw = 31.0 * qx * 64.0;
        const double step = fsw / static_cast<double>(r.den);
        for (std::size_t v = 0; v < vectors; ++v) {
            for (std::size_t o = 0; o < outputs; ++o) {
                std::int64_t dot = 0;
                for (std::size_t k = 0; k < rows; ++k) dot += static_cast<std::int64_t>(w[o * rows + k]) * x[v * rows + k];
                const double got = static_cast<double>(r.num[v * outputs + o]) / static_cast<double>(r.den);
                EXPECT_LE(std::abs(got - static_cast<double>(dot)), 4 * 0.5 * step) << "tiles 4, signed " << s;
            }
        }
    }
}

TEST(WeightBitParallel, LargeHighResolutionLayerLoads) {
    // W8A8, nrow 255, 16-bit signed ADC, 130 tiles (33150 rows): |numerator| <= tiles * L' * FS_w =
    // 130 * 32767 * (127 * 255 * 255) = 3.5e13, far below 2^62. load_weights' overflow guard multiplies
    // by L' twice (bound = tiles * L' * nrow * 2^(wbit+xbit+1) * L' = 4.7e18) and rejects the layer.
    cim_params p = cfg(8, 8, false, 1, 255, 16);
    p.weight_bit_parallel = true;
    const std::size_t rows = 130 * 255;
    const std::vector<std::int32_t> w(rows, 1), x(rows, 255);
    mvm_engine e(p);
    ASSERT_NO_THROW(e.load_weights(w.data(), 1, rows, dense_tiling(rows, 255)));
    std::int64_t out = 0;
    e.run(x.data(), 1, 0, {}, &out);
    // Per tile D = 65025 -> rhe(65025 * 32767 / 8258175) = 258.
    EXPECT_EQ(out, 130 * 258 * std::int64_t{8258175});
}

// ---------------------------------------------------------------------------------------------
// Input validation

TEST(Validation, WeightsOutsideTheirRange) {
    mvm_engine e(cfg(3, 3, false, 1, 4, 3));
    const std::vector<std::int32_t> ok = {3, -4, 0, 1};
    EXPECT_NO_THROW(e.load_weights(ok.data(), 1, 4, dense_tiling(4, 4)));  // -2^(wbit-1) is storable
    const std::vector<std::int32_t> hi = {3, 4, 0, 1}, lo = {3, 0, -5, 1};
    const std::string a = data_error_text([&] { e.load_weights(hi.data(), 2, 2, dense_tiling(2, 4)); });
    EXPECT_NE(a.find("weight[0][1] = 4"), std::string::npos) << a;
    const std::string b = data_error_text([&] { e.load_weights(lo.data(), 2, 2, dense_tiling(2, 4)); });
    EXPECT_NE(b.find("weight[1][0] = -5"), std::string::npos) << b;
}

TEST(Validation, ActivationsOutsideTheirRange) {
    const std::vector<std::int32_t> w = {1, 1, 1, 1};
    mvm_engine u(cfg(2, 3, false, 1, 4, 3));
    u.load_weights(w.data(), 1, 4, dense_tiling(4, 4));
    std::vector<std::int64_t> out(2);
    const std::vector<std::int32_t> x1 = {0, 7, 1, 2, 3, 8, 0, 0};
    std::string t = data_error_text([&] { u.run(x1.data(), 2, 0, {}, out.data()); });
    EXPECT_NE(t.find("input[1][1] = 8"), std::string::npos) << t;
    const std::vector<std::int32_t> x2 = {0, -1, 1, 2};
    t = data_error_text([&] { u.run(x2.data(), 1, 0, {}, out.data()); });
    EXPECT_NE(t.find("= -1"), std::string::npos) << t;

    mvm_engine s(cfg(2, 3, true, 1, 4, 3));
    s.load_weights(w.data(), 1, 4, dense_tiling(4, 4));
    const std::vector<std::int32_t> ok = {-4, 3, 0, -1};
    EXPECT_NO_THROW(s.run(ok.data(), 1, 0, {}, out.data()));
    const std::vector<std::int32_t> x3 = {-5, 3, 0, -1};
    t = data_error_text([&] { s.run(x3.data(), 1, 0, {}, out.data()); });
    EXPECT_NE(t.find("input[0][0] = -5"), std::string::npos) << t;
    const std::vector<std::int32_t> x4 = {0, 4, 0, 0};
    t = data_error_text([&] { s.run(x4.data(), 1, 0, {}, out.data()); });
    EXPECT_NE(t.find("= 4"), std::string::npos) << t;
}

TEST(Validation, BadTiles) {
    mvm_engine e(cfg(2, 2, false, 1, 4, 2));
    const std::vector<std::int32_t> w(10, 1);
    auto load = [&](std::vector<row_tile> t) {
        return parameter_error_name([&] { e.load_weights(w.data(), 1, 10, std::move(t)); });
    };
    EXPECT_EQ(load({{0, 4}, {4, 8}, {8, 10}}), "<no parameter_error>");
    EXPECT_EQ(load({{0, 4}, {6, 8}}), "<no parameter_error>");  // rows 4, 5, 8, 9 unused is legal
    EXPECT_EQ(load({{0, 4}, {3, 7}}), "tiles[1] = [3, 7)");      // overlap
    EXPECT_EQ(load({{4, 8}, {0, 4}}), "tiles[1] = [0, 4)");      // unsorted
    EXPECT_EQ(load({{0, 4}, {8, 11}}), "tiles[1] = [8, 11)");    // beyond rows
    EXPECT_EQ(load({{0, 5}}), "tiles[0] = [0, 5)");              // more rows than row_parallelism
    EXPECT_EQ(load({{3, 3}}), "tiles[0] = [3, 3)");              // empty
    EXPECT_EQ(load({}), "tiles = 0");
}

TEST(Validation, ShapesAndOrder) {
    mvm_engine e(cfg(2, 2, false, 1, 4, 2));
    const std::vector<std::int32_t> w(8, 1), x(8, 1);
    std::vector<std::int64_t> out(4);
    const std::string t = data_error_text([&] { e.run(x.data(), 1, 0, {}, out.data()); });
    EXPECT_NE(t.find("load_weights"), std::string::npos) << t;  // run before load_weights
    EXPECT_EQ(parameter_error_name([&] { e.load_weights(w.data(), 0, 8, dense_tiling(8, 4)); }), "outputs = 0");
    EXPECT_EQ(parameter_error_name([&] { e.load_weights(w.data(), 1, 0, {{0, 1}}); }), "rows = 0");
    // Invalid configurations never build an engine.
    cim_params bad = cfg(2, 2, false, 3, 4, 2);
    EXPECT_EQ(parameter_error_name([&] { mvm_engine x2(bad); }), "act_enc = 3");
    EXPECT_EQ(parameter_error_name([&] { mvm_engine x2(cfg(2, 2, false, 1, 4, 2), {0, kernel_isa::portable}); }),
              "threads = 0");
    if (cpu_has_avx512_kernel()) {
        EXPECT_NO_THROW(mvm_engine(cfg(2, 2, false, 1, 4, 2), {1, kernel_isa::avx512}));
    } else {
        EXPECT_EQ(parameter_error_name([&] { mvm_engine x2(cfg(2, 2, false, 1, 4, 2), {1, kernel_isa::avx512}); }),
                  "isa = avx512");
    }
    // Zero vectors is a no-op.
    e.load_weights(w.data(), 2, 4, dense_tiling(4, 4));
    EXPECT_NO_THROW(e.run(x.data(), 0, 0, {}, out.data()));
    EXPECT_EQ(e.counters().conversions, 0u);
    // Accessors describe the loaded layer.
    EXPECT_EQ(e.outputs(), 2u);
    EXPECT_EQ(e.rows(), 4u);
    EXPECT_EQ(e.tiles().size(), 1u);
    EXPECT_EQ(e.params().wbit, 2);
    EXPECT_EQ(e.plan().act_cycles(), 2);
}

TEST(Validation, AccumulatorOverflowGuard) {
    // 16-bit weights and activations, 16-bit ADC, nrow 65536: even one tile could exceed 2^62.
    cim_params p = cfg(16, 16, false, 1, 1 << 16, 16);
    mvm_engine e(p);
    const std::vector<std::int32_t> w(1 << 16, 1);
    EXPECT_EQ(parameter_error_name([&] { e.load_weights(w.data(), 1, w.size(), dense_tiling(w.size(), 1 << 16)); }),
              "rows = 65536");
}
