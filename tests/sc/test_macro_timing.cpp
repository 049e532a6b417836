// Timing and energy: DONE (the interrupt) arrives exactly at the time of the formula in
// docs/timing.md, CYCLES and ENERGY_FJ hold its values, bus accesses annotate their documented
// latency, and under temporal decoupling STATUS and outputs follow the initiator's local time.
// The formulas are written out here again from the documentation, not taken from macro_cost.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

sc::macro_config timing_instance() {
    sc::macro_config cfg;
    cfg.rows = 320;
    cfg.cols = 256;
    cfg.adcs = 32;
    cfg.input_depth = 16;
    cfg.clock_period_ps = 1250;
    cfg.start_cycles = 5;
    cfg.dac_settle_cycles = 3;
    cfg.bitline_cycles = 2;
    cfg.adc_sample_cycles = 0;
    cfg.digital_lanes = 64;
    cfg.digital_pass_cycles = 1;
    cfg.drain_cycles = 4;
    cfg.reg_access_cycles = 2;
    cfg.buffer_bytes_per_cycle = 8;
    cfg.weight_bytes_per_cycle = 32;
    // Binary fractions keep every energy sum exact in double.
    cfg.e_wordline_fj = 2.0;
    cfg.e_bitline_fj = 5.0;
    cfg.e_sar_bit_fj = 12.0;
    cfg.e_flash_comparator_fj = 4.0;
    cfg.e_ideal_conversion_fj = 100.0;
    cfg.e_shift_add_fj = 1.0;
    cfg.e_digital_bitop_fj = 0.0625;
    cfg.e_sram_write_bit_fj = 1.0;
    cfg.e_buffer_byte_fj = 0.5;
    return cfg;
}

std::vector<core::row_tile> tiles_of(const test::layer_setup& l) {
    return l.tiles.empty() ? core::dense_tiling(l.rows, l.p.row_parallelism) : l.tiles;
}

// docs/timing.md, "Run latency".
std::uint64_t expected_cycles(const sc::macro_config& cfg, const test::layer_setup& l) {
    const core::cycle_plan plan(l.p);
    const int P = plan.weight_cycles(), Q = plan.act_cycles();
    const std::uint64_t t_conv = (l.p.adc_arch == sc::adc_kind::sar ? static_cast<std::uint64_t>(l.p.adc_bits) : 1) +
                                 cfg.adc_sample_cycles;
    std::uint64_t per_tile = 0;
    for (int j = 0; j < Q; ++j) {
        std::map<std::size_t, std::uint64_t> adc_queue;
        std::uint64_t digital_columns = 0;
        for (std::size_t col = 0; col < l.outputs * static_cast<std::size_t>(P); ++col) {
            const auto kind = plan.kind(static_cast<int>(col % static_cast<std::size_t>(P)), j);
            std::uint64_t n = 0;
            if (kind == core::cycle_kind::analog) n = 1;
            if (kind == core::cycle_kind::voted) n = static_cast<std::uint64_t>(l.p.voting_samples);
            if (kind == core::cycle_kind::digital) {
                ++digital_columns;
                if (l.p.digital == core::digital_mode::adc) n = 1;
            }
            adc_queue[col % cfg.adcs] += n;
        }
        std::uint64_t a = 0;
        for (const auto& [adc, n] : adc_queue) a = std::max(a, n);
        const std::uint64_t A = a == 0 ? 0 : cfg.dac_settle_cycles + cfg.bitline_cycles + a * t_conv;
        const std::uint64_t D =
            digital_columns == 0 ? 0 : (digital_columns + cfg.digital_lanes - 1) / cfg.digital_lanes * cfg.digital_pass_cycles;
        per_tile += std::max(A, D);
    }
    return cfg.start_cycles + l.vectors * tiles_of(l).size() * per_tile + cfg.drain_cycles;
}

