// Layer geometry (SEMANTICS.md §3): dense and channel-grouped row tiling, ASiM's channel drop (B1),
// conv output sizes and im2col row order, and shape validation.
#include <acim/core/error.hpp>
#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <random>
#include <vector>

using namespace acim::core;

namespace {

using tiles = std::vector<row_tile>;

// Tiles of `rows_per_tile` rows each, the last one `last` rows.
tiles uniform(std::size_t count, std::size_t rows_per_tile, std::size_t last) {
    tiles t;
    std::size_t b = 0;
    for (std::size_t n = 0; n + 1 < count; ++n, b += rows_per_tile) t.push_back({b, b + rows_per_tile});
    t.push_back({b, b + last});
    return t;
}

template <class F>
std::string parameter_error_name(F&& f) {
    try {
        f();
    } catch (const parameter_error& e) {
        return e.name();
    }
    return "<no parameter_error>";
}

}  // namespace

TEST(DenseTiling, FullAndPartialTiles) {
    EXPECT_EQ(dense_tiling(10, 4), (tiles{{0, 4}, {4, 8}, {8, 10}}));
    EXPECT_EQ(dense_tiling(8, 4), (tiles{{0, 4}, {4, 8}}));
    EXPECT_EQ(dense_tiling(3, 255), (tiles{{0, 3}}));
    EXPECT_EQ(dense_tiling(1, 1), (tiles{{0, 1}}));
    EXPECT_EQ(dense_tiling(3, 1), (tiles{{0, 1}, {1, 2}, {2, 3}}));
    // Example D: 6 rows, nrow 4 -> rows {0-3} and {4, 5}.
    EXPECT_EQ(dense_tiling(6, 4), (tiles{{0, 4}, {4, 6}}));
    // SEMANTICS §3.2 table, FC 512 -> 10 with nrow 255: 255, 255, 2 rows.
    const auto fc = dense_tiling(512, 255);
    ASSERT_EQ(fc.size(), 3u);
    EXPECT_EQ(fc[0].size(), 255u);
    EXPECT_EQ(fc[1].size(), 255u);
    EXPECT_EQ(fc[2].size(), 2u);
    EXPECT_EQ(fc, uniform(3, 255, 2));
}

TEST(DenseTiling, CoversEveryRowOnce) {
    for (std::size_t rows = 1; rows <= 40; ++rows) {
        for (int n = 1; n <= 12; ++n) {
            const auto t = dense_tiling(rows, n);
            ASSERT_EQ(t.size(), (rows + static_cast<std::size_t>(n) - 1) / static_cast<std::size_t>(n));
            std::size_t next = 0;
            for (const auto& tile : t) {
                EXPECT_EQ(tile.begin, next);
                EXPECT_GE(tile.size(), 1u);
                EXPECT_LE(tile.size(), static_cast<std::size_t>(n));
                next = tile.end;
            }
            EXPECT_EQ(next, rows);
        }
    }
}

TEST(DenseTiling, Errors) {
    EXPECT_EQ(parameter_error_name([] { dense_tiling(0, 4); }), "rows");
    EXPECT_EQ(parameter_error_name([] { dense_tiling(5, 0); }), "row_parallelism");
    EXPECT_EQ(parameter_error_name([] { dense_tiling(5, -3); }), "row_parallelism");
    EXPECT_EQ(parameter_error_name([] { dense_tiling(5, (1 << 16) + 1); }), "row_parallelism");
}

TEST(ChannelTiling, ResNet18Table) {
    // SEMANTICS §3.2, nrow = 255: g = 28 channels (252 rows) per 3x3 tile.
    EXPECT_EQ(channel_tiling(64, 3, 255), (tiles{{0, 252}, {252, 504}, {504, 576}}));
    EXPECT_EQ(channel_tiling(128, 3, 255), uniform(5, 252, 16 * 9));
    EXPECT_EQ(channel_tiling(256, 3, 255), uniform(10, 252, 4 * 9));
    EXPECT_EQ(channel_tiling(512, 3, 255), uniform(19, 252, 8 * 9));
    EXPECT_EQ(channel_tiling(256, 1, 255), (tiles{{0, 255}, {255, 256}}));
    // nrow = 255 never drops a channel in ResNet-18: the compat flag gives the same tiles.
    for (std::size_t c : {64u, 128u, 256u, 512u}) {
        EXPECT_EQ(channel_tiling(c, 3, 255, true), channel_tiling(c, 3, 255, false)) << c;
        EXPECT_EQ(channel_tiling(c, 1, 255, true), channel_tiling(c, 1, 255, false)) << c;
    }
}

