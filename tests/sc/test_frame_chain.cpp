// The frame chain (macro_config::backend = frames): two macros elaborated side by side, one with
// the fused engine and one with the chain of sub-block modules, get the same layer through the
// bus. Outputs, OUT_DENOM, every counter register, CYCLES, ENERGY_FJ and the completion time must
// be identical, and equal to the core engine called directly. Further tests check the chain
// itself: hierarchy and sockets, one transaction per frame with each block's latency from
// docs/timing.md, block energy events against the macro's energy breakdown, configuration and
// weight changes between runs, and errors.
#include "sc_test_support.hpp"

#include <acim/core/error.hpp>
#include <acim/sc/frame_chain_backend.hpp>
#include <acim/sc/macro_cost.hpp>

#include <gtest/gtest.h>

#include <map>
#include <memory>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

sc::macro_config instance(sc::compute_backend b, std::uint32_t frame_vectors = 64) {
    sc::macro_config cfg;
    cfg.rows = 320;
    cfg.cols = 256;
    cfg.adcs = 24;  // does not divide the used columns: uneven ADC queues
    cfg.input_depth = 64;
    cfg.backend = b;
    cfg.frame_vectors = frame_vectors;
    cfg.clock_period_ps = 1250;
    cfg.dac_settle_cycles = 3;
    cfg.bitline_cycles = 2;
    cfg.adc_sample_cycles = 1;
    cfg.digital_lanes = 16;
    cfg.digital_pass_cycles = 3;
    cfg.drain_cycles = 5;
    cfg.e_digital_bitop_fj = 0.0625;
    return cfg;
}

// Two macros, one per backend, each with its own CPU. The fused CPU runs its body and parks; the
// frames CPU runs its body, waits for the fused one, and then compares.
struct dual_bench {
    sc::acim_macro fused;
    sc::acim_macro frames;
    test::bus_initiator cpu_fused;
    test::bus_initiator cpu_frames;
    sc_core::sc_signal<bool> irq_fused, irq_frames;
    sc_core::sc_event fused_done;
    bool fused_finished = false;

    dual_bench(const sc::macro_config& cfg_frames, const std::function<void(dual_bench&, test::bus_initiator&)>& body,
               const std::function<void(dual_bench&)>& compare)
        : fused("fused", with_backend(cfg_frames, sc::compute_backend::fused)),
          frames("frames", cfg_frames),
          cpu_fused("cpu_fused",
                    [this, body] {
                        body(*this, cpu_fused);
                        fused_finished = true;
                        fused_done.notify();
                        sc_core::wait();  // parked: cpu_frames ends the simulation
                    }),
          cpu_frames("cpu_frames",
                     [this, body, compare] {
                         body(*this, cpu_frames);
                         if (!fused_finished) sc_core::wait(fused_done);
                         compare(*this);
                     }),
          irq_fused("irq_fused"),
          irq_frames("irq_frames") {
        cpu_fused.bus_out.bind(fused.bus_in);
        cpu_frames.bus_out.bind(frames.bus_in);
        fused.irq_out(irq_fused);
        frames.irq_out(irq_frames);
        cpu_fused.irq_in(irq_fused);
        cpu_frames.irq_in(irq_frames);
    }
    static sc::macro_config with_backend(sc::macro_config c, sc::compute_backend b) {
        c.backend = b;
        return c;
    }
};

void run_dual(const sc::macro_config& cfg_frames, const std::function<void(dual_bench&, test::bus_initiator&)>& body,
              const std::function<void(dual_bench&)>& compare) {
    static dual_bench* bench = nullptr;  // lives until the process ends, as SystemC requires
    ASSERT_EQ(bench, nullptr) << "one elaboration per process";
    bench = new dual_bench(cfg_frames, body, compare);
    sc_core::sc_start();
    EXPECT_TRUE(bench->cpu_frames.finished) << "the comparison did not run";
}

// Every register a run writes.
std::map<std::string, std::uint64_t> run_registers(test::bus_initiator& cpu) {
    namespace R = regmap::reg;
    return {{"STATUS", cpu.rd(R::status)},
            {"ERROR_CODE", cpu.rd(R::error_code)},
            {"ERROR_ADDR", cpu.rd(R::error_addr)},
            {"OUT_DENOM", cpu.rd(R::out_denom)},
            {"CYCLES", test::read64(cpu, R::cycles_lo)},
            {"CONVERSIONS", test::read64(cpu, R::conversions_lo)},
            {"DIGITAL", test::read64(cpu, R::digital_lo)},
            {"VOTES", test::read64(cpu, R::votes_lo)},
            {"SATURATIONS", test::read64(cpu, R::saturations_lo)},
            {"ENERGY_FJ", test::read64(cpu, R::energy_lo)},
            {"RUNS", cpu.rd(R::runs)}};
}

