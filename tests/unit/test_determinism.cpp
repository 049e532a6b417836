// Determinism of noisy runs (ARCHITECTURE.md §5): outputs are a pure function of the stream key and
// the global vector index, so thread count, batch split and kernel never change a bit; seed and die
// do change the draws. Counters add up identically over any split.
#include <acim/core/engine.hpp>
#include <acim/core/error.hpp>
#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

struct setup {
    std::string name;
    cim_params p;
    std::size_t rows = 0, outputs = 0;
};

std::vector<setup> setups() {
    std::vector<setup> s;
    {
        setup a;  // bit-serial, unsigned, noise + voting + HCiM (exact digital), partial tile
        a.name = "serial";
        a.p.wbit = 4;
        a.p.xbit = 5;
        a.p.row_parallelism = 64;
        a.p.adc_bits = 6;
        a.p.hybrid_levels = 1;
        a.p.voting_levels = 3;
        a.p.voting_samples = 3;
        a.p.sigma_rand = 2.0;
        a.p.sigma_nl = 4.0;
        a.rows = 150;
        a.outputs = 6;
        s.push_back(a);
    }
    {
        setup b;  // bit-parallel signed, HCiM in ASiM adc mode, median vote
        b.name = "parallel";
        b.p.wbit = 5;
        b.p.xbit = 7;
        b.p.signed_act = true;
        b.p.act_enc = 3;
        b.p.row_parallelism = 100;
        b.p.adc_bits = 7;
        b.p.hybrid_levels = 2;
        b.p.digital = digital_mode::adc;
        b.p.voting_levels = 4;
        b.p.voting_samples = 4;
        b.p.vote = vote_rule::median;
        b.p.sigma_rand = 1.0;
        b.p.sigma_nl = 2.0;
        b.rows = 230;
        b.outputs = 4;
        s.push_back(b);
    }
    {
        setup c;  // several words per tile plane (nrow 255 -> 4 words), lossless ADC plus noise
        c.name = "wide";
        c.p.row_parallelism = 255;
        c.p.adc_bits = 8;
        c.p.sigma_rand = 0.5;
        c.p.voting_levels = 1;
        c.p.voting_samples = 2;
        c.rows = 600;
        c.outputs = 3;
        s.push_back(c);
    }
    {
        setup d;  // weight-full-bit-parallel with noise (scalar path)
        d.name = "weight_bp";
        d.p.wbit = 4;
        d.p.xbit = 4;
        d.p.act_enc = 2;
        d.p.row_parallelism = 40;
        d.p.adc_bits = 8;
        d.p.weight_bit_parallel = true;
        d.p.sigma_rand = 3.0;
        d.rows = 90;
        d.outputs = 3;
        s.push_back(d);
    }
    return s;
}

struct data {
    std::vector<std::int32_t> w, x;
};

data make_data(const setup& s, std::size_t vectors, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    data d;
    const int wl = -(1 << (s.p.wbit - 1)), wh = (1 << (s.p.wbit - 1)) - 1;
    const int xl = s.p.signed_act ? -(1 << (s.p.xbit - 1)) : 0;
    const int xh = s.p.signed_act ? (1 << (s.p.xbit - 1)) - 1 : (1 << s.p.xbit) - 1;
    d.w.resize(s.outputs * s.rows);
    for (auto& v : d.w) v = std::uniform_int_distribution<int>(wl, wh)(g);
    d.x.resize(vectors * s.rows);
    for (auto& v : d.x) v = std::uniform_int_distribution<int>(xl, xh)(g);
    return d;
}

constexpr std::size_t vectors = 64;

struct result {
    std::vector<std::int64_t> out;
    engine_counters counters;
};

// Runs the batch in calls of `split` vectors.
result run(const setup& s, const data& d, int threads, kernel_isa isa, std::size_t split, const stream_key& key) {
    mvm_engine e(s.p, engine_options{threads, isa});
    e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, s.p.row_parallelism));
    result r;
    r.out.assign(vectors * s.outputs, 0);
    for (std::size_t first = 0; first < vectors; first += split) {
        const std::size_t n = std::min(split, vectors - first);
        e.run(d.x.data() + first * s.rows, n, first, key, r.out.data() + first * s.outputs);
    }
    r.counters = e.counters();
    return r;
}

