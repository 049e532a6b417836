// Seed corpus of the sweep-spec fuzz target: specs in the shapes docs/sweeps.md documents (grid
// axes, zipped axes, seeds and dies, a model axis, nested and dotted base keys).
// Usage: seeds_sweep OUT_DIR
#include "seed_files.hpp"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_sweep OUT_DIR\n");
        return 2;
    }
    const std::string d = argv[1];
    bool ok = acim::fuzz::write_seed(d, "grid.json", R"({"base": {"limit": 20, "threads": 1, "macro": {"row_parallelism": 255}},
 "axes": [{"key": "macro.adc_bits", "values": [6, 7, 8]}, {"key": "macro.sigma_rand", "values": [0, 0.2]}],
 "seeds": [1, 2]})");
    ok = ok && acim::fuzz::write_seed(d, "zip_dies.json", R"({"base": {"macro.sigma_rand": 0, "macro.sigma_col_gain": 1.0},
 "axes": [{"zip": [{"key": "macro.row_parallelism", "values": [127, 255]}, {"key": "macro.adc_bits", "values": [7, 8]}]}],
 "seeds": [1], "dies": 3})");
    ok = ok && acim::fuzz::write_seed(d, "models.json", R"({"description": "two models", "base": {"seed": 3},
 "axes": [{"key": "model", "values": ["a.onnx", "b.onnx"]}, {"key": "mapping.digital_layers", "values": ["0", "0,1"]}]})");
    ok = ok && acim::fuzz::write_seed(d, "minimal.json", R"({"axes": [{"key": "macro.adc_bits", "values": [8]}]})");
    if (!ok) std::fprintf(stderr, "seeds_sweep: cannot write into %s\n", d.c_str());
    return ok ? 0 : 1;
}