struct chain_case {
    std::string name;
    core::cim_params p;
    std::size_t outputs = 20;
    std::size_t rows = 300;
    std::size_t vectors = 24;
    std::vector<core::row_tile> tiles;
    std::uint64_t first_vector = 0;
    std::uint32_t column_base = 0;
    std::uint32_t tile_base = 0;
    sc::adc_kind adc = sc::adc_kind::sar;
    std::uint32_t frame_vectors = 64;
};

std::vector<chain_case> cases() {
    std::vector<chain_case> c;
    auto add = [&](std::string name, auto&& edit) {
        chain_case m;
        m.name = std::move(name);
        edit(m);
        c.push_back(m);
    };
    add("bit_serial_noise_free", [](chain_case&) {});
    add("bit_serial_noisy", [](chain_case& m) {
        m.p.sigma_rand = 0.35;
        m.p.sigma_nl = 1.2;
    });
    add("bit_serial_noisy_small_frames", [](chain_case& m) {
        m.p.sigma_rand = 0.5;
        m.frame_vectors = 5;  // 24 vectors: four frames of 5 and one of 4 per tile and cycle
    });
    add("bit_parallel_noisy_flash", [](chain_case& m) {
        m.p.act_enc = 3;
        m.p.row_parallelism = 64;
        m.p.sigma_rand = 0.5;
        m.adc = sc::adc_kind::flash;
    });
    add("bit_parallel_noise_free_6bit_adc", [](chain_case& m) {
        m.p.act_enc = 4;
        m.p.row_parallelism = 32;
        m.p.adc_bits = 6;
    });
    add("signed_activations_noisy", [](chain_case& m) {
        m.p.signed_act = true;
        m.p.xbit = 6;
        m.p.act_enc = 2;
        m.p.row_parallelism = 100;
        m.p.sigma_rand = 0.4;
        m.p.sigma_nl = 0.8;
    });
    add("hcim_exact_noisy", [](chain_case& m) {
        m.p.hybrid_levels = 3;
        m.p.sigma_rand = 0.6;
    });
    add("hcim_exact_digital_bound", [](chain_case& m) {
        // Slow digital unit: in the MSB cycles the digital path, not the ADCs, sets the pace.
        m.p.hybrid_levels = 8;
        m.p.sigma_rand = 0.2;
        m.outputs = 30;
        m.adc = sc::adc_kind::flash;
    });
    add("hcim_adc_mode_noisy_ideal_adc", [](chain_case& m) {
        m.p.hybrid_levels = 2;
        m.p.digital = core::digital_mode::adc;
        m.p.sigma_rand = 0.6;
        m.adc = sc::adc_kind::ideal;
    });
    add("voting_mode_noisy", [](chain_case& m) {
        m.p.voting_levels = 3;
        m.p.voting_samples = 5;
        m.p.sigma_rand = 1.0;
    });
    add("voting_median_noisy", [](chain_case& m) {
        m.p.voting_levels = 4;
        m.p.voting_samples = 4;
        m.p.vote = core::vote_rule::median;
        m.p.sigma_rand = 1.0;
        m.p.sigma_nl = 1.0;
    });
    add("hcim_and_voting_noisy", [](chain_case& m) {
        m.p.hybrid_levels = 2;
        m.p.voting_levels = 5;
        m.p.voting_samples = 3;
        m.p.sigma_rand = 0.8;
        m.frame_vectors = 16;
    });
    add("two_byte_signed_inputs", [](chain_case& m) {
        m.p.wbit = 4;
        m.p.xbit = 12;
        m.p.signed_act = true;
        m.p.act_enc = 3;
        m.p.row_parallelism = 40;
        m.p.adc_bits = 9;
        m.p.sigma_rand = 0.3;
        m.outputs = 50;
        m.rows = 200;
    });
    add("tile_list_with_dropped_rows", [](chain_case& m) {
        m.p.row_parallelism = 72;
        m.p.sigma_rand = 0.3;
        m.tiles = {{0, 63}, {63, 126}, {130, 200}, {201, 273}};
    });
    add("current_domain", [](chain_case& m) {
        m.p.gain_compression = 0.002;
        m.p.cell_sigma = 2.0;
        m.p.sigma_rand = 0.2;
        m.p.hybrid_levels = 2;
        m.p.digital = core::digital_mode::adc;
        m.rows = 120;
        m.vectors = 9;
    });
    add("keys_offset", [](chain_case& m) {
        m.p.sigma_rand = 0.5;
        m.first_vector = 0x1'0000'0123ULL;
        m.column_base = 1000;
        m.tile_base = 4321;
    });
    // Static mismatch (docs/models.md): the macro passes ADC_KIND and HW_ADCS (24) to the core,
    // so the reference engine uses the same adc_arch and adcs.
    add("mismatch_sar_noisy", [](chain_case& m) {
        m.adc = sc::adc_kind::sar;
        m.p.adc_arch = core::adc_architecture::sar;
        m.p.adcs = 24;
        m.p.adc_bits = 6;
        m.p.sigma_sar_cap = 8.0;
        m.p.sigma_cmp_offset = 0.5;
        m.p.sigma_col_gain = 1.0;
        m.p.sigma_rand = 0.6;
        m.p.voting_levels = 2;
        m.p.voting_samples = 3;
        m.column_base = 7;
    });
    add("mismatch_flash_hcim_adc_mode", [](chain_case& m) {
        m.adc = sc::adc_kind::flash;
        m.p.adc_arch = core::adc_architecture::flash;
        m.p.adcs = 24;
        m.p.adc_bits = 5;
        m.p.sigma_flash_th = 0.8;
        m.p.sigma_col_offset = 0.4;
        m.p.hybrid_levels = 3;
        m.p.digital = core::digital_mode::adc;
        m.frame_vectors = 10;
    });
    add("full_geometry_full_depth", [](chain_case& m) {
        m.p.sigma_nl = 0.7;
        m.outputs = 32;  // 256 columns
        m.rows = 320;
        m.vectors = 64;
        m.frame_vectors = 24;
    });
    return c;
}

