// Randomised properties of the engine against an independent slow reference written from
// SEMANTICS.md alone (plain loops over rows and bits, exact rational arithmetic, direct convolution).
// It shares no code with models/core beyond the public types used to drive the engine.
//   (a) lossless ADC (every cycle's FS divides L), no noise: result == integer dot product;
//   (b) any ADC, no noise, any HCiM setting: result == reference, exactly;
//   (c) weight-full-bit-parallel, no noise: result == reference, exactly.
// Every configuration runs on the portable kernel and, where available, the AVX-512 kernel.
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

// ---------------------------------------------------------------------------------------------
// Reference (SEMANTICS.md §§2, 4, 6, 7, 8.3)

struct ref_group {
    int lo = 0;
    int width = 1;
    bool sign = false;
};

// Activation cycles, j = 0 first (SEMANTICS §6.1, §6.2; bit-serial is e = 1).
std::vector<ref_group> ref_groups(int xbit, bool is_signed, int e) {
    std::vector<ref_group> g;
    const int mag = is_signed ? xbit - 1 : xbit;
    const int t = (mag + e - 1) / e;
    for (int j = 0; j < t; ++j) {
        const int width = (j == t - 1 && mag % e != 0) ? mag % e : e;
        g.push_back({j * e, width, false});
    }
    if (is_signed) g.push_back({xbit - 1, 1, true});
    return g;
}

// Bit b of v in `bits`-bit two's complement, by SEMANTICS §2.1: sign bit = (v < 0); the other bits
// are the binary digits of v + 2^(bits-1) for negative v and of v otherwise.
int ref_bit(std::int64_t v, int b, int bits, bool is_signed) {
    if (is_signed && b == bits - 1) return v < 0 ? 1 : 0;
    const std::int64_t m = (is_signed && v < 0) ? v + (std::int64_t{1} << (bits - 1)) : v;
    return static_cast<int>((m / (std::int64_t{1} << b)) % 2);
}

// rhe(n / d) for n >= 0, d > 0 by comparing 2n/d with odd integers.
std::int64_t ref_rhe(std::int64_t n, std::int64_t d) {
    if ((2 * n) % d == 0) {
        const std::int64_t t = 2 * n / d;
        if (t % 2 == 0) return t / 2;
        const std::int64_t f = t / 2;
        return f % 2 == 0 ? f : f + 1;
    }
    return (2 * n + d) / (2 * d);
}

struct ref_cfg {
    int wbit = 2, xbit = 2;
    bool is_signed = false;
    int enc = 1, nrow = 1, adc = 1, lh = 0;
    bool exact_digital = true;
    int lv = 0, samples = 1;  // majority voting: without noise it must change nothing
    bool weight_bp = false;
};

// One tile of one output for one input: taps are (weight, activation) pairs.
struct tap {
    std::int64_t w, x;
};

// Numerator over L (or L' for weight-bp) of one tile.
std::int64_t ref_tile(const ref_cfg& c, const std::vector<tap>& taps) {
    const std::int64_t nrow = c.nrow;
    if (c.weight_bp) {
        const std::int64_t top = (std::int64_t{1} << (c.adc - 1)) - 1;
        const std::int64_t qx = c.is_signed ? (std::int64_t{1} << (c.xbit - 1)) - 1 : (std::int64_t{1} << c.xbit) - 1;
        const std::int64_t fsw = ((std::int64_t{1} << (c.wbit - 1)) - 1) * qx * nrow;
        std::int64_t d = 0;
        for (const tap& t : taps) d += t.w * t.x;
        const std::int64_t mag = d < 0 ? -d : d;
        const std::int64_t q = mag >= fsw ? top : ref_rhe(mag * top, fsw);
        return (d < 0 ? -q : q) * fsw;
    }
    const std::int64_t top = (std::int64_t{1} << c.adc) - 1;
    const auto groups = ref_groups(c.xbit, c.is_signed, c.enc);
    const int P = c.wbit, Q = static_cast<int>(groups.size());
    std::int64_t num = 0;
    for (int i = 0; i < P; ++i) {
        for (int j = 0; j < Q; ++j) {
            const ref_group& g = groups[static_cast<std::size_t>(j)];
            std::int64_t count = 0;
            for (const tap& t : taps) {
                if (!ref_bit(t.w, i, c.wbit, true)) continue;
                for (int b = 0; b < g.width; ++b)
                    count += static_cast<std::int64_t>(ref_bit(t.x, g.lo + b, c.xbit, c.is_signed)) << b;
            }
            const std::int64_t fs = ((std::int64_t{1} << g.width) - 1) * nrow;
            const bool weight_msb = i == P - 1;
            const int sign = g.sign ? (weight_msb ? 1 : -1) : (weight_msb ? -1 : 1);
            const std::int64_t scale = std::int64_t{1} << (i + g.lo);
            const int level = P + Q - 1 - (i + j);
            if (level <= c.lh && c.exact_digital) num += sign * count * top * scale;
            else num += sign * ref_rhe(count * top, fs) * fs * scale;
        }
    }
    return num;
}

