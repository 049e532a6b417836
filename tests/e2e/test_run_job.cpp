// `acim run` end to end on the first Fashion-MNIST test images: the lossless macro reproduces the
// ideal integer predictions exactly, noisy runs are deterministic across threads and batch sizes,
// and report.json / layers.csv hold the documented fields.
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

nlohmann::json run(job_config cfg, std::size_t limit, const std::string& tag, const std::string& model = "") {
    run_options o;
    o.model = model;
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

// ---------------------------------------------------------------------------------------------
// Float models: post-training quantisation at load (docs/ptq.md)

namespace {
const std::string float_model = std::string(ACIM_SOURCE_DIR) + "/workloads/models/cnn_float.onnx";

bool have_train_set() {
    const auto f = acim::workloads::fashion_mnist_train_files();
    return fs::exists(f.images) && fs::exists(f.labels);
}

std::string run_error(const job_config& cfg, const std::string& model) {
    run_options o;
    o.model = model;
    o.limit = 10;
    o.progress = false;
    try {
        acim::testbench::run_job(o, cfg);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(RunJob, FloatModelIsQuantisedAtLoad) {
    if (!have_dataset() || !have_train_set()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config cfg;  // lossless macro: ACiM equals the ideal integer model of the PTQ network
    cfg.ptq.calibration_images = 200;
    cfg.ptq.wbit = 6;
    cfg.ptq.xbit = 6;
    cfg.batch = 64;
    const auto r = run(cfg, 200, "ptq", float_model);
    EXPECT_EQ(r["prediction_flips_vs_ideal"], 0);
    EXPECT_EQ(r["accuracy"]["acim"], r["accuracy"]["ideal_integer"]);
    EXPECT_GT(r["accuracy"]["float_host"].get<double>(), 0.8);
    EXPECT_GT(r["accuracy"]["ideal_integer"].get<double>(), 0.8);
    EXPECT_EQ(r["ptq"]["wbit"], 6);
    EXPECT_EQ(r["ptq"]["calibration_images"], 200);
    EXPECT_EQ(r["ptq"]["method"], "max");
    ASSERT_EQ(r["ptq"]["layers"].size(), 4u);
    EXPECT_EQ(r["ptq"]["layers"][0]["s_x"], 1.0f + 1e-7f);  // pixels up to 1.0 in the training images
    for (const auto& l : r["layers"]) {
        EXPECT_EQ(l["wbit"], 6) << l["name"];
        EXPECT_EQ(l["exact_fraction"], 1.0) << l["name"];
    }
    EXPECT_EQ(r["config"]["ptq.xbit"], "6");
}

TEST(RunJob, PtqErrorsNameKeyAndValue) {
    if (!have_dataset() || !have_train_set()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config too_many;
    too_many.ptq.calibration_images = 60001;
    const std::string e1 = run_error(too_many, float_model);
    EXPECT_NE(e1.find("ptq.calibration_images = '60001'"), std::string::npos) << e1;
    EXPECT_NE(e1.find("60000"), std::string::npos) << e1;
    // ptq.* keys on an already quantised model are an error, not silently unused.
    job_config cfg;
    auto params = acim::testbench::job_params(cfg);
    acim::testbench::apply_override(params, "ptq.wbit=4");
    const std::string e2 = run_error(cfg, "");
    EXPECT_NE(e2.find("ptq"), std::string::npos) << e2;
    EXPECT_NE(e2.find("already quantised"), std::string::npos) << e2;
}
