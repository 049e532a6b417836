// `acim run` end to end on the first Fashion-MNIST test images: the lossless macro reproduces the
// ideal integer predictions exactly, noisy runs are deterministic across threads and batch sizes,
// the TLM path (workload driver -> bus -> acim_macro instances) gives the core path's numbers bit
// for bit plus cycles and energy, and report.json / layers.csv hold the documented fields.
// The TLM path elaborates SystemC once per process: one TLM run per test.
// Static mismatch set through the parameters is frozen per die.
#include <acim/workloads/data/idx.hpp>
#include <acim/testbench/run_job.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using acim::testbench::job_config;
using acim::testbench::run_options;
using acim::testbench::run_path;

namespace {

bool have_dataset() {
    const auto f = acim::workloads::fashion_mnist_test_files();
    return fs::exists(f.images) && fs::exists(f.labels);
}

// Under the sanitizer stage of scripts/test.sh (ACIM_SANITIZER_RUN set; ASan makes a run ~20x
// slower) the lossless and determinism tests use a quarter of the images (the TLM-vs-core test
// keeps its 100: fewer images would not force weight reloads on its 3-macro pool).
std::size_t images(std::size_t n) { return std::getenv("ACIM_SANITIZER_RUN") != nullptr ? n / 4 : n; }

job_config core_path(job_config c) {
    c.path = run_path::core;
    return c;
}

std::vector<std::string> csv_lines(const fs::path& p) {
    std::ifstream f(p);
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);) lines.push_back(l);
    return lines;
}

nlohmann::json run(job_config cfg, std::size_t limit, const std::string& tag,
                   std::vector<std::string>* csv = nullptr, const std::string& model = "") {
    run_options o;
    o.model = model;
    o.limit = limit;
    o.progress = false;
    o.out_dir = (fs::temp_directory_path() / ("acim_e2e_" + tag + "_" + std::to_string(::getpid()))).string();
    EXPECT_EQ(acim::testbench::run_job(o, cfg), 0);
    std::ifstream f(fs::path(o.out_dir) / "report.json");
    nlohmann::json j = nlohmann::json::parse(f);
    EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "layers.csv"));
    EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "code_errors.csv"));
    if (csv) *csv = csv_lines(fs::path(o.out_dir) / "layers.csv");
    for (const auto& e : fs::directory_iterator(o.out_dir))  // no temporary of write_atomic left behind
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
    fs::remove_all(o.out_dir);
    return j;
}

}  // namespace

TEST(RunJob, LosslessMacroEqualsIdealIntegerModel) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config cfg;  // nrow 255, 8-bit ADC, no noise, all layers on ACiM
    cfg.batch = 64;
    const std::size_t n = images(200);
    const auto r = run(cfg, n, "lossless");  // through the TLM macros
    EXPECT_EQ(r["path"], "tlm");
    EXPECT_EQ(r["images"], n);
    EXPECT_EQ(r["prediction_flips_vs_ideal"], 0);
    EXPECT_EQ(r["accuracy"]["acim"], r["accuracy"]["ideal_integer"]);
    ASSERT_EQ(r["layers"].size(), 4u);
    for (const auto& l : r["layers"]) {
        EXPECT_EQ(l["exact_fraction"], 1.0) << l["name"];
        EXPECT_TRUE(l["sqnr_db"].is_null()) << l["name"];  // error-free: infinite SQNR is null, a number never a string
        EXPECT_EQ(l["code_errors"]["nonzero"], 0) << l["name"];  // every ADC code is the ideal code
        EXPECT_EQ(l["code_errors"]["conversions"], l["adc_conversions"]) << l["name"];
        EXPECT_GT(l["conversions"].get<double>(), 0.0) << l["name"];
    }
    // conv1: n images x 784 pixels x 16 outputs x 1 tile x 8 x 8 cycles.
    EXPECT_EQ(r["layers"][0]["conversions"], n * 784 * 16 * 64);
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
    a = core_path(a);
    b = core_path(b);
    const auto ra = run(a, images(200), "a"), rb = run(b, images(200), "b");
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
    const auto rc = run(c, images(200), "c");
    EXPECT_NE(ra["layers"][1]["sqnr_db"], rc["layers"][1]["sqnr_db"]);
}

