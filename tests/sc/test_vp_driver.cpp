// The firmware-style driver: probing, the weight bit layout it writes (independently computed
// here), the register resolution of its settings, errors it raises before touching the bus,
// errors the macro raises at START, misuse of the split-phase API, soft reset, and polling.
#include "vp_test_support.hpp"

#include <gtest/gtest.h>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

sc_time ps(std::uint64_t n) { return sc_time(static_cast<double>(n), sc_core::SC_PS); }

template <class F>
void expect_driver_error(F&& f, const std::string& text) {
    try {
        f();
        ADD_FAILURE() << "expected a driver_error containing \"" << text << "\"";
    } catch (const vp::driver_error& e) {
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(driver, probe_reads_the_instance_and_rejects_what_is_not_a_macro) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros[0].config.clock_period_ps = 1250;
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        const vp::macro_info& i = drv.probe();
        EXPECT_EQ(i.id, regmap::id_value);
        EXPECT_EQ(i.version, regmap::version_value);
        EXPECT_EQ(i.rows, 256u);
        EXPECT_EQ(i.cols, 256u);
        EXPECT_EQ(i.adcs, 32u);
        EXPECT_EQ(i.depth, 64u);
        EXPECT_EQ(i.clock_period_ps, 1250u);
        vp::acim_driver not_a_macro(cpu, plat.memory_base(), 0);
        expect_driver_error([&] { not_a_macro.probe(); }, "ID reads 0x0");
        vp::acim_driver nothing(cpu, 0x2000'0000, 0);
        try {
            nothing.probe();
            ADD_FAILURE() << "probing an unmapped address must fail";
        } catch (const vp::bus_error& e) {
            EXPECT_EQ(e.status(), vp::bus_status::address_error);
        }
    });
}

TEST(driver, weights_are_written_in_the_documented_sram_bit_layout) {
    // 10 outputs x 6 bits = 60 columns: 8 of the 32 bytes of each row. Each row is one write of
    // those 8 bytes; the other bytes of the row keep their contents, and the 4 unused bits of the
    // last used byte are cleared.
    vp::platform_config cfg = test::one_macro_platform();
    cfg.cpu.quantum_ps = 0;
    core::cim_params p;
    p.wbit = 6;
    test::layer_setup l = test::random_layer(p, 10, 100, 4, 71);
    const std::vector<unsigned char> expected = test::weight_image(l, 256, 256);  // independent of the driver
    test::layer_setup full = test::random_layer(core::cim_params{}, 32, 50, 4, 72);  // 256 columns: whole rows

    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        const std::uint64_t W = plat.macro_base(0) + regmap::addr::weight_base;
        std::vector<unsigned char> sram(256 * 32, 0xA5);
        ASSERT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, W, sram.data(), static_cast<unsigned>(sram.size())), sram.size());
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        drv.configure(test::layer_of(l));
        const vp::macro_counters before = drv.read_counters();
        const std::uint64_t accesses = cpu.stats().bus_accesses;
        drv.load_weights(l.w.data());
        EXPECT_EQ(cpu.stats().bus_accesses - accesses, l.rows) << "one wordline write per row";
        const vp::macro_counters written = drv.read_counters() - before;
        EXPECT_EQ(written.energy_fj, l.rows * 8 * 8) << "8 bytes per row at 1 fJ per bit";
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, W, sram.data(), static_cast<unsigned>(sram.size())), sram.size());
        for (std::size_t r = 0; r < 256; ++r)
            for (std::size_t b = 0; b < 32; ++b) {
                const std::size_t k = r * 32 + b;
                unsigned want = 0xA5;
                if (r < l.rows && b < 7) want = expected[k];
                if (r < l.rows && b == 7) want = expected[k] & 0x0Fu;
                ASSERT_EQ(sram[k], want) << "row " << r << ", byte " << b;
            }

        // Whole rows: one block write.
        drv.configure(test::layer_of(full));
        const std::uint64_t before_full = cpu.stats().bus_accesses;
        drv.load_weights(full.w.data());
        EXPECT_EQ(cpu.stats().bus_accesses - before_full, 1u);
        const std::vector<unsigned char> expected_full = test::weight_image(full, 256, 256);
        std::vector<unsigned char> rows(full.rows * 32);
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, W, rows.data(), static_cast<unsigned>(rows.size())), rows.size());
        EXPECT_TRUE(std::equal(rows.begin(), rows.end(), expected_full.begin()));
    });
}

