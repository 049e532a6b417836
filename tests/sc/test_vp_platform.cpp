// The example platform as a whole: two macros working at once, layers split across macros, the
// completion time seen by the interrupt-driven firmware (the macro's documented latency plus the
// bus latencies in front of it), independence of results and times from the quantum, the
// interrupt wiring, address errors through the router, and DMI and debug transport through it.
#include "vp_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

sc_time ps(std::uint64_t n) { return sc_time(static_cast<double>(n), sc_core::SC_PS); }

std::vector<std::int64_t> engine_numerators(const test::layer_setup& l) { return test::run_engine(l).num; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Timing: interrupt-driven completion = macro latency (docs/timing.md) + bus latencies

struct timing_case {
    std::uint64_t router_ps;
    std::uint64_t quantum_ps;
};

class platform_timing : public ::testing::TestWithParam<timing_case> {};

TEST_P(platform_timing, interrupt_wakes_the_firmware_at_the_documented_completion_time) {
    const timing_case tc = GetParam();
    vp::platform_config cfg = test::one_macro_platform();
    cfg.router.latency_ps = tc.router_ps;
    cfg.cpu.quantum_ps = tc.quantum_ps;
    cfg.cpu.use_dmi = false;  // every access is a b_transport with its annotated latency
    cfg.memory.read_latency_ps = 20000;
    cfg.memory.beat_bytes = 8;
    cfg.memory.beat_ps = 1000;
    sc::macro_config& m = cfg.macros[0].config;
    m.adcs = 32;
    m.input_depth = 16;
    m.clock_period_ps = 1250;
    m.start_cycles = 5;
    m.dac_settle_cycles = 3;
    m.bitline_cycles = 2;
    m.adc_sample_cycles = 0;
    m.drain_cycles = 4;
    m.reg_access_cycles = 2;
    m.buffer_bytes_per_cycle = 8;

    core::cim_params p;  // W8A8 bit-serial, 8-bit SAR, every cycle analog
    p.adc_arch = core::adc_architecture::sar;  // ADC_KIND = SAR: one clock per bit
    p.row_parallelism = 100;
    p.sigma_rand = 0.5;
    const std::size_t O = 12, rows = 200, V = 10;
    test::layer_setup l = test::random_layer(p, O, rows, V, 4242);
    // docs/timing.md: 96 columns on 32 ADCs -> 3 conversions per ADC per activation cycle.
    const std::uint64_t per_cycle = m.dac_settle_cycles + m.bitline_cycles + 3 * 8;
    const std::uint64_t cycles = m.start_cycles + V * 2 /*tiles*/ * 8 /*Q*/ * per_cycle + m.drain_cycles;
    const sc_time clk = ps(m.clock_period_ps), R = ps(tc.router_ps);
    const std::uint64_t x_at = 0x8000;
    const std::size_t L = V * rows;  // input bytes (8-bit codes)

    std::vector<std::int64_t> got(V * O);
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        std::vector<unsigned char> xb(l.x.begin(), l.x.end());
        cpu.debug(::tlm::TLM_WRITE_COMMAND, x_at, xb.data(), static_cast<unsigned>(xb.size()));
        vp::acim_driver drv(cpu, plat.macro_base(0), 0);
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());

        // Main memory: router + first-beat latency + one beat per 8 bytes.
        const sc_time t0 = cpu.local_time();
        std::vector<unsigned char> back(L);
        cpu.read_block(x_at, back.data(), back.size());
        EXPECT_EQ(cpu.local_time() - t0, R + ps(20000) + ps(1000) * static_cast<double>((L + 7) / 8));
        EXPECT_EQ(back, xb);

        // submit: BATCH, VECTOR_BASE_LO/HI, the input block, CTRL.START.
        const sc_time t1 = cpu.local_time();
        drv.submit(l.x.data(), V, 0);
        const sc_time reg = R + clk * 2.0;
        const sc_time t_start = t1 + reg * 3.0 + (R + clk * static_cast<double>((L + 7) / 8)) + R;  // START arrives
        EXPECT_EQ(cpu.local_time(), t_start + clk * 2.0);
        const sc_time t_done = t_start + clk * static_cast<double>(2 + cycles);

        cpu.wait_irq(0);
        EXPECT_EQ(sc_core::sc_time_stamp(), t_done)
            << test::ps_of(sc_core::sc_time_stamp()) << " ps vs " << test::ps_of(t_done);
        EXPECT_EQ(cpu.local_time(), t_done);
        EXPECT_EQ(plat.macro[0].done_time(), t_done);
        // The ISR's first read happens one register access (plus the router) later.
        const std::uint32_t status = cpu.read32(plat.macro_base(0) + regmap::reg::status);
        EXPECT_EQ(status, regmap::status_done);
        EXPECT_EQ(cpu.local_time(), t_done + reg);
        drv.collect(got.data());
        EXPECT_EQ(drv.read_counters().cycles, cycles);
    });
    EXPECT_EQ(got, engine_numerators(l));
}