// The same noisy job through the TLM macros and on the core engines: identical accuracy, flips,
// per-layer errors and conversion counters; the TLM run adds cycles, energy and TOPS/W. With a
// pool of 3 macros (pieces time-multiplexed, weights reloaded) the numbers stay the same.
TEST(RunJob, TlmPathEqualsCorePathBitForBit) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config a;
    a.backend.macro.sigma_rand = 0.3;
    a.backend.macro.hybrid_levels = 1;
    a.backend.macro.voting_levels = 1;
    a.backend.macro.voting_samples = 3;
    a.backend.seed = 11;
    a.backend.threads = 2;
    a.backend.macros = 3;
    a.hw.rows = 128;  // fc1 (1568 rows) and conv2 (144 rows) need several row chunks
    a.backend.macro.row_parallelism = 64;
    a.batch = 50;
    const auto rt = run(a, 100, "tlm");
    job_config c = core_path(a);
    c.batch = 33;
    c.backend.threads = 1;
    const auto rc = run(c, 100, "core");
    EXPECT_EQ(rt["path"], "tlm");
    EXPECT_EQ(rc["path"], "core");
    EXPECT_EQ(rt["accuracy"], rc["accuracy"]);
    EXPECT_EQ(rt["prediction_flips_vs_ideal"], rc["prediction_flips_vs_ideal"]);
    ASSERT_EQ(rt["layers"].size(), rc["layers"].size());
    for (std::size_t k = 0; k < rt["layers"].size(); ++k) {
        for (const char* f : {"sqnr_db", "max_abs_error", "exact_fraction", "conversions", "analog", "digital_cycles",
                              "voted", "adc_conversions", "saturations", "pieces", "code_errors"})
            EXPECT_EQ(rt["layers"][k][f], rc["layers"][k][f]) << "layer " << k << " " << f;
    }
    EXPECT_GT(rt["layers"][2]["pieces"].get<int>(), 3);  // fc1: 25 row chunks x 2 column chunks on 3 macros
    const auto& h = rt["hardware"];
    EXPECT_EQ(h["macros"], 3);
    EXPECT_EQ(h["weight_stationary"], false);
    EXPECT_GT(h["weight_reloads"].get<double>(), 0.0);
    EXPECT_GT(h["macro_cycles"].get<double>(), 0.0);
    EXPECT_GT(h["energy_fj"].get<double>(), 0.0);
    EXPECT_FALSE(rc.contains("hardware"));
}

