// `acim run`: a quantised network on a labelled data set through the bit-true ACiM core, with
// accuracy (float as recorded, ideal integer, ACiM), prediction flips against the ideal integer
// model, per-layer error statistics, conversion counts and simulation speed. A float model is first
// quantised (PTQ, cfg.ptq), calibrated on the first training images; its float accuracy is then
// computed on the host.
#pragma once

#include <acim/workloads/graph/network.hpp>
#include <acim/testbench/job_config.hpp>

#include <cstdint>
#include <string>

namespace acim::testbench {


// Returns the process exit code. Throws on bad input (model, data, configuration).
int run_job(const run_options& opt, const job_config& cfg);

// The shipped W8A8 CNN in the source tree (the same file is compiled into the binary).
std::string default_model_path();
// `path`, or the embedded default model when `path` is empty.
workloads::network load_model(const std::string& path);

}  // namespace acim::testbench