INSTANTIATE_TEST_SUITE_P(latencies, platform_timing,
                         ::testing::Values(timing_case{0, 0}, timing_case{3000, 0}, timing_case{3000, 1000000},
                                           timing_case{1500, 100000000}),
                         [](const ::testing::TestParamInfo<timing_case>& pi) {
                             return "router_" + std::to_string(pi.param.router_ps) + "ps_quantum_" +
                                    std::to_string(pi.param.quantum_ps) + "ps";
                         });

// ---------------------------------------------------------------------------------------------
// Two macros

TEST(platform, two_macros_compute_different_layers_at_once) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros.push_back(cfg.macros[0]);
    cfg.macros[1].base = 0x4080'0000;
    cfg.macros[0].config.input_depth = 32;
    cfg.macros[1].config.input_depth = 16;
    core::cim_params pa;
    pa.sigma_rand = 0.4;
    pa.sigma_nl = 0.6;
    test::layer_setup a = test::random_layer(pa, 16, 200, 24, 11);
    a.key.macro = 0;
    core::cim_params pb;
    pb.act_enc = 2;
    pb.row_parallelism = 120;
    pb.hybrid_levels = 2;
    pb.voting_levels = 3;
    pb.voting_samples = 3;
    pb.sigma_rand = 0.7;
    test::layer_setup b = test::random_layer(pb, 10, 150, 16, 12);
    b.p.adc_arch = sc::adc_kind::flash;
    b.key.macro = 1;

    std::vector<std::int64_t> ya(a.vectors * a.outputs), yb(b.vectors * b.outputs);
    sc_time b_started, a_done, b_done, t_end;
    const vp::platform& plat = test::run_platform(cfg, [&](vp::platform& p, vp::cpu& cpu) {
        vp::acim_driver da(cpu, p.macro_base(0), p.macro_irq(0)), db(cpu, p.macro_base(1), p.macro_irq(1));
        da.configure(test::layer_of(a));
        da.load_weights(a.w.data());
        db.configure(test::layer_of(b));
        db.load_weights(b.w.data());
        da.submit(a.x.data(), a.vectors, 0);
        db.submit(b.x.data(), b.vectors, 0);
        b_started = cpu.local_time();
        da.collect(ya.data());
        db.collect(yb.data());
        cpu.sync();
        t_end = cpu.local_time();
        a_done = p.macro[0].done_time();
        b_done = p.macro[1].done_time();
    });
    EXPECT_EQ(ya, engine_numerators(a));
    EXPECT_EQ(yb, engine_numerators(b));
    EXPECT_LT(b_started, a_done) << "macro_1 must start while macro_0 computes";
    EXPECT_GE(t_end, std::max(a_done, b_done));
    EXPECT_EQ(plat.cpu.stats().irq_waits, 2u);
}

