// The exact integer dot products of the ideal integer model (ideal_backend) against plain 64-bit
// loops: every kernel path (16-bit pairs, 16-bit rows, 64-bit fallback), odd rows, output counts
// around the 16/64 blocks, zeros, negative codes, threads.
#include <acim/workloads/graph/network.hpp>

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace acim::workloads;

namespace {

std::vector<std::int64_t> naive(const mac_layer& l, const std::vector<std::int32_t>& x, std::size_t vectors) {
    std::vector<std::int64_t> out(vectors * l.outputs);
    for (std::size_t v = 0; v < vectors; ++v)
        for (std::size_t o = 0; o < l.outputs; ++o) {
            std::int64_t s = 0;
            for (std::size_t r = 0; r < l.rows; ++r)
                s += static_cast<std::int64_t>(l.w_int[o * l.rows + r]) * x[v * l.rows + r];
            out[v * l.outputs + o] = s;
        }
    return out;
}

}  // namespace

TEST(IdealBackend, EqualsPlainDotProducts) {
    std::mt19937_64 g(5);
    const auto uni = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(g);
    };
    for (int rep = 0; rep < 60; ++rep) {
        mac_layer l;
        l.name = "t";
        l.rows = static_cast<std::size_t>(uni(1, 300));
        l.outputs = static_cast<std::size_t>(uni(1, 100));
        // Small weights (16-bit paths), then some that force the 64-bit fallback.
        const std::int64_t wmax = rep % 5 == 4 ? 100000 : 127;
        const std::int64_t xlo = rep % 3 == 2 ? -128 : 0, xhi = rep % 7 == 6 ? 40000 : 255;
        l.w_int.resize(l.rows * l.outputs);
        for (auto& w : l.w_int) w = static_cast<std::int32_t>(uni(-wmax, wmax));
        const std::size_t vectors = static_cast<std::size_t>(rep % 2 ? uni(256, 700) : uni(1, 40));
        std::vector<std::int32_t> x(vectors * l.rows);
        for (auto& v : x) v = uni(0, 2) == 0 ? 0 : static_cast<std::int32_t>(uni(xlo, xhi));
        const auto want = naive(l, x, vectors);
        for (int threads : {1, 2}) {
            ideal_backend b(threads);
            std::vector<std::int64_t> got(vectors * l.outputs, -1);
            std::int64_t den = 0;
            b.mac(0, l, x.data(), vectors, got.data(), den);
            EXPECT_EQ(den, 1);
            ASSERT_EQ(got, want) << "rows " << l.rows << " outputs " << l.outputs << " vectors " << vectors
                                 << " threads " << threads << " wmax " << wmax;
        }
    }
}

TEST(IdealBackend, WeightCacheFollowsChangedWeights) {
    mac_layer l;
    l.name = "t";
    l.rows = 3;
    l.outputs = 2;
    l.w_int = {1, 2, 3, 4, 5, 6};
    const std::vector<std::int32_t> x = {1, 1, 1};
    ideal_backend b;
    std::vector<std::int64_t> out(2);
    std::int64_t den = 0;
    b.mac(0, l, x.data(), 1, out.data(), den);
    EXPECT_EQ(out, (std::vector<std::int64_t>{6, 15}));
    l.w_int = {-1, 0, 0, 0, 0, 7};  // same layer object, new weights
    b.mac(0, l, x.data(), 1, out.data(), den);
    EXPECT_EQ(out, (std::vector<std::int64_t>{-1, 7}));
}
