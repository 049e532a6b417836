// Static mismatch (docs/models.md): column gain/offset, SAR capacitor DNL, flash threshold spread and
// comparator offset. Off is bit-identical to the ideal ADC; on, every conversion the engine makes
// equals the analytic transfer of its column and ADC; the draws are keyed by physical instance,
// frozen per die, and independent of threads, batch splits and kernels; the frame path equals the
// engine bit for bit.
#include <acim/core/error.hpp>
#include <acim/core/frame_ops.hpp>
#include <acim/core/mismatch.hpp>

#include "engine_test_util.hpp"

#include <boost/math/distributions/normal.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

int pick(std::mt19937_64& g, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
bool coin(std::mt19937_64& g, double p = 0.5) { return std::bernoulli_distribution(p)(g); }

// Records every conversion of a run.
struct recorder : conversion_sink {
    std::vector<conversion_event> events;
    void on_conversion(const conversion_event& e) override { events.push_back(e); }
};

// A layer whose column o * wbit + 0 sees the count c = (number of ones in x) for every vector:
// weights all +1 (bit 0 set, sign bit clear), 1-bit activations, one tile of `nrow` rows, and one
// vector per count 0..nrow.
struct sweep {
    cim_params p;
    std::size_t outputs = 4, rows = 0;
    std::vector<std::int32_t> w, x;
};

sweep count_sweep(cim_params p, std::size_t outputs) {
    sweep s;
    p.wbit = 2;
    p.xbit = 1;
    p.act_enc = 1;
    p.signed_act = false;
    s.p = p;
    s.outputs = outputs;
    s.rows = static_cast<std::size_t>(p.row_parallelism);
    s.w.assign(outputs * s.rows, 1);
    for (std::size_t c = 0; c <= s.rows; ++c)
        for (std::size_t r = 0; r < s.rows; ++r) s.x.push_back(r < c ? 1 : 0);
    return s;
}

// Codes [output][count] of the bit-0 columns, through the engine's sink.
std::vector<std::vector<std::int32_t>> measure(const sweep& s, const stream_key& key) {
    recorder rec;
    acim::test::run_engine(s.p, {1, kernel_isa::portable}, s.w, s.outputs, s.rows, {{0, s.rows}}, s.x, key, &rec);
    std::vector<std::vector<std::int32_t>> codes(s.outputs, std::vector<std::int32_t>(s.rows + 1, -1));
    for (const conversion_event& e : rec.events) {
        if (e.i != 0) continue;
        EXPECT_EQ(e.ideal, static_cast<std::int64_t>(e.vector));
        codes[e.output][static_cast<std::size_t>(e.ideal)] = e.code;
    }
    return codes;
}

// The code #{k : x >= E_k} of a clamped value against thresholds E (any order).
std::int32_t count_reached(const std::vector<double>& e, double x) {
    std::int32_t n = 0;
    for (const double t : e) n += x >= t;
    return n;
}

struct layer {
    cim_params p;
    std::size_t outputs = 1, rows = 1, vectors = 1;
    std::vector<row_tile> tiles;
    std::vector<std::int32_t> w, x;
    stream_key key;
    std::uint64_t first_vector = 0;
};

// A random layer with static mismatch on (and noise, HCiM, voting, bit-parallel, cell variation mixed in).
layer random_mismatch_layer(std::uint64_t seed) {
    std::mt19937_64 g(seed);
    layer l;
    cim_params& p = l.p;
    p.wbit = pick(g, 2, 6);
    p.signed_act = coin(g, 0.3);
    p.xbit = pick(g, p.signed_act ? 2 : 1, 6);
    p.act_enc = coin(g, 0.6) ? 1 : pick(g, 1, std::max(1, std::min(3, p.signed_act ? p.xbit - 1 : p.xbit)));
    p.row_parallelism = coin(g, 0.3) ? 255 : pick(g, 3, 100);
    p.adc_bits = pick(g, 2, 8);
    const cycle_plan probe(p);
    const int levels = p.wbit + probe.act_cycles() - 1;
    if (coin(g, 0.35)) {
        p.hybrid_levels = pick(g, 1, std::min(levels, 3));
        p.digital = coin(g) ? digital_mode::exact : digital_mode::adc;
    }
    if (coin(g, 0.3)) {
        p.voting_levels = pick(g, 1, std::min(levels, 4));
        p.voting_samples = pick(g, 2, 5);
        p.vote = coin(g) ? vote_rule::mode_min : vote_rule::median;
    }
    if (coin(g, 0.6)) p.sigma_rand = 0.1 * pick(g, 1, 20);
    if (coin(g, 0.3)) p.sigma_nl = 0.2 * pick(g, 1, 10);
    if (coin(g, 0.1)) p.cell_sigma = 0.5 * pick(g, 1, 4);
    p.adc_arch = static_cast<adc_architecture>(pick(g, 0, 2));
    p.adcs = coin(g) ? 0 : pick(g, 1, 16);
    if (coin(g, 0.5)) p.sigma_col_gain = 0.5 * pick(g, 1, 10);
    if (coin(g, 0.5)) p.sigma_col_offset = 0.2 * pick(g, 1, 10);
    if (p.adc_arch != adc_architecture::ideal && coin(g, 0.5)) p.sigma_cmp_offset = 0.2 * pick(g, 1, 10);
    if (p.adc_arch == adc_architecture::sar) p.sigma_sar_cap = 2.0 * pick(g, 1, 10);
    if (p.adc_arch == adc_architecture::flash) p.sigma_flash_th = 0.2 * pick(g, 1, 10);
    if (!p.mismatch()) p.sigma_col_offset = 0.5;
    l.outputs = static_cast<std::size_t>(pick(g, 1, 6));
    l.rows = static_cast<std::size_t>(pick(g, 1, 2 * p.row_parallelism + 5));
    l.vectors = static_cast<std::size_t>(pick(g, 1, 30));
    l.tiles = dense_tiling(l.rows, p.row_parallelism);
    l.key.seed = g();
    l.key.die = static_cast<std::uint32_t>(pick(g, 0, 3));
    l.key.macro = static_cast<std::uint32_t>(pick(g, 0, 3));
    l.key.layer = static_cast<std::uint32_t>(pick(g, 0, 10));
    l.key.column_base = static_cast<std::uint32_t>(pick(g, 0, 500));
    l.first_vector = coin(g) ? 0 : g() % 1000;
    const int wlo = -(1 << (p.wbit - 1)), whi = (1 << (p.wbit - 1)) - 1;
    const int xlo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
    const int xhi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
    l.w.resize(l.outputs * l.rows);
    for (auto& v : l.w) v = pick(g, wlo, whi);
    l.x.resize(l.vectors * l.rows);
    for (auto& v : l.x) v = coin(g, 0.3) ? xhi : pick(g, xlo, xhi);
    return l;
}

std::vector<std::int64_t> engine_out(const layer& l, engine_options opt, engine_counters* cnt = nullptr) {
    mvm_engine e(l.p, opt);
    e.load_weights(l.w.data(), l.outputs, l.rows, l.tiles);
    std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
    e.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
    if (cnt) *cnt = e.counters();
    return out;
}

template <class F>
void expect_parameter_error(const cim_params& p, const std::string& field, F&& f) {
    try {
        f(p);
        ADD_FAILURE() << "no parameter_error for " << field;
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.name(), field) << e.what();
    }
}

}  // namespace