TEST(ChannelTiling, ExampleEGroups) {
    // C = 3, k = 2 (4 rows per channel).
    EXPECT_EQ(channel_tiling(3, 2, 12), (tiles{{0, 12}}));
    EXPECT_EQ(channel_tiling(3, 2, 8), (tiles{{0, 8}, {8, 12}}));
    EXPECT_EQ(channel_tiling(3, 2, 8, true), (tiles{{0, 8}, {8, 12}}));
    // nrow 6: g = 1, three groups; ASiM keeps only U = ceil(12/6) = 2 of them.
    EXPECT_EQ(channel_tiling(3, 2, 6), (tiles{{0, 4}, {4, 8}, {8, 12}}));
    EXPECT_EQ(channel_tiling(3, 2, 6, true), (tiles{{0, 4}, {4, 8}}));
    // nrow 7: still g = 1 channel per tile.
    EXPECT_EQ(channel_tiling(3, 2, 7), (tiles{{0, 4}, {4, 8}, {8, 12}}));
}

TEST(ChannelTiling, AsimDropWithNrow256) {
    // SEMANTICS B1: nrow 256, 3x3, C = 256 loses 4 channels and C = 512 loses 8.
    const auto t256 = channel_tiling(256, 3, 256, true);
    EXPECT_EQ(t256, uniform(9, 252, 252));
    EXPECT_EQ(t256.back().end, (256u - 4u) * 9u);
    const auto t512 = channel_tiling(512, 3, 256, true);
    EXPECT_EQ(t512, uniform(18, 252, 252));
    EXPECT_EQ(t512.back().end, (512u - 8u) * 9u);
    // Without the flag every channel is processed.
    EXPECT_EQ(channel_tiling(256, 3, 256), uniform(10, 252, 36));
    EXPECT_EQ(channel_tiling(512, 3, 256).back().end, 512u * 9u);
}

TEST(ChannelTiling, TilesNeverSplitAChannel) {
    for (std::size_t c = 1; c <= 20; ++c) {
        for (std::size_t k = 1; k <= 3; ++k) {
            for (int n = static_cast<int>(k * k); n <= 40; ++n) {
                const auto t = channel_tiling(c, k, n);
                std::size_t next = 0;
                for (const auto& tile : t) {
                    EXPECT_EQ(tile.begin, next);
                    EXPECT_EQ(tile.begin % (k * k), 0u);
                    EXPECT_EQ(tile.end % (k * k), 0u);
                    EXPECT_LE(tile.size(), static_cast<std::size_t>(n));
                    EXPECT_GE(tile.size(), k * k);
                    next = tile.end;
                }
                EXPECT_EQ(next, c * k * k) << c << " " << k << " " << n;
            }
        }
    }
}

TEST(ChannelTiling, Errors) {
    EXPECT_EQ(parameter_error_name([] { channel_tiling(4, 3, 8); }), "row_parallelism");  // nrow < k^2
    EXPECT_EQ(parameter_error_name([] { channel_tiling(4, 2, 3); }), "row_parallelism");
    EXPECT_EQ(parameter_error_name([] { channel_tiling(4, 3, 0); }), "row_parallelism");
    EXPECT_EQ(parameter_error_name([] { channel_tiling(0, 3, 9); }), "in_channels");
    EXPECT_EQ(parameter_error_name([] { channel_tiling(4, 0, 9); }), "kernel");
    try {
        channel_tiling(4, 3, 8);
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.value(), "8");
        EXPECT_NE(std::string(e.what()).find("row_parallelism"), std::string::npos);
    }
}

