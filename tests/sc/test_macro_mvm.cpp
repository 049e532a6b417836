// Full matrix-vector products through the bus: program the registers, write the weight SRAM and
// the input buffer in their documented layouts, START, wait for the interrupt, read the output
// buffer, and compare bit for bit with the core engine called directly on the same codes.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

struct mvm_case {
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
};

sc::macro_config instance() {
    sc::macro_config cfg;
    cfg.rows = 320;
    cfg.cols = 256;
    cfg.adcs = 32;
    cfg.input_depth = 64;
    return cfg;
}

std::vector<mvm_case> cases() {
    std::vector<mvm_case> c;
    auto add = [&](std::string name, auto&& edit) {
        mvm_case m;
        m.name = std::move(name);
        edit(m);
        c.push_back(m);
    };
    add("bit_serial_noise_free", [](mvm_case&) {});
    add("bit_serial_noisy", [](mvm_case& m) {
        m.p.sigma_rand = 0.35;
        m.p.sigma_nl = 1.2;
    });
    add("bit_parallel_noisy", [](mvm_case& m) {
        m.p.act_enc = 3;
        m.p.row_parallelism = 64;
        m.p.sigma_rand = 0.5;
        m.adc = sc::adc_kind::flash;
    });
    add("bit_parallel_noise_free_6bit_adc", [](mvm_case& m) {
        m.p.act_enc = 4;
        m.p.row_parallelism = 32;
        m.p.adc_bits = 6;
    });
    add("signed_activations_noisy", [](mvm_case& m) {
        m.p.signed_act = true;
        m.p.xbit = 6;
        m.p.act_enc = 2;
        m.p.row_parallelism = 100;
        m.p.sigma_rand = 0.4;
        m.p.sigma_nl = 0.8;
    });
    add("hcim_exact_noisy", [](mvm_case& m) {
        m.p.hybrid_levels = 3;
        m.p.sigma_rand = 0.6;
    });
    add("hcim_adc_mode_noisy", [](mvm_case& m) {
        m.p.hybrid_levels = 2;
        m.p.digital = core::digital_mode::adc;
        m.p.sigma_rand = 0.6;
        m.adc = sc::adc_kind::ideal;
    });
    add("voting_mode_noisy", [](mvm_case& m) {
        m.p.voting_levels = 3;
        m.p.voting_samples = 5;
        m.p.sigma_rand = 1.0;
    });
    add("voting_median_noisy", [](mvm_case& m) {
        m.p.voting_levels = 4;
        m.p.voting_samples = 4;
        m.p.vote = core::vote_rule::median;
        m.p.sigma_rand = 1.0;
        m.p.sigma_nl = 1.0;
    });
    add("hcim_and_voting_noisy", [](mvm_case& m) {
        m.p.hybrid_levels = 2;
        m.p.voting_levels = 5;
        m.p.voting_samples = 3;
        m.p.sigma_rand = 0.8;
    });
    add("two_byte_signed_inputs", [](mvm_case& m) {
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
    add("tile_list_with_dropped_rows", [](mvm_case& m) {
        m.p.row_parallelism = 72;
        m.p.sigma_rand = 0.3;
        m.tiles = {{0, 63}, {63, 126}, {130, 200}, {201, 273}};
    });
    add("current_domain", [](mvm_case& m) {
        m.p.gain_compression = 0.002;
        m.p.cell_sigma = 2.0;
        m.p.sigma_rand = 0.2;
        m.rows = 120;
        m.vectors = 9;
    });
    add("keys_offset", [](mvm_case& m) {
        m.p.sigma_rand = 0.5;
        m.first_vector = 0x1'0000'0123ULL;
        m.column_base = 1000;
        m.tile_base = 4321;
    });
    add("full_geometry", [](mvm_case& m) {
        m.p.wbit = 8;
        m.p.sigma_nl = 0.7;
        m.outputs = 32;  // 256 columns
        m.rows = 320;
        m.vectors = 64;
    });
    return c;
}

class macro_mvm : public ::testing::TestWithParam<mvm_case> {};

}  // namespace

TEST_P(macro_mvm, bit_identical_to_the_core_engine) {
    const mvm_case& c = GetParam();
    const sc::macro_config cfg = instance();
    test::layer_setup l = test::random_layer(c.p, c.outputs, c.rows, c.vectors, 1000 + c.rows + c.outputs);
    l.tiles = c.tiles;
    l.first_vector = c.first_vector;
    l.key.column_base = c.column_base;
    l.key.tile_base = c.tile_base;
    l.p.adc_arch = c.adc;
    const test::engine_reference ref = test::run_engine(l);

    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_busy);
        cpu.wait_irq();
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done);
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_done);
        EXPECT_EQ(cpu.rd(regmap::reg::out_denom), static_cast<std::uint32_t>(ref.den));
        const std::vector<std::int64_t> got = test::read_outputs(cpu, l);
        ASSERT_EQ(got.size(), ref.num.size());
        std::size_t mismatches = 0;
        for (std::size_t k = 0; k < got.size(); ++k) mismatches += got[k] != ref.num[k];
        EXPECT_EQ(mismatches, 0u) << "of " << got.size() << " numerators";
        EXPECT_EQ(test::read64(cpu, regmap::reg::conversions_lo), ref.counters.adc_conversions);
        EXPECT_EQ(test::read64(cpu, regmap::reg::digital_lo), ref.counters.digital);
        EXPECT_EQ(test::read64(cpu, regmap::reg::votes_lo), ref.counters.voted);
        EXPECT_EQ(test::read64(cpu, regmap::reg::saturations_lo), ref.counters.saturations);
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 1u);
    });
}

