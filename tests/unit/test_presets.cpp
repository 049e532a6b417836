// Silicon presets (testbench/presets.hpp, docs/presets.md): the registry, `--preset` / "preset" in a
// config file with the precedence default < preset < file < -p and its provenance, errors.
#include <acim/testbench/job_config.hpp>
#include <acim/testbench/presets.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

using acim::core::param_source;
using acim::testbench::find_preset;
using acim::testbench::job_config;
using acim::testbench::job_params;
using acim::testbench::presets;
using acim::testbench::run_options;

namespace {
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}
}  // namespace

TEST(Presets, TheFiveOfIssue11AreThereWithTheirSources) {
    for (const char* name : {"sinangil_jssc2021_7nm", "jia_jssc2020_65nm", "wang_jssc2023_22nm_c2c", "yoshioka_crcim_65nm",
                             "lee_vlsi2021_28nm"}) {
        const auto& p = find_preset(name);
        EXPECT_FALSE(p.title.empty()) << name;
        EXPECT_FALSE(p.source.empty()) << name;
        EXPECT_TRUE(p.document.contains("operating_point")) << name;
        EXPECT_TRUE(p.params.contains("hw")) << name;
        EXPECT_TRUE(p.params.contains("macro")) << name;
        EXPECT_FALSE(p.reference["points"].empty()) << name;
    }
    for (std::size_t k = 1; k < presets().size(); ++k) EXPECT_LT(presets()[k - 1].name, presets()[k].name);
}

TEST(Presets, EveryPresetIsAValidConfiguration) {
    for (const auto& pr : presets()) {
        job_config c = job_config::shipped();
        run_options o;
        job_params p(c, o);
        p.apply_preset(pr.name);
        EXPECT_EQ(c.preset, pr.name);
        acim::testbench::resolve_derived(c);
        EXPECT_NO_THROW(c.backend.macro.validate()) << pr.name;
        c.hw.adcs = static_cast<std::uint32_t>(c.backend.macro.adcs);
        EXPECT_NO_THROW(c.hw.validate()) << pr.name;
        // Every value the preset names is set, with the source "preset".
        std::size_t n = 0;
        for (const auto& [group, values] : pr.params.items())
            for (const auto& [leaf, v] : values.items()) {
                (void)v;
                const auto& param = p.tree().at(group + "." + leaf);
                EXPECT_EQ(param.source(), param_source::preset) << param.name();
                ++n;
            }
        EXPECT_GT(n, 20u) << pr.name;
    }
}

TEST(Presets, UnknownNameListsTheValidOnes) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    const std::string e = error_of([&] { p.apply_preset("jia2020"); });
    EXPECT_NE(e.find("unknown preset 'jia2020'"), std::string::npos) << e;
    for (const auto& pr : presets()) EXPECT_NE(e.find(pr.name), std::string::npos) << e;
    const std::string f = error_of([&] {
        p.apply_json(nlohmann::json::parse(R"({"preset": "nope"})"), "f.json", param_source::file);
    });
    EXPECT_NE(f.find("f.json: unknown preset 'nope'; valid presets: "), std::string::npos) << f;
    const std::string g = error_of([&] {
        p.apply_json(nlohmann::json::parse(R"({"preset": 3})"), "f.json", param_source::file);
    });
    EXPECT_NE(g.find("f.json: preset = 3"), std::string::npos) << g;
    EXPECT_TRUE(c.preset.empty());
}

TEST(Presets, PrecedenceIsDefaultPresetFileCommandLine) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    // "preset" after other keys in the file: the preset still lies below the file's values.
    p.apply_json(nlohmann::json::parse(R"({"hw": {"clock_period_ps": 30000, "vdd_v": 1.2}, "preset": "jia_jssc2020_65nm"})"),
                 "f.json", param_source::file);
    p.assign("hw.vdd_v=1.0");
    EXPECT_EQ(c.preset, "jia_jssc2020_65nm");
    EXPECT_EQ(c.hw.rows, 2304u);                    // preset
    EXPECT_EQ(c.hw.clock_period_ps, 30000u);        // file over preset
    EXPECT_DOUBLE_EQ(c.hw.vdd_v, 1.0);              // -p over file over preset
    EXPECT_DOUBLE_EQ(c.hw.vdd_nominal_v, 0.85);     // preset
    EXPECT_EQ(c.backend.macro.sigma_rand, 0.1);     // default (not in the preset)
    const auto src = p.sources();
    EXPECT_EQ(src["hw.rows"], "preset");
    EXPECT_EQ(src["hw.clock_period_ps"], "file");
    EXPECT_EQ(src["hw.vdd_v"], "-p");
    EXPECT_FALSE(src.contains("macro.sigma_rand"));
    const std::string d = p.dump();
    EXPECT_NE(d.find("hw.rows = 2304  [rows]  (preset; default 256;"), std::string::npos) << d;
    EXPECT_NE(d.find("hw.clock_period_ps = 30000  [ps]  (file; default 1000;"), std::string::npos) << d;
    EXPECT_NE(d.find("hw.vdd_v = 1  [V]  (-p; default 0.9;"), std::string::npos) << d;
    EXPECT_NE(d.find("macro.sigma_rand = 0.1  [% FS]  (default;"), std::string::npos) << d;
}

TEST(Presets, OnePresetPerJobAndTheDumpCarriesIt) {
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    p.apply_preset("wang_jssc2023_22nm_c2c");
    // The same preset again (--preset and the file's "preset") is fine; another one is not.
    EXPECT_NO_THROW(p.apply_json(nlohmann::json::parse(R"({"preset": "wang_jssc2023_22nm_c2c"})"), "f.json",
                                 param_source::file));
    const std::string e = error_of([&] { p.apply_preset("jia_jssc2020_65nm"); });
    EXPECT_NE(e.find("preset 'wang_jssc2023_22nm_c2c' is already applied"), std::string::npos) << e;
    p.assign("hw.vdd_v=1.1");
    const nlohmann::json dumped = p.to_json();
    EXPECT_EQ(dumped["preset"], "wang_jssc2023_22nm_c2c");
    job_config b;
    run_options ob;
    job_params q(b, ob);
    q.apply_json(dumped, "dump", param_source::file);
    EXPECT_EQ(q.to_json(), dumped);
    EXPECT_EQ(b.preset, "wang_jssc2023_22nm_c2c");
    EXPECT_DOUBLE_EQ(b.hw.vdd_v, 1.1);
    EXPECT_EQ(b.hw.cols, 128u);
}