TEST(driver, settings_are_rounded_to_the_register_resolution) {
    core::cim_params p;
    p.sigma_rand = 0.123456;
    p.sigma_nl = 0.7;
    p.gain_compression = 0.00123;
    p.cell_sigma = 1.5;
    const core::cim_params q = vp::acim_driver::register_values(p);
    EXPECT_EQ(q.sigma_rand, 1235 / 1e4);
    EXPECT_EQ(q.sigma_nl, 7000 / 1e4);
    EXPECT_EQ(q.gain_compression, 1230 / 1e6);
    EXPECT_EQ(q.cell_sigma, 15000 / 1e4);

    // The macro computes with the rounded values: the engine given them is the exact reference.
    test::layer_setup l = test::random_layer(p, 8, 120, 12, 73);
    test::layer_setup ref_layer = l;
    ref_layer.p = q;
    const std::vector<std::int64_t> ref = test::run_engine(ref_layer).num;
    std::vector<std::int64_t> got;
    test::run_platform(test::one_macro_platform(), [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        core::cim_params bad = p;
        bad.sigma_rand = -0.1;
        vp::layer_config lc = test::layer_of(l);
        lc.params = bad;
        const std::uint64_t accesses = cpu.stats().bus_accesses;
        drv.probe();
        expect_driver_error([&] { drv.configure(lc); }, "sigma_rand");
        lc.params.sigma_rand = 0.0;
        lc.params.weight_bit_parallel = true;
        expect_driver_error([&] { drv.configure(lc); }, "weight_bit_parallel");
        EXPECT_EQ(cpu.stats().bus_accesses - accesses, 7u) << "only the probe touched the bus";
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());
        got = drv.run_batch(l.x);
    });
    EXPECT_EQ(got, ref);
}

TEST(driver, static_mismatch_settings_reach_the_macro) {
    // A flash macro with threshold spread, comparator offset and column mismatch: the driver
    // writes the *_SIGMA registers (rounded to 1e-4 %), and the macro computes exactly what the
    // engine computes with ADC_KIND and HW_ADCS = 32.
    core::cim_params p;
    p.adc_arch = core::adc_architecture::flash;
    p.adcs = 32;
    p.adc_bits = 5;
    p.sigma_flash_th = 0.81234;
    p.sigma_cmp_offset = 0.3;
    p.sigma_col_gain = 1.5;
    p.sigma_col_offset = 0.25;
    p.sigma_rand = 0.2;
    const core::cim_params q = vp::acim_driver::register_values(p);
    EXPECT_EQ(q.sigma_flash_th, 8123 / 1e4);
    EXPECT_EQ(q.sigma_col_gain, 15000 / 1e4);
    test::layer_setup l = test::random_layer(p, 10, 200, 12, 91);
    l.p.adc_arch = sc::adc_kind::flash;
    l.key.die = 2;
    test::layer_setup ref_layer = l;
    ref_layer.p = q;
    const std::vector<std::int64_t> ref = test::run_engine(ref_layer).num;
    test::layer_setup ideal_layer = ref_layer;  // the same layer without mismatch differs
    ideal_layer.p.sigma_flash_th = ideal_layer.p.sigma_cmp_offset = 0.0;
    ideal_layer.p.sigma_col_gain = ideal_layer.p.sigma_col_offset = 0.0;
    EXPECT_NE(test::run_engine(ideal_layer).num, ref);
    std::vector<std::int64_t> got;
    std::uint32_t flash_reg = 0;
    test::run_platform(test::one_macro_platform(), [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        vp::layer_config lc = test::layer_of(l);
        lc.params.adcs = 16;  // the instance has 32
        expect_driver_error([&] { drv.configure(lc); }, "HW_ADCS");
        drv.configure(test::layer_of(l));
        flash_reg = cpu.read32(plat.macro_base(0) + regmap::reg::flash_th_sigma);
        drv.load_weights(l.w.data());
        got = drv.run_batch(l.x);
    });
    EXPECT_EQ(flash_reg, 8123u);
    EXPECT_EQ(got, ref);
}

TEST(driver, a_start_the_macro_rejects_is_reported_with_its_error_code) {
    core::cim_params p;
    p.row_parallelism = 60;
    test::layer_setup l = test::random_layer(p, 6, 100, 5, 74);
    l.tiles = {{0, 30}, {30, 100}};  // the second tile is wider than ROW_PAR: the engine refuses
    test::layer_setup ok = l;
    ok.tiles = {{0, 50}, {50, 100}};
    test::expect_report(sc_core::SC_WARNING, sc::acim_macro::msg_type, "START rejected");
    std::vector<std::int64_t> got;
    test::run_platform(test::one_macro_platform(), [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());
        try {
            drv.run_batch(l.x);
            ADD_FAILURE() << "the macro must reject the tile list";
        } catch (const vp::driver_error& e) {
            EXPECT_EQ(e.code(), regmap::error_code::bad_config);
            EXPECT_EQ(e.where(), regmap::addr::reg_base + regmap::reg::tile + 4) << "ERROR_ADDR: TILE[1]";
            EXPECT_NE(std::string(e.what()).find("BAD_CONFIG"), std::string::npos) << e.what();
        }
        EXPECT_FALSE(drv.pending());
        cpu.sync();
        sc_core::wait(sc_core::SC_ZERO_TIME);
        EXPECT_FALSE(cpu.irq_in[0].read()) << "the driver acknowledged the error interrupt";
        // The firmware recovers: another layer runs correctly.
        drv.configure(test::layer_of(ok));
        got = drv.run_batch(ok.x);
    });
    EXPECT_EQ(got, test::run_engine(ok).num);
}

