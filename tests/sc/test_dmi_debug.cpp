// DMI grants, their invalidation, and debug transport over every window and the register block.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

constexpr auto R = ::tlm::TLM_READ_COMMAND;
constexpr auto W = ::tlm::TLM_WRITE_COMMAND;

sc::macro_config small_instance() {
    sc::macro_config cfg;
    cfg.rows = 64;
    cfg.cols = 64;
    cfg.adcs = 16;
    cfg.input_depth = 8;
    cfg.clock_period_ps = 800;
    return cfg;
}

test::layer_setup small_layer() {
    core::cim_params p;
    p.row_parallelism = 31;
    p.sigma_rand = 0.5;
    return test::random_layer(p, 6, 50, 8, 11);
}

}  // namespace

TEST(dmi, grants_per_window) {
    const sc::macro_config cfg = small_instance();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        const sc_core::sc_time clk(800, sc_core::SC_PS);
        ::tlm::tlm_dmi dmi;
        EXPECT_FALSE(cpu.get_dmi(regmap::reg::ctrl, R, dmi)) << "registers have side effects: no DMI";
        EXPECT_FALSE(cpu.get_dmi(regmap::addr::weight_base + b.dut.windows().weight, R, dmi)) << "gap";
        EXPECT_FALSE(cpu.get_dmi(regmap::addr::macro_span, R, dmi)) << "outside";

        std::vector<unsigned char> w(b.dut.windows().weight);
        for (std::size_t k = 0; k < w.size(); ++k) w[k] = static_cast<unsigned char>(k ^ 0x5A);
        EXPECT_EQ(cpu.write_bytes(regmap::addr::weight_base, w), ::tlm::TLM_OK_RESPONSE);
        for (auto cmd : {R, W}) {
            ASSERT_TRUE(cpu.get_dmi(regmap::addr::weight_base + 17, cmd, dmi));
            EXPECT_TRUE(dmi.is_read_allowed());
            EXPECT_FALSE(dmi.is_write_allowed()) << "weight writes go through b_transport (time and energy)";
            EXPECT_EQ(dmi.get_start_address(), regmap::addr::weight_base);
            EXPECT_EQ(dmi.get_end_address(), regmap::addr::weight_base + w.size() - 1);
            EXPECT_EQ(dmi.get_read_latency(), clk);
            EXPECT_EQ(std::memcmp(dmi.get_dmi_ptr(), w.data(), w.size()), 0);
        }

        ASSERT_TRUE(cpu.get_dmi(regmap::addr::input_base + 3, W, dmi));
        EXPECT_TRUE(dmi.is_read_allowed());
        EXPECT_TRUE(dmi.is_write_allowed());
        EXPECT_EQ(dmi.get_start_address(), regmap::addr::input_base);
        EXPECT_EQ(dmi.get_end_address(), regmap::addr::input_base + b.dut.windows().input - 1);
        EXPECT_EQ(dmi.get_write_latency(), clk);
        dmi.get_dmi_ptr()[5] = 0x42;
        std::vector<unsigned char> got(1);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::input_base + 5, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(got[0], 0x42) << "a DMI write is a write to the buffer";

        ASSERT_TRUE(cpu.get_dmi(regmap::addr::output_base, R, dmi));
        EXPECT_TRUE(dmi.is_read_allowed());
        EXPECT_FALSE(dmi.is_write_allowed());
        EXPECT_EQ(dmi.get_end_address(), regmap::addr::output_base + b.dut.windows().output - 1);
        EXPECT_TRUE(cpu.invalidations.empty());
    });
}

