// The macro's target socket at both bus widths (docs/integration.md, "Bus width"): a full MVM
// through bus_in (32 bits) and through bus_in64 (64 bits) is bit-identical to the core engine with
// the same counters; an 8-byte access to the register block, which spans two 32-bit registers,
// is a burst error that changes nothing (docs/register_map.md, "Bus rules"); 8-byte beats into the
// buffer windows work; DMI grants and their invalidation reach a 64-bit initiator.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <tlm_utils/simple_initiator_socket.h>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

// An LT initiator of width W whose SC_THREAD runs the test body, then sc_stop().
template <unsigned int W>
struct wide_initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<wide_initiator, W> bus_out;
    sc_core::sc_in<bool> irq_in;
    std::function<void(wide_initiator&)> body;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> invalidations;
    bool finished = false;

    SC_HAS_PROCESS(wide_initiator);
    wide_initiator(const sc_core::sc_module_name& n, std::function<void(wide_initiator&)> b)
        : sc_module(n), bus_out("bus_out"), irq_in("irq_in"), body(std::move(b)) {
        bus_out.register_invalidate_direct_mem_ptr(this, &wide_initiator::invalidate);
        SC_THREAD(run);
    }
    void run() {
        body(*this);
        finished = true;
        sc_core::sc_stop();
    }
    void invalidate(sc_dt::uint64 s, sc_dt::uint64 e) { invalidations.emplace_back(s, e); }

    ::tlm::tlm_response_status access(::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len) {
        ::tlm::tlm_generic_payload gp;
        test::prepare_payload(gp, cmd, addr, data, len);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        bus_out->b_transport(gp, delay);
        wait(delay);
        return gp.get_response_status();
    }
    void wr(std::uint64_t addr, std::uint32_t v) {
        unsigned char b[4];
        for (unsigned k = 0; k < 4; ++k) b[k] = static_cast<unsigned char>((v >> (8 * k)) & 0xFFu);
        EXPECT_EQ(access(::tlm::TLM_WRITE_COMMAND, addr, b, 4), ::tlm::TLM_OK_RESPONSE) << std::hex << addr;
    }
    std::uint32_t rd(std::uint64_t addr) {
        unsigned char b[4] = {0, 0, 0, 0};
        EXPECT_EQ(access(::tlm::TLM_READ_COMMAND, addr, b, 4), ::tlm::TLM_OK_RESPONSE) << std::hex << addr;
        return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
               static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
    }
    std::uint64_t rd64(std::uint32_t lo) { return rd(lo) | std::uint64_t{rd(lo + 4)} << 32; }
    void write_block(std::uint64_t addr, std::vector<unsigned char> bytes) {
        EXPECT_EQ(access(::tlm::TLM_WRITE_COMMAND, addr, bytes.data(), static_cast<unsigned>(bytes.size())),
                  ::tlm::TLM_OK_RESPONSE);
    }
    std::vector<unsigned char> read_block(std::uint64_t addr, std::size_t n) {
        std::vector<unsigned char> bytes(n);
        EXPECT_EQ(access(::tlm::TLM_READ_COMMAND, addr, bytes.data(), static_cast<unsigned>(n)), ::tlm::TLM_OK_RESPONSE);
        return bytes;
    }
    void wait_irq() {
        if (!irq_in.read()) wait(irq_in.posedge_event());
    }
};

// Elaborates the macro with one initiator of width W bound to bus_socket<W>() and runs the body.
template <unsigned int W>
void run_width(const sc::macro_config& cfg, std::function<void(sc::acim_macro&, wide_initiator<W>&)> body) {
    // Lives until the process ends: SystemC objects must not be destroyed before the simulator.
    static sc::acim_macro* dut = nullptr;
    ASSERT_EQ(dut, nullptr) << "one elaboration per process";
    dut = new sc::acim_macro("dut", cfg);
    auto* cpu = new wide_initiator<W>("cpu", [body](wide_initiator<W>& c) { body(*dut, c); });
    auto* irq = new sc_core::sc_signal<bool>("irq");
    cpu->bus_out.bind(dut->bus_socket<W>());
    dut->irq_out(*irq);
    cpu->irq_in(*irq);
    sc_core::sc_start();
    EXPECT_TRUE(cpu->finished) << "the test body did not finish";
}

