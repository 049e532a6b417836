// Every register of the table: its reset value and its access rule, through the bus and through
// debug transport. One test per register (and per end of the TILE array), each in its own
// process. Plus the interrupt logic of CTRL.IRQ_ENABLE, IRQ_STATUS and IRQ_SET.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <cctype>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

struct reg_case {
    const regmap::register_info* r;
    std::uint32_t offset;  // element offset
    std::string label;
};

std::vector<reg_case> all_registers() {
    std::vector<reg_case> cases;
    for (const regmap::register_info& r : regmap::register_table()) {
        if (r.count == 1) {
            cases.push_back({&r, r.offset, r.name});
        } else {
            cases.push_back({&r, r.offset, r.name + "_0"});
            cases.push_back({&r, r.end() - 4, r.name + "_" + std::to_string(r.count - 1)});
        }
    }
    return cases;
}

// An instance whose description registers differ from every default.
sc::macro_config odd_instance() {
    sc::macro_config cfg;
    cfg.rows = 120;
    cfg.cols = 96;
    cfg.adcs = 12;
    cfg.input_depth = 10;
    cfg.clock_period_ps = 1250;
    return cfg;
}

// Expected reset value, with the instance values spelled out here rather than taken from the model.
std::uint32_t expected_reset(const regmap::register_info& r, const sc::macro_config& cfg) {
    if (r.reset_source.empty()) return r.reset;
    if (r.reset_source == "macro_config::rows") return cfg.rows;
    if (r.reset_source == "macro_config::cols") return cfg.cols;
    if (r.reset_source == "macro_config::adcs") return cfg.adcs;
    if (r.reset_source == "macro_config::input_depth") return cfg.input_depth;
    if (r.reset_source == "macro_config::clock_period_ps") return static_cast<std::uint32_t>(cfg.clock_period_ps);
    ADD_FAILURE() << "unknown reset source " << r.reset_source;
    return 0;
}

std::uint32_t debug_word(test::bus_initiator& cpu, std::uint32_t off) {
    unsigned char b[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, off, b, 4), 4u);
    return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
           static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

class register_rule : public ::testing::TestWithParam<reg_case> {};

}  // namespace

TEST_P(register_rule, reset_value_and_access_rule) {
    const reg_case c = GetParam();
    const regmap::register_info& r = *c.r;
    const sc::macro_config cfg = odd_instance();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        const std::uint32_t reset = expected_reset(r, cfg);
        std::uint32_t v = 0;
        if (r.acc == regmap::access::wo) {
            EXPECT_EQ(cpu.read32(c.offset, v), ::tlm::TLM_COMMAND_ERROR_RESPONSE);
            EXPECT_EQ(debug_word(cpu, c.offset), 0u);
        } else {
            EXPECT_EQ(cpu.read32(c.offset, v), ::tlm::TLM_OK_RESPONSE);
            EXPECT_EQ(v, reset) << "reset value";
            EXPECT_EQ(debug_word(cpu, c.offset), reset) << "debug read";
        }

        switch (r.acc) {
        case regmap::access::ro:
            EXPECT_EQ(cpu.write32(c.offset, ~reset), ::tlm::TLM_COMMAND_ERROR_RESPONSE);
            EXPECT_EQ(cpu.rd(c.offset), reset) << "a rejected write changes nothing";
            EXPECT_TRUE(cpu.invalidations.empty());
            break;
        case regmap::access::rw:
            if (r.group == regmap::reg_group::configuration) {
                // Any 32-bit value is stored; validity is checked at START.
                cpu.wr(c.offset, 0xA5C3'5A3Cu);
                EXPECT_EQ(cpu.rd(c.offset), 0xA5C3'5A3Cu);
                ASSERT_EQ(cpu.invalidations.size(), 1u) << "a changed configuration invalidates DMI";
                EXPECT_EQ(cpu.invalidations[0].first, 0u);
                EXPECT_EQ(cpu.invalidations[0].second, regmap::addr::macro_span - 1);
                cpu.wr(c.offset, 0xA5C3'5A3Cu);
                EXPECT_EQ(cpu.invalidations.size(), 1u) << "an unchanged value does not";
                cpu.wr(c.offset, reset);
                EXPECT_EQ(cpu.rd(c.offset), reset);
            } else {
                ASSERT_EQ(c.offset, regmap::reg::ctrl) << "a new RW control register needs its own rule here";
                // Stored bits stay; write-1 actions read back as 0 (CLEAR_COUNTERS is harmless here).
                cpu.wr(c.offset, regmap::ctrl_irq_enable | regmap::ctrl_clear_counters);
                EXPECT_EQ(cpu.rd(c.offset), regmap::ctrl_irq_enable);
                EXPECT_EQ(r.store_mask(), regmap::ctrl_irq_enable);
                cpu.wr(c.offset, 0);
                EXPECT_EQ(cpu.rd(c.offset), 0u);
            }
            break;
        case regmap::access::w1c:
            ASSERT_EQ(c.offset, regmap::reg::irq_status);
            cpu.wr(regmap::reg::irq_set, regmap::irq_done | regmap::irq_error);
            EXPECT_EQ(cpu.rd(c.offset), regmap::irq_done | regmap::irq_error);
            cpu.wr(c.offset, 0);
            EXPECT_EQ(cpu.rd(c.offset), regmap::irq_done | regmap::irq_error) << "writing 0 clears nothing";
            cpu.wr(c.offset, regmap::irq_done);
            EXPECT_EQ(cpu.rd(c.offset), regmap::irq_error);
            cpu.wr(c.offset, 0xFFFFFFFFu);
            EXPECT_EQ(cpu.rd(c.offset), 0u);
            break;
        case regmap::access::wo:
            ASSERT_EQ(c.offset, regmap::reg::irq_set);
            cpu.wr(c.offset, regmap::irq_error);
            EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_error);
            EXPECT_EQ(debug_word(cpu, c.offset), 0u) << "a WO register stores nothing readable";
            break;
        }

        // Debug writes store only the stored bits of RW registers, without side effects.
        const std::uint32_t before = debug_word(cpu, c.offset);
        const std::size_t inval = cpu.invalidations.size();
        unsigned char ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
        EXPECT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, c.offset, ones, 4), 4u);
        const std::uint32_t after = debug_word(cpu, c.offset);
        if (r.acc == regmap::access::rw) {
            EXPECT_EQ(after, before | r.store_mask());
        } else {
            EXPECT_EQ(after, before);
        }
        EXPECT_EQ(cpu.invalidations.size(), inval);
        EXPECT_EQ(cpu.rd(regmap::reg::status), 0u) << "no run started, no error flagged";
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status) & regmap::irq_done, 0u);
    });
}

