// Seed corpus of the IDX fuzz target (fuzz_idx.cpp's input format: a mode byte, then one IDX
// file, or a 2-byte split position and an image file followed by a label file), plain and gzip.
// Usage: seeds_idx OUT_DIR
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;

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

bytes pair(const bytes& images, const bytes& labels) {
    bytes b = {1, static_cast<std::uint8_t>(images.size() >> 8), static_cast<std::uint8_t>(images.size())};
    b.insert(b.end(), images.begin(), images.end());
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

bool write(const std::string& dir, const std::string& name, const bytes& b) {
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return static_cast<bool>(f);
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
    const bool ok = write(d, "images_plain", single(images)) && write(d, "labels_plain", single(labels)) &&
                    write(d, "images_gzip", single(gzip(images))) &&
                    write(d, "set_plain", pair(images, labels)) &&
                    write(d, "set_gzip", pair(gzip(images), gzip(labels))) &&
                    write(d, "set_2d", pair(idx({2, 3}, 3), idx({2}, 4)));
    if (!ok) std::fprintf(stderr, "seeds_idx: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}
