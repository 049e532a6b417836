// Seed corpus of the NumPy fuzz target (fuzz_npy.cpp's input format: a mode byte, then one .npy,
// one .npz, or a 2-byte split position and an image .npy followed by a label .npy). The .npz is a
// stored (uncompressed) zip written here with zlib's CRC-32. Usage: seeds_npy OUT_DIR
#include "seed_files.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using bytes = acim::fuzz::seed_bytes;

// A version 1.0 .npy of `count` elements of `descr` (each `width` bytes, filled with small values).
bytes npy(const std::string& descr, const std::string& shape, std::size_t count, std::size_t width) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(h.size()),
               static_cast<std::uint8_t>(h.size() >> 8)};
    b.insert(b.end(), h.begin(), h.end());
    for (std::size_t k = 0; k < count; ++k) {
        std::uint8_t v[8] = {};
        if (descr == "<f4") {
            const float f = 0.25f * static_cast<float>(k % 5);
            std::memcpy(v, &f, 4);
        } else {
            v[0] = static_cast<std::uint8_t>(k % 10);
        }
        b.insert(b.end(), v, v + width);
    }
    return b;
}

void le(bytes& b, std::uint32_t v, int n) {
    for (int k = 0; k < n; ++k) b.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

// A zip of stored members: local headers, data, central directory, end record.
bytes zip(const std::vector<std::pair<std::string, bytes>>& members) {
    bytes out, central;
    for (const auto& [name, data] : members) {
        const auto crc = static_cast<std::uint32_t>(crc32(0L, data.data(), static_cast<uInt>(data.size())));
        const auto offset = static_cast<std::uint32_t>(out.size());
        const auto size = static_cast<std::uint32_t>(data.size());
        const auto nlen = static_cast<std::uint32_t>(name.size());
        le(out, 0x04034b50, 4); le(out, 20, 2); le(out, 0, 2); le(out, 0, 2); le(out, 0, 2); le(out, 0, 2);
        le(out, crc, 4); le(out, size, 4); le(out, size, 4); le(out, nlen, 2); le(out, 0, 2);
        out.insert(out.end(), name.begin(), name.end());
        out.insert(out.end(), data.begin(), data.end());
        le(central, 0x02014b50, 4); le(central, 20, 2); le(central, 20, 2); le(central, 0, 2); le(central, 0, 2);
        le(central, 0, 2); le(central, 0, 2); le(central, crc, 4); le(central, size, 4); le(central, size, 4);
        le(central, nlen, 2); le(central, 0, 2); le(central, 0, 2); le(central, 0, 2); le(central, 0, 2);
        le(central, 0, 4); le(central, offset, 4);
        central.insert(central.end(), name.begin(), name.end());
    }
    const auto cd_offset = static_cast<std::uint32_t>(out.size());
    const auto cd_size = static_cast<std::uint32_t>(central.size());
    out.insert(out.end(), central.begin(), central.end());
    const auto n = static_cast<std::uint32_t>(members.size());
    le(out, 0x06054b50, 4); le(out, 0, 2); le(out, 0, 2); le(out, n, 2); le(out, n, 2);
    le(out, cd_size, 4); le(out, cd_offset, 4); le(out, 0, 2);
    return out;
}

bytes with_mode(std::uint8_t mode, const bytes& file) {
    bytes b = {mode};
    b.insert(b.end(), file.begin(), file.end());
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_npy OUT_DIR\n");
        return 2;
    }
    const std::string d = argv[1];
    const bytes xf = npy("<f4", "(4, 2, 2)", 16, 4), xb = npy("|u1", "(4, 3)", 12, 1);
    const bytes y8 = npy("<i8", "(4,)", 4, 8), yb = npy("|u1", "(4,)", 4, 1);
    bool ok = acim::fuzz::write_seed(d, "npy_float.bin", with_mode(0, xf));
    ok = ok && acim::fuzz::write_seed(d, "npy_u8.bin", with_mode(0, xb));
    ok = ok && acim::fuzz::write_seed(d, "npy_labels.bin", with_mode(0, y8));
    ok = ok && acim::fuzz::write_seed(d, "npz_float.bin", with_mode(1, zip({{"x.npy", xf}, {"y.npy", y8}})));
    ok = ok && acim::fuzz::write_seed(d, "npz_u8.bin", with_mode(1, zip({{"x.npy", xb}, {"y.npy", yb}})));
    ok = ok && acim::fuzz::write_seed(d, "pair_float.bin", acim::fuzz::split_pair(2, xf, y8));
    ok = ok && acim::fuzz::write_seed(d, "pair_u8.bin", acim::fuzz::split_pair(2, xb, yb));
    if (!ok) std::fprintf(stderr, "seeds_npy: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}
