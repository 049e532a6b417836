// The frame operations (wordline drive, bitline counts, ADC bank, HCiM digital unit, shift-add)
// composed over every tile and activation cycle equal mvm_engine::run bit for bit, numerators and
// counters, for random configurations: bit-serial and bit-parallel, signed and unsigned, HCiM in
// both digital modes, voting by mode and median, noise, gain compression, cell variation, partial
// and gapped tiles, and any split of the vectors into frames or order of the frames. Each single
// operation is also checked against its definition.
#include <acim/core/error.hpp>
#include <acim/core/frame_ops.hpp>

#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

struct layer {
    cim_params p;
    std::size_t outputs = 1, rows = 1, vectors = 1;
    std::vector<row_tile> tiles;
    std::vector<std::int32_t> w, x;
    stream_key key;
    std::uint64_t first_vector = 0;
};

int pick(std::mt19937_64& g, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
bool coin(std::mt19937_64& g, double p = 0.5) { return std::bernoulli_distribution(p)(g); }

// Random codes over the full ranges, with runs of zeros and of extremes so that saturation and
// empty rows occur.
void fill_data(layer& l, std::mt19937_64& g) {
    const cim_params& p = l.p;
    const int wlo = -(1 << (p.wbit - 1)), whi = (1 << (p.wbit - 1)) - 1;
    const int xlo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
    const int xhi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
    l.w.resize(l.outputs * l.rows);
    for (auto& v : l.w) v = pick(g, wlo, whi);
    l.x.resize(l.vectors * l.rows);
    for (std::size_t v = 0; v < l.vectors; ++v) {
        const int style = pick(g, 0, 3);
        for (std::size_t r = 0; r < l.rows; ++r) {
            std::int32_t& c = l.x[v * l.rows + r];
            switch (style) {
            case 0: c = pick(g, xlo, xhi); break;
            case 1: c = coin(g, 0.8) ? xhi : pick(g, xlo, xhi); break;  // near full scale: saturation
            case 2: c = coin(g, 0.7) ? 0 : pick(g, xlo, xhi); break;     // sparse
            default: c = coin(g) ? xlo : xhi; break;
            }
        }
    }
}

layer random_layer(std::uint64_t seed) {
    std::mt19937_64 g(seed);
    layer l;
    cim_params& p = l.p;
    p.wbit = pick(g, 2, 9);
    p.signed_act = coin(g, 0.35);
    p.xbit = pick(g, p.signed_act ? 2 : 1, 9);
    p.act_enc = coin(g, 0.5) ? 1 : pick(g, 1, std::max(1, std::min(4, p.signed_act ? p.xbit - 1 : p.xbit)));
    p.row_parallelism = coin(g, 0.3) ? 255 : pick(g, 3, 140);
    p.adc_bits = pick(g, 2, 9);
    const cycle_plan probe(p);
    const int levels = p.wbit + probe.act_cycles() - 1;
    if (coin(g, 0.4)) {
        p.hybrid_levels = pick(g, 1, std::min(levels, 4));
        p.digital = coin(g) ? digital_mode::exact : digital_mode::adc;
    }
    if (coin(g, 0.4)) {
        p.voting_levels = pick(g, 1, std::min(levels, 6));
        p.voting_samples = pick(g, 2, 6);
        p.vote = coin(g) ? vote_rule::mode_min : vote_rule::median;
    }
    if (coin(g, 0.7)) {
        p.sigma_rand = coin(g, 0.8) ? 0.05 * pick(g, 1, 30) : 0.0;
        p.sigma_nl = coin(g, 0.4) ? 0.1 * pick(g, 1, 20) : 0.0;
    }
    if (coin(g, 0.12)) p.gain_compression = 0.001 * pick(g, 1, 8);
    if (coin(g, 0.12)) p.cell_sigma = 0.5 * pick(g, 1, 6);
    l.outputs = static_cast<std::size_t>(pick(g, 1, 9));
    l.rows = static_cast<std::size_t>(pick(g, 1, 3 * p.row_parallelism + 7));
    l.vectors = static_cast<std::size_t>(pick(g, 1, 40));
    if (coin(g, 0.7)) {
        l.tiles = dense_tiling(l.rows, p.row_parallelism);
    } else {  // sorted, gapped tiles: rows between them are dropped
        std::size_t r = static_cast<std::size_t>(pick(g, 0, 3));
        while (r < l.rows) {
            const std::size_t size = static_cast<std::size_t>(pick(g, 1, p.row_parallelism));
            const std::size_t end = std::min(l.rows, r + size);
            l.tiles.push_back({r, end});
            r = end + static_cast<std::size_t>(pick(g, 0, 4));
        }
        if (l.tiles.empty()) l.tiles.push_back({0, l.rows});
    }
    l.key.seed = g();
    l.key.die = static_cast<std::uint32_t>(pick(g, 0, 3));
    l.key.macro = static_cast<std::uint32_t>(pick(g, 0, 3));
    l.key.layer = static_cast<std::uint32_t>(pick(g, 0, 10));
    l.key.column_base = static_cast<std::uint32_t>(pick(g, 0, 2000));
    l.key.tile_base = static_cast<std::uint32_t>(pick(g, 0, 3000));
    l.first_vector = coin(g) ? 0 : g() % 100000;
    fill_data(l, g);
    return l;
}

struct reference {
    std::vector<std::int64_t> num;
    std::int64_t den = 0;
    engine_counters counters;
};

reference engine_run(const layer& l, kernel_isa isa = kernel_isa::portable) {
    mvm_engine e(l.p, {1, isa});
    e.load_weights(l.w.data(), l.outputs, l.rows, l.tiles);
    reference r;
    r.num.assign(l.vectors * l.outputs, 0);
    e.run(l.x.data(), l.vectors, l.first_vector, l.key, r.num.data());
    r.den = e.denominator();
    r.counters = e.counters();
    return r;
}

std::string describe(const layer& l) {
    return l.p.describe() + " outputs=" + std::to_string(l.outputs) + " rows=" + std::to_string(l.rows) +
           " tiles=" + std::to_string(l.tiles.size()) + " vectors=" + std::to_string(l.vectors);
}

void expect_counters(const engine_counters& got, const engine_counters& want, const std::string& what) {
    EXPECT_EQ(got.conversions, want.conversions) << what;
    EXPECT_EQ(got.analog, want.analog) << what;
    EXPECT_EQ(got.digital, want.digital) << what;
    EXPECT_EQ(got.voted, want.voted) << what;
    EXPECT_EQ(got.adc_conversions, want.adc_conversions) << what;
    EXPECT_EQ(got.saturations, want.saturations) << what;
}

std::vector<kernel_isa> isas() {
    std::vector<kernel_isa> v{kernel_isa::portable};
    if (cpu_has_avx512_kernel()) v.push_back(kernel_isa::avx512);
    return v;
}

const char* isa_name(kernel_isa k) { return k == kernel_isa::avx512 ? "avx512" : "portable"; }

}  // namespace

