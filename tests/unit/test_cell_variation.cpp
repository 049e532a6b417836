// Cell variation (current domain, SEMANTICS §8.2) on the folded path: the per-(row, column) table
// built once per key, the cell sums run across columns, and the codes decided from the top byte of
// u when the Gaussian's bounds over that byte's bucket give one code. Everything here is checked
// against the direct definition, written out conversion by conversion as the engine computed it
// before the fold: per column, the deltas of the active rows added word by word (lowest bit
// first), ldexp by the bit-parallel slice, then the real count through compress, the noise sigma,
// and sample_direct / convert_value of the conversion's full 63-bit uniform. Codes must agree bit
// for bit, for the engine (with and without a sink, any thread count) and for the frame path.
#include <acim/core/engine.hpp>
#include <acim/core/engine_impl.hpp>
#include <acim/core/frame_ops.hpp>
#include <acim/core/mismatch.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace acim::core;

namespace {

int pick(std::mt19937_64& g, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
bool coin(std::mt19937_64& g, double p = 0.5) { return std::bernoulli_distribution(p)(g); }

struct layer {
    cim_params p;
    std::size_t outputs = 1, rows = 1, vectors = 1;
    std::vector<row_tile> tiles;
    std::vector<std::int32_t> w, x;
    stream_key key;
    std::uint64_t first_vector = 0;
};

layer random_layer(std::uint64_t seed) {
    std::mt19937_64 g(seed);
    layer l;
    cim_params& p = l.p;
    p.wbit = pick(g, 2, 8);
    p.signed_act = coin(g, 0.3);
    p.xbit = pick(g, p.signed_act ? 2 : 1, 8);
    p.act_enc = coin(g, 0.5) ? 1 : pick(g, 1, std::max(1, std::min(3, p.signed_act ? p.xbit - 1 : p.xbit)));
    p.row_parallelism = coin(g, 0.3) ? 255 : pick(g, 3, 140);
    p.adc_bits = pick(g, 2, 9);
    const cycle_plan probe(p);
    const int levels = p.wbit + probe.act_cycles() - 1;
    if (coin(g, 0.3)) {
        p.hybrid_levels = pick(g, 1, std::min(levels, 3));
        p.digital = coin(g) ? digital_mode::exact : digital_mode::adc;
    }
    if (coin(g, 0.3)) {
        p.voting_levels = pick(g, 1, std::min(levels, 4));
        p.voting_samples = pick(g, 2, 5);
        p.vote = coin(g) ? vote_rule::mode_min : vote_rule::median;
    }
    if (coin(g, 0.85)) {
        // From far below an LSB (almost every code settled by the byte) to several LSB.
        p.sigma_rand = coin(g, 0.5) ? 0.02 * pick(g, 1, 10) : 0.3 * pick(g, 1, 10);
        p.sigma_nl = coin(g, 0.3) ? 0.1 * pick(g, 1, 20) : 0.0;
    }
    if (coin(g, 0.25)) p.gain_compression = 0.001 * pick(g, 1, 8);
    p.cell_sigma = coin(g, 0.5) ? 0.5 * pick(g, 1, 6) : 5.0 * pick(g, 1, 4);
    p.cell_redraw = coin(g, 0.2);
    if (coin(g, 0.25)) {
        p.adc_arch = coin(g) ? adc_architecture::sar : adc_architecture::flash;
        p.adcs = pick(g, 0, 5);
        if (p.adc_arch == adc_architecture::sar) p.sigma_sar_cap = 0.5 * pick(g, 1, 6);
        else p.sigma_flash_th = 0.2 * pick(g, 1, 5);
        if (coin(g)) p.sigma_col_gain = 0.5 * pick(g, 1, 4);
    }
    l.outputs = static_cast<std::size_t>(pick(g, 1, 7));
    l.rows = static_cast<std::size_t>(pick(g, 1, 2 * p.row_parallelism + 7));
    l.vectors = static_cast<std::size_t>(pick(g, 1, 30));
    if (coin(g, 0.7)) {
        l.tiles = dense_tiling(l.rows, p.row_parallelism);
    } else {  // sorted, gapped tiles
        std::size_t r = static_cast<std::size_t>(pick(g, 0, 3));
        while (r < l.rows) {
            const std::size_t end = std::min(l.rows, r + static_cast<std::size_t>(pick(g, 1, p.row_parallelism)));
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
    l.key.epoch = static_cast<std::uint64_t>(pick(g, 0, 5));
    l.first_vector = coin(g) ? 0 : g() % 100000;
    const int wlo = -(1 << (p.wbit - 1)), whi = (1 << (p.wbit - 1)) - 1;
    const int xlo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
    const int xhi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
    l.w.resize(l.outputs * l.rows);
    for (auto& v : l.w) v = pick(g, wlo, whi);
    l.x.resize(l.vectors * l.rows);
    for (std::size_t v = 0; v < l.vectors; ++v) {
        const int style = pick(g, 0, 2);
        for (std::size_t r = 0; r < l.rows; ++r)
            l.x[v * l.rows + r] = style == 0 ? pick(g, xlo, xhi) : style == 1 ? (coin(g, 0.7) ? 0 : pick(g, xlo, xhi))
                                                                       : (coin(g, 0.8) ? xhi : pick(g, xlo, xhi));
    }
    return l;
}

std::string describe(const layer& l) {
    return l.p.describe() + " cell_sigma " + std::to_string(l.p.cell_sigma) + " outputs " + std::to_string(l.outputs) +
           " rows " + std::to_string(l.rows) + " tiles " + std::to_string(l.tiles.size()) + " vectors " +
           std::to_string(l.vectors);
}

using conv_id = std::tuple<std::uint64_t, std::uint32_t, std::uint32_t, int, int>;  // vector, output, tile, i, j

// The direct definition: every conversion's code, and the numerators.
struct direct_result {
    std::map<conv_id, std::int32_t> codes;
    std::vector<std::int64_t> num;
};

direct_result direct(const layer& l) {
    const cim_params& p = l.p;
    const cycle_plan plan(p);
    const int P = plan.weight_cycles(), Q = plan.act_cycles();
    const std::int64_t top = p.adc_top();
    const std::size_t cols = l.outputs * static_cast<std::size_t>(P);
    std::size_t widest = 0;
    for (const row_tile& t : l.tiles) widest = std::max(widest, t.size());
    // delta[column][row], drawn from the per-column streams.
    std::vector<double> delta(cols * widest);
    std::uint64_t base = stream_base(l.key, stream_kind::cell_variation);
    if (p.cell_redraw) base = key_fold(base, l.key.epoch);
    for (std::size_t c = 0; c < cols; ++c) {
        const std::uint64_t h = key_fold(base, l.key.column_base + c);
        for (std::size_t r = 0; r < widest; ++r) delta[c * widest + r] = p.cell_sigma / 100.0 * gaussian_from_u63(draw63(h, r));
    }
    std::unique_ptr<mismatch_tables> mm;
    if (p.mismatch()) mm = std::make_unique<mismatch_tables>(p, cols, l.key, true, true);
    const std::uint64_t temporal = detail::temporal_base(l.key);
    const adc_model model = adc_model::of(p);
    direct_result res;
    res.num.assign(l.vectors * l.outputs, 0);
    for (std::size_t v = 0; v < l.vectors; ++v) {
        const std::uint64_t gv = l.first_vector + v;
        for (std::size_t o = 0; o < l.outputs; ++o) {
            // Numerators in units of 1/L: code * FS * 2^shift (analog), count * L * 2^shift (exact digital).
            std::int64_t num = 0;
            for (std::size_t n = 0; n < l.tiles.size(); ++n) {
                const row_tile& t = l.tiles[n];
                for (int i = 0; i < P; ++i) {
                    const std::size_t col = o * static_cast<std::size_t>(P) + static_cast<std::size_t>(i);
                    for (int j = 0; j < Q; ++j) {
                        const act_cycle& a = plan.act(j);
                        const cycle_kind kind = plan.kind(i, j);
                        std::int64_t count = 0;
                        double dsum = 0.0;
                        for (int s = 0; s < a.width; ++s) {
                            std::int64_t pc = 0;
                            for (std::size_t k = 0; k * 64 < t.size(); ++k) {
                                double sum = 0.0;
                                for (std::size_t b = 0; b < 64 && k * 64 + b < t.size(); ++b) {
                                    const std::size_t r = t.begin + k * 64 + b;
                                    const auto xu = static_cast<std::uint32_t>(l.x[v * l.rows + r]);
                                    const auto wu = static_cast<std::uint32_t>(l.w[o * l.rows + r]);
                                    if (((xu >> (a.lo + s)) & 1u) == 0) continue;
                                    sum += delta[col * widest + k * 64 + b];
                                    pc += (wu >> i) & 1u;
                                }
                                dsum += std::ldexp(sum, s);
                            }
                            count += pc << s;
                        }
                        std::int32_t code = 0;
                        if (kind == cycle_kind::digital && p.digital == digital_mode::exact) {
                            code = static_cast<std::int32_t>(count);
                            num += plan.sign(i, j) * ((count * top) << plan.shift(i, j));
                        } else {
                            const conversion_table* tab = mm ? &mm->table(col, j) : nullptr;
                            const bool noisy = kind != cycle_kind::digital && (p.sigma_rand > 0.0 || p.sigma_nl > 0.0);
                            const double creal = static_cast<double>(count) + dsum;
                            const double av = std::clamp(compress(creal, model.alpha) / static_cast<double>(a.fs), 0.0, 1.0);
                            const double sg = noisy ? noise_sigma(av, p.sigma_rand, p.sigma_nl, p.row_parallelism) : 0.0;
                            const int ns = kind == cycle_kind::voted ? p.voting_samples : 1;
                            std::vector<std::int32_t> samples;
                            for (int s = 0; s < ns; ++s) {
                                const std::uint64_t u =
                                    sg > 0.0 ? detail::temporal_u63(
                                                   detail::cycle_key(temporal, l.key.tile_base + n, l.key.column_base + col, j, s),
                                                   detail::group_key(temporal, l.key.tile_base + n, l.key.column_base + col, j, s),
                                                   gv, j)
                                             : 0;
                                samples.push_back(tab        ? tab->convert_value(av, sg, u)
                                                  : sg > 0.0 ? sample_direct(av, sg, top, u)
                                                             : static_cast<std::int32_t>(std::nearbyint(av * static_cast<double>(top))));
                            }
                            code = ns == 1 ? samples[0] : vote(samples.data(), ns, p.vote == vote_rule::median);
                            num += plan.sign(i, j) * ((code * a.fs) << plan.shift(i, j));
                        }
                        res.codes[{gv, static_cast<std::uint32_t>(o), static_cast<std::uint32_t>(n), i, j}] = code;
                    }
                }
            }
            res.num[v * l.outputs + o] = num;
        }
    }
    return res;
}

struct recorder final : conversion_sink {
    std::map<conv_id, std::int32_t> codes;
    void on_conversion(const conversion_event& e) override { codes[{e.vector, e.output, e.tile, e.i, e.j}] = e.code; }
};

}  // namespace

// real_code (the byte-bracketed decision) equals sample_direct and convert_value for every u,
// including both ends of every byte bucket, for values near code boundaries and the rails.
TEST(CellVariation, ByteBracketedCodeEqualsDirectSampling) {
    std::mt19937_64 g(5);
    cim_params p;
    p.adc_bits = 6;
    p.adc_arch = adc_architecture::sar;
    p.sigma_sar_cap = 3.0;
    p.adcs = 1;
    const mismatch_tables mm(p, 1, stream_key{}, true, true);
    const conversion_table& tab = mm.table(0, 0);
    const std::int64_t top = p.adc_top();
    std::uint64_t checked = 0, settled = 0;
    for (int trial = 0; trial < 4000; ++trial) {
        // a on or next to a rounding boundary (k + 1/2) / L, or anywhere in [0, 1].
        double a = coin(g) ? (pick(g, 0, static_cast<int>(top)) + 0.5) / static_cast<double>(top)
                           : std::uniform_real_distribution<double>(0.0, 1.0)(g);
        if (coin(g, 0.3)) a = std::nextafter(a, coin(g) ? 0.0 : 1.0);
        if (coin(g, 0.05)) a = coin(g) ? 0.0 : 1.0;
        const double sg = std::ldexp(1.0, -pick(g, 1, 14)) * std::uniform_real_distribution<double>(0.5, 1.0)(g);
        const std::uint64_t ck = g(), gk = g(), gv = g() % 1000000;
        const int j = pick(g, 0, 15);
        const std::uint64_t u = detail::temporal_u63(ck, gk, gv, j);
        const bool use_mm = coin(g, 0.3);
        const std::int32_t want = use_mm ? tab.convert_value(a, sg, u) : sample_direct(a, sg, top, u);
        ASSERT_EQ(detail::real_code(a, sg, top, use_mm ? &tab : nullptr, ck, gk, gv, j), want)
            << "a " << a << " sigma " << sg << " u " << u;
        ++checked;
        // Both ends of this u's bucket give codes within the bracket's pair (the bracket holds).
        const std::uint64_t b = u >> 55;
        const gaussian_byte_bounds& gb = gaussian_bounds();
        for (const std::uint64_t e : {b << 55, ((b + 1) << 55) - 1}) {
            const double ge = gaussian_from_u63(e);
            ASSERT_LE(gb.lo[b], ge);
            ASSERT_GE(gb.hi[b], ge);
        }
        settled += sample_direct(a, sg, top, b << 55) == sample_direct(a, sg, top, ((b + 1) << 55) - 1);
    }
    EXPECT_EQ(checked, 4000u);
    EXPECT_GT(settled, 0u);
    // The bounds are ordered and bracket the quantile at every byte's two ends.
    const gaussian_byte_bounds& gb = gaussian_bounds();
    for (std::uint64_t b = 0; b < 256; ++b) {
        EXPECT_LT(gb.lo[b], gb.hi[b]);
        EXPECT_LE(gb.lo[b], gaussian_from_u63(b << 55));
        EXPECT_GE(gb.hi[b], gaussian_from_u63(((b + 1) << 55) - 1));
        // Many uniforms inside the bucket.
        for (int k = 0; k < 64; ++k) {
            const double gu = gaussian_from_u63((b << 55) | (g() >> 9));
            ASSERT_LE(gb.lo[b], gu);
            ASSERT_GE(gb.hi[b], gu);
        }
    }
}

// The engine (portable kernel, 1 and 2 threads, with and without a sink) and the frame path give
// the direct definition's codes and numerators on random layers with cell variation, combined
// with noise, sigma_nl, gain compression, bit-parallel and signed activations, HCiM in both
// digital modes, voting, static mismatch, gapped tiles and key offsets.
TEST(CellVariation, FoldedPathsEqualTheDirectDefinition) {
    int with_mismatch = 0, with_vote = 0, parallel = 0;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        const layer l = random_layer(seed * 7919);
        SCOPED_TRACE("seed " + std::to_string(seed) + ": " + describe(l));
        with_mismatch += l.p.mismatch();
        with_vote += l.p.voting_levels > 0;
        parallel += l.p.act_enc > 1;
        const direct_result want = direct(l);
        for (const int threads : {1, 2}) {
            mvm_engine e(l.p, {threads, kernel_isa::portable});
            e.load_weights(l.w.data(), l.outputs, l.rows, l.tiles);
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            e.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
            ASSERT_EQ(out, want.num) << "engine, " << threads << " threads";
            // A second run with the same key reuses the cached table (or redraws per epoch).
            e.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
            ASSERT_EQ(out, want.num) << "engine, second run";
        }
        {
            mvm_engine e(l.p, {1, kernel_isa::portable});
            e.load_weights(l.w.data(), l.outputs, l.rows, l.tiles);
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            recorder rec;
            e.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data(), &rec);
            ASSERT_EQ(out, want.num) << "engine with a sink";
            ASSERT_EQ(rec.codes, want.codes) << "engine with a sink: codes";
        }
        for (const std::size_t fv : {std::size_t{1}, std::size_t{13}, std::size_t{64}}) {
            frame_pipeline fp(l.p, l.w.data(), l.outputs, l.rows, l.tiles, fv, kernel_isa::portable);
            std::vector<std::int64_t> out(l.vectors * l.outputs, -1);
            fp.run(l.x.data(), l.vectors, l.first_vector, l.key, out.data());
            ASSERT_EQ(out, want.num) << "frame pipeline, " << fv << " vectors per frame";
        }
    }
    // The random layers cover the combinations.
    EXPECT_GE(with_mismatch, 5);
    EXPECT_GE(with_vote, 5);
    EXPECT_GE(parallel, 5);
}

// The table holds the per-column streams' draws, and cell_sums adds them in the defined order:
// every sum bit for bit equal to the scalar loop (per column: per slice t, per word k, the deltas
// of the set bits lowest first from 0.0, then ldexp by t), for sparse, dense and empty words.
TEST(CellVariation, TableAndSumsFollowTheDefinedOrder) {
    std::mt19937_64 g(11);
    for (int trial = 0; trial < 40; ++trial) {
        cim_params p;
        p.cell_sigma = 0.5 * pick(g, 1, 40);
        p.cell_redraw = coin(g, 0.3);
        const std::size_t cols = static_cast<std::size_t>(pick(g, 1, 70));
        std::vector<row_tile> tiles{{0, static_cast<std::size_t>(pick(g, 1, 300))}};
        stream_key key;
        key.seed = g();
        key.column_base = static_cast<std::uint32_t>(pick(g, 0, 100));
        key.epoch = g() % 7;
        detail::cell_table t;
        detail::make_cell_table(p, tiles, cols, key, t);
        ASSERT_EQ(t.rows, tiles[0].size());
        ASSERT_EQ(t.stride % 8, 0u);
        std::uint64_t base = stream_base(key, stream_kind::cell_variation);
        if (p.cell_redraw) base = key_fold(base, key.epoch);
        for (std::size_t c = 0; c < cols; ++c)
            for (std::size_t r = 0; r < t.rows; ++r)
                ASSERT_EQ(t.delta[r * t.stride + c],
                          p.cell_sigma / 100.0 * gaussian_from_u63(draw63(key_fold(base, key.column_base + c), r)));
        const std::size_t words = (t.rows + 63) / 64;
        const int width = pick(g, 1, 4);
        const std::size_t kstride = static_cast<std::size_t>(pick(g, 1, 3)), tstride = words * kstride + 1;
        std::vector<std::uint64_t> x(static_cast<std::size_t>(width) * tstride, 0);
        for (int s = 0; s < width; ++s)
            for (std::size_t k = 0; k < words; ++k) {
                const int style = pick(g, 0, 3);
                std::uint64_t wv = style == 0 ? 0 : style == 1 ? g() & g() & g() : g();
                if (style == 3) wv = ~std::uint64_t{0};
                const std::size_t valid = std::min<std::size_t>(64, t.rows - k * 64);
                if (valid < 64) wv &= (std::uint64_t{1} << valid) - 1;
                x[static_cast<std::size_t>(s) * tstride + k * kstride] = wv;
            }
        std::vector<double> sums(t.stride, -1.0), scratch(t.stride);
        detail::cell_sums(t, x.data(), tstride, kstride, width, words, sums.data(), scratch.data());
        for (std::size_t c = 0; c < cols; ++c) {
            double want = 0.0;
            for (int s = 0; s < width; ++s)
                for (std::size_t k = 0; k < words; ++k) {
                    double sum = 0.0;
                    for (std::uint64_t xw = x[static_cast<std::size_t>(s) * tstride + k * kstride]; xw; xw &= xw - 1)
                        sum += t.delta[(k * 64 + static_cast<std::size_t>(__builtin_ctzll(xw))) * t.stride + c];
                    want += std::ldexp(sum, s);
                }
            // Bit for bit, not within a tolerance.
            ASSERT_EQ(std::memcmp(&sums[c], &want, sizeof want), 0) << "column " << c << ": " << sums[c] << " vs " << want;
        }
    }
}

// sample_temporal's shortcuts (the table-wide fast bytes, then the count's pure guide bucket)
// give tab.sample(c, u) of the full uniform, for plain, gain-compressed and mismatched tables with
// full or reduced guides, at noise from far below an LSB to several LSB.
TEST(TemporalSampling, ByteShortcutsEqualTheFullSample) {
    std::mt19937_64 g(17);
    std::uint64_t by_guide = 0;
    for (int trial = 0; trial < 60; ++trial) {
        cim_params p;
        p.adc_bits = pick(g, 3, 8);
        p.row_parallelism = pick(g, 8, 255);
        p.sigma_rand = coin(g) ? 0.05 * pick(g, 1, 10) : 0.5 * pick(g, 1, 10);
        p.sigma_nl = coin(g, 0.3) ? 0.2 * pick(g, 1, 10) : 0.0;
        if (coin(g, 0.3)) p.gain_compression = 0.001 * pick(g, 1, 5);
        std::unique_ptr<mismatch_tables> mm;
        std::unique_ptr<conversion_table> own;
        const conversion_table* tab = nullptr;
        if (coin(g, 0.4)) {
            p.adc_arch = adc_architecture::sar;
            p.sigma_sar_cap = 0.5 * pick(g, 1, 6);
            p.adcs = 1;
            mm = std::make_unique<mismatch_tables>(p, 1, stream_key{}, true, false);
            tab = &mm->table(0, 0);
        } else {
            own = std::make_unique<conversion_table>(p.row_parallelism, adc_model::of(p), true);
            tab = own.get();
        }
        if (tab->direct()) continue;
        for (int k = 0; k < 3000; ++k) {
            const std::int64_t c = pick(g, 0, static_cast<int>(tab->full_scale()));
            const std::uint64_t ck = g(), gk = g(), gv = g() % 100000;
            const int j = pick(g, 0, 15);
            const std::uint64_t u = detail::temporal_u63(ck, gk, gv, j);
            ASSERT_EQ(detail::sample_temporal(*tab, c, ck, gk, gv, j), tab->sample(c, u))
                << "trial " << trial << " count " << c << " u " << u << " guide bits " << tab->guide_bits();
            const unsigned b = static_cast<unsigned>(u >> 55);
            by_guide += b - tab->fast_byte_lo() >= tab->fast_byte_hi() - tab->fast_byte_lo();
        }
    }
    EXPECT_GT(by_guide, 1000u);  // the bytes outside the fast range were exercised
}
