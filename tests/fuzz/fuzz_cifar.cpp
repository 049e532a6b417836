// Fuzz target: the CIFAR binary batch reader (workloads/data/arrays.hpp read_cifar_set). The first
// byte chooses CIFAR-10 (even) or CIFAR-100 (odd); the rest is the batch file. data_set_error is
// the expected answer to a bad file.
#include "fuzz_input_file.hpp"

#include <acim/workloads/data/arrays.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace acim::workloads;
    if (size < 1) return 0;
    try {
        const acim::fuzz::input_file f(data + 1, size - 1);
        (void)read_cifar_set(f.path(), (data[0] & 1u) ? 100 : 10);
    } catch (const data_set_error&) {
    }
    return 0;
}