// ---------------------------------------------------------------------------------------------
// Random problems

struct problem {
    ref_cfg rc;
    bool conv = false;
    bool asim_drop = false;
    std::size_t outputs = 1, rows = 1, vectors = 1;
    conv_shape shape;               // conv only
    std::size_t images = 1;         // conv only
    std::vector<std::int32_t> w;    // [outputs][rows]
    std::vector<std::int32_t> act;  // linear: [vectors][rows]; conv: images [C][H][W]
    std::string text;
};

int uniform(std::mt19937_64& g, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }

cim_params to_params(const ref_cfg& c) {
    cim_params p;
    p.wbit = c.wbit;
    p.xbit = c.xbit;
    p.signed_act = c.is_signed;
    p.act_enc = c.enc;
    p.row_parallelism = c.nrow;
    p.adc_bits = c.adc;
    p.hybrid_levels = c.lh;
    p.digital = c.exact_digital ? digital_mode::exact : digital_mode::adc;
    p.weight_bit_parallel = c.weight_bp;
    p.voting_levels = c.lv;
    p.voting_samples = c.samples;
    return p;
}

void random_bits(std::mt19937_64& g, ref_cfg& c) {
    c.wbit = uniform(g, 2, 8);
    c.is_signed = uniform(g, 0, 1) == 1;
    c.xbit = uniform(g, 2, 9);
    const int max_enc = c.is_signed ? c.xbit - 1 : c.xbit;
    c.enc = uniform(g, 0, 2) == 0 ? 1 : uniform(g, 1, max_enc);
}

void random_hcim(std::mt19937_64& g, ref_cfg& c) {
    const int q = static_cast<int>(ref_groups(c.xbit, c.is_signed, c.enc).size());
    c.lh = uniform(g, 0, 1) == 0 ? 0 : uniform(g, 0, c.wbit + q - 1);
    c.exact_digital = uniform(g, 0, 1) == 1;
    c.lv = uniform(g, 0, 3) == 0 ? uniform(g, 0, c.wbit + q - 1) : 0;
    c.samples = c.lv > 0 ? uniform(g, 1, 5) : 1;
}

std::int64_t lcm(std::int64_t a, std::int64_t b) {
    std::int64_t x = a, y = b;
    while (y != 0) {
        const std::int64_t t = x % y;
        x = y;
        y = t;
    }
    return a / x * b;
}

// Picks (adc, nrow) so that every cycle's FS divides L; nrow >= min_nrow. False if impossible.
bool lossless_adc(std::mt19937_64& g, ref_cfg& c, int min_nrow) {
    std::int64_t m = 1;
    for (const ref_group& gr : ref_groups(c.xbit, c.is_signed, c.enc)) m = lcm(m, (std::int64_t{1} << gr.width) - 1);
    std::vector<std::pair<int, int>> options;
    for (int adc = 1; adc <= 16; ++adc) {
        const std::int64_t top = (std::int64_t{1} << adc) - 1;
        if (top % m != 0) continue;
        for (std::int64_t n = min_nrow; n <= 300; ++n)
            if ((top / m) % n == 0) options.push_back({adc, static_cast<int>(n)});
    }
    if (options.empty()) return false;
    const auto pick = options[static_cast<std::size_t>(uniform(g, 0, static_cast<int>(options.size()) - 1))];
    c.adc = pick.first;
    c.nrow = pick.second;
    return true;
}

std::int32_t random_act(std::mt19937_64& g, const ref_cfg& c, int sparsity) {
    if (uniform(g, 0, 99) < sparsity) return 0;
    const int lo = c.is_signed ? -(1 << (c.xbit - 1)) : 0;
    const int hi = c.is_signed ? (1 << (c.xbit - 1)) - 1 : (1 << c.xbit) - 1;
    const int r = uniform(g, 0, 9);
    if (r == 0) return lo;
    if (r == 1) return hi;
    return uniform(g, lo, hi);
}