TEST(ConvShape, OutputSizes) {
    conv_shape s;
    s.in_channels = 3;
    s.height = 32;
    s.width = 32;
    s.kernel = 3;
    s.stride = 1;
    s.padding = 1;
    EXPECT_EQ(s.out_height(), 32u);
    EXPECT_EQ(s.out_width(), 32u);
    EXPECT_EQ(s.pixels(), 1024u);
    EXPECT_EQ(s.rows(), 27u);
    s.stride = 2;
    EXPECT_EQ(s.out_height(), 16u);  // floor((32 - 3 + 2)/2) + 1
    s.height = 224;
    s.width = 7;
    s.kernel = 7;
    s.padding = 3;
    EXPECT_EQ(s.out_height(), 112u);
    EXPECT_EQ(s.out_width(), 4u);  // floor((7 - 7 + 6)/2) + 1
    EXPECT_EQ(s.pixels(), 448u);
    s.height = 2;
    s.width = 2;
    s.kernel = 2;
    s.padding = 0;
    s.stride = 1;
    EXPECT_EQ(s.pixels(), 1u);  // example E: one output pixel
}

TEST(ConvShape, ValidationNamesTheField) {
    const conv_shape good{2, 1, 3, 3, 2, 1, 0};
    EXPECT_NO_THROW(good.validate());
    auto bad = [&](auto change) {
        conv_shape s = good;
        change(s);
        return parameter_error_name([&] { s.validate(); });
    };
    EXPECT_EQ(bad([](conv_shape& s) { s.in_channels = 0; }), "in_channels");
    EXPECT_EQ(bad([](conv_shape& s) { s.out_channels = 0; }), "out_channels");
    EXPECT_EQ(bad([](conv_shape& s) { s.kernel = 0; }), "kernel");
    EXPECT_EQ(bad([](conv_shape& s) { s.stride = 0; }), "stride");
    EXPECT_EQ(bad([](conv_shape& s) { s.height = 1; }), "height");
    EXPECT_EQ(bad([](conv_shape& s) { s.width = 1; }), "width");
    // Padding makes a small input legal.
    EXPECT_EQ(bad([](conv_shape& s) {
                  s.height = 1;
                  s.width = 1;
                  s.padding = 1;
              }),
              "<no parameter_error>");
    // im2col validates too.
    conv_shape s = good;
    s.stride = 0;
    std::vector<std::int32_t> x(18), out(64);
    EXPECT_THROW(im2col(x.data(), 1, s, out.data()), parameter_error);
}

TEST(Im2col, StrideAndPaddingHandComputed) {
    // C = 2, 3x3 images, k = 2, stride 2, padding 1 -> 2x2 output pixels, 8 rows per vector.
    const conv_shape s{2, 1, 3, 3, 2, 2, 1};
    ASSERT_EQ(s.out_height(), 2u);
    ASSERT_EQ(s.out_width(), 2u);
    std::vector<std::int32_t> x;
    for (int img = 0; img < 2; ++img)
        for (int c = 0; c < 2; ++c)
            for (int p = 1; p <= 9; ++p) x.push_back(img * 100 + c * 10 + p);
    std::vector<std::int32_t> out(2 * 4 * 8, -1);
    im2col(x.data(), 2, s, out.data());
    // Channel 0 is [[1,2,3],[4,5,6],[7,8,9]]; padded coordinates (oy*2 + ky - 1, ox*2 + kx - 1).
    const std::vector<std::int32_t> img0 = {
        0, 0, 0, 1, 0, 0, 0, 11,     // pixel (0,0)
        0, 0, 2, 3, 0, 0, 12, 13,    // pixel (0,1)
        0, 4, 0, 7, 0, 14, 0, 17,    // pixel (1,0)
        5, 6, 8, 9, 15, 16, 18, 19,  // pixel (1,1)
    };
    for (std::size_t k = 0; k < 32; ++k) {
        EXPECT_EQ(out[k], img0[k]) << k;
        EXPECT_EQ(out[32 + k], img0[k] == 0 ? 0 : img0[k] + 100) << k;
    }
}

TEST(Im2col, RectangularInputRowOrder) {
    // C = 2, H = 2, W = 3, k = 2, stride 1, no padding -> 1x2 pixels; row c*k*k + ky*k + kx.
    const conv_shape s{2, 1, 2, 3, 2, 1, 0};
    ASSERT_EQ(s.out_height(), 1u);
    ASSERT_EQ(s.out_width(), 2u);
    const std::vector<std::int32_t> x = {1, 2, 3,   4, 5, 6,     // channel 0
                                         7, 8, 9,   10, 11, 12};  // channel 1
    std::vector<std::int32_t> out(16, -1);
    im2col(x.data(), 1, s, out.data());
    EXPECT_EQ(out, (std::vector<std::int32_t>{1, 2, 4, 5, 7, 8, 10, 11,  //
                                              2, 3, 5, 6, 8, 9, 11, 12}));
}

