// Fuzz target: the sweep specification (testbench/sweep/sweep_spec.hpp expand_spec), with the
// parameter names of the default tree as the known names, as `acim sweep` gets them from the
// child binary. std::invalid_argument is the documented answer to a bad spec.
#include "fuzz_input_file.hpp"

#include <acim/testbench/job_config.hpp>
#include <acim/testbench/sweep/sweep_spec.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>

namespace {

const std::set<std::string>& known() {
    static const std::set<std::string> names = [] {
        acim::testbench::job_config cfg;
        acim::testbench::run_options opt;
        const nlohmann::json values = acim::testbench::job_params(cfg, opt).values();
        std::set<std::string> s;
        for (auto it = values.begin(); it != values.end(); ++it) s.insert(it.key());
        return s;
    }();
    return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const acim::fuzz::input_file f(data, size);
    try {
        (void)acim::testbench::sweep::expand_spec(f.path(), known());
    } catch (const std::invalid_argument&) {
    }
    return 0;
}

// The testbench library links libsystemc, whose shared object calls sc_main from its own main();
// this executable has its own main (libFuzzer's or the replay driver's) and never elaborates.
extern "C" int sc_main(int, char*[]) { return 1; }  // C linkage, as <systemc> declares it
