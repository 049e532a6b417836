// The parameter tree of `acim run` (testbench/job_config.hpp): the shipped defaults in one place,
// every owner's parameters present once, JSON files with lists and run.* aliases, `--dump --json`
// read back unchanged, precedence of sources, and the derived macro.sigma_lsb.
#include <acim/testbench/job_config.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

using acim::core::param_source;
using acim::testbench::job_config;
using acim::testbench::job_params;
using acim::testbench::run_options;

TEST(JobParams, ShippedDefaultsAreTheRunDefaults) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    const std::string d = p.dump();
    EXPECT_NE(d.find("macro.sigma_rand = 0.1  [% FS]  (default;"), std::string::npos) << d;
    EXPECT_NE(d.find("macro.adc_arch = sar"), std::string::npos) << d;
    EXPECT_NE(d.find("macro.adcs = 64"), std::string::npos) << d;
    EXPECT_NE(d.find("mapping.digital_layers = 0  [list]"), std::string::npos) << d;
    EXPECT_NE(d.find("run.seed = 1  [seed]"), std::string::npos) << d;
    EXPECT_NE(d.find("run.threads = 2  [threads]"), std::string::npos) << d;
    EXPECT_NE(d.find("run.limit = all  [images]"), std::string::npos) << d;
    EXPECT_NE(d.find("run.model =   [file]"), std::string::npos) << d;
    for (const char* key : {"run.batch", "run.path", "run.die", "run.data", "hw.rows", "hw.frame_vectors",
                            "hw.reg_access_cycles", "trace.vectors", "ptq.wbit", "mapping.macros", "macro.sigma_lsb"})
        EXPECT_NE(p.tree().find(key), nullptr) << key;
}

TEST(JobParams, DumpJsonReadsBackUnchanged) {
    job_config a = job_config::shipped();
    run_options oa;
    job_params pa(a, oa);
    pa.assign("macro.adc_bits=6");
    pa.assign("mapping.digital_layers=0,2");
    pa.assign("run.limit=100");
    pa.assign("hw.clock_period_ps=800");
    pa.assign("macro.sigma_lsb=0.5");
    const nlohmann::json dumped = pa.to_json();
    EXPECT_EQ(dumped["mapping"]["digital_layers"], nlohmann::json::array({0, 2}));
    EXPECT_EQ(dumped["run"]["limit"], 100);
    EXPECT_FALSE(dumped["macro"].contains("sigma_rand"));  // the noise is carried once, as written
    EXPECT_EQ(dumped["macro"]["sigma_lsb"], 0.5);
    job_config b;  // library defaults: every value must come from the file
    run_options ob;
    job_params pb(b, ob);
    pb.apply_json(dumped, "dump", param_source::file);
    EXPECT_EQ(pb.to_json(), dumped);
    EXPECT_EQ(b.backend.macro.adc_bits, 6);
    EXPECT_EQ(b.backend.digital_layers, (std::set<std::size_t>{0, 2}));
    EXPECT_EQ(ob.limit, 100u);
    EXPECT_EQ(b.hw.clock_period_ps, 800u);
    EXPECT_EQ(pb.tree().at("hw.clock_period_ps").source(), param_source::file);
}

TEST(JobParams, ConfigFilesHoldTheJobSettingsAndLists) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    p.apply_json(nlohmann::json::parse(R"({"model": "m.onnx", "data": "/d", "seed": 7, "limit": 20, "threads": 1,
                                           "batch": 32, "mapping": {"digital_layers": []}, "run": {"die": 3}})"),
                 "f.json", param_source::file);
    EXPECT_EQ(o.model, "m.onnx");
    EXPECT_EQ(o.data_dir, "/d");
    EXPECT_EQ(c.backend.seed, 7u);
    EXPECT_EQ(o.limit, 20u);
    EXPECT_EQ(c.backend.threads, 1);
    EXPECT_EQ(c.batch, 32u);
    EXPECT_TRUE(c.backend.digital_layers.empty());
    EXPECT_EQ(c.backend.die, 3u);
    // A later source overrides; the provenance says so.
    p.assign("run.seed=9");
    EXPECT_EQ(p.tree().at("run.seed").source(), param_source::command_line);
    EXPECT_EQ(p.sources()["run.seed"], "-p");
    EXPECT_EQ(p.sources()["run.limit"], "file");
    EXPECT_FALSE(p.sources().contains("macro.adc_bits"));
}

TEST(JobParams, BadFilesAndValuesNameTheEntry) {
    job_config c;
    run_options o;
    job_params p(c, o);
    const auto error = [&](const char* text) {
        try {
            p.apply_json(nlohmann::json::parse(text), "f.json", param_source::file);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(error(R"({"macro": {"adc_bits": 99}})").find("f.json: invalid parameter macro.adc_bits = '99'"), std::string::npos);
    EXPECT_NE(error(R"({"hw": {"rowz": 1}})").find("unknown parameter 'hw.rowz'"), std::string::npos);
    EXPECT_NE(error(R"({"mapping": {"digital_layers": [0, -1]}})").find("non-negative integers"), std::string::npos);
    EXPECT_NE(error(R"({"run": {"seed": null}})").find("run.seed = null"), std::string::npos);
    EXPECT_NE(error(R"([1, 2])").find("top level must be a JSON object"), std::string::npos);
    EXPECT_NE(error(R"({"run": {"seed": -1}})").find("run.seed = '-1'"), std::string::npos);
    EXPECT_THROW(p.apply_json_file("/"), std::invalid_argument);
    EXPECT_THROW(p.apply_json_file("/nonexistent/config.json"), std::invalid_argument);
}

TEST(JobParams, SigmaLsbSetsSigmaRandFromTheAdcBits) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    p.assign("macro.adc_bits=7");
    p.assign("macro.sigma_lsb=1");
    acim::testbench::resolve_derived(c);
    EXPECT_DOUBLE_EQ(c.backend.macro.sigma_rand, 100.0 / 127.0);
    job_config both = job_config::shipped();
    job_params q(both, o);
    q.assign("macro.sigma_lsb=1");
    q.assign("macro.sigma_rand=0.2");
    EXPECT_THROW(acim::testbench::resolve_derived(both), acim::core::parameter_error);
    job_config none = job_config::shipped();
    acim::testbench::resolve_derived(none);  // not written: macro.sigma_rand stays as it is
    EXPECT_EQ(none.backend.macro.sigma_rand, 0.1);
}
