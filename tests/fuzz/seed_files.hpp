// What every seed generator (seeds_<name>.cpp) shares: writing one seed file, and the input format
// of the targets that take two files (a mode byte, a 2-byte split position, then both files).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace acim::fuzz {

using seed_bytes = std::vector<std::uint8_t>;

inline bool write_seed(const std::string& dir, const std::string& name, const std::string& data) {
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(f);
}

inline bool write_seed(const std::string& dir, const std::string& name, const seed_bytes& data) {
    return write_seed(dir, name, std::string(data.begin(), data.end()));
}

// mode, first.size() as 2 big-endian bytes, first, second (fuzz_idx.cpp and fuzz_npy.cpp split there).
inline seed_bytes split_pair(std::uint8_t mode, const seed_bytes& first, const seed_bytes& second) {
    seed_bytes b(3 + first.size() + second.size());
    b[0] = mode;
    b[1] = static_cast<std::uint8_t>(first.size() >> 8);
    b[2] = static_cast<std::uint8_t>(first.size());
    std::copy(first.begin(), first.end(), b.begin() + 3);
    std::copy(second.begin(), second.end(), b.begin() + 3 + static_cast<std::ptrdiff_t>(first.size()));
    return b;
}

}  // namespace acim::fuzz
