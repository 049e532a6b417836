// Trace mode (docs/tracing.md). Two macros are elaborated side by side, one with a trace window
// (the second of three runs, written to a VCD through macro_config::trace_file) and one without;
// both get the same three runs through the bus. Outputs, every run register and the completion
// times must be identical. The VCD is then read back with the in-repo reader, and every traced
// step is checked against the core engine run directly on the same inputs and noise key (with a
// conversion_sink): step times (docs/timing.md), active rows, per column the kind, ideal count,
// code, analog value and error in LSB, the accumulators after each step, and ADC 0's conversions
// rebuilt from its SAR decision bits (voted columns: the vote of the samples is the code). Finally
// every signal of the shipped GTKWave view traces/acim_macro.gtkw must exist in the VCD.
#include "sc_test_support.hpp"
#include "vcd_reader.hpp"

#include <acim/core/adc.hpp>
#include <acim/core/error.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/frame_ops.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/sc/macro_tracer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

struct trace_case {
    std::string name;
    core::cim_params p;
    sc::adc_kind adc = sc::adc_kind::sar;
    sc::compute_backend backend = sc::compute_backend::fused;
    std::size_t outputs = 3;
    std::size_t rows = 300;  // two row tiles at row_parallelism 255
    std::size_t vectors = 6;
    std::uint32_t adcs = 5;
    std::uint32_t trace_vectors = 3;
    std::uint32_t trace_columns = 12;
    std::uint32_t trace_outputs = 2;
    bool decoupled = false;  // the CPUs run ahead of the kernel (local time), as under a quantum keeper
};

std::string vcd_path(const trace_case& c) { return std::string(ACIM_TRACE_DIR) + "/trace_" + c.name + ".vcd"; }

sc::macro_config instance(const trace_case& c, bool traced) {
    sc::macro_config cfg;
    cfg.rows = 320;
    cfg.cols = 256;
    cfg.adcs = c.adcs;
    cfg.input_depth = 16;
    cfg.backend = c.backend;
    cfg.frame_vectors = 4;  // six vectors: frames of 4 and 2
    cfg.clock_period_ps = 1250;
    cfg.dac_settle_cycles = 3;
    cfg.bitline_cycles = 2;
    cfg.adc_sample_cycles = 1;
    cfg.digital_lanes = 16;
    cfg.digital_pass_cycles = 3;
    cfg.drain_cycles = 5;
    if (traced) {
        cfg.trace_first_run = 1;
        cfg.trace_runs = 1;
        cfg.trace_vectors = c.trace_vectors;
        cfg.trace_columns = c.trace_columns;
        cfg.trace_outputs = c.trace_outputs;
        cfg.trace_file = vcd_path(c);
    }
    return cfg;
}

std::map<std::string, std::uint64_t> run_registers(test::bus_initiator& cpu) {
    namespace R = regmap::reg;
    return {{"STATUS", cpu.rd(R::status)},
            {"OUT_DENOM", cpu.rd(R::out_denom)},
            {"CYCLES", test::read64(cpu, R::cycles_lo)},
            {"CONVERSIONS", test::read64(cpu, R::conversions_lo)},
            {"DIGITAL", test::read64(cpu, R::digital_lo)},
            {"VOTES", test::read64(cpu, R::votes_lo)},
            {"SATURATIONS", test::read64(cpu, R::saturations_lo)},
            {"ENERGY_FJ", test::read64(cpu, R::energy_lo)},
            {"RUNS", cpu.rd(R::runs)}};
}

// What each CPU saw.
struct cpu_log {
    std::vector<std::int64_t> outputs;           // of the three runs, concatenated
    std::vector<sc_time> done;                   // completion time of each run
    std::vector<std::uint64_t> cycles;           // cycles of each run
    std::map<std::string, std::uint64_t> regs;   // after the last run
};

struct trace_bench {
    sc::acim_macro traced;
    sc::acim_macro plain;
    test::bus_initiator cpu_traced;
    test::bus_initiator cpu_plain;
    sc_core::sc_signal<bool> irq_traced, irq_plain;
    sc_core::sc_event plain_done;
    bool plain_finished = false;
    cpu_log log_traced, log_plain;

