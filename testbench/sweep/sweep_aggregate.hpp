// Aggregation of a sweep's published results: results.csv (one row per run, i.e. per point, seed
// and die, every axis a column, failures with their error) and summary.csv (per point over its
// seeds and dies: mean, standard deviation and Student-t 95 % confidence interval of each metric).
#pragma once

#include "sweep_spec.hpp"

#include <filesystem>

namespace acim::testbench::sweep {

struct aggregate_counts {
    std::size_t ok = 0, failed = 0, missing = 0;
};

aggregate_counts aggregate(const sweep_plan& plan, const std::filesystem::path& out);

// Mean, sample standard deviation and the half width of the two-sided 95 % Student-t interval
// (sd and half width are NaN for fewer than two samples).
struct sample_stats {
    std::size_t n = 0;
    double mean = 0.0, sd = 0.0, ci95 = 0.0;
};
sample_stats stats_of(const std::vector<double>& xs);

}  // namespace acim::testbench::sweep
