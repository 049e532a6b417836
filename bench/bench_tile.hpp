// The realistic macro tile both benchmarks use: 255 rows, 32 outputs x W8 (256 columns), a batch
// of 1024 A8 vectors, with fixed random weights and activations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace acim::bench {

constexpr std::size_t rows = 255, outputs = 32, vectors = 1024;

struct tile_data {
    std::vector<std::int32_t> w, x;
    tile_data() : w(outputs * rows), x(vectors * rows) {
        std::mt19937_64 g(42);
        for (auto& v : w) v = static_cast<std::int32_t>(g() % 255) - 127;
        for (auto& v : x) v = static_cast<std::int32_t>(g() % 256);
    }
};

inline const tile_data& data() {
    static const tile_data d;
    return d;
}

}  // namespace acim::bench