INSTANTIATE_TEST_SUITE_P(configs, macro_mvm, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<mvm_case>& pi) { return pi.param.name; });

TEST(macro_mvm_batches, split_batches_reproduce_one_run) {
    // A layer of 48 vectors run as three batches of 16, VECTOR_BASE stepping by 16, gives the
    // engine's numbers for all 48 at once: noise is keyed by the global vector index.
    sc::macro_config cfg = instance();
    cfg.input_depth = 16;
    core::cim_params p;
    p.sigma_rand = 0.7;
    p.sigma_nl = 0.9;
    p.voting_levels = 2;
    p.voting_samples = 3;
    const test::layer_setup all = test::random_layer(p, 12, 150, 48, 77);
    const test::engine_reference ref = test::run_engine(all);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        std::vector<std::int64_t> got;
        for (std::size_t first = 0; first < all.vectors; first += 16) {
            test::layer_setup part = all;
            part.vectors = 16;
            part.first_vector = first;
            part.x.assign(all.x.begin() + static_cast<std::ptrdiff_t>(first * all.rows),
                          all.x.begin() + static_cast<std::ptrdiff_t>((first + 16) * all.rows));
            test::program(cpu, part, cfg);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            cpu.wait_irq();
            cpu.wr(regmap::reg::irq_status, regmap::irq_done);
            const std::vector<std::int64_t> y = test::read_outputs(cpu, part);
            got.insert(got.end(), y.begin(), y.end());
        }
        EXPECT_EQ(got, ref.num);
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 3u);
        EXPECT_EQ(test::read64(cpu, regmap::reg::conversions_lo), ref.counters.adc_conversions);
    });
}

TEST(macro_mvm_batches, weights_rewritten_between_runs_are_used) {
    // The second run must see the new weights (the decoded-weight cache follows SRAM writes),
    // and a WBIT change re-reads the same SRAM bits as narrower weights.
    const sc::macro_config cfg = instance();
    core::cim_params p;
    const test::layer_setup a = test::random_layer(p, 10, 100, 4, 1);
    test::layer_setup c = test::random_layer(p, 10, 100, 4, 2);
    c.x = a.x;
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        for (const test::layer_setup* l : std::array<const test::layer_setup*, 2>{&a, &c}) {
            test::program(cpu, *l, cfg);
            cpu.wr(regmap::reg::ctrl, regmap::ctrl_start);
            wait(sc_core::sc_time(1, sc_core::SC_MS));
            EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done);
            EXPECT_EQ(test::read_outputs(cpu, *l), test::run_engine(*l).num);
        }
        // WBIT 8 -> 4: output o now reads columns 4o..4o+3 of the same rows.
        test::layer_setup narrow = c;
        narrow.p.wbit = 4;
        narrow.outputs = 20;
        const std::vector<unsigned char> img = test::weight_image(c, cfg.cols, cfg.rows);
        narrow.w.assign(narrow.outputs * narrow.rows, 0);
        for (std::size_t o = 0; o < narrow.outputs; ++o)
            for (std::size_t r = 0; r < narrow.rows; ++r) {
                std::uint32_t u = 0;
                for (std::size_t i = 0; i < 4; ++i) {
                    const std::size_t col = o * 4 + i;
                    const std::uint32_t byte = img[r * cfg.cols / 8 + col / 8];
                    u |= ((byte >> (col % 8)) & 1u) << i;
                }
                narrow.w[o * narrow.rows + r] = u >= 8 ? static_cast<std::int32_t>(u) - 16 : static_cast<std::int32_t>(u);
            }
        cpu.wr(regmap::reg::wbit, 4);
        cpu.wr(regmap::reg::outputs, 20);
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start);
        wait(sc_core::sc_time(1, sc_core::SC_MS));
        EXPECT_EQ(test::read_outputs(cpu, narrow), test::run_engine(narrow).num);
    });
}