TEST(platform, column_tiles_on_two_macros_reproduce_the_unsplit_layer) {
    // 40 outputs x 8 bits = 320 columns: more than one 256-column macro holds. Each macro takes 20
    // outputs; COLUMN_BASE and the shared MACRO_ID key the noise exactly as one macro would.
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros.push_back(cfg.macros[0]);
    cfg.macros[1].base = 0x4080'0000;
    core::cim_params p;
    p.sigma_rand = 0.6;
    p.sigma_nl = 0.8;
    p.hybrid_levels = 1;
    p.voting_levels = 2;
    p.voting_samples = 3;
    const test::layer_setup full = test::random_layer(p, 40, 230, 100, 21);  // batches of 64 + 36
    std::vector<test::layer_setup> half(2, full);
    for (std::size_t m = 0; m < 2; ++m) {
        half[m].outputs = 20;
        half[m].w.assign(full.w.begin() + static_cast<std::ptrdiff_t>(m * 20 * full.rows),
                         full.w.begin() + static_cast<std::ptrdiff_t>((m + 1) * 20 * full.rows));
        half[m].key.column_base = static_cast<std::uint32_t>(m * 20 * 8);
    }
    std::vector<std::int64_t> y(full.vectors * full.outputs);
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        std::vector<vp::acim_driver> drv;
        for (std::size_t m = 0; m < 2; ++m) {
            drv.emplace_back(cpu, plat.macro_base(m), plat.macro_irq(m));
            drv[m].configure(test::layer_of(half[m]));
            drv[m].load_weights(half[m].w.data());
        }
        const std::size_t depth = drv[0].probe().depth;
        std::vector<std::int64_t> part;
        for (std::size_t first = 0; first < full.vectors; first += depth) {
            const std::size_t n = std::min(depth, full.vectors - first);
            for (std::size_t m = 0; m < 2; ++m) drv[m].submit(full.x.data() + first * full.rows, n, first);
            for (std::size_t m = 0; m < 2; ++m) {
                part.resize(n * 20);
                drv[m].collect(part.data());
                for (std::size_t v = 0; v < n; ++v)
                    std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(v * 20), 20,
                                y.begin() + static_cast<std::ptrdiff_t>((first + v) * full.outputs + m * 20));
            }
        }
    });
    EXPECT_EQ(y, engine_numerators(full));
}

TEST(platform, row_tiles_on_two_macros_add_up_to_the_unsplit_layer_without_noise) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros.push_back(cfg.macros[0]);
    cfg.macros[1].base = 0x4080'0000;
    core::cim_params p;
    p.row_parallelism = 200;
    const test::layer_setup full = test::random_layer(p, 16, 400, 30, 31);  // tiles [0, 200), [200, 400)
    std::vector<test::layer_setup> half(2, full);
    for (std::size_t m = 0; m < 2; ++m) {
        half[m].rows = 200;
        half[m].w.clear();
        half[m].x.clear();
        for (std::size_t o = 0; o < full.outputs; ++o)
            for (std::size_t r = 0; r < 200; ++r) half[m].w.push_back(full.w[o * full.rows + m * 200 + r]);
        for (std::size_t v = 0; v < full.vectors; ++v)
            for (std::size_t r = 0; r < 200; ++r) half[m].x.push_back(full.x[v * full.rows + m * 200 + r]);
    }
    std::vector<std::int64_t> y(full.vectors * full.outputs, 0);
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        for (std::size_t m = 0; m < 2; ++m) {
            vp::acim_driver drv(cpu, plat.macro_base(m), plat.macro_irq(m));
            drv.configure(test::layer_of(half[m]));
            drv.load_weights(half[m].w.data());
            const std::vector<std::int64_t> part = drv.run_batch(half[m].x);
            for (std::size_t k = 0; k < y.size(); ++k) y[k] += part[k];
        }
    });
    EXPECT_EQ(y, engine_numerators(full));
}

// ---------------------------------------------------------------------------------------------
// Temporal decoupling

class platform_quantum : public ::testing::TestWithParam<vp::completion> {};