// A noisy layer through the socket of width W: numerators, denominator and counters equal the core's.
template <unsigned int W>
void mvm_matches_core() {
    core::cim_params p;
    p.sigma_rand = 0.5;
    p.adc_bits = 6;
    p.row_parallelism = 32;
    const sc::macro_config cfg = test::small_macro_config();
    const test::layer_setup l = test::random_layer(p, 6, 50, 7, 11);
    const test::engine_reference ref = test::run_engine(l);
    run_width<W>(cfg, [&](sc::acim_macro&, wide_initiator<W>& cpu) {
        for (const auto& [off, v] : test::config_writes(l)) cpu.wr(regmap::addr::reg_base + off, v);
        cpu.write_block(regmap::addr::weight_base, test::weight_image(l, cfg.cols, cfg.rows));
        cpu.write_block(regmap::addr::input_base, test::input_image(l));
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
        cpu.wait_irq();
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_done);
        cpu.wr(regmap::reg::irq_status, regmap::irq_done);
        EXPECT_EQ(static_cast<std::int64_t>(cpu.rd(regmap::reg::out_denom)), ref.den);
        const auto num = test::decode_output_image(cpu.read_block(regmap::addr::output_base, l.vectors * l.outputs * 8));
        EXPECT_EQ(num, ref.num);
        EXPECT_EQ(cpu.rd64(regmap::reg::conversions_lo), ref.counters.adc_conversions);
        EXPECT_EQ(cpu.rd64(regmap::reg::saturations_lo), ref.counters.saturations);
    });
}

}  // namespace

TEST(BusWidth, mvm_through_the_32_bit_socket_is_bit_identical_to_the_core) { mvm_matches_core<32>(); }

TEST(BusWidth, mvm_through_the_64_bit_socket_is_bit_identical_to_the_core) { mvm_matches_core<64>(); }

TEST(BusWidth, an_8_byte_register_access_at_64_bits_is_a_burst_error_that_changes_nothing) {
    run_width<64>(test::small_macro_config(), [](sc::acim_macro&, wide_initiator<64>& cpu) {
        // ROWS_USED (0x160) and OUTPUTS (0x164): one naturally aligned 8-byte beat over both.
        cpu.wr(regmap::reg::rows_used, 3);
        cpu.wr(regmap::reg::outputs, 2);
        unsigned char b[8] = {9, 0, 0, 0, 5, 0, 0, 0};
        EXPECT_EQ(cpu.access(::tlm::TLM_WRITE_COMMAND, regmap::reg::rows_used, b, 8), ::tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(cpu.rd(regmap::reg::rows_used), 3u);
        EXPECT_EQ(cpu.rd(regmap::reg::outputs), 2u);
        // ID and VERSION: an 8-byte read is refused and leaves the data untouched.
        unsigned char r[8] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
        EXPECT_EQ(cpu.access(::tlm::TLM_READ_COMMAND, regmap::reg::id, r, 8), ::tlm::TLM_BURST_ERROR_RESPONSE);
        for (unsigned char c : r) EXPECT_EQ(c, 0xAA);
        // A bad access flags nothing: STATUS and IRQ_STATUS stay clear.
        EXPECT_EQ(cpu.rd(regmap::reg::status), 0u);
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), 0u);
        // 32-bit beats of the same registers work on the 64-bit socket.
        EXPECT_EQ(cpu.rd(regmap::reg::id), 0x4143494Du);
        // 8-byte beats into a buffer window are plain memory accesses.
        const std::vector<unsigned char> beat = {1, 2, 3, 4, 5, 6, 7, 8};
        cpu.write_block(regmap::addr::weight_base + 8, beat);
        EXPECT_EQ(cpu.read_block(regmap::addr::weight_base + 8, 8), beat);
    });
}

TEST(BusWidth, dmi_grants_and_invalidations_reach_the_64_bit_initiator) {
    run_width<64>(test::small_macro_config(), [](sc::acim_macro&, wide_initiator<64>& cpu) {
        ::tlm::tlm_generic_payload gp;
        unsigned char byte = 0;
        test::prepare_payload(gp, ::tlm::TLM_WRITE_COMMAND, regmap::addr::input_base, &byte, 1);
        ::tlm::tlm_dmi dmi;
        EXPECT_TRUE(cpu.bus_out->get_direct_mem_ptr(gp, dmi));
        EXPECT_TRUE(dmi.is_write_allowed());
        EXPECT_EQ(dmi.get_start_address(), regmap::addr::input_base);
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_start);  // START invalidates every grant
        ASSERT_FALSE(cpu.invalidations.empty());
        EXPECT_EQ(cpu.invalidations.front().first, 0u);
        EXPECT_EQ(cpu.invalidations.front().second, regmap::addr::macro_span - 1);
    });
}

TEST(BusWidth, a_macro_with_neither_socket_bound_is_an_elaboration_error) {
    test::expect_report(sc_core::SC_ERROR, sc::acim_macro::msg_type, "neither bus_in (32 bits) nor bus_in64");
    static auto* dut = new sc::acim_macro("dut", test::small_macro_config());
    static auto* irq = new sc_core::sc_signal<bool>("irq");
    dut->irq_out(*irq);
    EXPECT_THROW(sc_core::sc_start(), sc_core::sc_report);
}