TEST(mismatch, off_is_bit_identical_for_every_architecture_and_adc_count) {
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        layer l = random_mismatch_layer(seed);
        l.p.sigma_col_gain = l.p.sigma_col_offset = l.p.sigma_cmp_offset = l.p.sigma_sar_cap = l.p.sigma_flash_th = 0.0;
        ASSERT_FALSE(l.p.mismatch());
        layer base = l;
        base.p.adc_arch = adc_architecture::ideal;
        base.p.adcs = 0;
        engine_counters c0, c1;
        const auto ref = engine_out(base, {1, kernel_isa::automatic}, &c0);
        const auto got = engine_out(l, {1, kernel_isa::automatic}, &c1);
        ASSERT_EQ(got, ref) << "seed " << seed << ": " << l.p.describe();
        EXPECT_TRUE(c0 == c1);
    }
}

TEST(mismatch, ideal_thresholds_reproduce_the_integer_adc_except_at_exact_ties) {
    // The threshold form of the ideal ADC, x >= (k - 1/2) / L, is rhe except that a tie rounds up.
    for (const std::int64_t fs : {4, 6, 12, 255, 256, 765}) {
        for (const int bits : {1, 2, 3, 8}) {
            adc_model m;
            m.top = (std::int64_t{1} << bits) - 1;
            static_transfer st;
            st.thresholds = std::make_shared<const std::vector<double>>(ideal_thresholds(m.top));
            const conversion_table t(fs, m, false, &st);
            int ties = 0;
            for (std::int64_t c = 0; c <= fs; ++c) {
                const bool tie = 2 * ((c * m.top) % fs) == fs;
                const std::int64_t want = ideal_code(c, fs, m.top);
                if (tie) {
                    ++ties;
                    EXPECT_EQ(t.code(c), (c * m.top) / fs + 1) << "fs " << fs << " bits " << bits << " c " << c;
                } else {
                    EXPECT_EQ(t.code(c), want) << "fs " << fs << " bits " << bits << " c " << c;
                }
            }
            if (fs == 4 && bits == 1) {
                EXPECT_GT(ties, 0);  // the tie rule was exercised
            }
        }
    }
}