test::layer_setup setup_of(const chain_case& c) {
    test::layer_setup l = test::random_layer(c.p, c.outputs, c.rows, c.vectors, 2000 + c.rows + c.outputs);
    l.tiles = c.tiles;
    l.first_vector = c.first_vector;
    l.key.column_base = c.column_base;
    l.key.tile_base = c.tile_base;
    l.key.seed = 0xC0FFEE + c.rows;
    l.p.adc_arch = c.adc;
    return l;
}

class frame_chain_mvm : public ::testing::TestWithParam<chain_case> {};

}  // namespace

TEST_P(frame_chain_mvm, bit_identical_to_the_fused_backend_with_the_same_cycles_and_energy) {
    const chain_case& c = GetParam();
    const sc::macro_config cfg = instance(sc::compute_backend::frames, c.frame_vectors);
    const test::layer_setup l = setup_of(c);
    const test::engine_reference ref = test::run_engine(l);
    std::vector<std::int64_t> out_fused, out_frames;
    std::map<std::string, std::uint64_t> reg_fused, reg_frames;
    run_dual(
        cfg,
        [&](dual_bench&, test::bus_initiator& cpu) {
            test::program(cpu, l, cfg);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            cpu.wait_irq();
            const bool is_fused = std::string(cpu.name()) == "cpu_fused";
            auto& out = is_fused ? out_fused : out_frames;
            auto& reg = is_fused ? reg_fused : reg_frames;
            out = test::read_outputs(cpu, l);
            reg = run_registers(cpu);
        },
        [&](dual_bench& b) {
            EXPECT_EQ(b.fused.done_time(), b.frames.done_time());
            EXPECT_EQ(b.fused.last_run_cost().cycles, b.frames.last_run_cost().cycles);
            EXPECT_EQ(b.fused.last_run_cost().energy.total(), b.frames.last_run_cost().energy.total());
        });
    ASSERT_EQ(out_frames.size(), ref.num.size());
    EXPECT_EQ(out_frames, out_fused);
    EXPECT_EQ(out_frames, ref.num);
    EXPECT_EQ(reg_frames, reg_fused);
    EXPECT_EQ(reg_frames.at("STATUS"), regmap::status_done);
    EXPECT_EQ(reg_frames.at("OUT_DENOM"), static_cast<std::uint64_t>(ref.den));
    EXPECT_EQ(reg_frames.at("CONVERSIONS"), ref.counters.adc_conversions);
    EXPECT_EQ(reg_frames.at("DIGITAL"), ref.counters.digital);
    EXPECT_EQ(reg_frames.at("VOTES"), ref.counters.voted);
    EXPECT_EQ(reg_frames.at("SATURATIONS"), ref.counters.saturations);
    EXPECT_GT(reg_frames.at("CYCLES"), 0u);
}