INSTANTIATE_TEST_SUITE_P(table, register_rule, ::testing::ValuesIn(all_registers()),
                         [](const ::testing::TestParamInfo<reg_case>& pi) { return pi.param.label; });

TEST(register_table, is_consistent) {
    std::uint32_t prev_end = 0;
    for (const regmap::register_info& r : regmap::register_table()) {
        EXPECT_EQ(r.offset % 4, 0u) << r.name;
        EXPECT_GE(r.offset, prev_end) << r.name << " overlaps its predecessor";
        EXPECT_LE(r.end(), regmap::addr::reg_size) << r.name;
        EXPECT_EQ(r.width, 32u) << r.name;
        EXPECT_FALSE(r.description.empty()) << r.name;
        for (char ch : r.name) {
            const auto u = static_cast<unsigned char>(ch);
            EXPECT_TRUE(std::isupper(u) || std::isdigit(u) || ch == '_') << r.name;
        }
        if (r.group == regmap::reg_group::configuration) {
            EXPECT_EQ(r.acc, regmap::access::rw) << r.name;
        }
        if (r.group == regmap::reg_group::counters || r.group == regmap::reg_group::instance) {
            EXPECT_EQ(r.acc, regmap::access::ro) << r.name;
        }
        std::uint32_t fields = 0;
        for (const regmap::field_info& f : r.fields) {
            EXPECT_EQ(fields & f.mask(), 0u) << r.name << "." << f.name << " overlaps";
            fields |= f.mask();
        }
        prev_end = r.end();
        EXPECT_EQ(regmap::find_register(r.offset), &r);
        EXPECT_EQ(regmap::find_register(r.end() - 4), &r);
    }
    EXPECT_EQ(regmap::find_register(0x024), nullptr) << "hole";
    EXPECT_EQ(regmap::find_register(0x101), nullptr) << "misaligned";
    // Core parameter names map to their registers, array elements included.
    EXPECT_EQ(regmap::find_register_for_core_name("wbit")->offset, regmap::reg::wbit);
    EXPECT_EQ(regmap::find_register_for_core_name("row_parallelism")->offset, regmap::reg::row_par);
    EXPECT_EQ(regmap::find_register_for_core_name("tiles[5]")->offset, regmap::reg::tile);
    EXPECT_EQ(regmap::find_register_for_core_name("rows")->offset, regmap::reg::rows_used);
    EXPECT_EQ(regmap::find_register_for_core_name("no_such_thing"), nullptr);
}