TEST(mismatch, sar_capacitor_mismatch_gives_the_analytic_dnl_and_inl) {
    cim_params p;
    p.adc_arch = adc_architecture::sar;
    p.adc_bits = 6;
    p.row_parallelism = 1023;
    p.sigma_sar_cap = 6.0;  // % of a unit capacitor: the MSB is off by about 0.34 LSB
    stream_key key;
    key.seed = 77;
    key.die = 3;
    const sweep s = count_sweep(p, 8);
    const auto codes = measure(s, key);
    const double L = 63.0, fs = 1023.0;
    int checked = 0;
    double max_dnl = 0.0;
    for (std::size_t o = 0; o < s.outputs; ++o) {
        const std::uint64_t adc = adc_of(s.p, physical_column(key, o * 2));
        const adc_mismatch am = draw_adc_mismatch(s.p, key, adc);
        ASSERT_EQ(am.cap_error.size(), 6u);
        // Every measured code is the binary search over the capacitor DAC of this ADC.
        for (std::size_t c = 0; c <= s.rows; ++c)
            ASSERT_EQ(codes[o][c], sar_search(am.raw, 6, static_cast<double>(c) / fs)) << "output " << o << " count " << c;
        // Analytic transitions T(k) = (sum_b k_b 2^b (1 + eps_b) - 1/2) / L, valid for a monotone DAC.
        std::vector<double> t(63);
        bool monotone = true;
        for (int k = 1; k <= 63; ++k) {
            double dac = 0.0;
            for (int b = 0; b < 6; ++b)
                if ((k >> b) & 1) dac += std::ldexp(1.0, b) * (1.0 + am.cap_error[static_cast<std::size_t>(b)]);
            t[static_cast<std::size_t>(k - 1)] = (dac - 0.5) / L;
            if (k > 1 && t[static_cast<std::size_t>(k - 1)] <= t[static_cast<std::size_t>(k - 2)]) monotone = false;
        }
        if (!monotone) continue;
        // Measured transitions: the first count whose code reaches k (resolution 1/FS = 0.06 LSB).
        std::vector<double> e(63, 2.0);
        for (int k = 1; k <= 63; ++k)
            for (std::size_t c = 0; c <= s.rows; ++c)
                if (codes[o][c] >= k) {
                    e[static_cast<std::size_t>(k - 1)] = static_cast<double>(c) / fs;
                    break;
                }
        const double res = L / fs;  // LSB per count
        for (int k = 1; k < 62; ++k) {  // transitions inside the sampled range
            const auto ki = static_cast<std::size_t>(k - 1);
            if (t[ki] <= 0.0 || t[ki + 1] >= 1.0) continue;
            const double inl_a = t[ki] * L - (k - 0.5), inl_m = e[ki] * L - (k - 0.5);
            const double dnl_a = (t[ki + 1] - t[ki]) * L - 1.0, dnl_m = (e[ki + 1] - e[ki]) * L - 1.0;
            EXPECT_NEAR(inl_m, inl_a, res + 1e-9) << "output " << o << " k " << k;
            EXPECT_NEAR(dnl_m, dnl_a, 2 * res + 1e-9) << "output " << o << " k " << k;
            max_dnl = std::max(max_dnl, std::abs(dnl_a));
        }
        ++checked;
    }
    EXPECT_GE(checked, 4);
    EXPECT_GT(max_dnl, 0.2);  // the mismatch is visible: the test can fail
}