TEST(driver, bad_codes_and_misuse_are_refused_before_the_bus) {
    core::cim_params p;
    p.xbit = 4;
    p.wbit = 4;
    test::layer_setup l = test::random_layer(p, 5, 40, 6, 75);
    std::vector<std::int64_t> got(l.vectors * l.outputs);
    test::run_platform(test::one_macro_platform(), [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        expect_driver_error([&] { drv.load_weights(l.w.data()); }, "before configure()");
        expect_driver_error([&] { drv.collect(got.data()); }, "without a submitted batch");
        drv.configure(test::layer_of(l));
        const std::uint64_t accesses = cpu.stats().bus_accesses;
        std::vector<std::int32_t> w = l.w;
        w[7] = 8;  // outside the 4-bit range [-8, 7]
        expect_driver_error([&] { drv.load_weights(w.data()); }, "weight 8 of output 0, row 7");
        std::vector<std::int32_t> x = l.x;
        x[41] = 16;  // outside [0, 15]
        expect_driver_error([&] { drv.submit(x.data(), l.vectors, 0); }, "input code 16 of vector 1, row 1");
        expect_driver_error([&] { drv.submit(l.x.data(), 65, 0); }, "takes 1..64");
        expect_driver_error([&] { drv.run_batch(std::vector<std::int32_t>(41, 0)); }, "whole number");
        EXPECT_EQ(cpu.stats().bus_accesses, accesses) << "refused before any bus access";

        drv.load_weights(l.w.data());
        drv.submit(l.x.data(), l.vectors, 0);
        expect_driver_error([&] { drv.submit(l.x.data(), l.vectors, 0); }, "pending");
        expect_driver_error([&] { drv.configure(test::layer_of(l)); }, "pending");
        expect_driver_error([&] { drv.load_weights(l.w.data()); }, "pending");
        drv.collect(got.data());

        // SOFT_RESET: the layer must be configured again.
        drv.soft_reset();
        EXPECT_EQ(cpu.read32(plat.macro_base(0) + regmap::reg::wbit), 8u);
        expect_driver_error([&] { drv.submit(l.x.data(), l.vectors, 0); }, "before configure()");
    });
    EXPECT_EQ(got, test::run_engine(l).num);
}

TEST(driver, polling_sees_done_at_the_first_poll_after_completion) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.cpu.quantum_ps = 0;
    cfg.cpu.use_dmi = false;
    const sc::macro_config& m = cfg.macros[0].config;
    const std::uint64_t interval = 50000;  // 50 ns between polls
    core::cim_params p;
    p.sigma_rand = 0.3;
    test::layer_setup l = test::random_layer(p, 8, 90, 7, 76);
    std::vector<std::int64_t> got(l.vectors * l.outputs);
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        vp::acim_driver drv(cpu, plat.macro_base(0), 0, vp::driver_options{vp::completion::polling, interval});
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());
        drv.submit(l.x.data(), l.vectors, 0);
        const std::uint64_t accesses = cpu.stats().bus_accesses;
        drv.collect(got.data());
        // After the poll that saw DONE: W1C of IRQ_STATUS, OUT_DENOM, the output block.
        const sc_time reg = ps(cfg.router.latency_ps + m.reg_access_cycles * m.clock_period_ps);
        const std::uint64_t out_bytes = l.vectors * l.outputs * 8;
        const sc_time out = ps(cfg.router.latency_ps + (out_bytes + m.buffer_bytes_per_cycle - 1) /
                                                           m.buffer_bytes_per_cycle * m.clock_period_ps);
        const sc_time seen = cpu.local_time() - reg * 2.0 - out - reg;  // local time of the last STATUS read
        const sc_time done = plat.macro[0].done_time(), R = ps(cfg.router.latency_ps);
        // That read reached the macro at seen + R; the poll before it, interval + reg earlier.
        EXPECT_GE(seen + R, done) << "DONE seen before the completion time";
        EXPECT_LT(seen + R, done + ps(interval) + reg) << "an earlier poll should have seen DONE";
        EXPECT_EQ(cpu.stats().irq_waits, 0u);
        EXPECT_GT(cpu.stats().bus_accesses - accesses, 4u) << "several polls expected";
    });
    EXPECT_EQ(got, test::run_engine(l).num);
}
