// `acim run` end to end on the first Fashion-MNIST test images: the lossless macro reproduces the
// ideal integer predictions exactly, noisy runs are deterministic across threads and batch sizes,
// report.json / layers.csv hold the documented fields, and static mismatch set through the
// parameters is frozen per die.
#include "data/idx.hpp"
#include "run_job.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using acim::testbench::job_config;
using acim::testbench::run_options;

namespace {

bool have_dataset() {
    const auto f = acim::workloads::fashion_mnist_test_files();
    return fs::exists(f.images) && fs::exists(f.labels);
}

nlohmann::json run(job_config cfg, std::size_t limit, const std::string& tag) {
    run_options o;
    o.limit = limit;
    o.progress = false;
    o.out_dir = (fs::temp_directory_path() / ("acim_e2e_" + tag + "_" + std::to_string(::getpid()))).string();
    EXPECT_EQ(acim::testbench::run_job(o, cfg), 0);
    std::ifstream f(fs::path(o.out_dir) / "report.json");
    nlohmann::json j = nlohmann::json::parse(f);
    EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "layers.csv"));
    EXPECT_FALSE(fs::exists(fs::path(o.out_dir) / "report.json.tmp"));
    fs::remove_all(o.out_dir);
    return j;
}

}  // namespace

TEST(RunJob, LosslessMacroEqualsIdealIntegerModel) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config cfg;  // nrow 255, 8-bit ADC, no noise, all layers on ACiM
    cfg.batch = 64;
    const auto r = run(cfg, 200, "lossless");
    EXPECT_EQ(r["images"], 200);
    EXPECT_EQ(r["prediction_flips_vs_ideal"], 0);
    EXPECT_EQ(r["accuracy"]["acim"], r["accuracy"]["ideal_integer"]);
    ASSERT_EQ(r["layers"].size(), 4u);
    for (const auto& l : r["layers"]) {
        EXPECT_EQ(l["exact_fraction"], 1.0) << l["name"];
        EXPECT_EQ(l["sqnr_db"], "inf") << l["name"];
        EXPECT_GT(l["conversions"].get<double>(), 0.0) << l["name"];
    }
    // conv1: 200 images x 784 pixels x 16 outputs x 1 tile x 8 x 8 cycles.
    EXPECT_EQ(r["layers"][0]["conversions"], 200ull * 784 * 16 * 64);
    EXPECT_NEAR(r["accuracy"]["float_recorded"].get<double>(), 0.8974, 1e-9);
}

TEST(RunJob, NoisyRunIsDeterministicAcrossThreadsAndBatches) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config a;
    a.backend.macro.sigma_rand = 0.4;
    a.backend.macro.hybrid_levels = 2;
    a.backend.seed = 7;
    a.backend.threads = 1;
    a.batch = 100;
    job_config b = a;
    b.backend.threads = 2;
    b.batch = 37;
    const auto ra = run(a, 200, "a"), rb = run(b, 200, "b");
    EXPECT_EQ(ra["accuracy"], rb["accuracy"]);
    EXPECT_EQ(ra["prediction_flips_vs_ideal"], rb["prediction_flips_vs_ideal"]);
    for (std::size_t k = 0; k < ra["layers"].size(); ++k) {
        EXPECT_EQ(ra["layers"][k]["sqnr_db"], rb["layers"][k]["sqnr_db"]) << k;
        EXPECT_EQ(ra["layers"][k]["saturations"], rb["layers"][k]["saturations"]) << k;
    }
    // Noise changes something, and a different seed changes it differently.
    EXPECT_GT(ra["prediction_flips_vs_ideal"].get<int>() + (ra["layers"][1]["exact_fraction"].get<double>() < 1.0), 0);
    job_config c = a;
    c.backend.seed = 8;
    const auto rc = run(c, 200, "c");
    EXPECT_NE(ra["layers"][1]["sqnr_db"], rc["layers"][1]["sqnr_db"]);
}

TEST(RunJob, BadInputsAreClearErrors) {
    run_options o;
    o.model = "/nonexistent.onnx";
    o.progress = false;
    EXPECT_THROW(acim::testbench::run_job(o, job_config{}), std::exception);
    if (!have_dataset()) return;
    job_config cfg;
    cfg.backend.macro.adc_bits = 0;  // invalid macro
    run_options ok;
    ok.limit = 10;
    ok.progress = false;
    try {
        acim::testbench::run_job(ok, cfg);
        ADD_FAILURE() << "expected an error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("adc_bits"), std::string::npos) << e.what();
    }
}

TEST(RunJob, StaticMismatchFromParametersIsFrozenPerDie) {
    // `-p macro.<key>=...` reaches the core: a SAR die with capacitor mismatch and comparator
    // offset (no noise) changes the results, identically for any threads and batch size, and
    // another die changes them differently. report.json records the settings.
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config a;
    auto params = acim::testbench::job_params(a);
    for (const char* o : {"macro.sigma_rand=0", "macro.adc_arch=sar", "macro.adcs=64", "macro.sigma_sar_cap=3",
                          "macro.sigma_cmp_offset=0.3", "run.die=1"})
        acim::testbench::apply_override(params, o);
    EXPECT_THROW(acim::testbench::apply_override(params, "macro.adc_arch=pipelined"), std::invalid_argument);
    a.backend.threads = 1;
    a.batch = 50;
    job_config b = a;
    b.backend.threads = 2;
    b.batch = 33;
    const auto ra = run(a, 100, "mm_a"), rb = run(b, 100, "mm_b");
    EXPECT_EQ(ra["config"]["macro.adc_arch"], "sar");
    EXPECT_EQ(ra["config"]["macro.sigma_sar_cap"], "3");
    EXPECT_EQ(ra["accuracy"], rb["accuracy"]);
    for (std::size_t k = 0; k < ra["layers"].size(); ++k)
        EXPECT_EQ(ra["layers"][k]["sqnr_db"], rb["layers"][k]["sqnr_db"]) << k;
    EXPECT_LT(ra["layers"][1]["exact_fraction"].get<double>(), 1.0);  // without noise: mismatch alone
    job_config c = a;
    c.backend.die = 2;
    const auto rc = run(c, 100, "mm_c");
    EXPECT_NE(ra["layers"][1]["sqnr_db"], rc["layers"][1]["sqnr_db"]);
}