    trace_bench(const trace_case& c, const std::vector<test::layer_setup>& runs)
        : traced("traced", instance(c, true)),
          plain("plain", instance(c, false)),
          cpu_traced("cpu_traced",
                     [this, runs, c] {
                         body(cpu_traced, traced, runs, log_traced, c.decoupled);
                         if (!plain_finished) sc_core::wait(plain_done);
                     }),
          cpu_plain("cpu_plain",
                    [this, runs, c] {
                        body(cpu_plain, plain, runs, log_plain, c.decoupled);
                        plain_finished = true;
                        plain_done.notify();
                        sc_core::wait();  // parked: cpu_traced ends the simulation
                    }),
          irq_traced("irq_traced"),
          irq_plain("irq_plain") {
        cpu_traced.bus_out.bind(traced.bus_in);
        cpu_plain.bus_out.bind(plain.bus_in);
        traced.irq_out(irq_traced);
        plain.irq_out(irq_plain);
        cpu_traced.irq_in(irq_traced);
        cpu_plain.irq_in(irq_plain);
    }

    static void body(test::bus_initiator& cpu, sc::acim_macro& m, const std::vector<test::layer_setup>& runs,
                     cpu_log& log, bool decoupled) {
        cpu.decoupled = decoupled;
        for (const test::layer_setup& l : runs) {
            test::program(cpu, l, m.config());
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            if (decoupled) {
                // START went out at a local time ahead of the kernel: the trace must still step at
                // the run's own times.
                EXPECT_GT(cpu.local, sc_core::SC_ZERO_TIME);
                cpu.sync_local();
            }
            cpu.wait_irq();
            cpu.wr(regmap::reg::irq_status, regmap::irq_done);
            log.done.push_back(m.done_time());
            log.cycles.push_back(m.last_run_cost().cycles);
            const std::vector<std::int64_t> y = test::read_outputs(cpu, l);
            log.outputs.insert(log.outputs.end(), y.begin(), y.end());
        }
        log.regs = run_registers(cpu);
        if (decoupled) cpu.sync_local();
    }
};

// Every conversion of the core engine, by (vector, output, tile, i, j).
struct recorder final : core::conversion_sink {
    std::map<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t, int, int>, core::conversion_event> events;
    void on_conversion(const core::conversion_event& e) override {
        events[{e.vector, e.output, e.tile, e.i, e.j}] = e;
    }
};

std::vector<core::row_tile> tiles_of(const test::layer_setup& l) {
    return l.tiles.empty() ? core::dense_tiling(l.rows, l.p.row_parallelism) : l.tiles;
}

// One conversion of ADC 0 rebuilt from the VCD.
struct adc_conversion {
    std::uint64_t time = 0;  // of its first decision
    std::int64_t column = 0, sample = 0;
    std::int64_t code = 0;   // from the decision bits (SAR) or the code signal (flash / ideal)
};