TEST(dmi, invalidated_on_reconfiguration_start_and_soft_reset_and_refused_while_busy) {
    const sc::macro_config cfg = small_instance();
    const test::layer_setup l = small_layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        cpu.invalidations.clear();
        auto full_range = [&](std::size_t n) {
            ASSERT_EQ(cpu.invalidations.size(), n);
            EXPECT_EQ(cpu.invalidations.back().first, 0u);
            EXPECT_EQ(cpu.invalidations.back().second, regmap::addr::macro_span - 1);
        };
        cpu.wr(regmap::reg::seed_lo, cpu.rd(regmap::reg::seed_lo));
        EXPECT_TRUE(cpu.invalidations.empty()) << "rewriting the same value is no reconfiguration";
        cpu.wr(regmap::reg::seed_lo, cpu.rd(regmap::reg::seed_lo) + 1);
        full_range(1);
        cpu.wr(regmap::reg::tile, 0x00030001);
        full_range(2);
        cpu.wr(regmap::reg::tile, 0);

        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        full_range(4);
        ::tlm::tlm_dmi dmi;
        EXPECT_FALSE(cpu.get_dmi(regmap::addr::input_base, W, dmi)) << "input buffer refused while busy";
        EXPECT_FALSE(dmi.is_read_allowed() || dmi.is_write_allowed());
        EXPECT_EQ(dmi.get_start_address(), regmap::addr::input_base);
        EXPECT_TRUE(cpu.get_dmi(regmap::addr::weight_base, R, dmi)) << "weights stay readable";
        EXPECT_TRUE(cpu.get_dmi(regmap::addr::output_base, R, dmi)) << "outputs stay readable";
        cpu.wait_irq();
        EXPECT_TRUE(cpu.get_dmi(regmap::addr::input_base, W, dmi)) << "granted again after DONE";
        EXPECT_TRUE(dmi.is_write_allowed());
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_soft_reset);
        full_range(5);
    });
}

TEST(dmi, full_mvm_with_inputs_and_outputs_through_dmi) {
    const sc::macro_config cfg = small_instance();
    const test::layer_setup l = small_layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        for (const auto& [off, v] : test::config_writes(l)) cpu.wr(off, v);
        EXPECT_EQ(cpu.write_bytes(regmap::addr::weight_base, test::weight_image(l, cfg.cols, cfg.rows)),
                  ::tlm::TLM_OK_RESPONSE);
        ::tlm::tlm_dmi dmi;
        ASSERT_TRUE(cpu.get_dmi(regmap::addr::input_base, W, dmi));
        const std::vector<unsigned char> x = test::input_image(l);
        std::memcpy(dmi.get_dmi_ptr(), x.data(), x.size());
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        cpu.wait_irq();
        ASSERT_TRUE(cpu.get_dmi(regmap::addr::output_base, R, dmi));
        std::vector<unsigned char> y(l.vectors * l.outputs * 8);
        std::memcpy(y.data(), dmi.get_dmi_ptr(), y.size());
        const test::engine_reference ref = test::run_engine(l);
        EXPECT_EQ(test::decode_output_image(y), ref.num);
        EXPECT_EQ(cpu.rd(regmap::reg::out_denom), static_cast<std::uint32_t>(ref.den));
    });
}