stream_key key_of(std::uint64_t seed, std::uint32_t die) {
    stream_key k;
    k.seed = seed;
    k.die = die;
    k.layer = 2;
    return k;
}

}  // namespace

TEST(Determinism, ThreadsSplitsAndKernelsAreBitIdentical) {
    const bool avx = cpu_has_avx512_kernel();
    for (const setup& s : setups()) {
        SCOPED_TRACE(s.name + ": " + s.p.describe());
        const data d = make_data(s, vectors, 42);
        const stream_key key = key_of(7, 0);
        const result ref = run(s, d, 1, kernel_isa::portable, vectors, key);
        ASSERT_GT(ref.counters.conversions, 0u);
        std::vector<kernel_isa> isas = {kernel_isa::portable};
        if (avx) isas.push_back(kernel_isa::avx512);
        for (kernel_isa isa : isas) {
            for (int threads : {1, 2, 4}) {
                for (std::size_t split : {std::size_t{1}, std::size_t{7}, std::size_t{64}}) {
                    const result r = run(s, d, threads, isa, split, key);
                    EXPECT_EQ(r.out, ref.out) << "isa " << static_cast<int>(isa) << " threads " << threads
                                              << " split " << split;
                    EXPECT_TRUE(r.counters == ref.counters)
                        << "isa " << static_cast<int>(isa) << " threads " << threads << " split " << split
                        << ": conversions " << r.counters.conversions << " vs " << ref.counters.conversions
                        << ", saturations " << r.counters.saturations << " vs " << ref.counters.saturations;
                }
            }
        }
    }
}

TEST(Determinism, SameKeySameOutputAcrossEngines) {
    for (const setup& s : setups()) {
        const data d = make_data(s, vectors, 5);
        EXPECT_EQ(run(s, d, 1, kernel_isa::portable, 64, key_of(3, 1)).out,
                  run(s, d, 1, kernel_isa::portable, 64, key_of(3, 1)).out)
            << s.name;
    }
}

TEST(Determinism, SeedDieAndLayerChangeTheDraws) {
    for (const setup& s : setups()) {
        SCOPED_TRACE(s.name);
        const data d = make_data(s, vectors, 6);
        const auto base = run(s, d, 1, kernel_isa::portable, 64, key_of(10, 0)).out;
        EXPECT_NE(run(s, d, 1, kernel_isa::portable, 64, key_of(11, 0)).out, base);  // other seed
        EXPECT_NE(run(s, d, 1, kernel_isa::portable, 64, key_of(10, 1)).out, base);  // other die
        stream_key k = key_of(10, 0);
        k.layer = 3;
        EXPECT_NE(run(s, d, 1, kernel_isa::portable, 64, k).out, base);  // other layer
        k = key_of(10, 0);
        k.macro = 1;
        EXPECT_NE(run(s, d, 1, kernel_isa::portable, 64, k).out, base);  // other macro
        // The same vector at another global index gets other draws.
        mvm_engine e(s.p, engine_options{1, kernel_isa::portable});
        e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, s.p.row_parallelism));
        std::vector<std::int64_t> a(vectors * s.outputs), b(vectors * s.outputs);
        e.run(d.x.data(), vectors, 0, key_of(10, 0), a.data());
        e.run(d.x.data(), vectors, 1000000, key_of(10, 0), b.data());
        EXPECT_EQ(a, base);
        EXPECT_NE(a, b);
    }
}

TEST(Determinism, CountersAddUpOverSplits) {
    const setup s = setups()[0];
    const data d = make_data(s, vectors, 9);
    const result whole = run(s, d, 2, kernel_isa::automatic, 64, key_of(1, 0));
    const result parts = run(s, d, 2, kernel_isa::automatic, 7, key_of(1, 0));
    EXPECT_TRUE(whole.counters == parts.counters);
    const cycle_plan plan(s.p);
    const std::uint64_t per = vectors * s.outputs * ((s.rows + 63) / 64);  // tiles of 64 rows
    EXPECT_EQ(whole.counters.conversions, per * 20u);
    EXPECT_EQ(whole.counters.digital, per * static_cast<std::uint64_t>(plan.count(cycle_kind::digital)));
    EXPECT_EQ(whole.counters.voted, per * static_cast<std::uint64_t>(plan.count(cycle_kind::voted)));
    EXPECT_EQ(whole.counters.analog, per * static_cast<std::uint64_t>(plan.count(cycle_kind::analog)));
    // Summing the counters of separate engines (one per split) gives the same totals.
    engine_counters sum;
    for (std::size_t first = 0; first < vectors; first += 7) {
        mvm_engine e(s.p, engine_options{1, kernel_isa::automatic});
        e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, s.p.row_parallelism));
        const std::size_t n = std::min<std::size_t>(7, vectors - first);
        std::vector<std::int64_t> out(n * s.outputs);
        e.run(d.x.data() + first * s.rows, n, first, key_of(1, 0), out.data());
        sum += e.counters();
    }
    EXPECT_TRUE(sum == whole.counters) << sum.saturations << " vs " << whole.counters.saturations;
}

