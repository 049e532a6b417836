// Full matrix-vector products through the example platform: the firmware-style driver on the CPU
// programs the macro through the router with 32-bit register writes and block copies, streams the
// input batches, waits for the interrupt (or polls) and reads the outputs. The numerators and the
// macro's counters must equal the core engine called directly on the same codes, bit for bit,
// whatever the bus path (DMI or not), the completion mode and the quantum.
#include "vp_test_support.hpp"

#include <gtest/gtest.h>

using namespace acim;

namespace {

struct vp_case {
    std::string name;
    core::cim_params p;
    sc::adc_kind adc = sc::adc_kind::sar;
    std::size_t outputs = 20;
    std::size_t rows = 250;
    std::size_t vectors = 40;
    std::uint32_t depth = 64;
    std::vector<core::row_tile> tiles;
    std::uint64_t first_vector = 0;
    std::uint32_t column_base = 0;
    bool use_dmi = true;
    vp::completion mode = vp::completion::interrupt;
    std::uint64_t quantum_ps = 1000000;
};

std::vector<vp_case> cases() {
    std::vector<vp_case> c;
    auto add = [&](std::string name, auto&& edit) {
        vp_case m;
        m.name = std::move(name);
        edit(m);
        c.push_back(m);
    };
    add("bit_serial_noise_free", [](vp_case&) {});
    add("bit_serial_noisy", [](vp_case& m) {
        m.p.sigma_rand = 0.35;
        m.p.sigma_nl = 1.2;
    });
    add("bit_parallel_noise_free", [](vp_case& m) {
        m.p.act_enc = 4;
        m.p.row_parallelism = 32;
        m.p.adc_bits = 6;
        m.adc = sc::adc_kind::flash;
    });
    add("bit_parallel_noisy", [](vp_case& m) {
        m.p.act_enc = 3;
        m.p.row_parallelism = 64;
        m.p.sigma_rand = 0.5;
        m.adc = sc::adc_kind::flash;
    });
    add("hcim_noisy", [](vp_case& m) {
        m.p.hybrid_levels = 3;
        m.p.sigma_rand = 0.6;
    });
    add("hcim_adc_mode_noisy", [](vp_case& m) {
        m.p.hybrid_levels = 2;
        m.p.digital = core::digital_mode::adc;
        m.p.sigma_rand = 0.6;
        m.adc = sc::adc_kind::ideal;
    });
    add("voting_noisy", [](vp_case& m) {
        m.p.voting_levels = 3;
        m.p.voting_samples = 5;
        m.p.sigma_rand = 1.0;
    });
    add("hcim_and_voting_median_noisy", [](vp_case& m) {
        m.p.hybrid_levels = 2;
        m.p.voting_levels = 4;
        m.p.voting_samples = 4;
        m.p.vote = core::vote_rule::median;
        m.p.sigma_rand = 0.8;
        m.p.sigma_nl = 0.5;
    });
    add("signed_two_byte_inputs_bit_parallel", [](vp_case& m) {
        m.p.wbit = 4;
        m.p.xbit = 12;
        m.p.signed_act = true;
        m.p.act_enc = 3;
        m.p.row_parallelism = 40;
        m.p.adc_bits = 9;
        m.p.sigma_rand = 0.3;
        m.outputs = 50;  // 200 columns: partial rows of the SRAM
        m.rows = 200;
    });
    add("tile_list_current_domain", [](vp_case& m) {
        m.p.row_parallelism = 72;
        m.p.sigma_rand = 0.3;
        m.p.gain_compression = 0.002;
        m.p.cell_sigma = 2.0;
        m.tiles = {{0, 63}, {63, 126}, {130, 200}, {201, 250}};
    });
    add("many_batches_with_key_offsets", [](vp_case& m) {
        m.p.sigma_rand = 0.5;
        m.p.voting_levels = 2;
        m.p.voting_samples = 3;
        m.vectors = 70;  // batches of 16, 16, 16, 16, 6
        m.depth = 16;
        m.first_vector = 0x1'0000'0123ULL;
        m.column_base = 1000;
    });
    add("no_dmi_polling_noisy", [](vp_case& m) {
        m.p.sigma_rand = 0.4;
        m.use_dmi = false;
        m.mode = vp::completion::polling;
    });
    add("no_decoupling_noisy", [](vp_case& m) {
        m.p.sigma_rand = 0.4;
        m.p.hybrid_levels = 1;
        m.quantum_ps = 0;
    });
    add("large_quantum_polling_dmi", [](vp_case& m) {
        m.p.sigma_rand = 0.4;
        m.mode = vp::completion::polling;
        m.quantum_ps = 1000000000;  // 1 ms: the CPU runs far ahead of the kernel
    });
    return c;
}

class vp_mvm : public ::testing::TestWithParam<vp_case> {};

}  // namespace

TEST_P(vp_mvm, driver_router_macro_is_bit_identical_to_the_core_engine) {
    const vp_case& c = GetParam();
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros[0].config.input_depth = c.depth;
    cfg.cpu.use_dmi = c.use_dmi;
    cfg.cpu.quantum_ps = c.quantum_ps;
    test::layer_setup l = test::random_layer(c.p, c.outputs, c.rows, c.vectors, 300 + c.rows + c.outputs);
    l.tiles = c.tiles;
    l.p.adc_arch = c.adc;
    l.first_vector = c.first_vector;
    l.key.column_base = c.column_base;
    ASSERT_EQ(vp::acim_driver::register_values(l.p).sigma_rand, l.p.sigma_rand) << "the reference must use register values";
    const test::engine_reference ref = test::run_engine(l);

    std::vector<std::int64_t> got;
    vp::macro_counters counters;
    std::int64_t den = 0;
    const vp::platform& plat = test::run_platform(cfg, [&](vp::platform& p, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, p.macro_base(0), p.macro_irq(0), vp::driver_options{c.mode, 0});
        EXPECT_EQ(drv.probe().depth, c.depth);
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());
        got.assign(l.vectors * l.outputs, -1);
        drv.run_batch(l.x.data(), l.vectors, l.first_vector, got.data());
        den = drv.denominator();
        counters = drv.read_counters();
    });

    ASSERT_EQ(got.size(), ref.num.size());
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < got.size(); ++k) mismatches += got[k] != ref.num[k];
    EXPECT_EQ(mismatches, 0u) << "of " << got.size() << " numerators";
    EXPECT_EQ(den, ref.den);
    EXPECT_EQ(counters.conversions, ref.counters.adc_conversions);
    EXPECT_EQ(counters.digital_cycles, ref.counters.digital);
    EXPECT_EQ(counters.votes, ref.counters.voted);
    EXPECT_EQ(counters.saturations, ref.counters.saturations);
    EXPECT_EQ(counters.runs, (c.vectors + c.depth - 1) / c.depth);
    EXPECT_GT(counters.cycles, 0u);
    EXPECT_GT(counters.energy_fj, 0u);
    if (c.use_dmi) {
        EXPECT_GT(plat.cpu.stats().dmi_accesses, 0u) << "the block copies should have used DMI";
    } else {
        EXPECT_EQ(plat.cpu.stats().dmi_accesses, 0u);
        EXPECT_EQ(plat.cpu.stats().dmi_grants, 0u);
    }
    if (c.mode == vp::completion::polling) EXPECT_EQ(plat.cpu.stats().irq_waits, 0u);
    else EXPECT_EQ(plat.cpu.stats().irq_waits, counters.runs);
}

INSTANTIATE_TEST_SUITE_P(configs, vp_mvm, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<vp_case>& pi) { return pi.param.name; });