TEST(mismatch, sar_effective_thresholds_equal_the_binary_search_even_with_missing_codes) {
    cim_params p;
    p.adc_arch = adc_architecture::sar;
    p.adc_bits = 5;
    p.sigma_sar_cap = 60.0;  // large: non-monotone DAC, missing codes
    int nonmonotone = 0;
    std::mt19937_64 g(5);
    std::uniform_real_distribution<double> u(-0.1, 1.1);
    for (std::uint64_t a = 0; a < 40; ++a) {
        const adc_mismatch am = draw_adc_mismatch(p, stream_key{}, a);
        const std::vector<double>& e = *am.thresholds;
        ASSERT_TRUE(std::is_sorted(e.begin(), e.end()));
        nonmonotone += !std::is_sorted(am.raw.begin(), am.raw.end());
        for (int n = 0; n < 2000; ++n) {
            const double x = u(g);
            ASSERT_EQ(count_reached(e, x), sar_search(am.raw, 5, x)) << "adc " << a << " x " << x;
        }
        for (const double x : am.raw) ASSERT_EQ(count_reached(e, x), sar_search(am.raw, 5, x));
    }
    EXPECT_GT(nonmonotone, 5);
}

TEST(mismatch, flash_threshold_spread_has_the_configured_statistics) {
    cim_params p;
    p.adc_arch = adc_architecture::flash;
    p.adc_bits = 4;
    p.sigma_flash_th = 2.0;  // % of full scale
    const double L = 15.0, sigma = 0.02;
    double sum = 0.0, sum2 = 0.0;
    std::size_t n = 0;
    int bubbles = 0;
    const std::size_t adcs = 2000;
    for (std::uint64_t a = 0; a < adcs; ++a) {
        const adc_mismatch am = draw_adc_mismatch(p, stream_key{}, a);
        ASSERT_EQ(am.raw.size(), 15u);
        for (int k = 1; k <= 15; ++k) {
            const double d = am.raw[static_cast<std::size_t>(k - 1)] - (k - 0.5) / L;
            sum += d;
            sum2 += d * d;
            ++n;
        }
        bubbles += !std::is_sorted(am.raw.begin(), am.raw.end());
        // Thermometer decoding: the code counts the comparators that fire, bubbles or not.
        std::vector<double> e(am.raw);
        std::sort(e.begin(), e.end());
        ASSERT_EQ(e, *am.thresholds);
    }
    const double nn = static_cast<double>(n);
    const double mean = sum / nn, sd = std::sqrt(sum2 / nn - mean * mean);
    EXPECT_NEAR(mean, 0.0, 4.0 * sigma / std::sqrt(nn));
    EXPECT_NEAR(sd, sigma, 4.0 * sigma / std::sqrt(2.0 * nn));
    EXPECT_GT(bubbles, 10);  // sigma = 0.3 LSB: neighbours cross now and then

    // Through the engine: every code counts the raw comparators of its ADC that fire.
    p.row_parallelism = 255;
    p.adcs = 3;
    stream_key key;
    key.seed = 9;
    const sweep s = count_sweep(p, 6);
    const auto codes = measure(s, key);
    int moved = 0;
    for (std::size_t o = 0; o < s.outputs; ++o) {
        const adc_mismatch am = draw_adc_mismatch(s.p, key, adc_of(s.p, physical_column(key, o * 2)));
        for (std::size_t c = 0; c <= s.rows; ++c) {
            const double v = static_cast<double>(c) / 255.0;
            ASSERT_EQ(codes[o][c], count_reached(am.raw, v)) << "output " << o << " count " << c;
            moved += codes[o][c] != ideal_code(static_cast<std::int64_t>(c), 255, 15);
        }
    }
    EXPECT_GT(moved, 20);
}