// docs/timing.md, "Energy": the run's energy plus the weight image written by test::program.
double expected_energy(const sc::macro_config& cfg, const test::layer_setup& l, const core::engine_counters& cnt) {
    const core::cycle_plan plan(l.p);
    const std::vector<core::row_tile> tiles = tiles_of(l);
    double e = static_cast<double>(cfg.rows * cfg.cols / 8) * 8.0 * cfg.e_sram_write_bit_fj;
    std::size_t tile_rows = 0;
    for (const auto& t : tiles) tile_rows += t.size();
    for (int j = 0; j < plan.act_cycles(); ++j) {
        const core::act_cycle& a = plan.act(j);
        bool array = false;
        for (int i = 0; i < plan.weight_cycles(); ++i) {
            const auto kind = plan.kind(i, j);
            if (kind == core::cycle_kind::analog || kind == core::cycle_kind::voted) {
                array = true;
                e += static_cast<double>(l.vectors * tiles.size() * l.outputs) * cfg.e_bitline_fj;
            }
            if (kind == core::cycle_kind::digital)
                e += static_cast<double>(l.vectors * l.outputs * tile_rows) * a.width * cfg.e_digital_bitop_fj;
        }
        if (!array) continue;
        for (std::size_t v = 0; v < l.vectors; ++v)
            for (const auto& t : tiles)
                for (std::size_t r = t.begin; r < t.end; ++r) {
                    const auto u = static_cast<std::uint32_t>(l.x[v * l.rows + r]);
                    if ((u >> a.lo) & ((1u << a.width) - 1u)) e += cfg.e_wordline_fj;
                }
    }
    double conv = 0.0;
    switch (l.p.adc_arch) {
    case sc::adc_kind::sar: conv = cfg.e_sar_bit_fj * l.p.adc_bits; break;
    case sc::adc_kind::flash: conv = cfg.e_flash_comparator_fj * static_cast<double>((1 << l.p.adc_bits) - 1); break;
    case sc::adc_kind::ideal: conv = cfg.e_ideal_conversion_fj; break;
    }
    e += static_cast<double>(cnt.adc_conversions) * conv;
    e += static_cast<double>(cnt.conversions) * cfg.e_shift_add_fj;
    const std::size_t b = l.p.xbit <= 8 ? 1 : 2;
    e += static_cast<double>(l.vectors * l.rows * b + l.vectors * l.outputs * 8) * cfg.e_buffer_byte_fj;
    // The fixed energy of every activation cycle that uses the array, per vector and tile.
    for (int j = 0; j < plan.act_cycles(); ++j) {
        bool array = false;
        for (int i = 0; i < plan.weight_cycles(); ++i)
            array = array || plan.kind(i, j) == core::cycle_kind::analog || plan.kind(i, j) == core::cycle_kind::voted;
        if (array) e += static_cast<double>(l.vectors * tiles.size()) * cfg.e_cycle_fixed_fj;
    }
    return e;
}

struct timing_case {
    std::string name;
    core::cim_params p;
    sc::adc_kind adc = sc::adc_kind::sar;
    std::size_t outputs = 16;
    std::size_t rows = 200;
    std::size_t vectors = 6;
    std::function<void(sc::macro_config&)> tweak = [](sc::macro_config&) {};
};