void run_case(const trace_case& c) {
    std::vector<test::layer_setup> runs;
    for (std::size_t r = 0; r < 3; ++r) {
        test::layer_setup l = test::random_layer(c.p, c.outputs, c.rows, c.vectors, 500 + r);
        l.p.adc_arch = c.adc;
        l.first_vector = 100 * r;
        runs.push_back(l);
    }
    const test::layer_setup& l = runs[1];  // the traced run
    std::remove(vcd_path(c).c_str());

    static trace_bench* bench = nullptr;  // lives until the process ends, as SystemC requires
    ASSERT_EQ(bench, nullptr) << "one elaboration per process";
    bench = new trace_bench(c, runs);
    sc_core::sc_start();
    ASSERT_TRUE(bench->cpu_traced.finished);

    // Tracing changes nothing: outputs, registers and completion times equal the plain macro's,
    // and the outputs equal the core engine's.
    const cpu_log& t = bench->log_traced;
    const cpu_log& pl = bench->log_plain;
    EXPECT_EQ(t.outputs, pl.outputs);
    EXPECT_EQ(t.regs, pl.regs);
    EXPECT_EQ(t.done, pl.done);
    EXPECT_EQ(t.cycles, pl.cycles);
    std::vector<std::int64_t> want;
    for (const test::layer_setup& r : runs) {
        const std::vector<std::int64_t> y = test::run_engine(r).num;
        want.insert(want.end(), y.begin(), y.end());
    }
    EXPECT_EQ(t.outputs, want);
    ASSERT_NE(bench->traced.tracer(), nullptr);
    EXPECT_EQ(bench->plain.tracer(), nullptr);
    EXPECT_EQ(bench->traced.runs_started(), 3u);

    // The reference: the core engine with a conversion sink on the traced run.
    core::mvm_engine engine(l.p);
    const std::vector<core::row_tile> tiles = tiles_of(l);
    engine.load_weights(l.w.data(), l.outputs, l.rows, tiles);
    std::vector<std::int64_t> num(l.vectors * l.outputs);
    recorder rec;
    engine.run(l.x.data(), l.vectors, l.first_vector, l.key, num.data(), &rec);
    const core::frame_plan plan(l.p, l.outputs, l.rows, tiles);
    const core::cycle_plan& cp = plan.plan();
    const int P = plan.weight_cycles(), Q = plan.act_cycles();
    const std::size_t N = tiles.size(), columns = plan.columns();
    const std::int64_t L = plan.denominator();

    // Timing of the steps (docs/timing.md).
    const sc::macro_config cfg = bench->traced.config();
    const sc::macro_cost cost(cfg);
    sc::run_shape shape;
    shape.params = &l.p;
    shape.plan = &cp;
    shape.adc = c.adc;
    shape.outputs = l.outputs;
    shape.rows = l.rows;
    shape.tiles = &tiles;
    std::vector<sc::cycle_clocks> parts;
    std::vector<std::uint64_t> offset{0};
    for (int j = 0; j < Q; ++j) {
        parts.push_back(cost.activation_cycle_parts(shape, j));
        offset.push_back(offset.back() + parts.back().total());
    }
    const std::uint64_t per_tile = offset.back();
    const sc_time clk(static_cast<double>(cfg.clock_period_ps), sc_core::SC_PS);
    const sc_time t_start = t.done[1] - clk * static_cast<double>(t.cycles[1]);

    // The VCD.
    const test::vcd_file vcd = test::vcd_file::load(vcd_path(c));
    ASSERT_EQ(vcd.timescale_fs, 1000u);
    const std::string s = "SystemC.acim_macro.";
    auto var = [&](const std::string& n) -> const test::vcd_variable& { return vcd.at(s + n); };
    auto ps = [](const sc_time& x) { return static_cast<std::uint64_t>(std::llround(x.to_seconds() * 1e12)); };
    const test::vcd_variable& vector_sig = var("seq.vector");
    const test::vcd_variable& tile_sig = var("seq.tile");
    const test::vcd_variable& cycle_sig = var("seq.cycle");
    const test::vcd_variable& stepping = var("seq.stepping");

    // Steps: the times at which the sequencer position changed to a valid one.
    std::set<std::uint64_t> step_times;
    for (const test::vcd_variable* v : {&vector_sig, &tile_sig, &cycle_sig})
        for (const test::vcd_change& ch : v->changes)
            if (vector_sig.signed_at(ch.time) >= 0) step_times.insert(ch.time);
    const std::size_t V = std::min<std::size_t>(c.trace_vectors, l.vectors);
    ASSERT_EQ(step_times.size(), V * N * static_cast<std::size_t>(Q));
    EXPECT_EQ(var("seq.run").signed_at(*step_times.begin()), 1);

    // ADC 0, rebuilt from its signals: each conversion starts with a new adc0.conversion number,
    // samples for adc_sample_cycles, then decides one bit per clock, MSB first (SAR), or the whole
    // code in one clock (flash, ideal).
    std::vector<adc_conversion> convs;
    const std::uint64_t clk_ps = ps(clk);
    for (const test::vcd_change& ch : var("adc0.conversion").changes) {
        if (var("adc0.conversion").to_signed(ch.value) <= 0) continue;
        adc_conversion cv{ch.time, var("adc0.column").signed_at(ch.time), var("adc0.sample").signed_at(ch.time), 0};
        const std::uint64_t t0 = ch.time + cfg.adc_sample_cycles * clk_ps;
        if (c.adc == sc::adc_kind::sar) {
            for (int m = 0; m < l.p.adc_bits; ++m) {
                const std::uint64_t tb = t0 + static_cast<std::uint64_t>(m) * clk_ps;
                const int b = l.p.adc_bits - 1 - m;
                EXPECT_EQ(var("adc0.bit").signed_at(tb), b) << "at " << tb;
                cv.code |= static_cast<std::int64_t>(var("adc0.decision").unsigned_at(tb)) << b;
                EXPECT_EQ(var("adc0.sar").signed_at(tb), cv.code) << "SAR register at " << tb;
            }
            EXPECT_EQ(var("adc0.code").signed_at(t0 + static_cast<std::uint64_t>(l.p.adc_bits - 1) * clk_ps), cv.code);
        } else {
            cv.code = var("adc0.code").signed_at(t0);
            EXPECT_EQ(var("adc0.sar").signed_at(t0), cv.code);
        }
        convs.push_back(cv);
    }
    const std::uint64_t t_conv = cost.conversion_clocks(c.adc, l.p.adc_bits);

    std::vector<std::int64_t> acc(l.vectors * l.outputs, 0);
    std::size_t conv_index = 0, steps_checked = 0;
    for (std::size_t v = 0; v < V; ++v) {
        for (std::size_t n = 0; n < N; ++n) {
            for (int j = 0; j < Q; ++j) {
                const auto jj = static_cast<std::size_t>(j);
                const std::uint64_t at =
                    ps(t_start + clk * static_cast<double>(cfg.start_cycles + (v * N + n) * per_tile + offset[jj]));
                SCOPED_TRACE("vector " + std::to_string(v) + " tile " + std::to_string(n) + " cycle " +
                             std::to_string(j) + " at " + std::to_string(at) + " ps");
                ASSERT_TRUE(step_times.count(at)) << "no step at the time docs/timing.md gives";
                EXPECT_EQ(stepping.unsigned_at(at), 1u);
                EXPECT_EQ(vector_sig.signed_at(at), static_cast<std::int64_t>(v));
                EXPECT_EQ(tile_sig.signed_at(at), static_cast<std::int64_t>(n));
                EXPECT_EQ(cycle_sig.signed_at(at), j);
                const core::act_cycle& a = cp.act(j);
                EXPECT_EQ(var("seq.act_lo").signed_at(at), a.lo);
                EXPECT_EQ(var("seq.act_width").signed_at(at), a.width);
                // Active rows: rows of the tile whose activation slice of cycle j is nonzero.
                std::int64_t rows = 0;
                const std::uint32_t xmask = (1u << l.p.xbit) - 1u;
                for (std::size_t r = tiles[n].begin; r < tiles[n].end; ++r) {
                    const std::uint32_t u = static_cast<std::uint32_t>(l.x[v * l.rows + r]) & xmask;
                    if ((u >> a.lo) & ((1u << a.width) - 1u)) ++rows;
                }
                EXPECT_EQ(var("seq.active_rows").signed_at(at), rows);

                // Columns.
                const std::uint64_t gv = l.first_vector + v;
                for (std::size_t k = 0; k < c.trace_columns; ++k) {
                    const std::string col = "col" + std::to_string(k) + ".";
                    if (k >= columns) {
                        EXPECT_EQ(var(col + "kind").signed_at(at), 3);
                        continue;
                    }
                    const auto o = static_cast<std::uint32_t>(k / static_cast<std::size_t>(P));
                    const int i = static_cast<int>(k % static_cast<std::size_t>(P));
                    const core::conversion_event& e = rec.events.at({gv, o, static_cast<std::uint32_t>(n), i, j});
                    const core::frame_cycle& fc = plan.cycle(i, j);
                    EXPECT_EQ(var(col + "output").signed_at(at), o);
                    EXPECT_EQ(var(col + "bit").signed_at(at), i);
                    const int kind = e.kind == core::cycle_kind::analog ? 0 : e.kind == core::cycle_kind::voted ? 1 : 2;
                    EXPECT_EQ(var(col + "kind").signed_at(at), kind) << col;
                    EXPECT_EQ(var(col + "count").signed_at(at), e.ideal) << col;
                    EXPECT_EQ(var(col + "code").signed_at(at), e.code) << col;
                    const double analog = std::clamp(core::compress(static_cast<double>(e.ideal), l.p.gain_compression) /
                                                         static_cast<double>(e.full_scale), 0.0, 1.0);
                    EXPECT_NEAR(var(col + "analog").real_at(at), analog, 1e-12) << col;
                    const std::int64_t err = fc.adc ? e.code - core::ideal_code(e.ideal, e.full_scale, L) : 0;
                    EXPECT_EQ(var(col + "err_lsb").signed_at(at), err) << col;
                }
                // Accumulators after the step: the shift-add of every code so far.
                for (std::uint32_t o = 0; o < l.outputs; ++o)
                    for (int i = 0; i < P; ++i) {
                        const core::conversion_event& e = rec.events.at({gv, o, static_cast<std::uint32_t>(n), i, j});
                        acc[v * l.outputs + o] += e.code * plan.cycle(i, j).weight;
                    }
                for (std::size_t o = 0; o < c.trace_outputs && o < l.outputs; ++o)
                    EXPECT_EQ(var("out" + std::to_string(o) + ".acc").signed_at(at), acc[v * l.outputs + o]) << "output " << o;
                // ADC 0: its conversions of this step, in column order, S samples per voted column.
                std::vector<std::int32_t> samples;
                std::uint64_t in_step = 0;  // ADC 0's conversions so far in this step
                for (std::size_t col = 0; col < columns; col += cfg.adcs) {
                    const int i = static_cast<int>(col % static_cast<std::size_t>(P));
                    const auto o = static_cast<std::uint32_t>(col / static_cast<std::size_t>(P));
                    const core::conversion_event& e = rec.events.at({gv, o, static_cast<std::uint32_t>(n), i, j});
                    const int slots = e.kind == core::cycle_kind::analog  ? 1
                                      : e.kind == core::cycle_kind::voted ? l.p.voting_samples
                                      : l.p.digital == core::digital_mode::adc ? 1 : 0;
                    samples.clear();
                    for (int k = 0; k < slots; ++k) {
                        ASSERT_LT(conv_index, convs.size()) << "ADC 0 conversions missing";
                        const adc_conversion& cv = convs[conv_index++];
                        EXPECT_EQ(cv.column, static_cast<std::int64_t>(col));
                        EXPECT_EQ(cv.sample, k);
                        EXPECT_EQ(cv.time, at + (parts[jj].dac + parts[jj].bitline + in_step * t_conv) * clk_ps);
                        ++in_step;
                        samples.push_back(static_cast<std::int32_t>(cv.code));
                    }
                    if (slots == 1) {
                        EXPECT_EQ(samples[0], e.code) << "ADC 0, column " << col;
                    } else if (slots > 1) {
                        EXPECT_EQ(core::vote(samples.data(), slots, l.p.vote == core::vote_rule::median), e.code)
                            << "ADC 0, voted column " << col;
                    }
                }
                ++steps_checked;
            }
        }
        // After the last step of a vector its accumulators are the numerators.
        for (std::size_t o = 0; o < l.outputs; ++o) EXPECT_EQ(acc[v * l.outputs + o], num[v * l.outputs + o]);
    }
    EXPECT_EQ(conv_index, convs.size()) << "ADC 0 converted more than the traced steps need";
    EXPECT_EQ(steps_checked, bench->traced.tracer()->steps_shown());
    // Stepping ends after the last traced vector; the run's remaining vectors take the fast path.
    const std::uint64_t end = ps(t_start + clk * static_cast<double>(cfg.start_cycles + V * N * per_tile));
    EXPECT_EQ(stepping.unsigned_at(end), 0u);
    EXPECT_EQ(stepping.changes.back().value, "0");

    // The shipped view shows only signals this VCD has.
    std::ifstream view(std::string(ACIM_SOURCE_DIR) + "/traces/acim_macro.gtkw");
    ASSERT_TRUE(view.good());
    const std::vector<std::string> names = test::gtkw_signals(view);
    EXPECT_GT(names.size(), 30u);
    for (const std::string& n : names) EXPECT_NE(vcd.find(n), nullptr) << "traces/acim_macro.gtkw: " << n;
}

}  // namespace