void fill_data(std::mt19937_64& g, problem& pb, std::size_t act_values) {
    const int wlo = -(1 << (pb.rc.wbit - 1)), whi = (1 << (pb.rc.wbit - 1)) - 1;
    const int wsparse = uniform(g, 0, 60), xsparse = uniform(g, 0, 60);
    pb.w.resize(pb.outputs * pb.rows);
    for (auto& v : pb.w) v = uniform(g, 0, 99) < wsparse ? 0 : uniform(g, wlo, whi);
    pb.act.resize(act_values);
    for (auto& v : pb.act) v = random_act(g, pb.rc, xsparse);
}

problem random_linear(std::mt19937_64& g) {
    problem pb;
    pb.outputs = static_cast<std::size_t>(uniform(g, 1, 3));
    pb.vectors = static_cast<std::size_t>(uniform(g, 1, 12));
    pb.rows = static_cast<std::size_t>(uniform(g, 0, 3) == 0 ? uniform(g, 1, 700) : uniform(g, 1, 120));
    return pb;
}

problem random_conv(std::mt19937_64& g) {
    problem pb;
    pb.conv = true;
    conv_shape& s = pb.shape;
    s.in_channels = static_cast<std::size_t>(uniform(g, 1, 6));
    s.out_channels = static_cast<std::size_t>(uniform(g, 1, 3));
    s.kernel = static_cast<std::size_t>(uniform(g, 1, 3));
    s.stride = static_cast<std::size_t>(uniform(g, 1, 3));
    s.padding = static_cast<std::size_t>(uniform(g, 0, 2));
    s.height = static_cast<std::size_t>(uniform(g, 1, 6));
    s.width = static_cast<std::size_t>(uniform(g, 1, 6));
    s.height = std::max(s.height, s.kernel > 2 * s.padding ? s.kernel - 2 * s.padding : 1);
    s.width = std::max(s.width, s.kernel > 2 * s.padding ? s.kernel - 2 * s.padding : 1);
    pb.images = static_cast<std::size_t>(uniform(g, 1, 2));
    pb.outputs = s.out_channels;
    pb.rows = s.rows();
    pb.vectors = pb.images * s.pixels();
    return pb;
}

// Expected numerators [vectors][outputs] and plain integer dot products.
void reference(const problem& pb, std::vector<std::int64_t>& num, std::vector<std::int64_t>& dot) {
    num.assign(pb.vectors * pb.outputs, 0);
    dot.assign(pb.vectors * pb.outputs, 0);
    if (!pb.conv) {
        for (std::size_t v = 0; v < pb.vectors; ++v) {
            for (std::size_t o = 0; o < pb.outputs; ++o) {
                for (std::size_t b = 0; b < pb.rows; b += static_cast<std::size_t>(pb.rc.nrow)) {
                    std::vector<tap> taps;
                    for (std::size_t r = b; r < std::min(pb.rows, b + static_cast<std::size_t>(pb.rc.nrow)); ++r)
                        taps.push_back({pb.w[o * pb.rows + r], pb.act[v * pb.rows + r]});
                    num[v * pb.outputs + o] += ref_tile(pb.rc, taps);
                    for (const tap& t : taps) dot[v * pb.outputs + o] += t.w * t.x;
                }
            }
        }
        return;
    }
    const conv_shape& s = pb.shape;
    const std::size_t k = s.kernel, C = s.in_channels;
    const std::size_t g = static_cast<std::size_t>(pb.rc.nrow) / (k * k);
    std::size_t groups = (C + g - 1) / g;
    if (pb.asim_drop)
        groups = std::min(groups, (C * k * k + static_cast<std::size_t>(pb.rc.nrow) - 1) / static_cast<std::size_t>(pb.rc.nrow));
    const std::size_t oh = (s.height + 2 * s.padding - k) / s.stride + 1;
    const std::size_t ow = (s.width + 2 * s.padding - k) / s.stride + 1;
    for (std::size_t img = 0; img < pb.images; ++img) {
        for (std::size_t oy = 0; oy < oh; ++oy) {
            for (std::size_t ox = 0; ox < ow; ++ox) {
                const std::size_t v = (img * oh + oy) * ow + ox;
                for (std::size_t o = 0; o < pb.outputs; ++o) {
                    for (std::size_t gi = 0; gi < groups; ++gi) {
                        std::vector<tap> taps;
                        for (std::size_t c = gi * g; c < std::min(C, (gi + 1) * g); ++c) {
                            for (std::size_t ky = 0; ky < k; ++ky) {
                                for (std::size_t kx = 0; kx < k; ++kx) {
                                    const auto iy = static_cast<long>(oy * s.stride + ky) - static_cast<long>(s.padding);
                                    const auto ix = static_cast<long>(ox * s.stride + kx) - static_cast<long>(s.padding);
                                    std::int64_t x = 0;
                                    if (iy >= 0 && ix >= 0 && iy < static_cast<long>(s.height) && ix < static_cast<long>(s.width))
                                        x = pb.act[((img * C + c) * s.height + static_cast<std::size_t>(iy)) * s.width +
                                                   static_cast<std::size_t>(ix)];
                                    taps.push_back({pb.w[((o * C + c) * k + ky) * k + kx], x});
                                }
                            }
                        }
                        num[v * pb.outputs + o] += ref_tile(pb.rc, taps);
                        for (const tap& t : taps) dot[v * pb.outputs + o] += t.w * t.x;
                    }
                }
            }
        }
    }
}