std::vector<timing_case> cases() {
    std::vector<timing_case> c;
    auto add = [&](std::string name, auto&& edit) {
        timing_case t;
        t.name = std::move(name);
        edit(t);
        c.push_back(t);
    };
    add("sar8_mux4", [](timing_case&) {});
    add("flash6_bit_parallel", [](timing_case& t) {
        t.adc = sc::adc_kind::flash;
        t.p.adc_bits = 6;
        t.p.act_enc = 2;
        t.p.row_parallelism = 100;
    });
    add("ideal_with_sample_cycles", [](timing_case& t) {
        t.adc = sc::adc_kind::ideal;
        t.tweak = [](sc::macro_config& cfg) { cfg.adc_sample_cycles = 2; };
    });
    add("voting", [](timing_case& t) {
        t.p.voting_levels = 3;
        t.p.voting_samples = 5;
        t.p.sigma_rand = 0.5;
    });
    add("hcim_exact_digital_dominates", [](timing_case& t) {
        t.p.hybrid_levels = 4;
        t.tweak = [](sc::macro_config& cfg) {
            cfg.digital_lanes = 4;
            cfg.digital_pass_cycles = 3;
        };
    });
    add("hcim_adc_mode", [](timing_case& t) {
        t.p.hybrid_levels = 3;
        t.p.digital = core::digital_mode::adc;
    });
    add("signed_bit_parallel_uneven_mux", [](timing_case& t) {
        t.p.wbit = 6;
        t.p.xbit = 7;
        t.p.signed_act = true;
        t.p.act_enc = 3;
        t.p.row_parallelism = 60;
        t.outputs = 7;  // 42 columns on 16 ADCs
        t.tweak = [](sc::macro_config& cfg) { cfg.adcs = 16; };
    });
    // docs/timing.md, "Supply": at twice the nominal supply with alpha = k = 1, every energy doubles
    // and the clock period halves (binary factors: the sums stay exact); plus a fixed cycle energy.
    add("supply_scaled_with_fixed_cycle_energy", [](timing_case& t) {
        t.tweak = [](sc::macro_config& cfg) {
            cfg.vdd_nominal_v = 0.5;
            cfg.vdd_v = 1.0;
            cfg.energy_vdd_exp = 1.0;
            cfg.delay_vdd_exp = 1.0;
            cfg.e_cycle_fixed_fj = 3.0;
        };
    });
    add("three_tiles_one_adc_per_column", [](timing_case& t) {
        t.p.row_parallelism = 100;
        t.rows = 300;
        t.vectors = 5;
        t.outputs = 4;
        t.tweak = [](sc::macro_config& cfg) { cfg.adcs = 32; };
    });
    return c;
}

class macro_timing : public ::testing::TestWithParam<timing_case> {};

}  // namespace

TEST_P(macro_timing, done_time_cycles_and_energy_follow_the_formula) {
    const timing_case& c = GetParam();
    sc::macro_config cfg = timing_instance();
    c.tweak(cfg);
    test::layer_setup l = test::random_layer(c.p, c.outputs, c.rows, c.vectors, 5 + c.outputs);
    l.p.adc_arch = c.adc;
    const test::engine_reference ref = test::run_engine(l);
    // The macro runs at hw.vdd_v: the formulas take the scaled energies and clock (the identity
    // at the nominal supply).
    const sc::macro_config bench_cfg = cfg;
    if (cfg.vdd_v != cfg.vdd_nominal_v) {
        const double e = cfg.vdd_v / cfg.vdd_nominal_v, d = cfg.vdd_nominal_v / cfg.vdd_v;
        for (double* x : {&cfg.e_wordline_fj, &cfg.e_bitline_fj, &cfg.e_sar_bit_fj, &cfg.e_flash_comparator_fj,
                          &cfg.e_ideal_conversion_fj, &cfg.e_shift_add_fj, &cfg.e_digital_bitop_fj,
                          &cfg.e_sram_write_bit_fj, &cfg.e_buffer_byte_fj, &cfg.e_cycle_fixed_fj})
            *x *= e;
        cfg.clock_period_ps = static_cast<std::uint64_t>(static_cast<double>(cfg.clock_period_ps) * d);
    }
    const std::uint64_t cycles = expected_cycles(cfg, l);
    const sc_time clk(static_cast<double>(cfg.clock_period_ps), sc_core::SC_PS);

    test::run_bench(bench_cfg, [&](test::macro_bench& b) {
        EXPECT_EQ(b.cpu.rd(regmap::reg::hw_clock_ps), cfg.clock_period_ps);
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        const sc_time t0 = sc_core::sc_time_stamp();
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        const sc_time done = t0 + clk * static_cast<double>(cfg.reg_access_cycles + cycles);
        EXPECT_EQ(b.dut.done_time(), done);
        cpu.wait_irq();
        EXPECT_EQ(sc_core::sc_time_stamp(), done) << "the interrupt rises at the completion time";
        EXPECT_EQ(test::read64(cpu, regmap::reg::cycles_lo), cycles);
        EXPECT_EQ(b.dut.last_run_cost().cycles, cycles);
        const double energy = expected_energy(cfg, l, ref.counters);
        EXPECT_EQ(test::read64(cpu, regmap::reg::energy_lo), static_cast<std::uint64_t>(std::llround(energy)));
        EXPECT_EQ(test::read_outputs(cpu, l), ref.num);
    });
}