TEST(mismatch, comparator_offset_shifts_every_threshold_of_its_adc) {
    for (const adc_architecture arch : {adc_architecture::sar, adc_architecture::flash}) {
        cim_params p;
        p.adc_arch = arch;
        p.adc_bits = 4;
        p.row_parallelism = 255;
        p.sigma_cmp_offset = 3.0;  // % FS, about 0.45 LSB
        p.adcs = 2;                // outputs 0, 1, 2, 3: bit-0 columns 0, 2, 4, 6 all on ADC 0
        stream_key key;
        key.seed = 1234;
        key.column_base = 1;  // logical: keeps temporal streams apart, never moves a column to another ADC
        const sweep s = count_sweep(p, 4);
        const auto codes = measure(s, key);
        stream_key key0 = key;
        key0.column_base = 0;
        EXPECT_EQ(measure(s, key0), codes) << "COLUMN_BASE does not change a column's silicon";
        const double off = draw_adc_mismatch(s.p, key, 0).comparator_offset;
        EXPECT_NE(off, 0.0);
        EXPECT_NE(off, draw_adc_mismatch(s.p, key, 1).comparator_offset);
        int moved = 0;
        for (std::size_t o = 0; o < s.outputs; ++o) {
            EXPECT_EQ(codes[o], codes[0]) << "columns on one ADC share its thresholds";
            for (std::size_t c = 0; c <= s.rows; ++c) {
                const double v = static_cast<double>(c) / 255.0;
                std::int32_t want = 0;
                for (int k = 1; k <= 15; ++k) want += v >= (k - 0.5) / 15.0 + off;
                ASSERT_EQ(codes[o][c], want) << to_string(arch) << " output " << o << " count " << c;
                moved += want != ideal_code(static_cast<std::int64_t>(c), 255, 15);
            }
        }
        EXPECT_GT(moved, 10) << to_string(arch);
    }
}

TEST(mismatch, column_gain_and_offset_scale_and_shift_the_analog_value) {
    cim_params p;
    p.adc_arch = adc_architecture::ideal;
    p.adc_bits = 5;
    p.row_parallelism = 255;
    p.sigma_col_gain = 4.0;
    p.sigma_col_offset = 1.5;
    stream_key key;
    key.seed = 4321;
    key.column_base = 40;
    const sweep s = count_sweep(p, 6);
    const auto codes = measure(s, key);
    int moved = 0;
    std::vector<double> gains;
    for (std::size_t o = 0; o < s.outputs; ++o) {
        const column_mismatch cm = draw_column_mismatch(s.p, key, o * 2);  // physical column, not COLUMN_BASE
        gains.push_back(cm.gain);
        for (std::size_t c = 0; c <= s.rows; ++c) {
            const double v = std::clamp((1.0 + cm.gain) * (static_cast<double>(c) / 255.0) + cm.offset, 0.0, 1.0);
            std::int32_t want = 0;
            for (int k = 1; k <= 31; ++k) want += v >= (k - 0.5) / 31.0;
            ASSERT_EQ(codes[o][c], want) << "output " << o << " count " << c;
            moved += want != ideal_code(static_cast<std::int64_t>(c), 255, 31);
        }
    }
    EXPECT_GT(moved, 50);
    std::sort(gains.begin(), gains.end());
    EXPECT_EQ(std::unique(gains.begin(), gains.end()), gains.end()) << "each column has its own gain";
}

TEST(mismatch, noisy_codes_follow_the_mismatched_distribution) {
    // P(code >= k | c) = P(clamp(x) >= E_k), x ~ N(v'(c), sigma^2): compare the mean code of many
    // table samples with its analytic value, for a column with gain, offset and a flash ADC.
    cim_params p;
    p.adc_arch = adc_architecture::flash;
    p.adc_bits = 4;
    p.row_parallelism = 255;
    p.sigma_rand = 3.0;
    p.sigma_flash_th = 2.0;
    p.sigma_col_gain = 5.0;
    p.sigma_col_offset = 2.0;
    stream_key key;
    key.seed = 99;
    const mismatch_tables mt(p, 2, key, true, true);
    const conversion_table& t = mt.table(0, 0);
    ASSERT_TRUE(t.noisy());
    ASSERT_TRUE(t.mismatched());
    const column_mismatch cm = draw_column_mismatch(p, key, 0);
    const adc_mismatch am = draw_adc_mismatch(p, key, 0);
    const boost::math::normal_distribution<double> unit;
    const double sigma = 0.03;
    for (const std::int64_t c : {0, 3, 40, 128, 200, 250, 255}) {
        const double mu = (1.0 + cm.gain) * static_cast<double>(c) / 255.0 + cm.offset;
        double mean = 0.0;
        for (const double e : *am.thresholds)
            mean += e <= 0.0 ? 1.0 : e > 1.0 ? 0.0 : boost::math::cdf(boost::math::complement(unit, (e - mu) / sigma));
        const int n = 40000;
        double s = 0.0, s2 = 0.0;
        for (int k = 0; k < n; ++k) {
            const auto q = static_cast<double>(t.sample(c, draw63(0x1234 + static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(k))));
            s += q;
            s2 += q * q;
        }
        const double m = s / n, sd = std::sqrt(std::max(s2 / n - m * m, 1e-12));
        EXPECT_NEAR(m, mean, 5.0 * sd / std::sqrt(double(n)) + 1e-3) << "count " << c;
    }
}

