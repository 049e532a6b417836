// Spec expansion (grid products, zipped groups, repeats, stable ids) and the summary statistics.
#include "sweep_aggregate.hpp"
#include "sweep_spec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using namespace acim::testbench::sweep;

namespace {

const std::set<std::string> known{"macro.adc_bits", "macro.row_parallelism", "hw.rows", "macro.sigma_rand",
                                  "mapping.digital_layers", "run.die"};

std::string write_spec(const std::string& name, const std::string& text) {
    const fs::path p = fs::temp_directory_path() / ("acim_sweep_test_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(p) << text;
    return p.string();
}

sweep_plan expand(const std::string& text) {
    const std::string p = write_spec("spec.json", text);
    sweep_plan plan = expand_spec(p, known);
    fs::remove(p);
    return plan;
}

}  // namespace

TEST(SweepSpec, GridTimesZipTimesRepeats) {
    const sweep_plan plan = expand(R"({"base": {"limit": 10},
        "axes": [{"key": "macro.adc_bits", "values": [6, 7, 8]},
                 {"zip": [{"key": "macro.row_parallelism", "values": [63, 127]}, {"key": "hw.rows", "values": [64, 128]}]}],
        "seeds": 2, "dies": [0, 5]})");
    EXPECT_EQ(plan.points, 6u);
    ASSERT_EQ(plan.runs.size(), 24u);
    EXPECT_EQ(plan.columns, (std::vector<std::string>{"macro.adc_bits", "macro.row_parallelism", "hw.rows", "seed", "die"}));
    // point-major, the last axis fastest; zipped keys step together
    EXPECT_EQ(plan.runs[0].axis_values, (std::vector<std::string>{"6", "63", "64", "1", "0"}));
    EXPECT_EQ(plan.runs[1].axis_values, (std::vector<std::string>{"6", "63", "64", "1", "5"}));
    EXPECT_EQ(plan.runs[4].axis_values, (std::vector<std::string>{"6", "127", "128", "1", "0"}));
    EXPECT_EQ(plan.runs[23].params.at("run.die"), "5");
    EXPECT_EQ(plan.runs[23].seed, 2u);
    std::set<std::string> ids;
    for (const auto& r : plan.runs) ids.insert(r.id);
    EXPECT_EQ(ids.size(), plan.runs.size());
}

TEST(SweepSpec, IdsAreStableAndIndependentOfSpelling) {
    // nested vs dotted base keys, entry order, a description: the same effective configuration
    const sweep_plan a = expand(R"({"base": {"macro": {"sigma_rand": 0.2}, "limit": 10}, "axes": [{"key": "macro.adc_bits", "values": [7]}]})");
    const sweep_plan b = expand(R"({"description": "x", "axes": [{"values": [7], "key": "macro.adc_bits"}], "base": {"limit": 10, "macro.sigma_rand": 0.2}})");
    ASSERT_EQ(a.runs.size(), 1u);
    EXPECT_EQ(a.runs[0].id, b.runs[0].id);
    EXPECT_EQ(a.runs[0].id.size(), 16u);
    const sweep_plan c = expand(R"({"base": {"macro": {"sigma_rand": 0.3}, "limit": 10}, "axes": [{"key": "macro.adc_bits", "values": [7]}]})");
    EXPECT_NE(a.runs[0].id, c.runs[0].id);
    // the plan round-trips through plan.json
    const sweep_plan r = sweep_plan::from_json(a.to_json());
    EXPECT_EQ(r.runs[0].id, a.runs[0].id);
    EXPECT_EQ(r.runs[0].args(), a.runs[0].args());
}

TEST(SweepSpec, ListValuesAndArgs) {
    const sweep_plan p = expand(R"({"base": {"mapping": {"digital_layers": [0, 3]}, "seed": 9}})");
    ASSERT_EQ(p.runs.size(), 1u);
    EXPECT_EQ(p.runs[0].params.at("mapping.digital_layers"), "0,3");
    const auto args = p.runs[0].args();
    EXPECT_NE(std::find(args.begin(), args.end(), "mapping.digital_layers=0,3"), args.end());
    EXPECT_NE(std::find(args.begin(), args.end(), "9"), args.end());
}

TEST(SweepSpec, ErrorsNameTheEntry) {
    const auto msg = [](const std::string& text) {
        try {
            expand(text);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(msg(R"({"axes": [{"key": "macro.adc_bits", "values": []}]})").find("axes[0].values: empty axis"), std::string::npos);
    EXPECT_NE(msg(R"({"axes": [{"key": "x.y", "values": [1]}]})").find("axes[0].key: unknown parameter 'x.y'"), std::string::npos);
    EXPECT_NE(msg(R"({"axes": [{"key": "macro.adc_bits", "values": [6, 6]}]})").find("duplicate point"), std::string::npos);
    EXPECT_NE(msg(R"({"dies": 0})").find("dies: the count must be at least 1"), std::string::npos);
    EXPECT_NE(msg(R"({"base": {"limit": "ten"}})").find("base.limit: expected a non-negative integer"), std::string::npos);
    EXPECT_NE(msg(R"({"axes": [{"key": "macro.adc_bits", "values": [{"a": 1}]}]})").find("axes[0].values[0]"), std::string::npos);
    EXPECT_NE(msg("[1, 2]").find("top level"), std::string::npos);
}

TEST(SweepStats, StudentT95) {
    const sample_stats s = stats_of({1.0, 2.0, 3.0});
    EXPECT_EQ(s.n, 3u);
    EXPECT_DOUBLE_EQ(s.mean, 2.0);
    EXPECT_DOUBLE_EQ(s.sd, 1.0);
    // t(0.975, 2) in closed form: (2p - 1) / sqrt(2 p (1 - p)) with p = 0.975
    EXPECT_NEAR(s.ci95, 0.95 / std::sqrt(2.0 * 0.975 * 0.025) / std::sqrt(3.0), 1e-12);
    const sample_stats same = stats_of({0.905, 0.905, 0.905});
    EXPECT_EQ(same.sd, 0.0);
    EXPECT_EQ(same.ci95, 0.0);
    EXPECT_TRUE(std::isnan(stats_of({1.0}).sd));
}
