// Layer geometry and row tiling. A conv/linear layer becomes a matrix-vector product over a
// reduction dimension of `rows` (in_features, or C*k*k im2col rows in channel-major order), cut
// into row tiles that each fit the macro's row parallelism and are converted independently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace acim::core {

// Rows [begin, end) of the reduction dimension that one analog operation sums.
struct row_tile {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const { return end - begin; }
    bool operator==(const row_tile& o) const { return begin == o.begin && end == o.end; }
};

// Contiguous tiles of `row_parallelism` rows; the last one may be partial (SEMANTICS §3.1).
std::vector<row_tile> dense_tiling(std::size_t rows, int row_parallelism);

// ASiM's conv tiling (SEMANTICS §3.2): g = floor(nrow / k^2) whole input channels per tile.
// asim_drop reproduces bug B1: only ceil(C*k^2 / nrow) groups are kept, trailing channels dropped.
std::vector<row_tile> channel_tiling(std::size_t channels, std::size_t kernel, int row_parallelism,
                                     bool asim_drop = false);

struct conv_shape {
    std::size_t in_channels = 1;
    std::size_t out_channels = 1;
    std::size_t height = 1;  // input height
    std::size_t width = 1;   // input width
    std::size_t kernel = 1;  // square kernel size k
    std::size_t stride = 1;
    std::size_t padding = 0;

    void validate() const;  // throws parameter_error naming the field
    std::size_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
    std::size_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
    std::size_t pixels() const { return out_height() * out_width(); }
    std::size_t rows() const { return in_channels * kernel * kernel; }  // reduction length
};

// im2col of `images` images [C][H][W] into vectors [image][out pixel][rows], row order
// c*k*k + ky*k + kx. Padding positions are code 0, whose bit planes are all zero.
void im2col(const std::int32_t* x, std::size_t images, const conv_shape& s, std::int32_t* out);

// Conv weights [out_channels][C][k][k] are already the [outputs][rows] matrix the engine takes.

}  // namespace acim::core
