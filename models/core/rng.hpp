// Counter-based random numbers keyed by what they model. A draw is a pure function of its key
// (seed, die, macro, layer, tile, column, cycle, sample, vector), never of execution order, so
// results are identical for any thread count, batch size or split of a layer into calls.
//
// The generator is SplitMix64 (Steele, Lea, Flood 2014): a key is hashed to a 64-bit stream base h,
// and the draw for vector v is mix64(h + (v + 1) * golden). Within a key this is exactly a
// SplitMix64 stream, which passes BigCrush; distinct keys give independent, hashed bases.
#pragma once

#include <cstdint>

namespace acim::core {

inline constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;

// SplitMix64 output function (Stafford's Mix13 variant).
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Folds one more key field into a running hash.
constexpr std::uint64_t key_fold(std::uint64_t h, std::uint64_t field) noexcept {
    return mix64(h ^ mix64(field + golden_gamma));
}

// Field tags keep different kinds of draws apart even when their numeric fields coincide.
enum class stream_kind : std::uint64_t {
    temporal = 0x7e3b,      // per-conversion noise
    cell_variation = 0xce11,
    full_bp = 0xfb00,       // weight-full-bit-parallel conversion noise
    mismatch = 0x5a71,      // static column and ADC mismatch (frozen per die)
};

// Identifies the physical instance and layer a computation belongs to.
struct stream_key {
    std::uint64_t seed = 0;
    std::uint32_t die = 0;          // static mismatch is frozen per die
    std::uint32_t macro = 0;        // macro instance on the die
    std::uint32_t layer = 0;        // workload layer index
    std::uint32_t column_base = 0;  // physical column of this column tile's first column
    std::uint32_t tile_base = 0;    // global index of the first row tile: a layer split into row
                                    // chunks (one per macro load) keys each tile as the whole layer would
    std::uint64_t epoch = 0;        // only used when static variation is redrawn per call (ASiM)
};

inline std::uint64_t stream_base(const stream_key& k, stream_kind kind) noexcept {
    std::uint64_t h = mix64(k.seed ^ 0xA5A5A5A5DEADBEEFULL);
    h = key_fold(h, static_cast<std::uint64_t>(kind));
    h = key_fold(h, k.die);
    h = key_fold(h, k.macro);
    return h;
}

// The draw of vector `vector` in the stream whose hashed base is `h`.
constexpr std::uint64_t draw(std::uint64_t h, std::uint64_t vector) noexcept {
    return mix64(h + (vector + 1) * golden_gamma);
}

// 63-bit uniform integer, the resolution the code tables are built for.
constexpr std::uint64_t draw63(std::uint64_t h, std::uint64_t vector) noexcept {
    return draw(h, vector) >> 1;
}

// Uniform in the open interval (0, 1) on a 2^-52 grid: (k + 0.5) * 2^-52 is exact for k < 2^52.
constexpr double to_unit_open(std::uint64_t r) noexcept {
    return (static_cast<double>(r >> 12) + 0.5) * 0x1.0p-52;
}

}  // namespace acim::core