TEST(mismatch, table_sampling_is_the_inverse_cdf_over_the_thresholds_whatever_the_guide_size) {
    // code = #{k : u >= round(2^63 P(x < E_k))} for the 63-bit uniform u, with the clamp rule
    // (E <= 0: always reached, E > 1: never); a small guide table must not change a single code.
    cim_params p;
    p.adc_arch = adc_architecture::sar;
    p.adc_bits = 5;
    p.sigma_sar_cap = 30.0;
    p.sigma_cmp_offset = 1.0;
    const adc_mismatch am = draw_adc_mismatch(p, stream_key{}, 2);
    adc_model m;
    m.top = 31;
    m.nrow = 100;
    m.sigma_rand = 2.0;
    m.sigma_nl = 3.0;
    static_transfer st;
    st.gain = 0.03;
    st.offset = -0.01;
    st.thresholds = am.thresholds;
    const conversion_table big(100, m, true, &st);
    st.max_guide_entries = 64;
    const conversion_table small(100, m, true, &st);
    ASSERT_FALSE(big.direct());
    ASSERT_LT(small.guide_bits(), big.guide_bits());
    // round(2^63 Phi(x)), from the lower tail for x <= 0 and the upper one above (as the table).
    const auto threshold = [&](double x) {
        if (x <= 0.0) return static_cast<std::uint64_t>(std::llround(std::ldexp(0.5 * std::erfc(-x / std::sqrt(2.0)), 63)));
        const double q = 0.5 * std::erfc(x / std::sqrt(2.0));
        return conversion_table::u_end - static_cast<std::uint64_t>(std::llround(std::ldexp(q, 63)));
    };
    std::mt19937_64 g(17);
    int moved = 0;
    for (std::int64_t c = 0; c <= 100; c += 3) {
        const double v = static_cast<double>(c) / 100.0;
        const double mu = st.apply(v), sigma = noise_sigma(v, 2.0, 3.0, 100);
        std::vector<std::uint64_t> ts;
        for (const double e : *am.thresholds)
            ts.push_back(e <= 0.0 ? 0 : e > 1.0 ? conversion_table::u_end : threshold((e - mu) / sigma));
        for (int n = 0; n < 3000; ++n) {
            const std::uint64_t u = g() >> 1;
            std::int32_t want = 0;
            for (const std::uint64_t t : ts) want += u >= t;
            ASSERT_EQ(big.sample(c, u), want) << "count " << c << " u " << u;
            ASSERT_EQ(small.sample(c, u), want) << "count " << c << " u " << u;
            moved += want != big.code(c);
        }
    }
    EXPECT_GT(moved, 1000);  // noisy enough that the lookups matter
}

