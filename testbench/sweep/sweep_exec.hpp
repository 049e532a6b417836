// Running the plan's child `acim run` processes and keeping their results: each run writes into
// OUT/points/<id>/run/, and the sweep publishes OUT/points/<id>/result.json (or error.json for a
// failure) atomically once the child has exited, so a run is done exactly when result.json exists.
// A child dies with the sweep (PR_SET_PDEATHSIG), and a child that finished before the sweep could
// publish its result is adopted on restart instead of run again: a sweep killed at any instant
// and restarted loses no run and completes none twice. OUT/runs.log records every start and end.
#pragma once

#include <acim/testbench/files.hpp>

#include "sweep_spec.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace acim::testbench::sweep {

struct captured {
    int status = -1;     // exit code, or 128 + signal
    std::string output;  // stdout and stderr
};

// Runs `exe args...` and returns its exit status and output.
captured run_capture(const std::string& exe, const std::vector<std::string>& args);

// The parameter names the child binary accepts: `exe config --dump --json`, else the text dump.
std::set<std::string> known_parameters(const std::string& exe);

// Before anything runs: every distinct parameter value through `exe config --dump`, every model
// file and data directory present. Throws std::invalid_argument naming the entry.
void validate_plan(const sweep_plan& plan, const std::string& exe);

std::filesystem::path point_dir(const std::filesystem::path& out, const sweep_run& r);
bool run_done(const std::filesystem::path& out, const sweep_run& r);

// write_atomic: testbench/files.hpp (one writer for the run and the sweep).
using acim::testbench::write_atomic;

// Runs `r` to completion in this process's child (or adopts a finished child's report) and
// publishes result.json or error.json. Returns true on success.
bool run_one_blocking(const std::filesystem::path& out, const sweep_run& r, const std::string& exe, int threads);

// Runs every run that is not done with `jobs` children at a time, `threads` threads each, with a
// progress bar (on a terminal) or progress lines. Returns the number of failed runs.
std::size_t run_local(const sweep_plan& plan, const std::filesystem::path& out, const std::string& exe, int jobs,
                      int threads);

}  // namespace acim::testbench::sweep