TEST(Determinism, RandomNoisyConfigsAgreeAcrossKernelsAndThreads) {
    // Random configurations with noise, voting and HCiM: the AVX-512 kernel (fast range, slow-lane
    // lists, guide tables) must reproduce the portable kernel bit for bit.
    if (!cpu_has_avx512_kernel()) GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    std::mt19937_64 g(77);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); };
    int avx_used = 0;
    for (int n = 0; n < 150; ++n) {
        setup s;
        cim_params& p = s.p;
        p.wbit = uni(2, 8);
        p.signed_act = uni(0, 1) == 1;
        p.xbit = uni(2, 9);
        p.act_enc = uni(0, 1) == 0 ? 1 : uni(1, p.signed_act ? p.xbit - 1 : p.xbit);
        p.row_parallelism = uni(0, 2) == 0 ? uni(1, 20) : uni(20, 320);
        p.adc_bits = uni(1, 10);
        const cycle_plan plan(p);
        const int levels = plan.weight_cycles() + plan.act_cycles() - 1;
        p.hybrid_levels = uni(0, 1) == 0 ? 0 : uni(0, levels);
        p.digital = uni(0, 1) == 0 ? digital_mode::exact : digital_mode::adc;
        p.voting_levels = uni(0, 1) == 0 ? 0 : uni(0, levels);
        p.voting_samples = uni(1, 5);
        p.vote = uni(0, 1) == 0 ? vote_rule::mode_min : vote_rule::median;
        const double scale[] = {0.0, 0.05, 0.5, 3.0, 30.0};
        p.sigma_rand = scale[uni(0, 4)];
        p.sigma_nl = scale[uni(0, 4)];
        // Keep the noisy code tables small (their construction dominates the run time): counts x
        // code window <= ~60k threshold entries.
        const double top = std::ldexp(1.0, p.adc_bits) - 1.0;
        const double window = std::min(top + 1.0, 20.0 * (p.sigma_rand + p.sigma_nl) / 100.0 * top + 3.0);
        const double per_row = (std::ldexp(1.0, p.act_enc) - 1.0) * window;
        p.row_parallelism = std::max(1, std::min(p.row_parallelism, static_cast<int>(60000.0 / per_row)));
        s.rows = static_cast<std::size_t>(uni(1, 400));
        s.outputs = static_cast<std::size_t>(uni(1, 4));
        const std::size_t nv = static_cast<std::size_t>(uni(1, 40));
        const data d = make_data(s, nv, static_cast<std::uint64_t>(n));
        stream_key key = key_of(static_cast<std::uint64_t>(n), 0);
        std::vector<std::vector<std::int64_t>> outs;
        engine_counters first{};
        // portable, AVX-512 (with the VBMI2 dot-product path where the CPU has it) on 1 and 2
        // threads, and AVX-512 without that path.
        for (int variant = 0; variant < 4; ++variant) {
            const kernel_isa isa = variant == 0 ? kernel_isa::portable : variant == 3 ? kernel_isa::avx512_base : kernel_isa::avx512;
            mvm_engine e(p, engine_options{variant == 2 ? 2 : 1, isa});
            avx_used += variant == 1 && e.uses_avx512();
            e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, p.row_parallelism));
            std::vector<std::int64_t> out(nv * s.outputs);
            e.run(d.x.data(), nv, 12345, key, out.data());
            outs.push_back(out);
            if (variant == 0) first = e.counters();
            else EXPECT_TRUE(e.counters() == first) << p.describe() << " saturations " << e.counters().saturations
                                                    << " vs " << first.saturations;
        }
        ASSERT_EQ(outs[1], outs[0]) << p.describe() << " rows " << s.rows << " outputs " << s.outputs << " vectors " << nv;
        ASSERT_EQ(outs[2], outs[0]) << p.describe();
    }
    EXPECT_GT(avx_used, 100);  // most configurations really ran the AVX-512 kernel
}

