// AVX-512 kernels of the frame operations (frame_ops_avx512.cpp), bit-identical to the portable
// loops in frame_ops.cpp, which call them when frame_plan::avx512() holds. Not a public header.
#pragma once

#include <acim/core/frame_ops.hpp>

#include <cstddef>
#include <cstdint>

namespace acim::core::detail {

// Input register: planes [xbit][word][stride] of rows of `tile` for `vectors` vectors x
// [vectors][rows]; lanes from `vectors` to `stride` are zeroed. False (nothing written) when
// xbit > 8.
bool frame_latch_avx512(const frame_plan& plan, const std::int32_t* x, std::size_t tile, std::size_t vectors,
                        std::size_t stride, std::uint64_t* planes);

// Rows with a nonzero slice of activation cycle j, summed over `vectors` latched vectors.
std::uint64_t frame_active_rows_avx512(const frame_plan& plan, const std::uint64_t* planes, std::size_t stride,
                                       std::size_t vectors, int j);

// counts of every column of the frame; wplanes: the tile's weight planes [column][word].
void frame_counts_avx512(const frame_plan& plan, const std::uint64_t* wplanes, const frame_id& id, frame_data& f);

// Single-conversion codes of `ncols` columns cols[] through `tab` (neither direct-sampled nor
// cell variation) in activation cycle j; keys[2k] and keys[2k + 1] are column k's cycle and group
// noise streams (detail::temporal_u63) when the table is noisy. Returns the saturations.
std::uint64_t frame_convert_avx512(const conversion_table& tab, const std::size_t* cols, const std::uint64_t* keys,
                                   std::size_t ncols, int j, const frame_id& id, frame_data& f);

// acc[o][v] += sum over bits i of codes[o * P + i][v] * cycle(i, j).weight, modulo 2^64.
void frame_accumulate_avx512(const frame_plan& plan, const frame_id& id, const frame_data& f, std::uint64_t* acc,
                             std::size_t acc_stride);

}  // namespace acim::core::detail