INSTANTIATE_TEST_SUITE_P(configs, macro_timing, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<timing_case>& pi) { return pi.param.name; });

TEST(macro_timing_bus, accesses_annotate_their_latency) {
    const sc::macro_config cfg = timing_instance();
    const sc_time clk(1250, sc_core::SC_PS);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        cpu.decoupled = true;
        auto latency = [&](auto&& access) {
            cpu.local = sc_core::SC_ZERO_TIME;
            access();
            return cpu.local;
        };
        std::uint32_t v = 0;
        EXPECT_EQ(latency([&] { cpu.read32(regmap::reg::id, v); }), clk * 2.0);
        EXPECT_EQ(latency([&] { cpu.write32(regmap::reg::wbit, 8); }), clk * 2.0);
        EXPECT_EQ(latency([&] { cpu.write_bytes(regmap::addr::weight_base, std::vector<unsigned char>(100)); }),
                  clk * 4.0) << "weight writes: ceil(100 / 32) clocks";
        EXPECT_EQ(latency([&] { cpu.write_bytes(regmap::addr::input_base, std::vector<unsigned char>(100)); }),
                  clk * 13.0) << "buffer port: ceil(100 / 8) clocks";
        std::vector<unsigned char> out(64);
        EXPECT_EQ(latency([&] { cpu.read_bytes(regmap::addr::output_base, out); }), clk * 8.0);
        EXPECT_EQ(latency([&] { cpu.read_bytes(regmap::addr::weight_base, out); }), clk * 8.0);
        EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME) << "the target never waits";
        // 100 weight bytes = 800 bits at 1 fJ each.
        EXPECT_EQ(test::read64(cpu, regmap::reg::energy_lo), 800u);
    });
}

TEST(macro_timing_bus, status_and_outputs_follow_the_local_time_of_a_decoupled_initiator) {
    const sc::macro_config cfg = timing_instance();
    core::cim_params p;
    p.sigma_rand = 0.4;
    const test::layer_setup l = test::random_layer(p, 8, 120, 4, 3);
    const sc_time clk(1250, sc_core::SC_PS);
    const std::uint64_t cycles = expected_cycles(cfg, l);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        const sc_time t0 = sc_core::sc_time_stamp();
        cpu.decoupled = true;
        cpu.local = sc_core::SC_ZERO_TIME;
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        const sc_time done = t0 + clk * static_cast<double>(cfg.reg_access_cycles + cycles);
        const sc_time ps(1, sc_core::SC_PS);
        cpu.local = done - t0 - ps;
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_busy) << "1 ps before completion";
        std::vector<unsigned char> y(l.vectors * l.outputs * 8);
        cpu.local = done - t0 - ps;
        EXPECT_EQ(cpu.read_bytes(regmap::addr::output_base, y), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(test::decode_output_image(y), std::vector<std::int64_t>(y.size() / 8, 0)) << "not yet written";
        cpu.local = done - t0;
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done) << "at the completion time";
        EXPECT_EQ(test::read_outputs(cpu, l), test::run_engine(l).num);
        EXPECT_EQ(sc_core::sc_time_stamp(), t0) << "all of this ran ahead of the kernel";
        EXPECT_FALSE(b.irq.read());
        // The interrupt still rises exactly at the completion time, not when the run was observed.
        cpu.decoupled = false;
        cpu.wait_irq();
        EXPECT_EQ(sc_core::sc_time_stamp(), done);
    });
}
