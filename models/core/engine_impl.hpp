// Internal state shared by the engine's portable and AVX-512 kernels. Not a public header.
#pragma once

#include <acim/core/adc.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/mismatch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace acim::core::detail {

constexpr std::size_t lanes = 8;         // vectors per block: one 512-bit register of 64-bit words
constexpr std::size_t chunk_blocks = 8;  // blocks per chunk: random keys are hashed once per chunk

// Everything about cycle (i, j) that a kernel needs, flattened.
struct cycle_info {
    cycle_kind kind = cycle_kind::analog;
    int sign = 1;
    int shift = 0;
    int lo = 0;          // first activation plane
    int width = 1;       // activation planes in the group
    int acc = 0;         // accumulator: 0 = linear (scaled by L), k > 0 = scaled by acc_scale[k]
    int table = -1;      // conversion table, -1 when linear
    bool noisy = false;  // draws random numbers
    bool adc = false;    // passes an ADC, so it can saturate
    std::int64_t fs = 0;
    // ideal_code(c, fs, L) without a division: c * lin_mult for linear cycles (table -1, so fs
    // divides L), the table's own noise-free code when it is arithmetic (ideal_lookup), else 0/false.
    std::int64_t lin_mult = 0;
    bool ideal_lookup = false;
};

struct prepared {
    explicit prepared(const cim_params& p) : params(p), plan(p) {}
    cim_params params;
    cycle_plan plan;
    int P = 0, Q = 0;
    std::vector<cycle_info> cycles;             // [i * Q + j]
    std::vector<conversion_table> tables;
    std::vector<std::int64_t> acc_scale;        // [acc]
    std::int64_t top = 0;                       // L
    bool any_noisy = false;
    bool needs_scalar = false;  // cell variation, weight-bp, static mismatch, or direct-sampled tables

    std::size_t outputs = 0, rows = 0, words = 0;  // words: 64-bit words per tile plane
    std::vector<row_tile> tiles;
    std::vector<std::uint64_t> wplanes;  // [tile][output][bit][words]
    // Bit-serial layers whose cycle (i, j) shifts by shift(i, 0) + j with the sign of i: the
    // shift-add of every noise-free count equals sum_r weff[r] x[r], weff[r] = sum_i sign(i, 0)
    // 2^shift(i, 0) bit_i(w[r]). Stored as 16-bit pairs for multiply-add: [tile][row pair]
    // [weff_stride (outputs, zero padded)][2] (rows 2p, 2p + 1; an odd tile's last pair padded
    // with 0). Empty unless every |weff| and x fit 16 bits and every sum fits 31.
    std::vector<std::int16_t> weff16;
    std::size_t weff_stride = 0, weff_rows = 0;
    std::vector<std::int32_t> wcodes;    // [output][rows], for weight-bp and cell variation

    const cycle_info& cycle(int i, int j) const {
        return cycles[static_cast<std::size_t>(i * Q + j)];
    }
    const std::uint64_t* wplane(std::size_t n, std::size_t o, int i) const {
        return &wplanes[((n * outputs + o) * static_cast<std::size_t>(P) + static_cast<std::size_t>(i)) * words];
    }
};

// Cell variation (current domain, SEMANTICS §8.2) of a layer's columns: the static deviation, in
// count units, of every (tile row r < rows, column c < columns), frozen per (seed, die, macro,
// column_base) or redrawn per epoch with cell_redraw. Row-major, [r * stride + c] (stride: columns
// rounded up to 8, padding 0), so that one activation bit adds a whole row of the table to every
// column at once. Built once per key by make_cell_table, shared by the engine and the frame path.
struct cell_table {
    std::vector<double> delta;
    std::size_t rows = 0, columns = 0, stride = 0;
};
struct run_ctx {
    const prepared* pr = nullptr;
    const std::uint64_t* xplanes = nullptr;  // [tile][block][plane][words][lanes]
    const std::int32_t* x = nullptr;         // [vectors][rows] (weight-bp)
    std::size_t vectors = 0, blocks = 0;
    std::uint64_t first_vector = 0;
    std::uint64_t temporal = 0;              // hashed temporal stream base of this layer
    std::uint32_t column_base = 0;
    std::uint32_t tile_base = 0;
    const std::uint64_t* key_table = nullptr;  // fill_keys of every (tile, output), or null
    bool no_vbmi2 = false;                     // kernel_isa::avx512_base
    const cell_table* cells = nullptr;  // cell variation, or null
    const mismatch_tables* mm = nullptr;     // static mismatch: per-column tables, or null
    std::int64_t* out = nullptr;             // [vectors][outputs]