TEST(debug_transport, serves_full_length_everywhere) {
    const sc::macro_config cfg = small_instance();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        // Register block: 4 KiB, each register word as a bus read returns it, holes and WO as 0.
        std::vector<unsigned char> regs(regmap::addr::reg_size, 0xEE);
        EXPECT_EQ(cpu.debug(R, regmap::addr::reg_base, regs.data(), static_cast<unsigned>(regs.size())), regs.size());
        for (std::uint32_t off = 0; off < regmap::addr::reg_size; off += 4) {
            std::uint32_t word = 0;
            std::memcpy(&word, regs.data() + off, 4);
            const regmap::register_info* r = regmap::find_register(off);
            if (r == nullptr || r->acc == regmap::access::wo) {
                EXPECT_EQ(word, 0u) << "offset " << off;
            } else {
                std::uint32_t bus = 0;
                ASSERT_EQ(cpu.read32(off, bus), ::tlm::TLM_OK_RESPONSE);
                EXPECT_EQ(word, bus) << r->name;
            }
        }
        // Unaligned, sub-word debug reads are fine.
        unsigned char id_hi[2] = {0, 0};
        EXPECT_EQ(cpu.debug(R, regmap::reg::id + 2, id_hi, 2), 2u);
        EXPECT_EQ(id_hi[0], (regmap::id_value >> 16) & 0xFF);
        EXPECT_EQ(id_hi[1], regmap::id_value >> 24);

        struct win {
            std::uint64_t base;
            std::size_t size;
        };
        for (const win& w : {win{regmap::addr::weight_base, b.dut.windows().weight},
                             win{regmap::addr::input_base, b.dut.windows().input},
                             win{regmap::addr::output_base, b.dut.windows().output}}) {
            std::vector<unsigned char> pattern(w.size);
            for (std::size_t k = 0; k < w.size; ++k) pattern[k] = static_cast<unsigned char>((k * 13 + w.base) & 0xFF);
            EXPECT_EQ(cpu.debug(W, w.base, pattern.data(), static_cast<unsigned>(w.size)), w.size);
            std::vector<unsigned char> back(w.size + 64, 0);
            EXPECT_EQ(cpu.debug(R, w.base, back.data(), static_cast<unsigned>(back.size())), w.size)
                << "clipped at the window end";
            back.resize(w.size);
            EXPECT_EQ(back, pattern);
            std::vector<unsigned char> bus(w.size);
            EXPECT_EQ(cpu.read_bytes(w.base, bus), ::tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(bus, pattern) << "debug writes are real writes";
            unsigned char x = 0;
            EXPECT_EQ(cpu.debug(R, w.base + w.size, &x, 1), 0u) << "gap after the window";
        }
        EXPECT_EQ(cpu.debug(R, regmap::addr::macro_span, regs.data(), 4), 0u);
    });
}

TEST(debug_transport, has_no_side_effects) {
    const sc::macro_config cfg = small_instance();
    const test::layer_setup l = small_layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        cpu.invalidations.clear();
        auto poke = [&](std::uint32_t off, std::uint32_t v) {
            unsigned char d[4];
            for (unsigned k = 0; k < 4; ++k) d[k] = static_cast<unsigned char>((v >> (8 * k)) & 0xFF);
            const sc_core::sc_time before = sc_core::sc_time_stamp();
            EXPECT_EQ(cpu.debug(W, off, d, 4), 4u);
            EXPECT_EQ(sc_core::sc_time_stamp(), before);
        };
        // Actions do nothing through debug: no run, no reset, no counter clear.
        poke(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_soft_reset | regmap::ctrl_clear_counters |
                                    regmap::ctrl_irq_enable);
        wait(sc_core::sc_time(10, sc_core::SC_NS));
        EXPECT_EQ(cpu.rd(regmap::reg::status), 0u);
        EXPECT_EQ(cpu.rd(regmap::reg::ctrl), regmap::ctrl_irq_enable);
        EXPECT_EQ(cpu.rd(regmap::reg::wbit), static_cast<std::uint32_t>(l.p.wbit)) << "no soft reset happened";
        EXPECT_FALSE(b.irq.read());
        // W1C and WO registers ignore debug writes; RO registers too.
        cpu.wr(regmap::reg::irq_set, regmap::irq_error);
        poke(regmap::reg::irq_status, 0xFFFFFFFF);
        poke(regmap::reg::irq_set, regmap::irq_done);
        poke(regmap::reg::id, 0);
        poke(regmap::reg::cycles_lo, 77);
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_error);
        EXPECT_EQ(cpu.rd(regmap::reg::id), regmap::id_value);
        EXPECT_EQ(cpu.rd(regmap::reg::cycles_lo), 0u);
        cpu.wr(regmap::reg::irq_status, regmap::irq_error);
        // Configuration pokes while busy: stored, neither rejected nor flagged, no DMI invalidation.
        cpu.invalidations.clear();
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        const std::size_t inval = cpu.invalidations.size();
        poke(regmap::reg::layer_id, 99);
        EXPECT_EQ(cpu.rd(regmap::reg::layer_id), 99u);
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_busy);
        EXPECT_EQ(cpu.invalidations.size(), inval);
        cpu.wait_irq();
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done);
        EXPECT_EQ(cpu.rd(regmap::reg::error_code), 0u);
    });
}
