// Silicon presets (testbench/presets.hpp, docs/presets.md): the registry, `--preset` / "preset" in a
// config file with the precedence default < preset < file < -p and its provenance, errors.
#include <acim/testbench/job_config.hpp>
#include <acim/testbench/presets.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
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

// ---------------------------------------------------------------------------------------------
// The model features the presets use (docs/presets.md): the supply law, the fixed energy per
// activation cycle, the area sum.

#include <acim/core/layer.hpp>
#include <acim/sc/macro_cost.hpp>

#include <cmath>
#include <cstdio>

TEST(PresetFeatures, SupplyLawIsTheIdentityAtTheNominalSupplyAndScalesOtherwise) {
    acim::sc::macro_config c;
    const acim::sc::macro_config same = c.at_supply();
    EXPECT_EQ(same.clock_period_ps, c.clock_period_ps);
    EXPECT_EQ(same.e_bitline_fj, c.e_bitline_fj);
    EXPECT_EQ(c.energy_scale(), 1.0);
    EXPECT_EQ(c.delay_scale(), 1.0);
    c.vdd_nominal_v = 0.85;
    c.vdd_v = 1.2;
    c.energy_vdd_exp = 2.0;
    c.delay_vdd_exp = 2.66;
    c.clock_period_ps = 25000;
    c.e_sar_bit_fj = 100.0;
    c.e_cycle_fixed_fj = 10.0;
    const acim::sc::macro_config s = c.at_supply();
    EXPECT_NEAR(s.e_sar_bit_fj, 100.0 * (1.2 / 0.85) * (1.2 / 0.85), 1e-9);
    EXPECT_NEAR(s.e_cycle_fixed_fj, 10.0 * (1.2 / 0.85) * (1.2 / 0.85), 1e-9);
    EXPECT_EQ(s.clock_period_ps, static_cast<std::uint64_t>(std::round(25000.0 * std::pow(0.85 / 1.2, 2.66))));
    EXPECT_EQ(s.vdd_nominal_v, 1.2);  // scaled once: at_supply() of the result is the identity
    EXPECT_EQ(s.at_supply().clock_period_ps, s.clock_period_ps);
    c.delay_vdd_const = 0.6;  // Sinangil's form: c + (1 - c) (V0/V)^k
    EXPECT_NEAR(c.delay_scale(), 0.6 + 0.4 * std::pow(0.85 / 1.2, 2.66), 1e-12);
    c.vdd_v = 0.0;
    EXPECT_THROW(c.validate(), acim::core::parameter_error);
    c.vdd_v = 1.2;
    c.area_adc_um2 = -1.0;
    EXPECT_THROW(c.validate(), acim::core::parameter_error);
}

TEST(PresetFeatures, FixedEnergyIsPaidPerActivationCyclePerVectorAndTile) {
    acim::core::cim_params p;  // W8A8 bit-serial: 8 activation cycles
    p.row_parallelism = 64;
    acim::sc::macro_config c;
    c.rows = 128;
    c.cols = 64;
    c.adcs = 64;
    const std::vector<acim::core::row_tile> tiles = acim::core::dense_tiling(128, 64);
    const acim::core::cycle_plan plan(p);
    std::vector<std::int32_t> x(3 * 128, 5);
    acim::sc::run_shape s;
    s.params = &p;
    s.plan = &plan;
    s.outputs = 8;
    s.rows = 128;
    s.tiles = &tiles;
    s.vectors = 3;
    s.inputs = x.data();
    acim::core::engine_counters n;
    const acim::sc::energy_breakdown without = acim::sc::macro_cost(c).run_energy(s, n);
    EXPECT_EQ(without.fixed, 0.0);
    c.e_cycle_fixed_fj = 7.0;
    const acim::sc::energy_breakdown with = acim::sc::macro_cost(c).run_energy(s, n);
    EXPECT_DOUBLE_EQ(with.fixed, 3.0 * 2.0 * 8.0 * 7.0);
    EXPECT_DOUBLE_EQ(with.total() - without.total(), with.fixed);
}

TEST(PresetFeatures, MacroAreaIsTheSumOfItsComponents) {
    acim::sc::macro_config c;
    c.rows = 64;
    c.cols = 128;
    c.adcs = 16;
    c.input_depth = 32;
    const acim::sc::area_breakdown a = acim::sc::macro_area(c, false);
    EXPECT_DOUBLE_EQ(a.cells, 64.0 * 128.0 * c.area_cell_um2);
    EXPECT_DOUBLE_EQ(a.adcs, 16.0 * c.area_adc_um2);
    EXPECT_DOUBLE_EQ(a.drivers, 64.0 * c.area_row_driver_um2);
    EXPECT_DOUBLE_EQ(a.shift_add, 128.0 * c.area_shift_add_um2);
    EXPECT_EQ(a.digital, 0.0);
    EXPECT_DOUBLE_EQ(a.buffers, (32.0 * 64.0 * 2.0 + 32.0 * 64.0 * 8.0) * c.area_buffer_byte_um2);
    EXPECT_DOUBLE_EQ(acim::sc::macro_area(c, true).digital, c.area_digital_um2);
    EXPECT_DOUBLE_EQ(a.total(), a.cells + a.adcs + a.drivers + a.shift_add + a.buffers + a.fixed);
}

