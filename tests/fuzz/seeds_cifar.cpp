// Seed corpus of the CIFAR fuzz target (fuzz_cifar.cpp's input format: a mode byte, even for
// CIFAR-10 and odd for CIFAR-100, then the batch): one- and two-record batches of each.
// Usage: seeds_cifar OUT_DIR
#include "seed_files.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using bytes = acim::fuzz::seed_bytes;

// `records` records of `labels` label bytes (CIFAR-10: 1, CIFAR-100: coarse + fine) and 3072 pixels.
bytes batch(std::uint8_t mode, int records, int labels) {
    bytes b = {mode};
    for (int r = 0; r < records; ++r) {
        for (int l = 0; l < labels; ++l) b.push_back(static_cast<std::uint8_t>((r + 3 * l) % 10));
        for (int k = 0; k < 3072; ++k) b.push_back(static_cast<std::uint8_t>((r * 31 + k * 7) & 0xff));
    }
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_cifar OUT_DIR\n");
        return 2;
    }
    const std::string d = argv[1];
    bool ok = acim::fuzz::write_seed(d, "cifar10_1.bin", batch(0, 1, 1));
    ok = ok && acim::fuzz::write_seed(d, "cifar10_2.bin", batch(0, 2, 1));
    ok = ok && acim::fuzz::write_seed(d, "cifar100_1.bin", batch(1, 1, 2));
    ok = ok && acim::fuzz::write_seed(d, "cifar100_2.bin", batch(1, 2, 2));
    if (!ok) std::fprintf(stderr, "seeds_cifar: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}
