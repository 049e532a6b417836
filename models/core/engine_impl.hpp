// Internal state shared by the engine's portable and AVX-512 kernels. Not a public header.
#pragma once

#include "adc.hpp"
#include "engine.hpp"
#include "mismatch.hpp"

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
    std::vector<std::int32_t> wcodes;    // [output][rows], for weight-bp and cell variation

    const cycle_info& cycle(int i, int j) const {
        return cycles[static_cast<std::size_t>(i * Q + j)];
    }
    const std::uint64_t* wplane(std::size_t n, std::size_t o, int i) const {
        return &wplanes[((n * outputs + o) * static_cast<std::size_t>(P) + static_cast<std::size_t>(i)) * words];
    }
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
    const double* delta = nullptr;           // cell variation [column][tile row], or null
    std::size_t delta_rows = 0;
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
// Cell variation delta[column][tile row] (count units) of `cols` columns, frozen per (seed, die,
// macro, column_base) or redrawn per epoch; drows = the widest tile.
void make_cell_delta(const cim_params& p, const std::vector<row_tile>& tiles, std::size_t cols,
                     const stream_key& key, std::vector<double>& delta, std::size_t& drows);

// Keys of every (i, j, sample) of output o in tile n: [i][j][sample].
void fill_keys(const run_ctx& c, std::size_t n, std::size_t o, std::vector<std::uint64_t>& keys);

inline bool saturated(std::int64_t code, std::int64_t top, std::int64_t ideal, std::int64_t fs) {
    return (code == 0 || code == top) && ideal > 0 && ideal < fs;
}

// Kernels compute out rows of vectors in blocks [b0, b1) and add saturations to `cnt`.
// `errs` [cycle][code_error_histogram::bins] receives the conversions whose code differs from the
// ideal code of their count (the zero bin is filled in by run()).
void kernel_portable(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs,
                     conversion_sink* sink);
void kernel_avx512(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs);
// Packs x rows of vectors in blocks [b0, b1) into c.xplanes (writable). False if not applicable.
bool pack_avx512(const run_ctx& c, std::uint64_t* xplanes, std::size_t b0, std::size_t b1);

}  // namespace acim::core::detail