// The golden report of the default job on the first 200 images through the TLM path: every field
// the README promises, with values that hold for any correct build (exact counts from the network
// shape, accuracies from the ideal model, consistency of totals and per-layer numbers).
TEST(RunJob, GoldenReportOnTheFirst200Images) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const job_config cfg = job_config::shipped();  // the `acim run` defaults
    std::vector<std::string> csv;
    const auto r = run(cfg, 200, "golden", &csv);
    EXPECT_EQ(r["images"], 200);
    EXPECT_EQ(r["path"], "tlm");
    EXPECT_NEAR(r["accuracy"]["float_recorded"].get<double>(), 0.8974, 1e-9);
    EXPECT_NEAR(r["accuracy"]["ideal_integer"].get<double>(), 0.905, 1e-9);  // 181 / 200, the ideal integer model
    const double acim = r["accuracy"]["acim"].get<double>();
    EXPECT_GT(acim, 0.70);
    const auto flips = r["prediction_flips_vs_ideal"].get<int>();
    EXPECT_GE(flips, std::abs(static_cast<int>(std::lround((acim - 0.905) * 200))));
    // Per class and the confusion matrix add up to the totals.
    ASSERT_EQ(r["per_class"].size(), 10u);
    ASSERT_EQ(r["confusion_matrix"].size(), 10u);
    std::size_t images = 0, diagonal = 0;
    double ideal_hits = 0.0;
    for (std::size_t c = 0; c < 10; ++c) {
        const auto& row = r["confusion_matrix"][c];
        ASSERT_EQ(row.size(), 10u);
        std::size_t in_row = 0;
        for (const auto& v : row) in_row += v.get<std::size_t>();
        const auto& pc = r["per_class"][c];
        EXPECT_EQ(pc["class"], c);
        EXPECT_EQ(pc["images"].get<std::size_t>(), in_row) << c;
        images += in_row;
        diagonal += row[c].get<std::size_t>();
        if (in_row) {
            EXPECT_DOUBLE_EQ(pc["acim"].get<double>(), static_cast<double>(row[c].get<std::size_t>()) / static_cast<double>(in_row));
            ideal_hits += pc["ideal_integer"].get<double>() * static_cast<double>(in_row);
        }
    }
    EXPECT_EQ(images, 200u);
    EXPECT_DOUBLE_EQ(static_cast<double>(diagonal) / 200.0, acim);
    EXPECT_NEAR(ideal_hits, 181.0, 1e-9);
    ASSERT_EQ(r["layers"].size(), 4u);
    const auto& L = r["layers"];
    EXPECT_EQ(L[0]["digital"], true);
    EXPECT_EQ(L[0]["conversions"], 0);
    EXPECT_EQ(L[0]["exact_fraction"], 1.0);
    // conv2: 200 x 196 pixels x 32 outputs x 1 tile x 64 cycles; fc1: 200 x 64 x 7 tiles x 64; fc2: 200 x 10 x 64.
    EXPECT_EQ(L[1]["conversions"], 200ull * 196 * 32 * 64);
    EXPECT_EQ(L[2]["conversions"], 200ull * 64 * 7 * 64);
    EXPECT_EQ(L[3]["conversions"], 200ull * 10 * 64);
    EXPECT_EQ(L[2]["pieces"], 14);  // 7 row chunks x 2 column chunks of 32 outputs
    std::uint64_t cycles = 0, energy = 0, macs = 0;
    for (std::size_t k = 1; k < 4; ++k) {
        EXPECT_LT(L[k]["exact_fraction"].get<double>(), 1.0) << k;  // noise is on
        // Code errors: one entry per ADC conversion; sigma = 0.255 LSB moves about 5 % by one LSB
        // (2 (1 - Phi(0.5 / 0.255)) = 5.0 %; fewer at count 0, which cannot go below code 0).
        const auto& ce = L[k]["code_errors"];
        EXPECT_EQ(ce["conversions"], L[k]["adc_conversions"]) << k;
        const double frac = ce["nonzero"].get<double>() / ce["conversions"].get<double>();
        EXPECT_GT(frac, 0.02) << k;
        EXPECT_LT(frac, 0.06) << k;
        EXPECT_LT(ce["abs_at_least_2"].get<double>(), 1e-4 * ce["conversions"].get<double>()) << k;
        EXPECT_EQ(ce["cycles"].size(), 64u) << k;
        EXPECT_GT(L[k]["sqnr_db"].get<double>(), 0.0) << k;
        const auto& h = L[k]["hardware"];
        EXPECT_GT(h["macro_cycles"].get<std::uint64_t>(), 0u) << k;
        EXPECT_GT(h["energy_fj"].get<std::uint64_t>(), 0u) << k;
        EXPECT_EQ(h["macs"].get<std::uint64_t>(),
                  (k == 1 ? 200ull * 196 : 200ull) * L[k]["rows"].get<std::uint64_t>() * L[k]["outputs"].get<std::uint64_t>())
            << k;
        cycles += h["macro_cycles"].get<std::uint64_t>();
        energy += h["energy_fj"].get<std::uint64_t>();
        macs += h["macs"].get<std::uint64_t>();
    }
    const auto& h = r["hardware"];
    EXPECT_EQ(h["macros"], 16);  // conv2 1 + fc1 14 + fc2 1, weight stationary
    EXPECT_EQ(h["weight_stationary"], true);
    EXPECT_EQ(h["weight_loads"], 16);
    EXPECT_EQ(h["weight_reloads"], 0);
    EXPECT_EQ(h["macro_cycles"].get<std::uint64_t>(), cycles);
    EXPECT_EQ(h["energy_fj"].get<std::uint64_t>(), energy);
    EXPECT_EQ(h["macs"].get<std::uint64_t>(), macs);
    EXPECT_NEAR(h["tops_per_watt"].get<double>(), 2.0 * static_cast<double>(macs) / static_cast<double>(energy) * 1e3, 1e-9);
    EXPECT_GT(h["simulated_seconds"].get<double>(), 0.0);
    for (const char* f : {"acim_seconds", "wall_seconds", "images_per_second", "conversions_per_second"})
        EXPECT_GT(r["speed"][f].get<double>(), 0.0) << f;
    EXPECT_EQ(r["config"]["macro.sigma_rand"], "0.1");
    EXPECT_EQ(r["config"]["run.seed"], "1");
    EXPECT_EQ(r["config"]["run.threads"], "2");
    EXPECT_EQ(h["adc_kind"], "sar");
    // Reproducibility (issue 10): what ran, on what, with which seed, from which build.
    EXPECT_EQ(r["schema_version"], 2);
    EXPECT_EQ(r["tool"]["name"], "acim-tlm");
    EXPECT_FALSE(r["tool"]["version"].get<std::string>().empty());
    EXPECT_EQ(r["run"]["seed"], 1);
    EXPECT_EQ(r["run"]["die"], 0);
    EXPECT_EQ(r["run"]["threads"], 2);
    EXPECT_EQ(r["run"]["batch"], 256);
    EXPECT_EQ(r["run"]["limit"], 200);
    EXPECT_EQ(r["run"]["model_sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(r["run"]["data"]["images_sha256"].get<std::string>().size(), 64u);
    EXPECT_NE(r["run"]["model_sha256"], r["run"]["data"]["labels_sha256"]);
    EXPECT_EQ(r["run"]["start_time"].get<std::string>().size(), 20u);  // 2026-12-07T21:00:00Z
    EXPECT_GT(r["run"]["wall_seconds"].get<double>(), 0.0);
    ASSERT_EQ(csv.size(), 5u);  // header + 4 layers
    EXPECT_EQ(r["layers"][1]["code_errors"]["errors"][0], -9);
    EXPECT_EQ(csv[0].rfind("layer,name,op,rows,outputs,digital,conversions", 0), 0u);
    EXPECT_NE(csv[2].find(",conv2,Conv,144,32,0,"), std::string::npos) << csv[2];
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
    const auto r = run(cfg, 200, "ptq", nullptr, float_model);
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
    run_options unused;
    acim::testbench::job_params params(cfg, unused);
    params.assign("ptq.wbit=4");
    const std::string e2 = run_error(cfg, "");
    EXPECT_NE(e2.find("ptq"), std::string::npos) << e2;
    EXPECT_NE(e2.find("already quantised"), std::string::npos) << e2;
}

// `acim run --trace FIRST:COUNT@MACRO` writes the macro's cycle-stepped VCD next to the report and
// names it there; a window on a macro the mapping does not have is an error naming --trace.
TEST(RunJob, TraceWindowWritesTheVcd) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config cfg;
    cfg.backend.macro.sigma_rand = 0.2;
    cfg.backend.digital_layers = {0};
    cfg.hw.trace_vectors = 2;
    run_options o;
    o.limit = 10;
    o.progress = false;
    o.trace = "1:2@0";  // macro 0 holds conv2: its 2nd and 3rd STARTs
    o.out_dir = (fs::temp_directory_path() / ("acim_e2e_trace_" + std::to_string(::getpid()))).string();
    ASSERT_EQ(acim::testbench::run_job(o, cfg), 0);
    const fs::path vcd = fs::path(o.out_dir) / "trace.vcd";
    ASSERT_TRUE(fs::exists(vcd));
    std::ifstream f(vcd);
    std::ostringstream buf;
    buf << f.rdbuf();
    const std::string text = buf.str();
    EXPECT_NE(text.find("$scope module acim_macro $end"), std::string::npos);
    EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
    // 2 runs x 2 vectors x 8 activation cycles: at least 32 time steps after the definitions.
    std::size_t stamps = 0;
    for (std::size_t at = text.find("\n#"); at != std::string::npos; at = text.find("\n#", at + 1)) ++stamps;
    EXPECT_GE(stamps, 32u);
    std::ifstream rf(fs::path(o.out_dir) / "report.json");
    const auto r = nlohmann::json::parse(rf);
    EXPECT_EQ(r["trace"], vcd.string());
    EXPECT_EQ(r["mapping"][0]["macro"], 0);
    EXPECT_EQ(r["mapping"][0]["layer"], 1);
    fs::remove_all(o.out_dir);

    run_options bad = o;
    bad.out_dir.clear();
    bad.trace = "0@40";
    try {
        acim::testbench::run_job(bad, cfg);
        ADD_FAILURE() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("--trace '0@40'"), std::string::npos) << e.what();
    }
}

