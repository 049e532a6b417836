// `acim inspect --model M [--json]`: how a model would run, without running it. Lists every node
// of the imported graph — an ACiM layer with its bits, rows, row and column tiles, macros and ADC
// cycle evaluations per image, or a host op — and the layer -> macro mapping under the default
// macro geometry (256 x 256 SRAM, weight stationary, dense row tiles of ROW_PAR = 255). A model
// that does not import is listed by its blockers (every node, op and reason), exit status 1.
// Constant folding, Identity and Dropout leave no node: they cost nothing at run time.
#pragma once

#include <string>

namespace acim::testbench {

struct inspect_options {
    std::string model;
    bool json = false;
};

// Prints to stdout; returns 0 when the model imports, 1 when it has blockers. Throws on an unreadable
// or malformed file (as load_onnx does).
int run_inspect(const inspect_options& o);

}  // namespace acim::testbench