TEST(mismatch, draws_are_frozen_per_die_and_keyed_by_physical_instance) {
    cim_params p;
    p.adc_arch = adc_architecture::sar;
    p.sigma_sar_cap = 5.0;
    p.sigma_cmp_offset = 1.0;
    p.sigma_col_gain = 2.0;
    stream_key a;
    a.seed = 5;
    a.die = 1;
    stream_key b = a;
    b.layer = 7;    // temporal fields do not move static mismatch
    b.epoch = 3;
    stream_key d = a;
    d.die = 2;
    stream_key m = a;
    m.macro = 1;
    EXPECT_EQ(draw_adc_mismatch(p, a, 4).raw, draw_adc_mismatch(p, b, 4).raw);
    EXPECT_EQ(draw_column_mismatch(p, a, 9).gain, draw_column_mismatch(p, b, 9).gain);
    EXPECT_NE(draw_adc_mismatch(p, a, 4).raw, draw_adc_mismatch(p, d, 4).raw);
    EXPECT_NE(draw_adc_mismatch(p, a, 4).raw, draw_adc_mismatch(p, m, 4).raw);
    EXPECT_NE(draw_adc_mismatch(p, a, 4).raw, draw_adc_mismatch(p, a, 5).raw);
    EXPECT_NE(draw_column_mismatch(p, a, 9).gain, draw_column_mismatch(p, d, 9).gain);
    EXPECT_NE(draw_column_mismatch(p, a, 9).gain, draw_column_mismatch(p, a, 10).gain);
    // A column's mismatch follows its physical SRAM column; the logical COLUMN_BASE does not enter.
    stream_key shifted = a;
    shifted.column_base = 3;
    EXPECT_EQ(physical_column(shifted, 2), 2u);
}

TEST(mismatch, results_do_not_depend_on_threads_batch_split_or_kernel) {
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const layer l = random_mismatch_layer(seed);
        engine_counters c1;
        const auto ref = engine_out(l, {1, kernel_isa::portable}, &c1);
        for (const int threads : {1, 3}) {
            for (const kernel_isa isa : {kernel_isa::portable, kernel_isa::automatic}) {
                engine_counters c2;
                ASSERT_EQ(engine_out(l, {threads, isa}, &c2), ref) << "seed " << seed << " threads " << threads;
                EXPECT_TRUE(c2 == c1);
            }
        }
        // Two calls with their global vector indices equal one call.
        if (l.vectors > 1) {
            mvm_engine e(l.p, {2, kernel_isa::automatic});
            e.load_weights(l.w.data(), l.outputs, l.rows, l.tiles);
            const std::size_t cut = l.vectors / 2;
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            e.run(l.x.data(), cut, l.first_vector, l.key, out.data());
            e.run(l.x.data() + cut * l.rows, l.vectors - cut, l.first_vector + cut, l.key, out.data() + cut * l.outputs);
            ASSERT_EQ(out, ref) << "seed " << seed;
        }
    }
}

TEST(mismatch, wide_noisy_windows_sample_directly_on_every_kernel) {
    // 13-bit ADC, sigma 10 % of FS: code windows wider than 4096 codes sample Phi^-1(u) directly;
    // the AVX-512 engine then falls back to the portable kernel and the frame path to its loops.
    layer l = random_mismatch_layer(3);
    l.p.adc_bits = 13;
    l.p.sigma_rand = 10.0;
    l.p.sigma_nl = 0.0;
    l.p.cell_sigma = 0.0;
    l.p.hybrid_levels = l.p.voting_levels = 0;
    l.p.voting_samples = 1;
    l.p.sigma_col_gain = 1.0;
    const mismatch_tables t(l.p, l.outputs * static_cast<std::size_t>(l.p.wbit), l.key, true, false);
    ASSERT_TRUE(t.any_direct());
    engine_counters c1;
    const auto ref = engine_out(l, {1, kernel_isa::portable}, &c1);
    EXPECT_EQ(engine_out(l, {2, kernel_isa::automatic}), ref);
    std::vector<kernel_isa> isas{kernel_isa::portable};
    if (cpu_has_avx512_kernel()) isas.push_back(kernel_isa::avx512);
    for (const kernel_isa isa : isas) {
        frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, 8, isa);
        std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
        fp.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
        EXPECT_EQ(out, ref);
    }
}

TEST(mismatch, a_different_die_gives_different_numbers) {
    int differ = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        layer l = random_mismatch_layer(seed);
        l.p.sigma_rand = l.p.sigma_nl = 0.0;  // the difference comes from mismatch alone
        l.p.cell_sigma = 0.0;
        l.p.sigma_col_offset = 5.0;  // visible at any ADC resolution
        const auto a = engine_out(l, {1, kernel_isa::automatic});
        l.key.die += 1;
        const auto b = engine_out(l, {1, kernel_isa::automatic});
        differ += a != b;
        l.key.die -= 1;
        l.key.layer += 1;  // the temporal key alone changes nothing without noise
        EXPECT_EQ(engine_out(l, {1, kernel_isa::automatic}), a) << "seed " << seed;
    }
    EXPECT_GE(differ, 18);
}