INSTANTIATE_TEST_SUITE_P(configs, frame_chain_mvm, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<chain_case>& pi) { return pi.param.name; });

TEST(frame_chain_runs, split_batches_weight_rewrites_and_reconfiguration_match_the_fused_backend) {
    // Three runs on each macro: a noisy voted layer, the same layer with new weights and a new
    // VECTOR_BASE, then WBIT 8 -> 4 on the same SRAM bits (the chain rebuilds its plan).
    sc::macro_config cfg = instance(sc::compute_backend::frames, 7);
    cfg.input_depth = 16;
    core::cim_params p;
    p.sigma_rand = 0.7;
    p.voting_levels = 2;
    p.voting_samples = 3;
    test::layer_setup a = test::random_layer(p, 12, 150, 16, 77);
    test::layer_setup b2 = test::random_layer(p, 12, 150, 16, 78);
    b2.first_vector = 16;
    std::map<std::string, std::vector<std::int64_t>> outs;
    std::map<std::string, std::map<std::string, std::uint64_t>> regs;
    run_dual(
        cfg,
        [&](dual_bench&, test::bus_initiator& cpu) {
            const std::string who = cpu.name();
            for (const test::layer_setup* l : {&a, &b2}) {
                test::program(cpu, *l, cfg);
                cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
                cpu.wait_irq();
                cpu.wr(regmap::reg::irq_status, regmap::irq_done);
                const std::vector<std::int64_t> y = test::read_outputs(cpu, *l);
                outs[who].insert(outs[who].end(), y.begin(), y.end());
            }
            cpu.wr(regmap::reg::wbit, 4);
            cpu.wr(regmap::reg::outputs, 24);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            cpu.wait_irq();
            test::layer_setup narrow = b2;
            narrow.outputs = 24;
            const std::vector<std::int64_t> y = test::read_outputs(cpu, narrow);
            outs[who].insert(outs[who].end(), y.begin(), y.end());
            regs[who] = run_registers(cpu);
        },
        [](dual_bench&) {});
    EXPECT_EQ(outs["cpu_frames"], outs["cpu_fused"]);
    EXPECT_EQ(outs["cpu_frames"].size(), 16u * 12u * 2u + 16u * 24u);
    EXPECT_EQ(regs["cpu_frames"], regs["cpu_fused"]);
    EXPECT_EQ(regs["cpu_frames"].at("RUNS"), 3u);
    std::vector<std::int64_t> want = test::run_engine(a).num;
    const std::vector<std::int64_t> second = test::run_engine(b2).num;
    want.insert(want.end(), second.begin(), second.end());
    EXPECT_EQ(std::vector<std::int64_t>(outs["cpu_frames"].begin(), outs["cpu_frames"].begin() + 384), want);
}

TEST(frame_chain_runs, bad_configurations_fail_like_the_fused_backend) {
    // COLUMN_BASE + OUTPUTS * WBIT beyond the 2^24 noise-key columns: both backends reject the
    // START with BAD_CONFIG pointing at COLUMN_BASE.
    const sc::macro_config cfg = instance(sc::compute_backend::frames);
    core::cim_params p;
    p.sigma_rand = 0.1;
    test::layer_setup l = test::random_layer(p, 8, 50, 4, 5);
    l.key.column_base = (1u << 24) - 10;
    std::map<std::string, std::map<std::string, std::uint64_t>> regs;
    test::expect_report(sc_core::SC_WARNING, sc::acim_macro::msg_type, "column_base");
    run_dual(
        cfg,
        [&](dual_bench&, test::bus_initiator& cpu) {
            test::program(cpu, l, cfg);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            cpu.wait_irq();
            regs[cpu.name()] = run_registers(cpu);
        },
        [](dual_bench&) {});
    EXPECT_EQ(regs["cpu_frames"], regs["cpu_fused"]);
    EXPECT_EQ(regs["cpu_frames"].at("ERROR_CODE"), static_cast<std::uint64_t>(regmap::error_code::bad_config));
    EXPECT_EQ(regs["cpu_frames"].at("ERROR_ADDR"), regmap::addr::reg_base + regmap::reg::column_base);
    EXPECT_EQ(regs["cpu_frames"].at("RUNS"), 0u);
}