TEST(RunJob, StaticMismatchFromParametersIsFrozenPerDie) {
    // `-p macro.<key>=...` reaches the core: a SAR die with capacitor mismatch and comparator
    // offset (no noise) changes the results, identically for any threads and batch size, and
    // another die changes them differently. report.json records the settings.
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    job_config a;
    run_options unused;
    acim::testbench::job_params params(a, unused);
    for (const char* o : {"macro.sigma_rand=0", "macro.adc_arch=sar", "macro.adcs=64", "macro.sigma_sar_cap=3",
                          "macro.sigma_cmp_offset=0.3", "run.die=1"})
        params.assign(o);
    EXPECT_THROW(params.assign("macro.adc_arch=pipelined"), std::invalid_argument);
    a.backend.threads = 1;
    a.batch = 50;
    job_config b = core_path(a);  // one TLM run per process; the core path gives the same numbers
    b.backend.threads = 2;
    b.batch = 33;
    const auto ra = run(a, 100, "mm_a"), rb = run(b, 100, "mm_b");
    EXPECT_EQ(ra["path"], "tlm");
    EXPECT_EQ(ra["config"]["macro.adc_arch"], "sar");
    EXPECT_EQ(ra["config"]["macro.sigma_sar_cap"], "3");
    EXPECT_EQ(ra["accuracy"], rb["accuracy"]);
    for (std::size_t k = 0; k < ra["layers"].size(); ++k)
        EXPECT_EQ(ra["layers"][k]["sqnr_db"], rb["layers"][k]["sqnr_db"]) << k;
    EXPECT_LT(ra["layers"][1]["exact_fraction"].get<double>(), 1.0);  // without noise: mismatch alone
    job_config c = b;
    c.backend.die = 2;
    const auto rc = run(c, 100, "mm_c");
    EXPECT_NE(ra["layers"][1]["sqnr_db"], rc["layers"][1]["sqnr_db"]);
}