    const std::uint64_t* xblock(std::size_t n, std::size_t b) const {
        return xplanes + (n * blocks + b) * static_cast<std::size_t>(pr->params.xbit) * pr->words * lanes;
    }
};

// Stream base of one (tile, column, activation cycle, vote sample): the fields are packed into
// disjoint bit ranges (tile < 2^20, column < 2^24, j < 2^8, sample < 2^8, checked by run()), so
// distinct conversions always get distinct bases through the bijective mix64.
inline std::uint64_t cycle_key(std::uint64_t base, std::size_t tile, std::uint64_t column, int j, int sample) {
    const std::uint64_t packed = (static_cast<std::uint64_t>(tile) << 40) | (column << 16) |
                                 (static_cast<std::uint64_t>(j) << 8) | static_cast<std::uint64_t>(sample);
    return mix64(base ^ packed);
}
// Stream base of one (tile, column, group of eight activation cycles j / 8, vote sample): the
// packing of cycle_key with the group in place of j and bit 63 set, which no cycle key has, so
// group streams never share a base with cycle streams.
inline std::uint64_t group_key(std::uint64_t base, std::size_t tile, std::uint64_t column, int j, int sample) {
    const std::uint64_t packed = (std::uint64_t{1} << 63) | (static_cast<std::uint64_t>(tile) << 40) | (column << 16) |
                                 (static_cast<std::uint64_t>(j >> 3) << 8) | static_cast<std::uint64_t>(sample);
    return mix64(base ^ packed);
}
// The 63-bit uniform u of the conversion of cycle j (vote sample s) of vector gv, the only way
// temporal noise is drawn: its top 8 bits are byte j mod 8 of the draw of the cycle group's stream
// (one 64-bit hash serves eight cycles), its low 55 bits the top bits of the draw of the cycle's own
// stream. Both draws are uniform and independent, so u is exactly uniform on 63 bits; kernels
// decide most conversions from the byte alone (conversion_table::fast_byte_lo/hi) and draw the
// low bits only for the rest.
constexpr int u_low_bits = 55;
constexpr std::uint64_t temporal_hi(std::uint64_t group_draw, int j) noexcept {
    return ((group_draw >> (8 * (j & 7))) & 0xFFu) << u_low_bits;
}
constexpr std::uint64_t temporal_low(std::uint64_t cycle_draw) noexcept { return cycle_draw >> (64 - u_low_bits); }
constexpr std::uint64_t temporal_u63(std::uint64_t cycle_stream, std::uint64_t group_stream, std::uint64_t gv,
                                     int j) noexcept {
    return temporal_hi(draw(group_stream, gv), j) | temporal_low(draw(cycle_stream, gv));
}
// tab.sample(c, temporal_u63(...)), drawing the low bits only when the top byte does not settle
// the noise-free code.
// Beyond the table-wide fast bytes, the count's own guide bucket decides when it holds no
// threshold and the byte determines it (guide_bits <= 8): tab.sample would return that bucket's
// code for every u in it (its thresholds are those that define the fast range), so the low bits
// are drawn only for impure buckets.
// group_draw = draw(group_stream, gv): one draw serves the eight cycles of a group.
inline std::int32_t sample_temporal_drawn(const conversion_table& tab, std::int64_t c, std::uint64_t cycle_stream,
                                          std::uint64_t group_draw, std::uint64_t gv, int j) {
    const std::uint64_t hi = temporal_hi(group_draw, j);
    if ((hi >> u_low_bits) - tab.fast_byte_lo() < tab.fast_byte_hi() - tab.fast_byte_lo()) return tab.code(c);
    if (tab.noisy() && !tab.direct() && tab.guide_bits() <= 8) {
        const int gb = tab.guide_bits();
        const std::uint32_t g = tab.guide()[(static_cast<std::size_t>(c) << gb) + static_cast<std::size_t>(hi >> (63 - gb))];
        if ((g & conversion_table::impure_flag) == 0) return static_cast<std::int32_t>(g & 0xFFFFu);
    }
    return tab.sample(c, hi | temporal_low(draw(cycle_stream, gv)));
}
inline std::int32_t sample_temporal(const conversion_table& tab, std::int64_t c, std::uint64_t cycle_stream,
                                    std::uint64_t group_stream, std::uint64_t gv, int j) {
    return sample_temporal_drawn(tab, c, cycle_stream, draw(group_stream, gv), gv, j);
}
constexpr std::uint64_t max_key_tiles = std::uint64_t{1} << 20;
constexpr std::uint64_t max_key_columns = std::uint64_t{1} << 24;