// A layer cut into row chunks (one macro load each, TILE_BASE = the chunk's first tile) and column
// chunks (COLUMN_BASE = the chunk's first column) gives the whole layer's numerators bit for bit:
// every conversion keeps its key, and numerators over the same L add exactly.
TEST(Determinism, RowAndColumnChunksWithTileAndColumnBaseEqualTheWholeLayer) {
    cim_params p;
    p.wbit = 4;
    p.xbit = 4;
    p.row_parallelism = 16;
    p.adc_bits = 5;
    p.sigma_rand = 2.0;
    p.sigma_nl = 1.0;
    p.hybrid_levels = 1;
    p.voting_levels = 1;
    p.voting_samples = 3;
    const std::size_t outputs = 6, rows = 70, vectors = 37;
    std::mt19937_64 rng(11);
    std::vector<std::int32_t> w(outputs * rows), x(vectors * rows);
    for (auto& v : w) v = static_cast<std::int32_t>(rng() % 16) - 8;
    for (auto& v : x) v = static_cast<std::int32_t>(rng() % 16);
    stream_key key = key_of(5, 2);
    key.layer = 3;
    const auto tiles = dense_tiling(rows, 16);  // 5 tiles: 16,16,16,16,6
    ASSERT_EQ(tiles.size(), 5u);
    for (kernel_isa isa : {kernel_isa::portable, kernel_isa::avx512}) {
        if (isa == kernel_isa::avx512 && !cpu_has_avx512_kernel()) continue;
        mvm_engine whole(p, {1, isa});
        whole.load_weights(w.data(), outputs, rows, tiles);
        std::vector<std::int64_t> ref(vectors * outputs);
        whole.run(x.data(), vectors, 100, key, ref.data());

        // Row chunks of 2, 2 and 1 tiles; column chunks of 4 and 2 outputs.
        const std::size_t chunk_tiles[] = {0, 2, 4, 5};
        const std::size_t out_cut[] = {0, 4, 6};
        std::vector<std::int64_t> sum(vectors * outputs, 0);
        for (std::size_t rc = 0; rc < 3; ++rc) {
            const std::size_t r0 = tiles[chunk_tiles[rc]].begin, r1 = tiles[chunk_tiles[rc + 1] - 1].end;
            std::vector<row_tile> local;
            for (std::size_t t = chunk_tiles[rc]; t < chunk_tiles[rc + 1]; ++t)
                local.push_back({tiles[t].begin - r0, tiles[t].end - r0});
            std::vector<std::int32_t> xs(vectors * (r1 - r0));
            for (std::size_t v = 0; v < vectors; ++v)
                for (std::size_t r = r0; r < r1; ++r) xs[v * (r1 - r0) + r - r0] = x[v * rows + r];
            for (std::size_t cc = 0; cc < 2; ++cc) {
                const std::size_t o0 = out_cut[cc], o1 = out_cut[cc + 1];
                std::vector<std::int32_t> ws((o1 - o0) * (r1 - r0));
                for (std::size_t o = o0; o < o1; ++o)
                    for (std::size_t r = r0; r < r1; ++r) ws[(o - o0) * (r1 - r0) + r - r0] = w[o * rows + r];
                mvm_engine part(p, {1, isa});
                part.load_weights(ws.data(), o1 - o0, r1 - r0, local);
                stream_key k = key;
                k.tile_base = static_cast<std::uint32_t>(chunk_tiles[rc]);
                k.column_base = static_cast<std::uint32_t>(o0 * 4);
                std::vector<std::int64_t> out(vectors * (o1 - o0));
                part.run(xs.data(), vectors, 100, k, out.data());
                ASSERT_EQ(part.denominator(), whole.denominator());
                for (std::size_t v = 0; v < vectors; ++v)
                    for (std::size_t o = o0; o < o1; ++o) sum[v * outputs + o] += out[v * (o1 - o0) + o - o0];
            }
        }
        EXPECT_EQ(sum, ref) << (isa == kernel_isa::avx512 ? "avx512" : "portable");

        // Without TILE_BASE the chunks would reuse tile 0's streams: the sums differ.
        std::vector<row_tile> first2 = {tiles[0], tiles[1]};
        mvm_engine a(p, {1, isa});
        a.load_weights(w.data(), outputs, rows, first2);
        std::vector<std::int64_t> o1(vectors * outputs), o2(vectors * outputs);
        a.run(x.data(), vectors, 100, key, o1.data());
        stream_key shifted = key;
        shifted.tile_base = 2;
        a.run(x.data(), vectors, 100, shifted, o2.data());
        EXPECT_NE(o1, o2);
    }
}