TEST(frame_chain_runs, a_mismatch_sigma_the_adc_kind_lacks_points_at_its_register) {
    // SAR_CAP_SIGMA with ADC_KIND flash: both backends reject the START with BAD_CONFIG at
    // SAR_CAP_SIGMA (the core's parameter_error names sigma_sar_cap).
    const sc::macro_config cfg = instance(sc::compute_backend::frames);
    core::cim_params p;
    p.sigma_sar_cap = 1.0;
    test::layer_setup l = test::random_layer(p, 8, 50, 4, 5);
    l.p.adc_arch = sc::adc_kind::flash;
    std::map<std::string, std::map<std::string, std::uint64_t>> regs;
    test::expect_report(sc_core::SC_WARNING, sc::acim_macro::msg_type, "sigma_sar_cap");
    run_dual(
        cfg,
        [&](dual_bench&, test::bus_initiator& cpu) {
            test::program(cpu, l, cfg);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            cpu.wait_irq();
            regs[cpu.name()] = run_registers(cpu);
        },
        [](dual_bench&) {});
    EXPECT_EQ(regs["cpu_frames"], regs["cpu_fused"]);
    EXPECT_EQ(regs["cpu_frames"].at("ERROR_CODE"), static_cast<std::uint64_t>(regmap::error_code::bad_config));
    EXPECT_EQ(regs["cpu_frames"].at("ERROR_ADDR"), regmap::addr::reg_base + regmap::reg::sar_cap_sigma);
    EXPECT_EQ(regs["cpu_frames"].at("RUNS"), 0u);
}

// ---------------------------------------------------------------------------------------------
// The chain itself

namespace {

// Records every frame each block finishes.
struct hop_log final : sc::frame_monitor {
    struct hop {
        std::string block;
        core::frame_id id;
        sc_time start, delay;
        bool last = false, end_of_run = false;
    };
    std::vector<hop> hops;
    void on_frame(const sc_core::sc_module& block, const regmap::frame_payload& f, const sc_time& delay) override {
        hops.push_back({block.basename(), f.id, f.start, delay, f.last, f.end_of_run});
    }
};

}  // namespace

TEST(frame_chain_blocks, are_children_of_the_macro_joined_by_frame_sockets) {
    const sc::macro_config cfg = instance(sc::compute_backend::frames);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        const std::vector<std::string> chain = {"controller", "wordline_driver", "sram_array",
                                                "adc_bank", "hcim_digital_unit", "shift_add"};
        for (const std::string& n : chain) {
            sc_core::sc_object* o = sc_core::sc_find_object(("dut." + n).c_str());
            ASSERT_NE(o, nullptr) << n;
            EXPECT_EQ(o->get_parent_object(), &b.dut) << n;
            EXPECT_NE(dynamic_cast<sc::frame_block*>(o), nullptr) << n;
        }
        for (std::size_t k = 0; k + 1 < chain.size(); ++k) {
            EXPECT_NE(sc_core::sc_find_object(("dut." + chain[k] + ".frame_out").c_str()), nullptr) << chain[k];
            EXPECT_NE(sc_core::sc_find_object(("dut." + chain[k + 1] + ".frame_in").c_str()), nullptr) << chain[k + 1];
        }
    });
}

TEST(frame_chain_blocks, macro_config_checks_the_backend_fields) {
    sc::macro_config cfg = instance(sc::compute_backend::frames);
    EXPECT_NO_THROW(cfg.validate());
    cfg.frame_vectors = 0;
    try {
        cfg.validate();
        ADD_FAILURE() << "frame_vectors = 0 accepted";
    } catch (const core::parameter_error& e) {
        EXPECT_EQ(e.name(), "frame_vectors");
    }
    cfg = instance(sc::compute_backend::frames);
    cfg.backend = static_cast<sc::compute_backend>(7);
    try {
        cfg.validate();
        ADD_FAILURE() << "backend 7 accepted";
    } catch (const core::parameter_error& e) {
        EXPECT_EQ(e.name(), "backend");
    }
    EXPECT_STREQ(sc::to_string(sc::compute_backend::frames), "frames");
    EXPECT_STREQ(sc::to_string(sc::compute_backend::fused), "fused");
}

