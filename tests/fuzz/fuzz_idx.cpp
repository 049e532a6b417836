// Fuzz target: IDX files (workloads/data/idx.hpp), plain or gzip, through the path-taking readers
// `acim run` uses. The first byte chooses the reader: even -> read_idx on the rest; odd -> the
// rest is split at a position taken from bytes 1-2 into an image file and a label file for
// read_image_set (10 classes). idx_error is the expected answer to a bad file.
#include "fuzz_input_file.hpp"

#include <acim/workloads/data/idx.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace acim::workloads;
    if (size < 1) return 0;
    // A small decompression limit keeps a gzip bomb cheap; the limit check itself is under test.
    constexpr std::size_t max_bytes = std::size_t{1} << 24;
    try {
        if ((data[0] & 1u) == 0) {
            const acim::fuzz::input_file f(data + 1, size - 1);
            (void)read_idx(f.path(), max_bytes);
        } else {
            if (size < 3) return 0;
            const std::size_t rest = size - 3;
            const std::size_t cut = rest == 0 ? 0 : ((std::size_t{data[1]} << 8) | data[2]) % (rest + 1);
            const acim::fuzz::input_file images(data + 3, cut);
            const acim::fuzz::input_file labels(data + 3 + cut, rest - cut);
            (void)read_image_set(images.path(), labels.path(), 10);
        }
    } catch (const idx_error&) {
    }
    return 0;
}