TEST(Im2col, PointwiseIsATranspose) {
    const conv_shape s{3, 1, 2, 2, 1, 1, 0};
    const std::vector<std::int32_t> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::vector<std::int32_t> out(12, -1);
    im2col(x.data(), 1, s, out.data());
    EXPECT_EQ(out, (std::vector<std::int32_t>{1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12}));
}

TEST(Im2col, PaddingLargerThanKernelReach) {
    // 1x1 input, k = 3, padding 2, stride 1: 3x3 output pixels, each of which sees the single input
    // value at a different kernel position.
    const conv_shape s{1, 1, 1, 1, 3, 1, 2};
    ASSERT_EQ(s.pixels(), 9u);
    const std::int32_t x = 7;
    std::vector<std::int32_t> out(81, -1);
    im2col(&x, 1, s, out.data());
    for (std::size_t oy = 0; oy < 3; ++oy) {
        for (std::size_t ox = 0; ox < 3; ++ox) {
            for (std::size_t ky = 0; ky < 3; ++ky) {
                for (std::size_t kx = 0; kx < 3; ++kx) {
                    // Input pixel (0,0) sits at padded (2,2): reached when oy + ky == 2, ox + kx == 2.
                    const std::int32_t want = (oy + ky == 2 && ox + kx == 2) ? 7 : 0;
                    EXPECT_EQ(out[(oy * 3 + ox) * 9 + ky * 3 + kx], want);
                }
            }
        }
    }
}

TEST(Im2col, EqualsNaiveWindowsOnRandomShapes) {
    // Interior windows take a gather path, border windows the padded one: both must agree with
    // the definition out[(b, oy, ox)][(c, ky, kx)] = x[b][c][oy*s + ky - p][ox*s + kx - p] or 0.
    std::mt19937 g(9);
    for (int rep = 0; rep < 200; ++rep) {
        const auto pick = [&](std::size_t lo, std::size_t hi) { return lo + static_cast<std::size_t>(g()) % (hi - lo + 1); };
        const std::size_t k = pick(1, 4), c = pick(1, 5), h = pick(k, 9), w = pick(k, 9), st = pick(1, 3), pad = pick(0, k - 1);
        const conv_shape s{c, 1, h, w, k, st, pad};
        const std::size_t images = pick(1, 3), oh = s.out_height(), ow = s.out_width(), rows = s.rows();
        std::vector<std::int32_t> x(images * c * h * w);
        for (auto& v : x) v = static_cast<std::int32_t>(g() % 1000) - 500;
        std::vector<std::int32_t> out(images * oh * ow * rows, -7);
        im2col(x.data(), images, s, out.data());
        for (std::size_t b = 0; b < images; ++b)
            for (std::size_t oy = 0; oy < oh; ++oy)
                for (std::size_t ox = 0; ox < ow; ++ox)
                    for (std::size_t ch = 0; ch < c; ++ch)
                        for (std::size_t ky = 0; ky < k; ++ky)
                            for (std::size_t kx = 0; kx < k; ++kx) {
                                const long iy = static_cast<long>(oy * st + ky) - static_cast<long>(pad);
                                const long ix = static_cast<long>(ox * st + kx) - static_cast<long>(pad);
                                const bool in = iy >= 0 && ix >= 0 && iy < static_cast<long>(h) && ix < static_cast<long>(w);
                                const std::int32_t want =
                                    in ? x[((b * c + ch) * h + static_cast<std::size_t>(iy)) * w + static_cast<std::size_t>(ix)] : 0;
                                const std::size_t r = (ch * k + ky) * k + kx;
                                ASSERT_EQ(out[((b * oh + oy) * ow + ox) * rows + r], want)
                                    << "k " << k << " c " << c << " h " << h << " w " << w << " stride " << st << " pad " << pad;
                            }
    }
}
