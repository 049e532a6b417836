// Seed corpus of the config-JSON fuzz target: the whole default parameter tree as nested JSON
// (every key the loader knows, from job_params itself, so the seeds follow renames), and a few
// small files with one section each. Usage: seeds_config OUT_DIR
#include "seed_files.hpp"

#include <acim/testbench/job_config.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_config OUT_DIR\n");
        return 2;
    }
    const std::string d = argv[1];
    acim::testbench::job_config cfg;
    acim::testbench::run_options opt;
    const nlohmann::json all = acim::testbench::job_params(cfg, opt).to_json();
    bool ok = acim::fuzz::write_seed(d, "defaults.json", all.dump(1));
    int k = 0;
    for (const auto& [section, tree] : all.items())
        ok = ok && acim::fuzz::write_seed(d, "section_" + std::to_string(k++) + ".json", nlohmann::json{{section, tree}}.dump());
    ok = ok && acim::fuzz::write_seed(d, "empty.json", "{}");
    if (!ok) std::fprintf(stderr, "seeds_config: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}

// libsystemc's main() calls sc_main; this program has its own main and never elaborates.
extern "C" int sc_main(int, char*[]) { return 1; }  // C linkage, as <systemc> declares it