// ---------------------------------------------------------------------------------------------
// Regression against the papers (issue 11, scope 4): each preset at its operating point(s), at its
// native precision, 100 % utilisation, without weight loading or host/buffer energy, through the
// core engine's counters and macro_cost (sc::macro_peak). Anchors (the figures the preset was fitted
// to) within 1 %; predictive points within 10 % (throughput) and 20 % (TOPS/W, TOPS/mm^2). The
// published figures are the preset file's "reference" block; docs/presets.md tabulates this output.

namespace {

struct simulated {
    double tops = 0.0, tops_per_w = 0.0, tops_per_mm2 = 0.0;
};

// A point may override the preset's bits and normalisation ("xbit", "wbit", "normalisation": native,
// 1b = x wbit x xbit, 1b_weight = x wbit).
simulated simulate(const acim::testbench::preset& pr, const nlohmann::json& pt) {
    const double vdd = pt["vdd_v"];
    job_config c = job_config::shipped();
    run_options o;
    job_params p(c, o);
    p.apply_preset(pr.name);
    p.tree().set("hw.vdd_v", acim::core::real_text(vdd), param_source::command_line);
    acim::testbench::resolve_derived(c);
    acim::core::cim_params m = c.backend.macro;
    const auto& ref = pr.reference;
    const auto from = [&](const char* key) -> const nlohmann::json& { return pt.contains(key) ? pt[key] : ref[key]; };
    m.wbit = from("wbit").get<int>();
    m.xbit = from("xbit").get<int>();
    m.signed_act = false;
    m.sigma_rand = 0.0;  // the energy and time do not depend on noise
    c.hw.adcs = static_cast<std::uint32_t>(m.adcs);
    const acim::sc::peak_figures f = acim::sc::macro_peak(c.hw.at_supply(), m, m.adc_arch);
    double e = 0.0;
    for (const auto& k : ref["energy_classes"]) {
        const std::string n = k.get<std::string>();
        e += n == "wordline"    ? f.energy.wordline
             : n == "bitline"   ? f.energy.bitline
             : n == "adc"       ? f.energy.adc
             : n == "shift_add" ? f.energy.shift_add
             : n == "digital"   ? f.energy.digital
             : n == "fixed"     ? f.energy.fixed
             : n == "buffer"    ? f.energy.buffer
                                : throw std::logic_error(pr.name + ": unknown energy class " + n);
    }
    const std::string normalisation = from("normalisation").get<std::string>();
    const double norm = normalisation == "1b"          ? static_cast<double>(m.wbit * m.xbit)
                        : normalisation == "1b_weight" ? static_cast<double>(m.wbit)
                        : normalisation == "native"    ? 1.0
                                                       : throw std::logic_error(pr.name + ": normalisation " + normalisation);
    return {f.tops() * norm, f.tops_per_w(e) * norm, f.tops_per_mm2() * norm};
}

}  // namespace

class PresetFigures : public ::testing::TestWithParam<std::string> {};

TEST_P(PresetFigures, MatchThePublishedOnesWithinTheTolerances) {
    const auto& pr = find_preset(GetParam());
    std::size_t checked = 0;
    for (const auto& pt : pr.reference["points"]) {
        const std::string q = pt["quantity"], kind = pt["kind"];
        const double vdd = pt["vdd_v"], want = pt["value"];
        if (q != "tops" && q != "tops_per_w" && q != "tops_per_mm2") {
            ASSERT_EQ(kind, "known_gap") << pr.name << " " << q << ": a quantity the model does not compute";
            std::printf("[ figures  ] %-24s %4.2f V %-20s published %10.4g  (not modelled: %s)\n", pr.name.c_str(), vdd,
                        q.c_str(), want, pt["where"].get<std::string>().c_str());
            continue;
        }
        const simulated s = simulate(pr, pt);
        const double got = q == "tops" ? s.tops : q == "tops_per_w" ? s.tops_per_w : s.tops_per_mm2;
        const double err = got / want - 1.0;
        const std::string label = q + (pt.contains("xbit") ? " (A" + std::to_string(pt["xbit"].get<int>()) + ")" : "");
        std::printf("[ figures  ] %-24s %4.2f V %-20s published %10.4g  simulated %10.4g  %+6.1f %%  %s\n",
                    pr.name.c_str(), vdd, label.c_str(), want, got, 100.0 * err, kind.c_str());
        if (kind == "known_gap") continue;
        ASSERT_TRUE(kind == "anchor" || kind == "predictive") << pr.name << ": kind " << kind;
        const double tol = kind == "anchor" ? 0.01 : q == "tops" ? 0.10 : 0.20;
        EXPECT_LE(std::fabs(err), tol) << pr.name << " " << q << " at " << vdd << " V (" << kind << "): published "
                                       << want << ", simulated " << got << " (" << pt["where"].get<std::string>() << ")";
        ++checked;
    }
    EXPECT_GE(checked, 1u) << pr.name;
}

INSTANTIATE_TEST_SUITE_P(Silicon, PresetFigures,
                         ::testing::Values("sinangil_jssc2021_7nm", "jia_jssc2020_65nm", "wang_jssc2023_22nm_c2c",
                                           "yoshioka_crcim_65nm", "lee_vlsi2021_28nm"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