TEST(interrupts, level_follows_enable_and_causes) {
    test::run_bench(sc::macro_config{}, [](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        EXPECT_FALSE(b.irq.read());
        cpu.wr(regmap::reg::irq_set, regmap::irq_done);
        cpu.wr(regmap::reg::ctrl, 0);  // let the update settle
        EXPECT_FALSE(b.irq.read()) << "causes without IRQ_ENABLE stay silent";
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_irq_enable);
        cpu.wait_irq();
        EXPECT_TRUE(b.irq.read());
        cpu.wr(regmap::reg::irq_status, regmap::irq_done);
        wait(sc_core::SC_ZERO_TIME);
        EXPECT_FALSE(b.irq.read()) << "W1C of the last cause lowers the line";
        cpu.wr(regmap::reg::irq_set, regmap::irq_error);
        wait(sc_core::SC_ZERO_TIME);
        EXPECT_TRUE(b.irq.read());
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_soft_reset);
        wait(sc_core::SC_ZERO_TIME);
        EXPECT_FALSE(b.irq.read()) << "soft reset lowers the line";
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), 0u);
        EXPECT_EQ(cpu.rd(regmap::reg::ctrl), 0u);
    });
}

// A debug write has no side effect on the registers, but irq_out is a function of the register
// state: a debug write that sets or clears CTRL.IRQ_ENABLE moves the line (docs/integration.md).
TEST(interrupts, debug_write_of_irq_enable_moves_the_line) {
    test::run_bench(sc::macro_config{}, [](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        cpu.wr(regmap::reg::irq_set, regmap::irq_done);
        wait(sc_core::SC_ZERO_TIME);
        ASSERT_FALSE(b.irq.read());
        unsigned char ctrl[4] = {static_cast<unsigned char>(regmap::ctrl_irq_enable), 0, 0, 0};
        ASSERT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, regmap::reg::ctrl, ctrl, 4), 4u);
        EXPECT_EQ(cpu.rd(regmap::reg::ctrl), regmap::ctrl_irq_enable);
        wait(sc_core::SC_ZERO_TIME);
        wait(sc_core::SC_ZERO_TIME);
        EXPECT_TRUE(b.irq.read()) << "IRQ_ENABLE set by a debug write with IRQ_STATUS.DONE pending";
        ctrl[0] = 0;
        ASSERT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, regmap::reg::ctrl, ctrl, 4), 4u);
        wait(sc_core::SC_ZERO_TIME);
        wait(sc_core::SC_ZERO_TIME);
        EXPECT_FALSE(b.irq.read()) << "IRQ_ENABLE cleared by a debug write";
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_done) << "the cause itself is untouched";
    });
}

// The register bank dispatches a checked write to the register's own callback, else to its
// group's, else applies the access rule alone.
TEST(register_bank, write_callbacks_per_register_then_per_group_then_the_access_rule) {
    regmap::register_bank bank;
    bank.reset([](const regmap::register_info&) { return 0u; });
    std::vector<std::string> calls;
    bank.on_write(regmap::reg_group::configuration, [&](const regmap::register_bank::write_access& a) {
        calls.push_back("group:" + a.reg.name);
        bank.bus_write(a.reg, a.offset, a.data);
        return ::tlm::TLM_OK_RESPONSE;
    });
    bank.on_write(regmap::reg::tile, [&](const regmap::register_bank::write_access& a) {  // every TILE[n]
        calls.push_back("own:" + a.reg.name + "@" + std::to_string(a.offset));
        return ::tlm::TLM_GENERIC_ERROR_RESPONSE;  // e.g. rejected: nothing stored
    });
    auto write = [&](std::uint32_t off, std::uint32_t v) {
        ::tlm::tlm_generic_payload gp;
        unsigned char data[4] = {};
        gp.set_command(::tlm::TLM_WRITE_COMMAND);
        gp.set_data_ptr(data);
        gp.set_data_length(4);
        gp.set_streaming_width(4);
        const regmap::register_bank::decoded d = bank.check(gp, off);
        EXPECT_EQ(d.status, ::tlm::TLM_OK_RESPONSE);
        return bank.write(d, v, sc_core::SC_ZERO_TIME, sc_core::SC_ZERO_TIME);
    };
    EXPECT_EQ(write(regmap::reg::wbit, 4), ::tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bank.get(regmap::reg::wbit), 4u);
    EXPECT_EQ(write(regmap::reg::tile + 8, 0x00100000u), ::tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(bank.get(regmap::reg::tile + 8), 0u);
    EXPECT_EQ(write(regmap::reg::irq_status, 1), ::tlm::TLM_OK_RESPONSE);  // no callback: W1C rule only
    EXPECT_EQ(calls, (std::vector<std::string>{"group:WBIT", "own:TILE@" + std::to_string(regmap::reg::tile + 8)}));
    EXPECT_THROW(bank.on_write(0xFFCu, {}), std::logic_error);  // a hole
}