TEST(frame_chain_blocks, the_fused_macro_elaborates_no_chain) {
    const sc::macro_config cfg = instance(sc::compute_backend::fused);
    test::run_bench(cfg, [&](test::macro_bench&) { EXPECT_EQ(sc_core::sc_find_object("dut.controller"), nullptr); });
}

TEST(frame_chain_blocks, one_transaction_per_frame_each_block_adds_its_latency_and_energy_events_match) {
    // HCiM + voting + bit-parallel on uneven ADC queues, 13-vector frames over 30 vectors: every
    // hop's delay increment is the block's part of T_j from macro_cost, times the frame's vectors.
    sc::macro_config cfg = instance(sc::compute_backend::frames, 13);
    core::cim_params p;
    p.act_enc = 2;
    p.row_parallelism = 100;
    p.hybrid_levels = 2;
    p.voting_levels = 4;
    p.voting_samples = 3;
    p.sigma_rand = 0.4;
    test::layer_setup l = test::random_layer(p, 21, 230, 30, 9);
    l.p.adc_arch = sc::adc_kind::sar;
    hop_log log;
    test::run_bench(cfg, [&](test::macro_bench& b) {
        auto* ctrl = dynamic_cast<sc::controller*>(sc_core::sc_find_object("dut.controller"));
        ASSERT_NE(ctrl, nullptr);
        std::vector<sc::frame_block*> blocks;
        for (const char* n : {"dut.controller", "dut.wordline_driver", "dut.sram_array", "dut.adc_bank",
                              "dut.hcim_digital_unit", "dut.shift_add"}) {
            blocks.push_back(dynamic_cast<sc::frame_block*>(sc_core::sc_find_object(n)));
            ASSERT_NE(blocks.back(), nullptr) << n;
            blocks.back()->set_monitor(&log);
        }
        test::program(b.cpu, l, cfg);
        b.cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        b.cpu.wait_irq();
        EXPECT_EQ(test::read_outputs(b.cpu, l), test::run_engine(l).num);

        // The costs as the fused path computes them.
        const core::cycle_plan plan(l.p);
        const std::vector<core::row_tile> tiles = core::dense_tiling(l.rows, l.p.row_parallelism);
        sc::run_shape s;
        s.params = &l.p;
        s.plan = &plan;
        s.adc = l.p.adc_arch;
        s.outputs = l.outputs;
        s.rows = l.rows;
        s.tiles = &tiles;
        s.vectors = l.vectors;
        s.inputs = l.x.data();
        const sc::macro_cost cost(cfg);
        const sc::run_cost rc = cost.run(s, test::run_engine(l).counters);
        EXPECT_EQ(b.dut.last_run_cost().cycles, rc.cycles);

        const int Q = plan.act_cycles();
        const std::size_t frames = 3 * tiles.size() * static_cast<std::size_t>(Q);  // 30 vectors: 13 + 13 + 4
        const std::vector<std::string> order = {"wordline_driver", "sram_array", "adc_bank", "hcim_digital_unit",
                                                "shift_add", "controller"};
        ASSERT_EQ(log.hops.size(), frames * order.size());
        const sc_time clk(static_cast<double>(cfg.clock_period_ps), sc_core::SC_PS);
        for (std::size_t f = 0; f < frames; ++f) {
            const hop_log::hop* h = &log.hops[f * order.size()];
            for (std::size_t k = 0; k < order.size(); ++k) {
                EXPECT_EQ(h[k].block, order[k]) << "frame " << f;
                EXPECT_EQ(h[k].id.tile, h[0].id.tile);
                EXPECT_EQ(h[k].id.cycle, h[0].id.cycle);
            }
            const core::frame_id& id = h[0].id;
            const std::size_t range = f / (tiles.size() * static_cast<std::size_t>(Q));
            EXPECT_EQ(id.vectors, range < 2 ? 13u : 4u) << "frame " << f;
            EXPECT_EQ(id.first_vector, 13u * range);
            EXPECT_EQ(id.tile, (f / static_cast<std::size_t>(Q)) % tiles.size());
            EXPECT_EQ(id.cycle, static_cast<int>(f % static_cast<std::size_t>(Q)));
            const sc::cycle_clocks c = cost.activation_cycle_parts(s, id.cycle);
            const double v = static_cast<double>(id.vectors);
            const sc_time start = h[0].start;
            EXPECT_EQ(h[0].delay - start, clk * (v * static_cast<double>(c.dac))) << "wordline, frame " << f;
            EXPECT_EQ(h[1].delay - h[0].delay, clk * (v * static_cast<double>(c.bitline))) << "bitline, frame " << f;
            EXPECT_EQ(h[2].delay - h[1].delay, clk * (v * static_cast<double>(c.adc))) << "adc, frame " << f;
            EXPECT_EQ(h[3].delay - start, clk * (v * static_cast<double>(c.total()))) << "join, frame " << f;
            const sc_time drain = h[4].end_of_run ? clk * static_cast<double>(cfg.drain_cycles) : sc_core::SC_ZERO_TIME;
            EXPECT_EQ(h[4].delay - h[3].delay, drain) << "shift_add, frame " << f;
            EXPECT_EQ(h[4].end_of_run, f + 1 == frames);
        }
        EXPECT_EQ(log.hops.front().start, clk * static_cast<double>(cfg.start_cycles));

        // Block energy events priced with the per-event energies give the breakdown macro_cost
        // computes from the inputs and the engine's counters (the fused path's energy).
        const sc::energy_breakdown& e = rc.energy;
        EXPECT_EQ(b.dut.last_run_cost().energy.total(), e.total());
        EXPECT_DOUBLE_EQ(static_cast<double>(blocks[1]->stats().events) * cfg.e_wordline_fj, e.wordline);
        EXPECT_DOUBLE_EQ(static_cast<double>(blocks[2]->stats().events) * cfg.e_bitline_fj, e.bitline);
        EXPECT_DOUBLE_EQ(static_cast<double>(blocks[3]->stats().events) * cost.conversion_energy(l.p.adc_arch, l.p.adc_bits), e.adc);
        EXPECT_DOUBLE_EQ(static_cast<double>(blocks[4]->stats().events) * cfg.e_digital_bitop_fj, e.digital);
        EXPECT_DOUBLE_EQ(static_cast<double>(blocks[5]->stats().events) * cfg.e_shift_add_fj, e.shift_add);
        for (sc::frame_block* blk : blocks) EXPECT_EQ(blk->stats().frames, frames) << blk->name();
        auto* adc = dynamic_cast<sc::adc_bank*>(blocks[3]);
        ASSERT_NE(adc, nullptr);
        EXPECT_EQ(adc->converter(), sc::adc_kind::sar);
        EXPECT_EQ(adc->mux_ratio(), (21u * 8u + cfg.adcs - 1) / cfg.adcs);
        EXPECT_GT(blocks[4]->stats().events, 0u);
        EXPECT_EQ(ctrl->core()->frames(l.vectors), frames);
    });
}