// Hashed base of the temporal-noise streams of one layer.
inline std::uint64_t temporal_base(const stream_key& key) {
    return key_fold(stream_base(key, stream_kind::temporal), key.layer);
}

// The fields that key static variation (the cell deltas are cached while they stay the same).
inline bool same_static_key(const stream_key& a, const stream_key& b) {
    return a.seed == b.seed && a.die == b.die && a.macro == b.macro && a.column_base == b.column_base &&
           a.epoch == b.epoch;
}

// Validation shared with the frame path (frame_ops.cpp). check_layer throws parameter_error or
// data_error for bad shapes, tiles or weight codes (w may be null: shapes and tiles only) and
// returns the widest tile's row count.
std::size_t check_layer(const cim_params& p, std::int64_t top, const std::int32_t* w, std::size_t outputs,
                        std::size_t rows, const std::vector<row_tile>& tiles);
// Throws data_error naming the first input code outside the activation range.
void check_inputs(const cim_params& p, const std::int32_t* x, std::size_t n, std::size_t rows);
void make_cell_table(const cim_params& p, const std::vector<row_tile>& tiles, std::size_t cols,
                     const stream_key& key, cell_table& t);
// The cell-variation sums of every column for the activation planes of one cycle, whose word k
// (< words) of plane t (< width) is x[t * t_stride + k * k_stride]: sums[c] (c < t.stride) =
// sum over t, then k, of ldexp(s(t, k, c), t), where s(t, k, c) adds delta[r][c] over the set bits
// r of that word, lowest first, starting from 0.0. That order of floating-point additions is the
// definition (results depend on it); every column is summed in it independently, so the loop runs
// across columns. `scratch` holds t.stride doubles.
void cell_sums(const cell_table& t, const std::uint64_t* x, std::size_t t_stride, std::size_t k_stride, int width,
               std::size_t words, double* sums, double* scratch);
// Normalised pre-noise value, in [0, 1], of the real-valued count c (count + cell sum) of a cycle
// with full scale fs: gain compression included.
inline double real_value(double c, double alpha, std::int64_t fs) {
    return std::clamp(compress(c, alpha) / static_cast<double>(fs), 0.0, 1.0);
}

// Bit planes, the one packing of the portable paths (the engine's blocks, the wordline driver's
// input register, the SRAM array's weights).
// Activation planes of nv vectors x [v][row_len] on the rows of tile t: bit p of row r of vector v
// is bit (r - t.begin) % 64 of out[(p * words + (r - t.begin) / 64) * vstride + v]; the
// xbit * words * vstride words of out are zeroed first. The engine packs blocks of eight vectors
// (vstride = lanes), the wordline driver a frame's range (vstride = the frame stride).
void pack_act_planes(const std::int32_t* x, std::size_t row_len, const row_tile& t, std::size_t nv, int xbit,
                     std::size_t words, std::size_t vstride, std::uint64_t* out);
// Weight planes of w [outputs][rows] (two's complement codes, bit i < P) per tile: bit i of row r
// of output o in tile n is bit (r - begin) % 64 of out[((n * outputs + o) * P + i) * words +
// (r - begin) / 64] (column o * P + i); out is zeroed first.
void pack_weight_planes(const std::int32_t* w, std::size_t outputs, std::size_t rows, const std::vector<row_tile>& tiles,
                        int P, std::size_t words, std::uint64_t* out);