TEST(macro_trace, bit_serial_noisy_sar_matches_the_core_engine) {
    trace_case c;
    c.name = "bit_serial_noisy_sar";
    c.p.sigma_rand = 0.8;
    c.p.sigma_nl = 1.5;
    run_case(c);
}

TEST(macro_trace, hcim_and_voting_noisy_flash_on_the_frames_backend_matches_the_core_engine) {
    trace_case c;
    c.name = "hcim_voting_flash";
    c.p.hybrid_levels = 2;
    c.p.voting_levels = 4;
    c.p.voting_samples = 3;
    c.p.sigma_rand = 1.2;
    c.adc = sc::adc_kind::flash;
    c.backend = sc::compute_backend::frames;
    c.adcs = 3;
    run_case(c);
}

TEST(macro_trace, bit_parallel_noisy_sar_with_a_cpu_ahead_of_the_kernel_matches_the_core_engine) {
    trace_case c;
    c.name = "bit_parallel_noisy_sar";
    c.p.act_enc = 3;
    c.p.row_parallelism = 64;
    c.p.adc_bits = 6;
    c.p.sigma_rand = 0.6;
    c.rows = 150;  // three row tiles
    c.trace_vectors = 2;
    c.decoupled = true;
    run_case(c);
}

TEST(macro_trace, an_attached_trace_file_takes_the_given_scope_and_a_soft_reset_ends_the_stepping) {
    // Runs 0 and 1 are traced into a trace file the test owns, under the scope "top.mac". Run 0 is
    // cut short by CTRL.SOFT_RESET: its steps after the reset never show. Run 1 steps in full.
    sc::macro_config cfg;
    cfg.rows = 64;
    cfg.cols = 64;
    cfg.adcs = 8;
    cfg.input_depth = 8;
    cfg.trace_runs = 2;
    cfg.trace_vectors = 2;
    cfg.trace_columns = 4;
    cfg.trace_outputs = 1;
    core::cim_params p;
    p.row_parallelism = 63;
    p.sigma_rand = 0.5;
    const test::layer_setup l = test::random_layer(p, 2, 60, 4, 9);
    const std::string path = std::string(ACIM_TRACE_DIR) + "/trace_attached";
    sc_time reset_at, start1;
    std::uint64_t cycles1 = 0;
    static test::macro_bench* bench = nullptr;
    ASSERT_EQ(bench, nullptr);
    bench = new test::macro_bench(cfg, [&](test::macro_bench& b) {
        test::program(b.cpu, l, cfg);
        b.cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        sc_core::wait(sc_time(30, sc_core::SC_NS));  // a few steps into run 0
        reset_at = sc_core::sc_time_stamp();
        b.cpu.wr(regmap::reg::ctrl, regmap::ctrl_soft_reset);
        test::program(b.cpu, l, cfg);
        b.cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        b.cpu.wait_irq();
        cycles1 = b.dut.last_run_cost().cycles;
        start1 = b.dut.done_time() - sc_time(static_cast<double>(cycles1 * cfg.clock_period_ps), sc_core::SC_PS);
        EXPECT_EQ(test::read_outputs(b.cpu, l), test::run_engine(l).num);
        sc_core::wait(sc_time(10, sc_core::SC_NS));
    });
    sc_core::sc_trace_file* tf = sc_core::sc_create_vcd_trace_file(path.c_str());
    tf->set_time_unit(1.0, sc_core::SC_PS);
    bench->dut.trace(tf, "top.mac");
    sc_core::sc_start();
    sc_core::sc_close_vcd_trace_file(tf);
    ASSERT_TRUE(bench->cpu.finished);
    EXPECT_EQ(bench->dut.runs_started(), 2u);

    const test::vcd_file vcd = test::vcd_file::load(path + ".vcd");
    ASSERT_NE(vcd.find("SystemC.top.mac.seq.stepping"), nullptr);
    EXPECT_NE(vcd.find("SystemC.top.mac.col3.analog"), nullptr);
    EXPECT_EQ(vcd.find("SystemC.top.mac.col4.analog"), nullptr);  // trace_columns = 4
    EXPECT_NE(vcd.find("SystemC.top.mac.out0.acc[63:0]"), nullptr);
    EXPECT_EQ(vcd.find("SystemC.top.mac.out1.acc[63:0]"), nullptr);
    const test::vcd_variable& stepping = vcd.at("SystemC.top.mac.seq.stepping");
    const test::vcd_variable& run = vcd.at("SystemC.top.mac.seq.run");
    const test::vcd_variable& vec = vcd.at("SystemC.top.mac.seq.vector");
    auto ps = [](const sc_time& x) { return static_cast<std::uint64_t>(std::llround(x.to_seconds() * 1e12)); };
    // Run 0: stepping from its first step until the reset, and no step after it.
    ASSERT_GE(stepping.changes.size(), 4u);
    EXPECT_EQ(stepping.changes[1].value, "1");
    EXPECT_EQ(stepping.changes[2].value, "0");
    EXPECT_LE(stepping.changes[2].time, ps(reset_at) + 1000);
    EXPECT_EQ(run.signed_at(stepping.changes[1].time), 0);
    // Run 1: stepping from start + start_cycles for 2 vectors x 1 tile x 8 cycles, then off.
    const std::uint64_t clk = cfg.clock_period_ps;
    EXPECT_EQ(stepping.changes[3].value, "1");
    EXPECT_EQ(stepping.changes[3].time, ps(start1) + cfg.start_cycles * clk);
    EXPECT_EQ(run.signed_at(stepping.changes[3].time), 1);
    EXPECT_EQ(vec.signed_at(stepping.changes[3].time), 0);
    ASSERT_EQ(stepping.changes.size(), 5u);
    EXPECT_EQ(stepping.changes[4].value, "0");
    // Steps shown: those of run 0 before the reset (bit-serial, one tile: the cycle changes at each
    // step) and all 2 x 8 of run 1.
    const test::vcd_variable& cyc = vcd.at("SystemC.top.mac.seq.cycle");
    const auto before = static_cast<std::uint64_t>(std::count_if(cyc.changes.begin(), cyc.changes.end(), [&](const test::vcd_change& c) {
        return c.time <= ps(reset_at) && cyc.to_signed(c.value) >= 0;
    }));
    EXPECT_GT(before, 0u);
    EXPECT_LT(before, 16u);
    EXPECT_EQ(bench->dut.tracer()->steps_shown(), before + 16u);
}

TEST(macro_trace, configuration_errors_name_the_field) {
    sc::macro_config cfg;
    cfg.trace_file = "x.vcd";  // a VCD but no window
    try {
        cfg.validate();
        ADD_FAILURE() << "trace_file without trace_runs accepted";
    } catch (const core::parameter_error& e) {
        EXPECT_EQ(e.name(), "trace_file");
    }
    cfg.trace_file.clear();
    cfg.trace_runs = 1;
    cfg.trace_vectors = 0;
    try {
        cfg.validate();
        ADD_FAILURE() << "trace_vectors = 0 accepted";
    } catch (const core::parameter_error& e) {
        EXPECT_EQ(e.name(), "trace_vectors");
    }
    // trace() on a macro without a window is an error at elaboration.
    sc::macro_config plain;
    plain.rows = 16;
    plain.cols = 16;
    plain.adcs = 4;
    plain.input_depth = 1;
    sc::acim_macro m("m", plain);
    test::expect_report(sc_core::SC_ERROR, sc::acim_macro::msg_type, "trace_runs");
    EXPECT_THROW(m.trace(nullptr), sc_core::sc_report);
}
