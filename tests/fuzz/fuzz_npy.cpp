// Fuzz target: the NumPy readers (workloads/data/arrays.hpp). The first byte chooses the reader:
//   0 mod 3: parse_npy on the rest (in memory);
//   1 mod 3: read_npz_set on the rest as an .npz file (members x and y, 10 classes);
//   2 mod 3: read_npy_set on two files: the rest is split at a position taken from bytes 1-2.
// data_set_error is the expected answer to a bad file.
#include "fuzz_input_file.hpp"

#include <acim/workloads/data/arrays.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace acim::workloads;
    if (size < 1) return 0;
    // A small size limit keeps a deflate bomb or a huge declared shape cheap; the limit check
    // itself is under test.
    constexpr std::size_t max_bytes = std::size_t{1} << 24;
    try {
        switch (data[0] % 3) {
        case 0:
            (void)parse_npy(data + 1, size - 1, "fuzz.npy", max_bytes);
            break;
        case 1: {
            const acim::fuzz::input_file f(data + 1, size - 1);
            (void)read_npz_set(f.path(), "x", "y", 10);
            break;
        }
        default: {
            if (size < 3) return 0;
            const std::size_t rest = size - 3;
            const std::size_t cut = rest == 0 ? 0 : ((std::size_t{data[1]} << 8) | data[2]) % (rest + 1);
            const acim::fuzz::input_file images(data + 3, cut);
            const acim::fuzz::input_file labels(data + 3 + cut, rest - cut);
            (void)read_npy_set(images.path(), labels.path(), 10);
        }
        }
    } catch (const data_set_error&) {
    }
    return 0;
}