TEST(frame_chain_blocks, refuse_frames_before_configuration_and_non_lt_calls) {
    const sc::macro_config cfg = instance(sc::compute_backend::frames);
    test::expect_report(sc_core::SC_ERROR, regmap::frame_msg_type, "nb_transport_fw");
    test::run_bench(cfg, [&](test::macro_bench&) {
        auto* wl = dynamic_cast<sc::wordline_driver*>(sc_core::sc_find_object("dut.wordline_driver"));
        ASSERT_NE(wl, nullptr);
        regmap::frame_payload f;
        sc_time delay = sc_core::SC_ZERO_TIME;
        wl->frame_in.get_base_interface().b_transport(f, delay);
        EXPECT_EQ(f.status, regmap::frame_status::error);
        EXPECT_NE(f.error.find("dut.wordline_driver: frame before configuration"), std::string::npos) << f.error;
        EXPECT_EQ(delay, sc_core::SC_ZERO_TIME);
        EXPECT_EQ(wl->stats().frames, 0u);
        ::tlm::tlm_phase phase = ::tlm::BEGIN_REQ;
        EXPECT_ANY_THROW(wl->frame_in.get_base_interface().nb_transport_fw(f, phase, delay));
        ::tlm::tlm_dmi dmi;
        EXPECT_FALSE(wl->frame_in.get_base_interface().get_direct_mem_ptr(f, dmi));
        EXPECT_EQ(wl->frame_in.get_base_interface().transport_dbg(f), 0u);
    });
}