// Keys of every (i, j, sample) of output o in tile n: the cycle streams [i][j][sample], followed
// by the group streams [i][j / 8][sample] at group_keys_at(pr).
void fill_keys(const run_ctx& c, std::size_t n, std::size_t o, std::vector<std::uint64_t>& keys);
inline int groups_of(int Q) { return (Q + 7) / 8; }
inline std::size_t group_keys_at(const prepared& pr) {
    return static_cast<std::size_t>(pr.P * pr.Q * pr.params.voting_samples);
}
// The cycle and group streams of cycle (i, j), sample s, from the keys of fill_keys.
inline std::uint64_t keyed_cycle_stream(const prepared& pr, const std::uint64_t* keys, int i, int j, int s) {
    return keys[static_cast<std::size_t>((i * pr.Q + j) * pr.params.voting_samples + s)];
}
inline std::uint64_t keyed_group_stream(const prepared& pr, const std::uint64_t* keys, int i, int j, int s) {
    return keys[group_keys_at(pr) + static_cast<std::size_t>((i * groups_of(pr.Q) + (j >> 3)) * pr.params.voting_samples + s)];
}
// noise_sigma(a, sigma_rand, sigma_nl, nrow) of a layer; without sigma_nl it does not depend on a
// (sqrt(r^2 + 0 / (a nrow + 1)) = sqrt(r^2)) and is computed once.
struct real_noise {
    explicit real_noise(const cim_params& p)
        : sr(p.sigma_rand), snl(p.sigma_nl), nrow(p.row_parallelism), fixed(noise_sigma(0.0, sr, snl, nrow)) {}
    double operator()(double a) const { return snl != 0.0 ? noise_sigma(a, sr, snl, nrow) : fixed; }
    double sr, snl;
    int nrow;
    double fixed;
};

// The code of a real-valued conversion (cell variation) with normalised value a and noise sigma
// sg (0: noise-free) on the streams (ck, gk) of its cycle: sample_direct(a, sg, top, u), or with a
// mismatched table mm its convert_value(a, sg, u), for u = temporal_u63(ck, gk, gv, j). Both
// transfers are monotone in the Gaussian value g(u), so when the bounds of g over the bucket of
// u's top byte (gaussian_bounds) give one code, that is the code; only the other conversions draw
// u's low bits and evaluate the quantile. Bit for bit the direct computation.
inline std::int32_t real_code(double a, double sg, std::int64_t top, const conversion_table* mm, std::uint64_t ck,
                              std::uint64_t gk, std::uint64_t gv, int j) {
    const auto code_of = [&](double x) {
        return mm != nullptr ? mm->transfer_code(x)
                             : static_cast<std::int32_t>(std::nearbyint(std::clamp(x, 0.0, 1.0) * static_cast<double>(top)));
    };
    const double x0 = mm != nullptr ? mm->transfer(a) : a;
    if (!(sg > 0.0)) return code_of(x0);
    const std::uint64_t hi = temporal_hi(draw(gk, gv), j);
    const gaussian_byte_bounds& g = gaussian_bounds();
    const auto b = static_cast<std::size_t>(hi >> u_low_bits);
    const std::int32_t lo = code_of(x0 + sg * g.lo[b]);
    if (lo == code_of(x0 + sg * g.hi[b])) return lo;
    return code_of(x0 + sg * gaussian_from_u63(hi | temporal_low(draw(ck, gv))));
}

inline bool saturated(std::int64_t code, std::int64_t top, std::int64_t ideal, std::int64_t fs) {
    return (code == 0 || code == top) && ideal > 0 && ideal < fs;
}

// Kernels compute out rows of vectors in blocks [b0, b1) and add saturations to `cnt`.
// `errs` [cycle][code_error_histogram::bins] receives the conversions whose code differs from the
// ideal code of their count (the zero bin is filled in by run()).
void kernel_portable(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs,
                     conversion_sink* sink);
void kernel_avx512(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs);
// The same kernel compiled for AVX512-VBMI2 (kernel_avx512 calls it when the CPU has it).
void kernel_avx512_vbmi2(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs);
// Packs x rows of vectors in blocks [b0, b1) into c.xplanes (writable). False if not applicable.
bool pack_avx512(const run_ctx& c, std::uint64_t* xplanes, std::size_t b0, std::size_t b1);

}  // namespace acim::core::detail
