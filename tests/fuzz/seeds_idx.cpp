// Seed corpus of the IDX fuzz target (fuzz_idx.cpp's input format: a mode byte, then one IDX
// file, or a 2-byte split position and an image file followed by a label file), plain and gzip.
// Usage: seeds_idx OUT_DIR
#include "seed_files.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using bytes = acim::fuzz::seed_bytes;

bytes idx(const std::vector<std::uint32_t>& dims, std::uint8_t fill) {
    bytes b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    std::size_t n = 1;
    for (std::uint32_t d : dims) {
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
        n *= d;
    }
    for (std::size_t k = 0; k < n; ++k) b.push_back(static_cast<std::uint8_t>((fill + 37 * k) % 10));
    return b;
}

bytes gzip(const bytes& raw) {
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    bytes out(compressBound(static_cast<uLong>(raw.size())) + 32);
    z.next_in = const_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

bytes single(const bytes& file) {
    bytes b = {0};
    b.insert(b.end(), file.begin(), file.end());
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_idx OUT_DIR\n");
        return 2;
    }
    const std::string d = argv[1];
    const bytes images = idx({3, 4, 4}, 1);
    const bytes labels = idx({3}, 2);
    const bool ok = acim::fuzz::write_seed(d, "images_plain", single(images)) && acim::fuzz::write_seed(d, "labels_plain", single(labels)) &&
                    acim::fuzz::write_seed(d, "images_gzip", single(gzip(images))) &&
                    acim::fuzz::write_seed(d, "set_plain", acim::fuzz::split_pair(1, images, labels)) &&
                    acim::fuzz::write_seed(d, "set_gzip", acim::fuzz::split_pair(1, gzip(images), gzip(labels))) &&
                    acim::fuzz::write_seed(d, "set_2d", acim::fuzz::split_pair(1, idx({2, 3}, 3), idx({2}, 4)));
    if (!ok) std::fprintf(stderr, "seeds_idx: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}