TEST(frame_ops, pipeline_equals_engine_for_random_configurations) {
    int configs = 0, noisy = 0, hcim = 0, voted = 0, bitpar = 0, sat = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        const layer l = random_layer(seed);
        const reference ref = engine_run(l);
        configs += 1;
        noisy += l.p.sigma_rand > 0 || l.p.sigma_nl > 0;
        hcim += l.p.hybrid_levels > 0;
        voted += l.p.voting_levels > 0;
        bitpar += l.p.act_enc > 1;
        sat += ref.counters.saturations > 0;
        for (const kernel_isa isa : isas()) {
            const std::size_t fv = std::vector<std::size_t>{1, 7, 8, 16, 64}[seed % 5];
            frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, fv, isa);
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            fp.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
            const std::string what = "seed " + std::to_string(seed) + " " + isa_name(isa) + " frame_vectors " +
                                     std::to_string(fv) + ": " + describe(l);
            ASSERT_EQ(fp.denominator(), ref.den) << what;
            std::size_t bad = 0;
            for (std::size_t k = 0; k < out.size(); ++k) bad += out[k] != ref.num[k];
            ASSERT_EQ(bad, 0u) << what;
            expect_counters(fp.counters(), ref.counters, what);
            EXPECT_EQ(fp.frames(), ((l.vectors + fv - 1) / fv) * l.tiles.size() *
                                       static_cast<std::size_t>(fp.plan().act_cycles()))
                << what;
        }
    }
    // The random mix must actually reach the features it claims to cover.
    EXPECT_GT(noisy, configs / 3);
    EXPECT_GT(hcim, configs / 5);
    EXPECT_GT(voted, configs / 5);
    EXPECT_GT(bitpar, configs / 5);
    EXPECT_GT(sat, configs / 10);
}

