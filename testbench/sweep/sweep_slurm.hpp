// The Slurm backend of `acim sweep`: the plan's runs bundled into array tasks of about
// `task_seconds` of work each (estimated as overhead + images / rate per run), a manifest
// (OUT/slurm/manifest.json: task index -> run ids) and a task script that runs `acim sweep --task`,
// submitted as one `sbatch --array` of the tasks that still miss a result. Resubmitting the same
// spec submits only those indices; `acim sweep --collect OUT` aggregates.
#pragma once

#include "sweep_spec.hpp"

#include <filesystem>
#include <string>

namespace acim::testbench::sweep {

struct slurm_options {
    std::string partition, account;
    std::string sbatch_extra;            // more sbatch arguments, space-separated (e.g. "--mem=1G --time=10")
    double task_seconds = 10.0;          // target work per array task
    double images_per_second = 500.0;    // per thread, for the estimate
    double run_overhead_seconds = 0.3;   // process start, elaboration, model load per run
    bool wait = false;                   // poll squeue until the array is gone, then collect
    double wait_timeout_seconds = 3600.0;
    int threads = 1;
};

// Returns the process exit code (0: submitted, or nothing left to run / everything done after --wait).
int submit_slurm(const sweep_plan& plan, const std::filesystem::path& out, const std::string& exe,
                 const slurm_options& opt);

// Runs the bundle of array task `index` (inside Slurm). Returns the exit code.
int run_slurm_task(const std::filesystem::path& out, std::size_t index, const std::string& exe);

}  // namespace acim::testbench::sweep