std::string describe(const problem& pb) {
    std::ostringstream os;
    os << to_params(pb.rc).describe() << (pb.conv ? " conv" : " linear") << " outputs=" << pb.outputs
       << " rows=" << pb.rows << " vectors=" << pb.vectors;
    if (pb.conv)
        os << " C=" << pb.shape.in_channels << " HxW=" << pb.shape.height << "x" << pb.shape.width
           << " k=" << pb.shape.kernel << " s=" << pb.shape.stride << " p=" << pb.shape.padding
           << (pb.asim_drop ? " asim_drop" : "");
    return os.str();
}

struct engine_out {
    std::vector<std::int64_t> num;
    std::int64_t den = 0;
};

engine_out run(const problem& pb, kernel_isa isa, int threads) {
    mvm_engine e(to_params(pb.rc), engine_options{threads, isa});
    std::vector<std::int32_t> x;
    std::vector<row_tile> tiles;
    if (pb.conv) {
        x.resize(pb.vectors * pb.rows);
        im2col(pb.act.data(), pb.images, pb.shape, x.data());
        tiles = channel_tiling(pb.shape.in_channels, pb.shape.kernel, pb.rc.nrow, pb.asim_drop);
    } else {
        x = pb.act;
        tiles = dense_tiling(pb.rows, pb.rc.nrow);
    }
    e.load_weights(pb.w.data(), pb.outputs, pb.rows, tiles);
    engine_out r;
    r.num.assign(pb.vectors * pb.outputs, 0x5a5a5a5a);
    e.run(x.data(), pb.vectors, 0, stream_key{}, r.num.data());
    r.den = e.denominator();
    return r;
}

std::vector<kernel_isa> kernels() {
    std::vector<kernel_isa> k = {kernel_isa::portable};
    if (cpu_has_avx512_kernel()) k.push_back(kernel_isa::avx512);
    return k;
}

enum class property { lossless, reference, weight_bp };

void check(const problem& pb, property prop, std::mt19937_64& g, int& failures) {
    std::vector<std::int64_t> want, dot;
    reference(pb, want, dot);
    const std::int64_t top = pb.rc.weight_bp ? (std::int64_t{1} << (pb.rc.adc - 1)) - 1 : (std::int64_t{1} << pb.rc.adc) - 1;
    for (kernel_isa isa : kernels()) {
        const int threads = uniform(g, 1, 2);
        const engine_out r = run(pb, isa, threads);
        if (r.den != top) {
            if (failures++ < 5) ADD_FAILURE() << "denominator " << r.den << " != " << top << "\n" << describe(pb);
            continue;
        }
        for (std::size_t k = 0; k < r.num.size(); ++k) {
            const std::int64_t expect = prop == property::lossless ? dot[k] * top : want[k];
            if (r.num[k] != expect) {
                if (failures++ < 5)
                    ADD_FAILURE() << (isa == kernel_isa::avx512 ? "avx512" : "portable") << " threads=" << threads
                                  << " vector " << k / pb.outputs << " output " << k % pb.outputs << ": engine "
                                  << r.num[k] << "/" << r.den << ", expected " << expect << "/" << top
                                  << " (dot " << dot[k] << ")\n"
                                  << describe(pb);
                break;
            }
        }
    }
}

problem make(std::mt19937_64& g, bool conv) {
    problem pb = conv ? random_conv(g) : random_linear(g);
    return pb;
}

}  // namespace