TEST(frame_ops, any_frame_order_and_vector_split_gives_the_same_numbers) {
    // Frames composed by hand, tiles and cycles shuffled, vectors cut into uneven ranges: integer
    // accumulation and keyed noise make the order irrelevant.
    for (std::uint64_t seed = 1000; seed < 1060; ++seed) {
        layer l = random_layer(seed);
        const reference ref = engine_run(l);
        for (const kernel_isa isa : isas()) {
            auto plan = std::make_shared<const frame_plan>(l.p, l.outputs, l.rows, l.tiles, isa);
            std::mt19937_64 g(seed);
            const std::size_t cap = 13;
            frame_data f(*plan, cap);
            wordline_core wl(plan, cap);
            array_core arr(plan);
            adc_core adc(plan);
            digital_core dig(plan);
            shift_add_core sa(plan, cap);
            arr.load_weights(l.w.data());
            arr.set_key(l.key);
            adc.set_key(l.key);
            engine_counters cnt;
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            std::size_t start = 0;
            while (start < l.vectors) {
                const std::size_t nv = std::min(l.vectors - start, static_cast<std::size_t>(pick(g, 1, cap)));
                std::vector<std::pair<std::size_t, int>> order;
                for (std::size_t n = 0; n < l.tiles.size(); ++n)
                    for (int j = 0; j < plan->act_cycles(); ++j) order.emplace_back(n, j);
                std::shuffle(order.begin(), order.end(), g);
                sa.clear(nv);
                for (const auto& [n, j] : order) {
                    const frame_id id{n, j, nv, l.first_vector + start};
                    wl.latch(l.x.data() + start * l.rows, n, nv);
                    wl.drive(id, f);
                    arr.evaluate(id, f);
                    adc.convert(id, f, cnt);
                    dig.compute(id, f, cnt);
                    sa.accumulate(id, f, cnt);
                }
                sa.read(out.data() + start * l.outputs);
                start += nv;
            }
            const std::string what = "seed " + std::to_string(seed) + " " + isa_name(isa) + ": " + describe(l);
            ASSERT_EQ(out, ref.num) << what;
            expect_counters(cnt, ref.counters, what);
        }
    }
}

TEST(frame_ops, pipeline_equals_the_avx512_engine_too) {
    if (!cpu_has_avx512_kernel()) GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    for (std::uint64_t seed = 2000; seed < 2040; ++seed) {
        layer l = random_layer(seed);
        l.p.cell_sigma = 0.0;  // the AVX-512 engine runs without cell variation
        l.vectors = 37;
        std::mt19937_64 g(seed);
        fill_data(l, g);
        const reference ref = engine_run(l, kernel_isa::avx512);
        frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, 32);
        std::vector<std::int64_t> out(l.vectors * l.outputs);
        fp.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
        EXPECT_EQ(out, ref.num) << describe(l);
        expect_counters(fp.counters(), ref.counters, describe(l));
    }
}

