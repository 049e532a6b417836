// The ptq.* job keys of `acim run` (testbench/job_config.cpp, docs/ptq.md): bad values are errors
// naming the key and the value; good ones are applied and shown by `acim config --dump`.
#include <acim/testbench/job_config.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using acim::workloads::calibration_method;

TEST(PtqKeys, BadValuesNameKeyAndValue) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"ptq.wbit", "1"},          {"ptq.wbit", "17"},          {"ptq.xbit", "0"},
        {"ptq.xbit", "eight"},      {"ptq.calibration_images", "0"}, {"ptq.calibration_images", "-5"},
        {"ptq.method", "mean"},     {"ptq.percentile", "0"},     {"ptq.percentile", "100.5"},
        {"ptq.percentile", "nan"}};
    for (const auto& [key, value] : bad) {
        acim::testbench::job_config cfg;
        acim::testbench::run_options opt;
        acim::testbench::job_params params(cfg, opt);
        try {
            params.assign(key + "=" + value);
            ADD_FAILURE() << key << "=" << value << " was accepted";
        } catch (const std::invalid_argument& e) {
            const std::string w = e.what();
            EXPECT_NE(w.find(key), std::string::npos) << w;
            EXPECT_NE(w.find("'" + value + "'"), std::string::npos) << w;
        }
    }
}

TEST(PtqKeys, GoodValuesAreAppliedAndDumped) {
    acim::testbench::job_config cfg;
    acim::testbench::run_options opt;
    acim::testbench::job_params params(cfg, opt);
    EXPECT_FALSE(cfg.ptq_given());
    for (const char* a : {"ptq.wbit=4", "ptq.xbit=6", "ptq.calibration_images=64", "ptq.method=percentile",
                          "ptq.percentile=99.9"})
        params.assign(a);
    EXPECT_TRUE(cfg.ptq_given());
    EXPECT_EQ(cfg.ptq.wbit, 4);
    EXPECT_EQ(cfg.ptq.xbit, 6);
    EXPECT_EQ(cfg.ptq.calibration_images, 64u);
    EXPECT_EQ(cfg.ptq.method, calibration_method::percentile);
    EXPECT_EQ(cfg.ptq.percentile, 99.9);
    const std::string d = params.dump();
    EXPECT_NE(d.find("ptq.calibration_images = 64  [images]"), std::string::npos) << d;
    EXPECT_NE(d.find("ptq.method = percentile  [max|percentile]"), std::string::npos) << d;
    EXPECT_NE(d.find("training images"), std::string::npos) << d;
}