// Self-check of the reference on SEMANTICS §13 example D (88/7) and the §2.1 bit patterns.
TEST(Reference, SelfCheck) {
    EXPECT_EQ(ref_bit(-2, 2, 3, true), 1);
    EXPECT_EQ(ref_bit(-2, 1, 3, true), 1);
    EXPECT_EQ(ref_bit(-2, 0, 3, true), 0);
    EXPECT_EQ(ref_bit(-3, 1, 3, true), 0);
    EXPECT_EQ(ref_bit(-3, 0, 3, true), 1);
    EXPECT_EQ(ref_bit(-4, 2, 3, true), 1);
    EXPECT_EQ(ref_bit(-4, 1, 3, true), 0);
    EXPECT_EQ(ref_bit(3, 1, 3, true), 1);
    EXPECT_EQ(ref_rhe(5, 2), 2);
    EXPECT_EQ(ref_rhe(7, 2), 4);
    EXPECT_EQ(ref_rhe(7, 3), 2);
    ref_cfg d;
    d.wbit = 3;
    d.xbit = 3;
    d.nrow = 4;
    d.adc = 3;
    const std::int64_t t1 = ref_tile(d, {{3, 7}, {-2, 5}, {1, 2}, {-3, 6}});
    const std::int64_t t2 = ref_tile(d, {{2, 7}, {3, 1}});
    EXPECT_EQ(t1, -48);
    EXPECT_EQ(t2, 136);
    // Example C in bit-parallel: 8.
    ref_cfg c;
    c.enc = 2;
    c.nrow = 4;
    c.adc = 2;
    EXPECT_EQ(ref_tile(c, {{1, 1}, {1, 3}, {1, 3}, {1, 3}}), 8 * 3);
}

TEST(Property, LosslessAdcEqualsDotProduct) {
    std::mt19937_64 g(0xACE1);
    int failures = 0, done = 0;
    for (int n = 0; n < 600; ++n) {
        const bool conv = n % 2 == 1;
        problem pb = make(g, conv);
        random_bits(g, pb.rc);
        const int min_nrow = conv ? static_cast<int>(pb.shape.kernel * pb.shape.kernel) : 1;
        if (!lossless_adc(g, pb.rc, min_nrow)) {
            pb.rc.enc = 1;
            ASSERT_TRUE(lossless_adc(g, pb.rc, min_nrow));
        }
        random_hcim(g, pb.rc);
        fill_data(g, pb, conv ? pb.images * pb.shape.in_channels * pb.shape.height * pb.shape.width
                              : pb.vectors * pb.rows);
        check(pb, property::lossless, g, failures);
        ++done;
    }
    EXPECT_EQ(done, 600);
    EXPECT_EQ(failures, 0);
}

TEST(Property, AnyAdcEqualsReferenceLinear) {
    std::mt19937_64 g(0xBEEF01);
    int failures = 0;
    for (int n = 0; n < 1000; ++n) {
        problem pb = make(g, false);
        random_bits(g, pb.rc);
        pb.rc.nrow = uniform(g, 0, 3) == 0 ? uniform(g, 1, 16) : uniform(g, 1, 300);
        pb.rc.adc = uniform(g, 1, 10);
        random_hcim(g, pb.rc);
        fill_data(g, pb, pb.vectors * pb.rows);
        check(pb, property::reference, g, failures);
    }
    EXPECT_EQ(failures, 0);
}

TEST(Property, AnyAdcEqualsReferenceConv) {
    std::mt19937_64 g(0xC0411);
    int failures = 0;
    for (int n = 0; n < 800; ++n) {
        problem pb = make(g, true);
        random_bits(g, pb.rc);
        const int k2 = static_cast<int>(pb.shape.kernel * pb.shape.kernel);
        pb.rc.nrow = uniform(g, 0, 2) == 0 ? uniform(g, k2, 3 * k2) : uniform(g, k2, 300);
        pb.rc.adc = uniform(g, 1, 10);
        pb.asim_drop = uniform(g, 0, 1) == 1;
        random_hcim(g, pb.rc);
        fill_data(g, pb, pb.images * pb.shape.in_channels * pb.shape.height * pb.shape.width);
        check(pb, property::reference, g, failures);
    }
    EXPECT_EQ(failures, 0);
}

TEST(Property, WeightBitParallelEqualsReference) {
    std::mt19937_64 g(0x3B9);
    int failures = 0;
    for (int n = 0; n < 400; ++n) {
        problem pb = make(g, n % 3 == 0);
        random_bits(g, pb.rc);
        pb.rc.weight_bp = true;
        pb.rc.adc = uniform(g, 2, 10);
        const int k2 = pb.conv ? static_cast<int>(pb.shape.kernel * pb.shape.kernel) : 1;
        pb.rc.nrow = uniform(g, 0, 2) == 0 ? uniform(g, k2, k2 + 8) : uniform(g, k2, 300);
        fill_data(g, pb, pb.conv ? pb.images * pb.shape.in_channels * pb.shape.height * pb.shape.width
                                 : pb.vectors * pb.rows);
        check(pb, property::weight_bp, g, failures);
    }
    EXPECT_EQ(failures, 0);
}