TEST(Determinism, TileBaseBeyondTheKeySpaceIsAParameterError) {
    cim_params p;
    mvm_engine e(p);
    std::vector<std::int32_t> w(300, 1), x(300, 1);
    e.load_weights(w.data(), 1, 300, dense_tiling(300, 255));
    std::vector<std::int64_t> out(1);
    stream_key k;
    k.tile_base = (1u << 20) - 1;
    try {
        e.run(x.data(), 1, 0, k, out.data());
        FAIL() << "expected parameter_error";
    } catch (const parameter_error& err) {
        EXPECT_NE(std::string(err.what()).find("tile_base"), std::string::npos) << err.what();
    }
}

TEST(Determinism, CodeEqualsCountConfigsAgreeAcrossKernels) {
    // Bit-serial, every cycle analog, code = count (nrow = L): the AVX-512 kernel's specialised
    // pass 2 (fused counts, per-i fold, byte-wise fast test) must reproduce the portable kernel bit
    // for bit, counters and code-error histograms included, also with two cycle groups (Q > 8), wide
    // tiles (the generic word count) and partial blocks.
    if (!cpu_has_avx512_kernel()) GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    std::mt19937_64 g(2026);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); };
    for (int n = 0; n < 60; ++n) {
        setup s;
        cim_params& p = s.p;
        p.wbit = uni(2, 8);
        p.signed_act = uni(0, 3) == 0;
        p.xbit = uni(2, 10);
        p.act_enc = 1;
        p.adc_bits = uni(1, 9);
        p.row_parallelism = (1 << p.adc_bits) - 1;
        const double scale[] = {0.05, 0.1, 0.5, 3.0, 30.0};
        p.sigma_rand = scale[uni(0, 4)];
        p.sigma_nl = uni(0, 2) == 0 ? scale[uni(0, 4)] : 0.0;
        s.rows = static_cast<std::size_t>(uni(1, 700));
        s.outputs = static_cast<std::size_t>(uni(1, 3));
        const std::size_t nv = static_cast<std::size_t>(uni(1, 40));
        const data d = make_data(s, nv, static_cast<std::uint64_t>(n) + 500);
        const stream_key key = key_of(static_cast<std::uint64_t>(n) + 3, 1);
        std::vector<std::vector<std::int64_t>> outs;
        std::vector<engine_counters> counters;
        std::vector<code_error_histogram> errs;
        // portable, AVX-512 (with the VBMI2 dot-product path where the CPU has it) on 1 and 2
        // threads, and AVX-512 without that path.
        for (int variant = 0; variant < 4; ++variant) {
            const kernel_isa isa = variant == 0 ? kernel_isa::portable : variant == 3 ? kernel_isa::avx512_base : kernel_isa::avx512;
            mvm_engine e(p, engine_options{variant == 2 ? 2 : 1, isa});
            e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, p.row_parallelism));
            std::vector<std::int64_t> out(nv * s.outputs);
            e.run(d.x.data(), nv, 777, key, out.data());
            outs.push_back(out);
            counters.push_back(e.counters());
            errs.push_back(e.code_errors());
        }
        for (std::size_t v = 1; v < outs.size(); ++v) {
            ASSERT_EQ(outs[v], outs[0]) << p.describe() << " rows " << s.rows << " vectors " << nv << " variant " << v;
            EXPECT_TRUE(counters[v] == counters[0]) << p.describe() << " saturations " << counters[v].saturations
                                                    << " vs " << counters[0].saturations;
            EXPECT_TRUE(errs[v] == errs[0]) << p.describe();
        }
    }
}
