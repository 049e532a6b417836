// Protocol soak: a random-traffic initiator (fixed seed) sends 10^5 mixed transactions to one
// acim_macro — register reads and writes, bad addresses, bursts, byte enables, streaming widths,
// buffer accesses, DMI requests, debug transport, START while busy, soft reset — and checks every
// answer against rules written here from docs/register_map.md, docs/integration.md and the
// IEEE 1666 base protocol: the response status, no state change on an error response, byte-enable
// and streaming-width semantics, DMI grants and their invalidation, and the interrupt rule
// irq_out = CTRL.IRQ_ENABLE and (IRQ_STATUS != 0) after every transaction.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

constexpr auto R = ::tlm::TLM_READ_COMMAND;
constexpr auto W = ::tlm::TLM_WRITE_COMMAND;
constexpr std::size_t transactions = 100000;

struct window_t {
    std::uint64_t base;
    std::uint64_t size;
    bool writable;   // by b_transport
    bool dmi_write;  // DMI write allowed (when idle)
};

class soak {
public:
    soak(test::macro_bench& b, const test::layer_setup& l, const sc::macro_config& cfg)
        : m_b(b), m_cpu(b.cpu), m_layer(l), m_cfg(cfg), m_rng(15) {
        const auto& w = b.dut.windows();
        m_windows = {{regmap::addr::weight_base, w.weight, true, false},
                     {regmap::addr::input_base, w.input, true, true},
                     {regmap::addr::output_base, w.output, false, false}};
        m_good = test::config_writes(l);
        m_reset_regs = regs();
    }

    void run() {
        test::program(m_cpu, m_layer, m_cfg);
        for (std::size_t k = 0; k < transactions && !::testing::Test::HasFatalFailure(); ++k) {
            m_step = k;
            const unsigned op = pick(100);
            if (op < 14) reg_read();
            else if (op < 26) config_write();
            else if (op < 30) ctrl_write();
            else if (op < 34) irq_write();
            else if (op < 44) bad_register_access();
            else if (op < 62) buffer_access();
            else if (op < 68) bad_buffer_access();
            else if (op < 76) dmi_request();
            else if (op < 86) debug_access();
            else if (op < 90) start_while_busy();
            else if (op < 91) soft_reset();
            else wait(sc_core::sc_time(pick(4000), sc_core::SC_PS));
            check_irq();
        }
        std::printf("soak: %zu transactions, %zu runs, %zu STARTs with a bad configuration, %zu busy rejections, "
                    "%zu DMI invalidations\n",
                    transactions, m_starts, m_rejected_starts, m_busy_rejections, m_cpu.invalidations.size());
        EXPECT_GT(m_starts, 100u) << "the mix must reach real runs";
        EXPECT_GT(m_busy_rejections, 100u) << "the mix must hit the busy rules";
        EXPECT_GT(m_rejected_starts, 10u) << "the mix must hit START with a bad configuration";
    }

private:
    unsigned pick(unsigned n) { return static_cast<unsigned>(m_rng() % n); }
    bool coin(unsigned percent) { return pick(100) < percent; }

    std::uint32_t dbg_reg(std::uint32_t off) {
        unsigned char b[4];
        EXPECT_EQ(m_cpu.debug(R, off, b, 4), 4u);
        return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
               static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
    }
    std::vector<unsigned char> regs() {
        std::vector<unsigned char> r(regmap::addr::reg_size);
        EXPECT_EQ(m_cpu.debug(R, regmap::addr::reg_base, r.data(), static_cast<unsigned>(r.size())), r.size());
        return r;
    }
    std::vector<unsigned char> bytes(std::uint64_t addr, std::size_t n) {
        std::vector<unsigned char> v(n);
        EXPECT_EQ(m_cpu.debug(R, addr, v.data(), static_cast<unsigned>(n)), n);
        return v;
    }
    bool busy() { return (dbg_reg(regmap::reg::status) & regmap::status_busy) != 0; }

    std::string where() const { return "transaction " + std::to_string(m_step); }