TEST_P(platform_quantum, the_quantum_changes_neither_results_nor_simulated_times) {
    // The same job (two macros, three batches each) runs four times on one platform, each time
    // with another global quantum. Outputs, counters and every completion time relative to the
    // start of the pass must be the same.
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros.push_back(cfg.macros[0]);
    cfg.macros[1].base = 0x4080'0000;
    cfg.macros[0].config.input_depth = 8;
    cfg.macros[1].config.input_depth = 8;
    core::cim_params p;
    p.sigma_rand = 0.5;
    p.voting_levels = 2;
    p.voting_samples = 3;
    std::vector<test::layer_setup> layer = {test::random_layer(p, 12, 180, 20, 51), test::random_layer(p, 9, 220, 20, 52)};
    const std::vector<std::uint64_t> quanta = {0, 10000, 1000000, 1000000000};
    const vp::completion mode = GetParam();

    struct pass {
        std::vector<std::vector<std::int64_t>> y;
        std::vector<sc_time> done;  // completion of every batch, relative to the pass start
        sc_time elapsed;
        std::vector<vp::macro_counters> counters;
    };
    std::vector<pass> passes;
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        std::vector<vp::acim_driver> drv;
        for (std::size_t m = 0; m < 2; ++m) {
            drv.emplace_back(cpu, plat.macro_base(m), plat.macro_irq(m), vp::driver_options{mode, 0});
            drv[m].probe();  // once, outside the passes
        }
        for (const std::uint64_t q : quanta) {
            cpu.set_quantum(ps(q));
            const sc_time t0 = cpu.local_time();
            pass r;
            r.y.assign(2, {});
            std::vector<vp::macro_counters> before;
            for (std::size_t m = 0; m < 2; ++m) {
                before.push_back(drv[m].read_counters());
                drv[m].configure(test::layer_of(layer[m]));
                drv[m].load_weights(layer[m].w.data());
                r.y[m].resize(layer[m].vectors * layer[m].outputs);
            }
            for (std::size_t first = 0; first < 20; first += 8) {
                const std::size_t n = std::min<std::size_t>(8, 20 - first);
                for (std::size_t m = 0; m < 2; ++m) drv[m].submit(layer[m].x.data() + first * layer[m].rows, n, first);
                for (std::size_t m = 0; m < 2; ++m) {
                    drv[m].collect(r.y[m].data() + first * layer[m].outputs);
                    r.done.push_back(plat.macro[m].done_time() - t0);
                }
            }
            for (std::size_t m = 0; m < 2; ++m) r.counters.push_back(drv[m].read_counters() - before[m]);
            cpu.sync();
            r.elapsed = cpu.local_time() - t0;
            passes.push_back(r);
        }
    });
    ASSERT_EQ(passes.size(), quanta.size());
    for (std::size_t m = 0; m < 2; ++m) EXPECT_EQ(passes[0].y[m], engine_numerators(layer[m])) << "macro " << m;
    for (std::size_t k = 1; k < passes.size(); ++k) {
        SCOPED_TRACE("quantum " + std::to_string(quanta[k]) + " ps vs " + std::to_string(quanta[0]) + " ps");
        EXPECT_EQ(passes[k].y, passes[0].y);
        EXPECT_EQ(passes[k].done, passes[0].done);
        EXPECT_EQ(passes[k].elapsed, passes[0].elapsed);
        for (std::size_t m = 0; m < 2; ++m) {
            EXPECT_EQ(passes[k].counters[m].cycles, passes[0].counters[m].cycles);
            EXPECT_EQ(passes[k].counters[m].conversions, passes[0].counters[m].conversions);
            EXPECT_EQ(passes[k].counters[m].energy_fj, passes[0].counters[m].energy_fj);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(modes, platform_quantum, ::testing::Values(vp::completion::interrupt, vp::completion::polling),
                         [](const ::testing::TestParamInfo<vp::completion>& pi) {
                             return std::string(pi.param == vp::completion::interrupt ? "interrupt" : "polling");
                         });

// ---------------------------------------------------------------------------------------------
// Interrupt wiring

TEST(platform, each_macro_interrupt_reaches_its_own_cpu_input) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros.push_back(cfg.macros[0]);
    cfg.macros[1].base = 0x4080'0000;
    cfg.cpu.quantum_ps = 0;
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        for (std::size_t m = 0; m < 2; ++m) {
            const std::uint64_t reg = plat.macro_base(m) + regmap::addr::reg_base;
            cpu.write32(reg + regmap::reg::ctrl, regmap::ctrl_irq_enable);
            cpu.write32(reg + regmap::reg::irq_set, regmap::irq_done);
            cpu.wait_irq(plat.macro_irq(m));
            EXPECT_TRUE(cpu.irq_in[plat.macro_irq(m)].read());
            EXPECT_FALSE(cpu.irq_in[plat.macro_irq(1 - m)].read()) << "macro " << m << " raised the other line";
            cpu.write32(reg + regmap::reg::irq_status, regmap::irq_done);
            cpu.idle(1000);
            cpu.sync();
            sc_core::wait(sc_core::SC_ZERO_TIME);
            EXPECT_FALSE(cpu.irq_in[plat.macro_irq(m)].read()) << "W1C must lower the line";
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Address errors through the router

TEST(platform, unmapped_addresses_get_an_address_error_and_change_nothing) {
    vp::platform_config cfg = test::one_macro_platform();  // ram [0, 1 MiB), macro [0x4000_0000, +8 MiB)
    const std::uint64_t ram_size = cfg.memory.size, macro = cfg.macros[0].base;
    test::run_platform(cfg, [&](vp::platform&, vp::cpu& cpu) {
        unsigned char b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        const sc_time t0 = cpu.local_time();
        EXPECT_EQ(cpu.transport(::tlm::TLM_READ_COMMAND, 0x2000'0000, b, 4), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(cpu.local_time() - t0, ps(2000)) << "an error still costs the router's decode";
        try {
            cpu.write32(0x2000'0000, 1);
            ADD_FAILURE() << "write32 to an unmapped address must throw";
        } catch (const vp::bus_error& e) {
            EXPECT_EQ(e.status(), vp::bus_status::address_error);
            EXPECT_EQ(e.address(), 0x2000'0000u);
            EXPECT_TRUE(e.is_write());
        }
        EXPECT_EQ(cpu.transport(::tlm::TLM_READ_COMMAND, 0xFFFF'FFFF'FFFF'FFFCULL, b, 4), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(cpu.transport(::tlm::TLM_READ_COMMAND, macro + regmap::addr::macro_span, b, 4),
                  ::tlm::TLM_ADDRESS_ERROR_RESPONSE);

        // An access that starts inside the ram and leaves it reaches nobody.
        unsigned char pattern[4] = {0xA1, 0xA2, 0xA3, 0xA4};
        ASSERT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, ram_size - 4, pattern, 4), 4u);
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, ram_size - 4, b, 8), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        unsigned char after[4] = {0, 0, 0, 0};
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, ram_size - 4, after, 4), 4u);
        EXPECT_EQ(std::memcmp(after, pattern, 4), 0);

        // A gap inside the macro's span: the router forwards, the macro answers.
        EXPECT_EQ(cpu.transport(::tlm::TLM_READ_COMMAND, macro + 0x1000, b, 4), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, macro + regmap::addr::output_base, b, 4),
                  ::tlm::TLM_COMMAND_ERROR_RESPONSE);

        // Debug transport and DMI.
        EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x2000'0000, b, 4), 0u);
        ::tlm::tlm_dmi dmi;
        EXPECT_FALSE(cpu.request_dmi(0x2000'0000, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), ram_size) << "the refusal covers the whole gap";
        EXPECT_EQ(dmi.get_end_address(), macro - 1);
        EXPECT_FALSE(cpu.request_dmi(macro + regmap::addr::macro_span, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), macro + regmap::addr::macro_span);
        EXPECT_EQ(dmi.get_end_address(), ~std::uint64_t{0});
    });
}

// ---------------------------------------------------------------------------------------------
// DMI and debug transport through the router

TEST(platform, dmi_grants_are_translated_and_invalidations_propagated_at_64_bit_addresses) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros[0].base = 0x1'2000'0000ULL;  // above 4 GiB
    cfg.cpu.quantum_ps = 0;
    const std::uint64_t B = cfg.macros[0].base;
    const regmap::window_sizes sz = regmap::buffer_sizes(256, 256, 64);
    test::run_platform(cfg, [&](vp::platform& plat, vp::cpu& cpu) {
        ::tlm::tlm_dmi dmi;
        // Input buffer: read/write, range and pointer in bus addresses.
        ASSERT_TRUE(cpu.request_dmi(B + regmap::addr::input_base + 0x10, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), B + regmap::addr::input_base);
        EXPECT_EQ(dmi.get_end_address(), B + regmap::addr::input_base + sz.input - 1);
        EXPECT_TRUE(dmi.is_read_write_allowed());
        const unsigned char pattern[3] = {0x5A, 0xC3, 0x7E};
        std::memcpy(dmi.get_dmi_ptr() + 0x10, pattern, 3);
        unsigned char seen[3] = {0, 0, 0};
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, B + regmap::addr::input_base + 0x10, seen, 3), 3u);
        EXPECT_EQ(std::memcmp(seen, pattern, 3), 0) << "the pointer must belong to the granted start address";

        // Weights: read only. Registers: none, the refusal range translated.
        ASSERT_TRUE(cpu.request_dmi(B + regmap::addr::weight_base, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_TRUE(dmi.is_read_allowed());
        EXPECT_FALSE(dmi.is_write_allowed());
        EXPECT_EQ(dmi.get_start_address(), B + regmap::addr::weight_base);
        EXPECT_FALSE(cpu.request_dmi(B + regmap::reg::status, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), B);
        EXPECT_EQ(dmi.get_end_address(), B + regmap::addr::reg_size - 1);

        // Main memory.
        ASSERT_TRUE(cpu.request_dmi(0x100, ::tlm::TLM_WRITE_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), 0u);
        EXPECT_EQ(dmi.get_end_address(), cfg.memory.size - 1);

        // A configuration write that changes a value invalidates the macro's whole span, as the
        // initiator sees it; the main memory grant survives.
        const std::size_t n_inv = cpu.invalidations().size();
        cpu.write32(B + regmap::reg::wbit, 4);
        ASSERT_EQ(cpu.invalidations().size(), n_inv + 1);
        EXPECT_EQ(cpu.invalidations().back().first, B);
        EXPECT_EQ(cpu.invalidations().back().second, B + regmap::addr::macro_span - 1);
        cpu.write32(B + regmap::reg::wbit, 4);  // same value: no invalidation
        EXPECT_EQ(cpu.invalidations().size(), n_inv + 1);
        const std::uint64_t grants = cpu.stats().dmi_grants;
        std::vector<unsigned char> block(64, 0x11);
        cpu.write_block(0x200, block.data(), block.size());
        EXPECT_EQ(cpu.stats().dmi_grants, grants) << "the main memory grant must still be cached";
        cpu.write_block(B + regmap::addr::input_base, block.data(), block.size());
        EXPECT_EQ(cpu.stats().dmi_grants, grants + 1) << "the invalidated input buffer grant must be requested again";

        // START invalidates too, and a busy macro refuses the input buffer.
        test::layer_setup l = test::random_layer(core::cim_params{}, 4, 64, 8, 61);
        vp::acim_driver drv(cpu, B, 0);
        drv.configure(test::layer_of(l));
        drv.load_weights(l.w.data());
        drv.submit(l.x.data(), l.vectors, 0);
        EXPECT_EQ(cpu.invalidations().back().first, B);
        EXPECT_FALSE(cpu.request_dmi(B + regmap::addr::input_base, ::tlm::TLM_WRITE_COMMAND, dmi));
        std::vector<std::int64_t> y(l.vectors * l.outputs);
        drv.collect(y.data());
        EXPECT_EQ(y, engine_numerators(l));
        EXPECT_TRUE(cpu.request_dmi(B + regmap::addr::input_base, ::tlm::TLM_WRITE_COMMAND, dmi));
        EXPECT_EQ(plat.bus.decode(B + regmap::addr::input_base)->name, "macro_0");
    });
}

TEST(platform, debug_transport_serves_the_full_length_across_adjacent_targets) {
    vp::platform_config cfg = test::one_macro_platform();
    cfg.macros[0].base = cfg.memory_base + cfg.memory.size;  // the macro right after the ram
    const std::uint64_t B = cfg.macros[0].base;
    test::run_platform(cfg, [&](vp::platform&, vp::cpu& cpu) {
        std::vector<unsigned char> tail(32);
        for (std::size_t k = 0; k < tail.size(); ++k) tail[k] = static_cast<unsigned char>(0xE0 + k);
        ASSERT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, B - 32, tail.data(), 32), 32u);
        std::vector<unsigned char> got(64, 0);
        EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, B - 32, got.data(), 64), 64u);
        EXPECT_TRUE(std::equal(tail.begin(), tail.end(), got.begin()));
        for (std::uint32_t off = 0; off < 32; off += 4) {
            // A write-only register (IRQ_SET) reads 0 in debug; a bus read of it is a command error.
            const std::uint32_t v = off == regmap::reg::irq_set ? 0u : cpu.read32(B + off);
            std::uint32_t d = 0;
            for (std::uint32_t b = 0; b < 4; ++b) d |= static_cast<std::uint32_t>(got[32 + off + b]) << (8 * b);
            EXPECT_EQ(d, v) << "register 0x" << std::hex << off;
        }
        // A target that serves fewer bytes (the end of the macro's output window) ends the access.
        const std::uint64_t out_end = B + regmap::addr::output_base + regmap::buffer_sizes(256, 256, 64).output;
        std::vector<unsigned char> big(16);
        EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, out_end - 8, big.data(), 16), 8u);
    });
}