TEST(mismatch, frame_path_equals_the_engine_with_mismatch_on) {
    int digital_adc = 0, voted = 0, noisy = 0;
    for (std::uint64_t seed = 100; seed <= 260; ++seed) {
        const layer l = random_mismatch_layer(seed);
        engine_counters ref_cnt;
        const auto ref = engine_out(l, {1, kernel_isa::portable}, &ref_cnt);
        digital_adc += l.p.hybrid_levels > 0 && l.p.digital == digital_mode::adc;
        voted += l.p.voting_levels > 0;
        noisy += l.p.sigma_rand > 0.0 || l.p.sigma_nl > 0.0;
        std::vector<kernel_isa> isas{kernel_isa::portable};
        if (cpu_has_avx512_kernel()) isas.push_back(kernel_isa::avx512);
        for (const kernel_isa isa : isas) {
            const std::size_t fv = std::vector<std::size_t>{1, 7, 16, 64}[seed % 4];
            frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, fv, isa);
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            fp.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
            ASSERT_EQ(out, ref) << "seed " << seed << " frame_vectors " << fv << ": " << l.p.describe();
            EXPECT_TRUE(fp.counters() == ref_cnt) << "seed " << seed;
        }
    }
    EXPECT_GT(digital_adc, 5);
    EXPECT_GT(voted, 10);
    EXPECT_GT(noisy, 40);
}

TEST(mismatch, columns_on_one_adc_share_tables) {
    cim_params p;
    p.adc_arch = adc_architecture::flash;
    p.sigma_flash_th = 1.0;
    p.adcs = 4;
    p.wbit = 4;
    p.xbit = 4;
    const mismatch_tables t(p, 32, stream_key{}, true, true);
    EXPECT_EQ(t.size(), 4u);  // one activation-cycle full scale, four ADCs, no column mismatch
    EXPECT_EQ(&t.table(1, 0), &t.table(5, 2));
    EXPECT_NE(&t.table(1, 0), &t.table(2, 0));
    p.sigma_col_gain = 1.0;
    const mismatch_tables u(p, 32, stream_key{}, true, true);
    EXPECT_EQ(u.size(), 32u);
}

TEST(mismatch, bad_parameters_name_their_field) {
    const auto validate = [](const cim_params& q) { q.validate(); };
    cim_params p;
    p.adc_arch = adc_architecture::sar;
    for (const char* f : {"sigma_col_gain", "sigma_col_offset", "sigma_cmp_offset", "sigma_sar_cap"}) {
        cim_params q = p;
        double& v = std::string(f) == "sigma_col_gain"     ? q.sigma_col_gain
                    : std::string(f) == "sigma_col_offset" ? q.sigma_col_offset
                    : std::string(f) == "sigma_cmp_offset" ? q.sigma_cmp_offset
                                                           : q.sigma_sar_cap;
        v = -1.0;
        expect_parameter_error(q, f, validate);
        v = std::nan("");
        expect_parameter_error(q, f, validate);
    }
    cim_params q;
    q.sigma_sar_cap = 1.0;  // the ideal ADC has no capacitor array
    expect_parameter_error(q, "sigma_sar_cap", validate);
    q = cim_params{};
    q.adc_arch = adc_architecture::sar;
    q.sigma_flash_th = 1.0;
    expect_parameter_error(q, "sigma_flash_th", validate);
    q = cim_params{};
    q.sigma_cmp_offset = 1.0;
    expect_parameter_error(q, "sigma_cmp_offset", validate);
    q = cim_params{};
    q.adcs = -1;
    expect_parameter_error(q, "adcs", validate);
    q = cim_params{};
    q.adc_arch = static_cast<adc_architecture>(7);
    expect_parameter_error(q, "adc_arch", validate);
    q = cim_params{};
    q.weight_bit_parallel = true;
    q.sigma_col_offset = 1.0;
    expect_parameter_error(q, "sigma_col_offset", validate);
    // The engine and the frame path validate on construction.
    q = cim_params{};
    q.sigma_flash_th = 0.5;
    expect_parameter_error(q, "sigma_flash_th", [](const cim_params& r) { mvm_engine e(r); });
    expect_parameter_error(q, "sigma_flash_th",
                           [](const cim_params& r) { frame_plan f(r, 1, 4, {{0, 4}}); });
}