    // The interrupt rule, after the level update settled (a delta cycle).
    void check_irq() {
        wait(sc_core::SC_ZERO_TIME);
        wait(sc_core::SC_ZERO_TIME);
        const bool expect = (dbg_reg(regmap::reg::ctrl) & regmap::ctrl_irq_enable) != 0 && dbg_reg(regmap::reg::irq_status) != 0;
        ASSERT_EQ(m_b.irq.read(), expect) << "irq_out = IRQ_ENABLE and (IRQ_STATUS != 0), " << where();
    }

    // A fresh invalidation over the whole span is expected iff `expected`.
    void check_invalidation(std::size_t before, bool expected, const char* what) {
        if (!expected) return;
        ASSERT_GT(m_cpu.invalidations.size(), before) << what << " must invalidate DMI, " << where();
        const auto& inv = m_cpu.invalidations.back();
        EXPECT_EQ(inv.first, 0u) << where();
        EXPECT_EQ(inv.second, regmap::addr::macro_span - 1) << where();
        m_grants.clear();
    }

    void prepare(::tlm::tlm_generic_payload& gp, ::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data,
                 unsigned len, unsigned sw, unsigned char* be = nullptr, unsigned be_len = 0) {
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(sw);
        gp.set_byte_enable_ptr(be);
        gp.set_byte_enable_length(be_len);
        gp.set_dmi_allowed(false);
        gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
    }