TEST(frame_ops, the_realistic_tile_equals_the_engine) {
    // The bench's layer: 255 rows, 32 outputs, W8A8, nrow 255, 8-bit ADC, with and without noise.
    for (const double sigma : {0.0, 0.1, 0.6}) {
        for (const int enc : {1, 2}) {
            layer l;
            l.p.act_enc = enc;
            l.p.sigma_rand = sigma;
            l.outputs = 32;
            l.rows = 255;
            l.vectors = 100;
            l.tiles = dense_tiling(l.rows, l.p.row_parallelism);
            l.key.seed = 99;
            std::mt19937_64 g(5);
            fill_data(l, g);
            const reference ref = engine_run(l, kernel_isa::automatic);
            for (const kernel_isa isa : isas()) {
                frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, 64, isa);
                std::vector<std::int64_t> out(l.vectors * l.outputs);
                fp.run(l.x.data(), l.vectors, 0, l.key, out.data());
                EXPECT_EQ(out, ref.num) << describe(l) << " " << isa_name(isa);
                expect_counters(fp.counters(), ref.counters, describe(l));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single operations against their definitions

TEST(frame_ops, counts_are_weighted_popcounts_of_the_driven_planes) {
    cim_params p;
    p.wbit = 4;
    p.xbit = 6;
    p.act_enc = 3;
    p.row_parallelism = 100;
    std::mt19937_64 g(3);
    const std::size_t outputs = 3, rows = 170, vectors = 11;
    const std::vector<row_tile> tiles = dense_tiling(rows, p.row_parallelism);
    std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
    for (auto& v : w) v = pick(g, -8, 7);
    for (auto& v : x) v = pick(g, 0, 63);
    for (const kernel_isa isa : isas()) {
        auto plan = std::make_shared<const frame_plan>(p, outputs, rows, tiles, isa);
        frame_data f(*plan, vectors);
        wordline_core wl(plan, vectors);
        array_core arr(plan);
        arr.load_weights(w.data());
        for (std::size_t n = 0; n < tiles.size(); ++n) {
            wl.latch(x.data(), n, vectors);
            for (int j = 0; j < plan->act_cycles(); ++j) {
                const frame_id id{n, j, vectors, 0};
                wl.drive(id, f);
                arr.evaluate(id, f);
                const act_cycle& a = plan->plan().act(j);
                std::uint64_t active = 0;
                for (std::size_t v = 0; v < vectors; ++v) {
                    for (std::size_t r = tiles[n].begin; r < tiles[n].end; ++r) {
                        const auto slice = (static_cast<std::uint32_t>(x[v * rows + r]) >> a.lo) & ((1u << a.width) - 1u);
                        active += slice != 0;
                    }
                    for (std::size_t o = 0; o < outputs; ++o) {
                        for (int i = 0; i < p.wbit; ++i) {
                            std::int64_t want = 0;
                            for (std::size_t r = tiles[n].begin; r < tiles[n].end; ++r) {
                                const auto wb = (static_cast<std::uint32_t>(w[o * rows + r]) >> i) & 1u;
                                const auto slice = (static_cast<std::uint32_t>(x[v * rows + r]) >> a.lo) & ((1u << a.width) - 1u);
                                want += wb * slice;
                            }
                            ASSERT_EQ(f.count(v, o * 4 + static_cast<std::size_t>(i)), want)
                                << "tile " << n << " cycle " << j << " vector " << v << " output " << o << " bit " << i;
                        }
                    }
                }
                EXPECT_EQ(wl.active_rows(j), active) << "tile " << n << " cycle " << j;
            }
        }
    }
}

TEST(frame_ops, noise_free_codes_digital_codes_and_shift_add_follow_the_formulas) {
    // nrow 100 with a 6-bit ADC: lossy codes rhe(c * 63 / FS); HCiM exact on level 1-2.
    cim_params p;
    p.wbit = 3;
    p.xbit = 3;
    p.row_parallelism = 100;
    p.adc_bits = 6;
    p.hybrid_levels = 2;
    const std::size_t outputs = 2, rows = 100, vectors = 5;
    std::mt19937_64 g(8);
    std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
    for (auto& v : w) v = pick(g, -4, 3);
    for (auto& v : x) v = pick(g, 0, 7);
    auto plan = std::make_shared<const frame_plan>(p, outputs, rows, dense_tiling(rows, 100));
    frame_data f(*plan, vectors);
    wordline_core wl(plan, vectors);
    array_core arr(plan);
    adc_core adc(plan);
    digital_core dig(plan);
    shift_add_core sa(plan, vectors);
    arr.load_weights(w.data());
    adc.set_key({});
    engine_counters cnt;
    sa.clear(vectors);
    wl.latch(x.data(), 0, vectors);
    std::vector<std::int64_t> want(vectors * outputs, 0);
    for (int j = 0; j < 3; ++j) {
        const frame_id id{0, j, vectors, 0};
        wl.drive(id, f);
        arr.evaluate(id, f);
        adc.convert(id, f, cnt);
        dig.compute(id, f, cnt);
        sa.accumulate(id, f, cnt);
        for (std::size_t v = 0; v < vectors; ++v) {
            for (std::size_t o = 0; o < outputs; ++o) {
                for (int i = 0; i < 3; ++i) {
                    const std::size_t col = o * 3 + static_cast<std::size_t>(i);
                    const std::int64_t c = f.count(v, col);
                    const bool digital = plan->plan().level(i, j) <= 2;
                    const std::int64_t code = digital ? c : ideal_code(c, 100, 63);
                    ASSERT_EQ(f.code(v, col), code) << "cycle " << j << " column " << col;
                    const int sign = i == 2 ? -1 : 1;
                    want[v * outputs + o] += sign * code * (digital ? 63 : 100) * (std::int64_t{1} << (i + j));
                }
            }
        }
    }
    std::vector<std::int64_t> got(vectors * outputs);
    sa.read(got.data());
    EXPECT_EQ(got, want);
    EXPECT_EQ(cnt.conversions, vectors * outputs * 9);
    EXPECT_EQ(cnt.digital, vectors * outputs * 3);  // levels 1 and 2: (2,2), (2,1), (1,2)
    EXPECT_EQ(cnt.analog, vectors * outputs * 6);
    EXPECT_EQ(cnt.adc_conversions, vectors * outputs * 6);
}

TEST(frame_ops, voted_columns_take_the_vote_of_the_keyed_samples) {
    cim_params p;
    p.wbit = 2;
    p.xbit = 2;
    p.row_parallelism = 30;
    p.adc_bits = 5;
    p.voting_levels = 3;
    p.voting_samples = 5;
    p.sigma_rand = 3.0;
    const std::size_t outputs = 2, rows = 30, vectors = 9;
    std::mt19937_64 g(11);
    std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
    for (auto& v : w) v = pick(g, -2, 1);
    for (auto& v : x) v = pick(g, 0, 3);
    auto plan = std::make_shared<const frame_plan>(p, outputs, rows, dense_tiling(rows, 30));
    frame_data f(*plan, vectors);
    wordline_core wl(plan, vectors);
    array_core arr(plan);
    adc_core adc(plan);
    arr.load_weights(w.data());
    stream_key key;
    key.seed = 4;
    key.layer = 2;
    key.column_base = 17;
    adc.set_key(key);
    engine_counters cnt;
    wl.latch(x.data(), 0, vectors);
    const frame_id id{0, 1, vectors, 1000};
    wl.drive(id, f);
    arr.evaluate(id, f);
    adc.convert(id, f, cnt);
    const conversion_table& tab = *adc.table(1);
    const std::uint64_t base = key_fold(stream_base(key, stream_kind::temporal), key.layer);
    int moved = 0;
    for (std::size_t v = 0; v < vectors; ++v) {
        for (std::size_t col = 0; col < 4; ++col) {
            const std::uint64_t packed = (std::uint64_t{0} << 40) | ((key.column_base + col) << 16) | (std::uint64_t{1} << 8);
            std::vector<std::int32_t> s(5);
            // Cycle 1 of group 0: u = byte 1 of the group stream's draw << 55 | the cycle stream's top 55 bits.
            const std::uint64_t gpacked = (std::uint64_t{1} << 63) | ((key.column_base + col) << 16);
            for (std::uint64_t k = 0; k < 5; ++k) {
                const std::uint64_t hi = (draw(mix64(base ^ (gpacked | k)), 1000 + v) >> 8 & 0xFF) << 55;
                s[k] = tab.sample(f.count(v, col), hi | draw(mix64(base ^ (packed | k)), 1000 + v) >> 9);
            }
            const std::int32_t want = vote(s.data(), 5, false);
            EXPECT_EQ(f.code(v, col), want) << "vector " << v << " column " << col;
            moved += want != tab.code(f.count(v, col));
        }
    }
    EXPECT_GT(moved, 0) << "noise of 3 % FS must move some codes";
    EXPECT_EQ(cnt.voted, vectors * outputs * 2);  // every level is voted: both bits of cycle 1
    EXPECT_EQ(cnt.adc_conversions, vectors * outputs * 2 * 5);
}

TEST(frame_ops, single_conversions_for_observers_equal_what_the_adc_bank_converted) {
    // adc_core::sample_code and analog_value (trace mode) against convert(): every analog code,
    // the vote of every voted column's samples, with noise, cell variation and gain compression
    // (the real-valued path) and without (the table path); digital columns are refused.
    for (const bool cell : {false, true}) {
        cim_params p;
        p.wbit = 4;
        p.xbit = 3;
        p.row_parallelism = 40;
        p.adc_bits = 6;
        p.hybrid_levels = 1;
        p.voting_levels = 3;
        p.voting_samples = 3;
        p.sigma_rand = 2.0;
        p.sigma_nl = 1.0;
        if (cell) {
            p.cell_sigma = 3.0;
            p.gain_compression = 0.004;
        }
        const std::size_t outputs = 3, rows = 70, vectors = 7;
        std::mt19937_64 g(cell ? 21 : 22);
        std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
        for (auto& v : w) v = pick(g, -8, 7);
        for (auto& v : x) v = pick(g, 0, 7);
        auto plan = std::make_shared<const frame_plan>(p, outputs, rows, dense_tiling(rows, 40));
        frame_data f(*plan, vectors);
        wordline_core wl(plan, vectors);
        array_core arr(plan);
        adc_core adc(plan);
        arr.load_weights(w.data());
        stream_key key;
        key.seed = 99;
        key.column_base = 5;
        adc.set_key(key);
        arr.set_key(key);
        engine_counters cnt;
        std::size_t checked[3] = {0, 0, 0};
        for (std::size_t n = 0; n < plan->tiles().size(); ++n) {
            wl.latch(x.data(), n, vectors);
            for (int j = 0; j < plan->act_cycles(); ++j) {
                const frame_id id{n, j, vectors, 300};
                wl.drive(id, f);
                arr.evaluate(id, f);
                adc.convert(id, f, cnt);
                for (std::size_t col = 0; col < plan->columns(); ++col) {
                    const frame_cycle& cy = plan->cycle(static_cast<int>(col % 4), j);
                    for (std::size_t v = 0; v < vectors; ++v) {
                        double c = f.count(v, col);
                        if (cell && cy.adc) c += f.cell[col * f.stride + v];
                        EXPECT_DOUBLE_EQ(adc.analog_value(id, f, v, col),
                                         std::clamp(compress(c, p.gain_compression) / static_cast<double>(cy.fs), 0.0, 1.0));
                        if (cy.kind == cycle_kind::analog) {
                            EXPECT_EQ(adc.sample_code(id, f, v, col, 0), f.code(v, col));
                            ++checked[0];
                        } else if (cy.kind == cycle_kind::voted) {
                            std::int32_t s[3];
                            for (int k = 0; k < 3; ++k) s[k] = adc.sample_code(id, f, v, col, k);
                            EXPECT_EQ(vote(s, 3, false), f.code(v, col));
                            ++checked[1];
                        } else {
                            EXPECT_THROW(adc.sample_code(id, f, v, col, 0), parameter_error);
                            ++checked[2];
                        }
                    }
                }
            }
        }
        for (const std::size_t k : checked) EXPECT_GT(k, 0u) << "every kind of cycle is exercised";
    }
}

TEST(frame_ops, the_sequencer_walks_ranges_tiles_and_cycles_with_their_flags) {
    cim_params p;
    p.xbit = 4;
    p.act_enc = 2;  // Q = 2
    p.row_parallelism = 10;
    auto plan = std::make_shared<const frame_plan>(p, 2, 25, dense_tiling(25, 10));  // 3 tiles
    frame_sequencer seq(plan, 4);
    seq.begin(10, 500);  // ranges of 4, 4, 2 vectors
    EXPECT_EQ(seq.frames(10), 3u * 3u * 2u);
    frame_step s;
    std::size_t k = 0;
    while (seq.next(s)) {
        const std::size_t range = k / 6, tile = (k / 2) % 3;
        const int cycle = static_cast<int>(k % 2);
        EXPECT_EQ(s.offset, 4 * range) << k;
        EXPECT_EQ(s.id.vectors, range < 2 ? 4u : 2u) << k;
        EXPECT_EQ(s.id.first_vector, 500 + 4 * range) << k;
        EXPECT_EQ(s.id.tile, tile) << k;
        EXPECT_EQ(s.id.cycle, cycle) << k;
        EXPECT_EQ(s.latch, cycle == 0) << k;
        EXPECT_EQ(s.first, tile == 0 && cycle == 0) << k;
        EXPECT_EQ(s.last, tile == 2 && cycle == 1) << k;
        EXPECT_EQ(s.end_of_run, k == 17) << k;
        ++k;
    }
    EXPECT_EQ(k, 18u);
    EXPECT_FALSE(seq.next(s));
    seq.begin(0, 0);
    EXPECT_FALSE(seq.next(s));
    EXPECT_THROW(frame_sequencer(plan, 0), parameter_error);
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(frame_ops, bad_layers_and_misuse_are_rejected) {
    cim_params p;
    const std::vector<row_tile> tiles = dense_tiling(10, p.row_parallelism);
    {
        cim_params bp = p;
        bp.weight_bit_parallel = true;
        try {
            frame_plan plan(bp, 1, 10, tiles);
            FAIL() << "weight_bit_parallel accepted";
        } catch (const parameter_error& e) {
            EXPECT_EQ(e.name(), "weight_bit_parallel");
        }
    }
    EXPECT_THROW(frame_plan(p, 1, 10, {{0, 11}}), parameter_error);
    EXPECT_THROW(frame_plan(p, 0, 10, tiles), parameter_error);
    auto plan = std::make_shared<const frame_plan>(p, 1, 10, tiles);
    EXPECT_THROW(frame_data(*plan, 0), parameter_error);
    std::vector<std::int32_t> w(10, 0), x(10, 3), bad_x(10, 256);
    w[3] = 128;  // outside W8
    array_core arr(plan);
    EXPECT_THROW(arr.load_weights(w.data()), data_error);
    EXPECT_THROW(plan->check_inputs(bad_x.data(), 1), data_error);
    stream_key key;
    key.column_base = (1u << 24) - 4;
    adc_core adc(plan);
    EXPECT_THROW(adc.set_key(key), parameter_error);
    frame_data f(*plan, 4);
    wordline_core wl(plan, 4);
    EXPECT_THROW(wl.drive(frame_id{0, 0, 1, 0}, f), data_error);  // nothing latched
    EXPECT_THROW(wl.latch(x.data(), 0, 5), parameter_error);       // beyond the capacity
    wl.latch(x.data(), 0, 1);
    EXPECT_THROW(wl.drive(frame_id{0, 0, 2, 0}, f), data_error);  // other vector count
    EXPECT_THROW(arr.evaluate(frame_id{0, 0, 1, 0}, f), data_error);  // no weights
    if (!cpu_has_avx512_kernel()) {
        EXPECT_THROW(frame_plan(p, 1, 10, tiles, kernel_isa::avx512), parameter_error);
    }
}
