#include <acim/core/layer.hpp>

#include <acim/core/error.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace acim::core {

std::vector<row_tile> dense_tiling(std::size_t rows, int row_parallelism) {
    check_range("row_parallelism", row_parallelism, 1, 1 << 16);
    if (rows == 0) throw_parameter("rows", rows, "a layer needs at least one reduction row");
    const auto n = static_cast<std::size_t>(row_parallelism);
    std::vector<row_tile> t;
    for (std::size_t b = 0; b < rows; b += n) t.push_back({b, b + n < rows ? b + n : rows});
    return t;
}

std::vector<row_tile> channel_tiling(std::size_t channels, std::size_t kernel, int row_parallelism,
                                     bool asim_drop) {
    check_range("row_parallelism", row_parallelism, 1, 1 << 16);
    if (channels == 0) throw_parameter("in_channels", channels, "must be >= 1");
    if (kernel == 0) throw_parameter("kernel", kernel, "must be >= 1");
    const std::size_t k2 = kernel * kernel;
    const auto nrow = static_cast<std::size_t>(row_parallelism);
    const std::size_t g = nrow / k2;
    if (g == 0)
        throw_parameter("row_parallelism", row_parallelism,
                        "smaller than kernel^2 = " + to_text(k2) + ": no whole channel fits a tile");
    std::size_t groups = (channels + g - 1) / g;
    if (asim_drop) {
        const std::size_t u = (channels * k2 + nrow - 1) / nrow;
        if (u < groups) groups = u;
    }
    std::vector<row_tile> t;
    for (std::size_t n = 0; n < groups; ++n) {
        const std::size_t c0 = n * g;
        const std::size_t c1 = c0 + g < channels ? c0 + g : channels;
        t.push_back({c0 * k2, c1 * k2});
    }
    return t;
}

void conv_shape::validate() const {
    if (in_channels == 0) throw_parameter("in_channels", in_channels, "must be >= 1");
    if (out_channels == 0) throw_parameter("out_channels", out_channels, "must be >= 1");
    if (kernel == 0) throw_parameter("kernel", kernel, "must be >= 1");
    if (stride == 0) throw_parameter("stride", stride, "must be >= 1");
    if (height + 2 * padding < kernel)
        throw_parameter("height", height, "padded input smaller than kernel " + to_text(kernel));
    if (width + 2 * padding < kernel)
        throw_parameter("width", width, "padded input smaller than kernel " + to_text(kernel));
}

namespace {

// v[r] = img[base + off[r]] for r < rows: one window wholly inside the image (a gather the
// clones can vectorise).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void gather_window(
    const std::int32_t* img, std::size_t base, const std::uint32_t* off, std::size_t rows, std::int32_t* v) {
    for (std::size_t r = 0; r < rows; ++r) v[r] = img[base + off[r]];
}

}  // namespace

void im2col(const std::int32_t* x, std::size_t images, const conv_shape& s, std::int32_t* out) {
    s.validate();
    const std::size_t oh = s.out_height(), ow = s.out_width(), k = s.kernel, rows = s.rows();
    // Offsets of every row of a window from its top-left pixel (row order c, ky, kx).
    std::vector<std::uint32_t> off(rows);
    for (std::size_t c = 0, r = 0; c < s.in_channels; ++c)
        for (std::size_t ky = 0; ky < k; ++ky)
            for (std::size_t kx = 0; kx < k; ++kx) off[r++] = static_cast<std::uint32_t>((c * s.height + ky) * s.width + kx);
    for (std::size_t b = 0; b < images; ++b) {
        const std::int32_t* img = x + b * s.in_channels * s.height * s.width;
        for (std::size_t oy = 0; oy < oh; ++oy) {
            const std::size_t iy0 = oy * s.stride;
            const bool yall = iy0 >= s.padding && iy0 + k - 1 - s.padding < s.height;  // every ky inside
            for (std::size_t ox = 0; ox < ow; ++ox) {
                std::int32_t* v = out + ((b * oh + oy) * ow + ox) * rows;
                // Signed arithmetic through the padding offset: ix = ox * stride + kx - padding.
                const std::size_t ix0 = ox * s.stride;
                const bool xall = ix0 >= s.padding && ix0 + k - 1 - s.padding < s.width;  // every kx inside
                if (xall && yall) {
                    gather_window(img, (iy0 - s.padding) * s.width + ix0 - s.padding, off.data(), rows, v);
                    continue;
                }
                for (std::size_t c = 0; c < s.in_channels; ++c) {
                    for (std::size_t ky = 0; ky < k; ++ky) {
                        const std::size_t iy = oy * s.stride + ky;
                        const bool yin = iy >= s.padding && iy - s.padding < s.height;
                        if (!yin) {
                            std::fill(v, v + k, 0);
                        } else if (xall) {
                            const std::int32_t* src = img + (c * s.height + iy - s.padding) * s.width + ix0 - s.padding;
                            if (k == 3) {  // the common kernel: no library call for three words
                                v[0] = src[0];
                                v[1] = src[1];
                                v[2] = src[2];
                            } else {
                                std::copy(src, src + k, v);
                            }
                        } else {
                            for (std::size_t kx = 0; kx < k; ++kx) {
                                const std::size_t ix = ix0 + kx;
                                const bool xin = ix >= s.padding && ix - s.padding < s.width;
                                v[kx] = xin ? img[(c * s.height + iy - s.padding) * s.width + ix - s.padding] : 0;
                            }
                        }
                        v += k;
                    }
                }
            }
        }
    }
}

}  // namespace acim::core
