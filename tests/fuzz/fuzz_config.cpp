// Fuzz target: the run configuration JSON (testbench/job_config.hpp apply_json_file, which takes
// a path: the input is handed over as a memory file). std::invalid_argument is the documented
// answer to a bad file; anything else is a finding. Each input starts from the default tree.
#include "fuzz_input_file.hpp"

#include <acim/testbench/job_config.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    acim::testbench::job_config cfg;
    acim::testbench::run_options opt;
    acim::testbench::job_params params(cfg, opt);
    const acim::fuzz::input_file f(data, size);
    try {
        params.apply_json_file(f.path());
    } catch (const std::invalid_argument&) {
    }
    return 0;
}

// The testbench library links libsystemc, whose shared object calls sc_main from its own main();
// this executable has its own main (libFuzzer's or the replay driver's) and never elaborates.
extern "C" int sc_main(int, char*[]) { return 1; }  // C linkage, as <systemc> declares it