    // An access that must fail with `status` and change nothing (registers and the bytes at the
    // target address).
    void expect_rejected(::tlm::tlm_generic_payload& gp, ::tlm::tlm_response_status status) {
        const bool idle = !busy();
        const auto before = regs();
        const std::uint64_t a = gp.get_address();
        const window_t* w = nullptr;
        for (const window_t& x : m_windows)
            if (a >= x.base && a < x.base + x.size) w = &x;
        const std::size_t n = w == nullptr ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(64, w->base + w->size - a));
        const auto mem_before = bytes(a, n);
        ASSERT_EQ(m_cpu.access(gp), status) << "address 0x" << std::hex << a << std::dec << ", " << where();
        EXPECT_EQ(bytes(a, n), mem_before) << "an error response changes no buffer byte, " << where();
        // Idle before and after: only the access could have changed a register.
        if (idle && !busy()) {
            EXPECT_EQ(regs(), before) << "an error response changes no register, " << where();
        }
    }

    void reg_read() {
        const auto& table = regmap::register_table();
        const regmap::register_info& r = table[pick(static_cast<unsigned>(table.size()))];
        const std::uint32_t off = r.offset + 4 * pick(r.count);
        std::uint32_t v = 0;
        const auto s = m_cpu.read32(off, v);
        if (r.acc == regmap::access::wo) {
            EXPECT_EQ(s, ::tlm::TLM_COMMAND_ERROR_RESPONSE) << r.name << ", " << where();
            return;
        }
        ASSERT_EQ(s, ::tlm::TLM_OK_RESPONSE) << r.name << ", " << where();
        if (off == regmap::reg::id) {
            EXPECT_EQ(v, 0x4143494Du);
        }
        if (r.acc == regmap::access::rw) {
            EXPECT_EQ(v & ~r.store_mask(), 0u) << "action bits read as 0: " << r.name;
        }
    }

    void config_write() {
        std::uint32_t off = 0;
        std::uint32_t value = 0;
        if (coin(95)) {
            const auto& g = m_good[pick(static_cast<unsigned>(m_good.size()))];
            off = g.first;
            value = g.second;
        } else {
            std::vector<const regmap::register_info*> cfg;
            for (const auto& r : regmap::register_table())
                if (r.group == regmap::reg_group::configuration) cfg.push_back(&r);
            const regmap::register_info& r = *cfg[pick(static_cast<unsigned>(cfg.size()))];
            off = r.offset + 4 * pick(r.count);
            value = static_cast<std::uint32_t>(m_rng());
        }
        const regmap::register_info& r = *regmap::find_register(off);
        const bool was_busy = busy();
        const std::uint32_t old = dbg_reg(off);
        const std::size_t inv = m_cpu.invalidations.size();
        const auto s = m_cpu.write32(off, value);
        if (was_busy && busy()) {
            ASSERT_EQ(s, ::tlm::TLM_GENERIC_ERROR_RESPONSE) << r.name << " written while BUSY, " << where();
            EXPECT_EQ(dbg_reg(off), old) << "a dropped write stores nothing, " << where();
            expect_busy_flag(regmap::error_code::config_write_busy, off);
            return;
        }
        if (was_busy) return;  // the run ended inside the access: either answer is right
        ASSERT_EQ(s, ::tlm::TLM_OK_RESPONSE) << r.name << ", " << where();
        const std::uint32_t now = dbg_reg(off);
        EXPECT_EQ(now, value & r.store_mask()) << r.name << ", " << where();
        check_invalidation(inv, now != old, "a configuration write that changes a value");
    }

    void expect_busy_flag(regmap::error_code code, std::uint64_t addr) {
        ++m_busy_rejections;
        EXPECT_NE(dbg_reg(regmap::reg::status) & regmap::status_error, 0u) << where();
        EXPECT_NE(dbg_reg(regmap::reg::irq_status) & regmap::irq_error, 0u) << where();
        EXPECT_EQ(dbg_reg(regmap::reg::error_code), static_cast<std::uint32_t>(code)) << where();
        EXPECT_EQ(dbg_reg(regmap::reg::error_addr), static_cast<std::uint32_t>(addr)) << where();
    }

    void ctrl_write() {
        const bool irq_enable = coin(60);
        const bool start = coin(70);
        const bool clear = coin(10);
        const std::uint32_t v = (irq_enable ? regmap::ctrl_irq_enable : 0u) | (start ? regmap::ctrl_start : 0u) |
                                (clear ? regmap::ctrl_clear_counters : 0u);
        const bool was_busy = busy();
        const std::size_t inv = m_cpu.invalidations.size();
        const auto s = m_cpu.write32(regmap::reg::ctrl, v);
        if (start && was_busy && busy()) {
            ASSERT_EQ(s, ::tlm::TLM_GENERIC_ERROR_RESPONSE) << "START while BUSY, " << where();
            expect_busy_flag(regmap::error_code::start_busy, regmap::reg::ctrl);
            return;
        }
        if (start && was_busy) return;  // the run ended inside the access
        ASSERT_EQ(s, ::tlm::TLM_OK_RESPONSE) << where();
        EXPECT_EQ(dbg_reg(regmap::reg::ctrl), irq_enable ? regmap::ctrl_irq_enable : 0u) << where();
        if (start) after_start(inv);
    }

    // START clears ERROR; an invalid configuration sets it again and runs nothing (and then
    // the firmware rewrites its configuration).
    void after_start(std::size_t inv) {
        const std::uint32_t st = dbg_reg(regmap::reg::status);
        if (st & regmap::status_error) {
            const auto code = static_cast<regmap::error_code>(dbg_reg(regmap::reg::error_code));
            ASSERT_TRUE(code == regmap::error_code::bad_config || code == regmap::error_code::bad_input)
                << "a START that runs nothing names its reason, " << where();
            EXPECT_EQ(st & regmap::status_busy, 0u) << where();
            ++m_rejected_starts;
            for (const auto& [off, v] : m_good) m_cpu.wr(off, v);
            return;
        }
        ++m_starts;
        EXPECT_EQ(dbg_reg(regmap::reg::error_code), 0u) << "START clears ERROR_CODE, " << where();
        check_invalidation(inv, true, "START");
    }

    void irq_write() {
        const std::uint32_t bits = 1u + pick(3);  // DONE, ERROR or both
        const bool idle = !busy();
        if (coin(50)) {
            ASSERT_EQ(m_cpu.write32(regmap::reg::irq_set, bits), ::tlm::TLM_OK_RESPONSE) << where();
            EXPECT_EQ(dbg_reg(regmap::reg::irq_status) & bits, bits) << "IRQ_SET raises the causes, " << where();
        } else {
            ASSERT_EQ(m_cpu.write32(regmap::reg::irq_status, bits), ::tlm::TLM_OK_RESPONSE) << where();
            // W1C; only a run completing inside the access may set DONE again.
            const std::uint32_t may_return = idle && !busy() ? 0u : regmap::irq_done;
            EXPECT_EQ(dbg_reg(regmap::reg::irq_status) & bits & ~may_return, 0u) << "W1C, " << where();
        }
    }

    void bad_register_access() {
        ::tlm::tlm_generic_payload gp;
        unsigned char data[16] = {};
        unsigned char be[4] = {0xFF, 0xFF, 0xFF, 0xFF};
        switch (pick(6)) {
        case 0: {  // a hole or a misaligned address inside the block
            std::uint32_t off = 0;
            do off = pick(static_cast<unsigned>(regmap::addr::reg_size));
            while (off % 4 == 0 && regmap::find_register(off) != nullptr);
            prepare(gp, coin(50) ? R : W, off, data, 4, 4);
            expect_rejected(gp, ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
            break;
        }
        case 1:  // write to a read-only register
            prepare(gp, W, coin(50) ? regmap::reg::status : regmap::reg::id, data, 4, 4);
            expect_rejected(gp, ::tlm::TLM_COMMAND_ERROR_RESPONSE);
            break;
        case 2:  // read of a write-only register
            prepare(gp, R, regmap::reg::irq_set, data, 4, 4);
            expect_rejected(gp, ::tlm::TLM_COMMAND_ERROR_RESPONSE);
            break;
        case 3: {  // a burst
            const unsigned len = coin(50) ? 8u : 1u + pick(3);
            prepare(gp, coin(50) ? R : W, regmap::reg::wbit, data, len, len);
            expect_rejected(gp, ::tlm::TLM_BURST_ERROR_RESPONSE);
            break;
        }
        case 4:  // streaming width below the length
            prepare(gp, coin(50) ? R : W, regmap::reg::xbit, data, 4, 1u + pick(3));
            expect_rejected(gp, ::tlm::TLM_BURST_ERROR_RESPONSE);
            break;
        default:  // byte enables
            prepare(gp, coin(50) ? R : W, regmap::reg::row_par, data, 4, 4, be, 1u + pick(4));
            expect_rejected(gp, ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
            break;
        }
    }

    void buffer_access() {
        const window_t& w = m_windows[pick(3)];
        const unsigned len = 1u + pick(coin(10) ? 512u : 40u);
        const unsigned sw = coin(70) ? len : 1u + pick(len);
        const std::uint64_t extent = std::min(len, sw);
        const std::uint64_t off = pick(static_cast<unsigned>(w.size - extent + 1));
        std::vector<unsigned char> be;
        if (coin(30)) {
            be.resize(1u + pick(8));
            for (auto& e : be) e = coin(60) ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
        }
        const bool write = w.writable && coin(50);
        std::vector<unsigned char> data(len);
        for (auto& d : data) d = static_cast<unsigned char>(m_rng());
        const std::vector<unsigned char> sent = data;
        ::tlm::tlm_generic_payload gp;
        prepare(gp, write ? W : R, w.base + off, data.data(), len, sw, be.empty() ? nullptr : be.data(),
                static_cast<unsigned>(be.size()));
        const bool was_busy = busy();
        const auto mem_before = bytes(w.base + off, extent);
        const auto s = m_cpu.access(gp);
        const auto mem_after = bytes(w.base + off, extent);
        const auto enabled = [&](unsigned k) { return be.empty() || be[k % be.size()] == TLM_BYTE_ENABLED; };
        if (write && was_busy && busy()) {
            ASSERT_EQ(s, ::tlm::TLM_GENERIC_ERROR_RESPONSE) << "buffer write while BUSY, " << where();
            EXPECT_EQ(mem_after, mem_before) << "a dropped write stores nothing, " << where();
            expect_busy_flag(regmap::error_code::buffer_write_busy, w.base + off);
            return;
        }
        if (write && was_busy) return;
        ASSERT_EQ(s, ::tlm::TLM_OK_RESPONSE) << where();
        if (write) {
            // IEEE 1666: byte k goes to address + k % streaming width if its enable is set; a
            // later beat overwrites an earlier one.
            std::vector<unsigned char> expect = mem_before;
            for (unsigned k = 0; k < len; ++k)
                if (enabled(k)) expect[k % sw] = sent[k];
            EXPECT_EQ(mem_after, expect) << "write semantics, " << where();
        } else if (!(w.base == regmap::addr::output_base && was_busy)) {
            for (unsigned k = 0; k < len; ++k) {
                if (enabled(k)) {
                    ASSERT_EQ(data[k], mem_before[k % sw]) << "read byte " << k << ", " << where();
                } else {
                    ASSERT_EQ(data[k], sent[k]) << "a disabled byte is left alone, " << where();
                }
            }
        }
    }

    void bad_buffer_access() {
        ::tlm::tlm_generic_payload gp;
        std::vector<unsigned char> data(64);
        const window_t& w = m_windows[pick(3)];
        switch (pick(4)) {
        case 0: {  // runs past the end of its window
            const unsigned len = 2u + pick(60);
            const std::uint64_t off = w.size - 1 - pick(std::min<unsigned>(len - 1, static_cast<unsigned>(w.size)));
            prepare(gp, R, w.base + off, data.data(), len, len);
            if (off + len > w.size) expect_rejected(gp, ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
            break;
        }
        case 1: {  // a gap after the window, or outside the macro
            const std::uint64_t a = coin(50) ? w.base + w.size + pick(1000)
                                             : regmap::addr::macro_span + pick(1u << 20);
            prepare(gp, coin(50) ? R : W, a, data.data(), 4, 4);
            expect_rejected(gp, ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
            break;
        }
        case 2:  // a write to the output buffer
            prepare(gp, W, regmap::addr::output_base + pick(static_cast<unsigned>(m_windows[2].size - 8)), data.data(),
                    8, 8);
            expect_rejected(gp, ::tlm::TLM_COMMAND_ERROR_RESPONSE);
            break;
        default:  // TLM_IGNORE_COMMAND is accepted and does nothing
            prepare(gp, R, w.base, data.data(), 4, 4);
            gp.set_command(::tlm::TLM_IGNORE_COMMAND);
            {
                const auto before = bytes(w.base, 4);
                ASSERT_EQ(m_cpu.access(gp), ::tlm::TLM_OK_RESPONSE) << where();
                EXPECT_EQ(bytes(w.base, 4), before) << where();
            }
            break;
        }
    }

    void dmi_request() {
        const unsigned which = pick(5);
        ::tlm::tlm_dmi dmi;
        if (which >= 3) {  // registers or a gap: never
            const window_t& w = m_windows[pick(3)];
            const std::uint64_t a = which == 3 ? pick(static_cast<unsigned>(regmap::addr::reg_size))
                                               : w.base + w.size + pick(64);
            EXPECT_FALSE(m_cpu.get_dmi(a, coin(50) ? R : W, dmi)) << "no DMI at 0x" << std::hex << a << ", " << where();
            return;
        }
        const window_t& w = m_windows[which];
        const std::uint64_t a = w.base + pick(static_cast<unsigned>(w.size));
        const bool was_busy = busy();
        const bool granted = m_cpu.get_dmi(a, coin(50) ? R : W, dmi);
        if (w.base == regmap::addr::input_base && was_busy) {
            EXPECT_FALSE(granted) << "the input buffer is refused while BUSY, " << where();
            return;
        }
        ASSERT_TRUE(granted) << "window 0x" << std::hex << w.base << ", " << where();
        EXPECT_EQ(dmi.get_start_address(), w.base) << where();
        EXPECT_EQ(dmi.get_end_address(), w.base + w.size - 1) << where();
        EXPECT_TRUE(dmi.is_read_allowed());
        EXPECT_EQ(dmi.is_write_allowed(), w.dmi_write) << where();
        const auto seen = bytes(a, 1);
        EXPECT_EQ(dmi.get_dmi_ptr()[a - w.base], seen[0]) << "the grant points at the window, " << where();
        m_grants.push_back(dmi);
    }

    void debug_access() {
        const unsigned which = pick(5);
        std::vector<unsigned char> data(1u + pick(300));
        const auto len = static_cast<unsigned>(data.size());
        if (which == 4) {  // a gap after a window, or past the macro: nothing is served
            const window_t& w = m_windows[pick(3)];
            const std::uint64_t a = coin(50) ? w.base + w.size + pick(64) : regmap::addr::macro_span + pick(100);
            EXPECT_EQ(m_cpu.debug(coin(50) ? R : W, a, data.data(), len), 0u) << where();
            return;
        }
        std::uint64_t base = regmap::addr::reg_base;
        std::uint64_t size = regmap::addr::reg_size;
        if (which < 3) {
            base = m_windows[which].base;
            size = m_windows[which].size;
        }
        const std::uint64_t off = pick(static_cast<unsigned>(size));
        const auto expect_n = static_cast<unsigned>(std::min<std::uint64_t>(len, size - off));
        if (which == 3 || busy() || coin(50)) {  // reads anywhere; writes only when idle, not into registers
            EXPECT_EQ(m_cpu.debug(R, base + off, data.data(), len), expect_n) << "debug read clipped at the window end, " << where();
            if (which == 3 && coin(5)) {
                // A debug write of CTRL: stored bits only, and the interrupt rule still holds.
                unsigned char ctrl[4] = {static_cast<unsigned char>(coin(50) ? regmap::ctrl_irq_enable : 0u), 0, 0, 0};
                const std::size_t inv = m_cpu.invalidations.size();
                EXPECT_EQ(m_cpu.debug(W, regmap::reg::ctrl, ctrl, 4), 4u) << where();
                EXPECT_EQ(dbg_reg(regmap::reg::ctrl), static_cast<std::uint32_t>(ctrl[0])) << where();
                EXPECT_EQ(m_cpu.invalidations.size(), inv) << "no side effect, " << where();
            }
            return;
        }
        for (auto& d : data) d = static_cast<unsigned char>(m_rng());
        EXPECT_EQ(m_cpu.debug(W, base + off, data.data(), len), expect_n) << where();
        EXPECT_EQ(bytes(base + off, expect_n), std::vector<unsigned char>(data.begin(), data.begin() + expect_n))
            << "debug writes are real writes, " << where();
    }

    void start_while_busy() {
        if (!busy()) {
            const std::size_t inv = m_cpu.invalidations.size();
            ASSERT_EQ(m_cpu.write32(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable), ::tlm::TLM_OK_RESPONSE);
            after_start(inv);
        }
        if (!busy()) return;  // a START that ran nothing (bad configuration)
        const std::uint32_t ctrl = dbg_reg(regmap::reg::ctrl);
        const auto s = m_cpu.write32(regmap::reg::ctrl, regmap::ctrl_start);
        if (!busy() && s == ::tlm::TLM_OK_RESPONSE) return;  // finished inside the access
        ASSERT_EQ(s, ::tlm::TLM_GENERIC_ERROR_RESPONSE) << "START while BUSY, " << where();
        EXPECT_EQ(dbg_reg(regmap::reg::ctrl), ctrl) << "the whole write is rejected, " << where();
        expect_busy_flag(regmap::error_code::start_busy, regmap::reg::ctrl);
    }

    void soft_reset() {
        const std::size_t inv = m_cpu.invalidations.size();
        ASSERT_EQ(m_cpu.write32(regmap::reg::ctrl, regmap::ctrl_soft_reset | regmap::ctrl_start), ::tlm::TLM_OK_RESPONSE);
        check_invalidation(inv, true, "SOFT_RESET");
        EXPECT_EQ(regs(), m_reset_regs) << "SOFT_RESET resets every register and wins over START, " << where();
        test::program(m_cpu, m_layer, m_cfg);
    }

    test::macro_bench& m_b;
    test::bus_initiator& m_cpu;
    const test::layer_setup& m_layer;
    const sc::macro_config& m_cfg;
    std::mt19937_64 m_rng;
    std::vector<window_t> m_windows;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_good;
    std::vector<unsigned char> m_reset_regs;
    std::vector<::tlm::tlm_dmi> m_grants;
    std::size_t m_step = 0;
    std::size_t m_starts = 0;
    std::size_t m_busy_rejections = 0;
    std::size_t m_rejected_starts = 0;
};

}  // namespace

TEST(soak, random_traffic_obeys_the_documented_rules) {
    sc::macro_config cfg;
    cfg.rows = 64;
    cfg.cols = 64;
    cfg.adcs = 16;
    cfg.input_depth = 8;
    cfg.clock_period_ps = 800;
    core::cim_params p;
    p.row_parallelism = 31;
    p.sigma_rand = 0.3;
    const test::layer_setup l = test::random_layer(p, 6, 50, 8, 15);
    // A START with a bad configuration is reported as a warning besides the ERROR flag.
    test::expect_report(sc_core::SC_WARNING, sc::acim_macro::msg_type, "START rejected");
    test::run_bench(cfg, [&](test::macro_bench& b) {
        soak s(b, l, cfg);
        s.run();
    });
}
