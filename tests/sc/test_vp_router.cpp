// The router alone: address translation with offsets and aliases, accesses that cross the end of a
// range, DMI grants clipped to the range with the pointer moved along, invalidations translated for
// every range of a port, debug transport split at range boundaries, the decode latency, map
// errors, and an AT initiator (as gem5's bridge in timing mode) served through the socket's
// nb_transport/b_transport conversion.
#include "vp_test_support.hpp"

#include <acim/vp/memory.hpp>
#include <acim/vp/router.hpp>

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstring>

using namespace acim;
namespace regmap = acim::tlm;
using sc_core::sc_time;

namespace {

sc_time ps(std::uint64_t n) { return sc_time(static_cast<double>(n), sc_core::SC_PS); }

sc::macro_config small_macro() {
    sc::macro_config m;
    m.rows = 64;
    m.cols = 64;
    m.adcs = 8;
    m.input_depth = 4;
    return m;
}

vp::memory_config memory_of(std::uint64_t size) {
    vp::memory_config c;
    c.size = size;
    return c;
}

vp::cpu_config no_decoupling() {
    vp::cpu_config c;
    c.quantum_ps = 0;
    return c;
}

constexpr std::uint64_t macro_base = 0x4000'0000, inputs_alias = 0x9000'0000;

// cpu -> bus -> a: [0x1000, 0x2000) shows a[0x4000, 0x5000); [0x8000_0000, +64 KiB) shows all of a
//            -> b: [0x2000, 0x3000) right after the first window of a
//            -> dut: its span at 0x4000_0000, and its input window alone at 0x9000_0000
struct router_bench {
    vp::cpu cpu;
    vp::router bus;
    vp::memory a;
    vp::memory b;
    sc::acim_macro dut;
    sc_core::sc_signal<bool> irq;

    router_bench()
        : cpu("cpu", no_decoupling()),
          bus("bus", vp::router_config{1000}),
          a("a", memory_of(0x10000)),
          b("b", memory_of(0x1000)),
          dut("dut", small_macro()),
          irq("irq") {
        cpu.bus_out.bind(bus.bus_in);
        const std::size_t pa = bus.attach(a.bus_in, 0x1000, 0x1000, "a_window", 0x4000);
        bus.map(pa, 0x8000'0000, 0x10000, "a_alias");
        bus.attach(b.bus_in, 0x2000, 0x1000, "b");
        const std::size_t pm = bus.attach(dut.bus_in, macro_base, regmap::addr::macro_span, "dut");
        bus.map(pm, inputs_alias, dut.windows().input, "dut_inputs", regmap::addr::input_base);
        dut.irq_out(irq);
        cpu.irq_in[0](irq);
    }
};

void run_router_bench(const std::function<void(router_bench&, vp::cpu&)>& body) {
    static router_bench* bench = nullptr;
    ASSERT_EQ(bench, nullptr) << "one bench per process";
    bench = new router_bench();
    router_bench& rb = *bench;
    rb.cpu.load([&rb, body](vp::cpu& c) { body(rb, c); });
    try {
        sc_core::sc_start();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "simulation ended with an exception: " << e.what();
    }
    EXPECT_TRUE(rb.cpu.finished());
    EXPECT_FALSE(rb.cpu.failed()) << rb.cpu.failure();
}

}  // namespace

TEST(router, offsets_and_aliases_reach_the_same_bytes) {
    run_router_bench([](router_bench& rb, vp::cpu& cpu) {
        EXPECT_EQ(rb.bus.decode(0x1000)->name, "a_window");
        EXPECT_EQ(rb.bus.decode(0x8000'FFFF)->name, "a_alias");
        EXPECT_EQ(rb.bus.decode(0x3000), nullptr);
        EXPECT_NE(rb.bus.describe().find("dut_inputs"), std::string::npos);

        cpu.write32(0x1010, 0xCAFEF00D);  // a[0x4010]
        EXPECT_EQ(cpu.read32(0x8000'4010), 0xCAFEF00Du);
        cpu.write32(0x8000'0010, 0x12345678);  // a[0x10]: not inside the window
        EXPECT_EQ(cpu.read32(0x1010), 0xCAFEF00Du);
        cpu.write32(0x2000, 0x0BADBEEF);  // b[0]
        EXPECT_EQ(cpu.read32(0x2000), 0x0BADBEEFu);
        EXPECT_EQ(cpu.read32(0x8000'0000), 0u) << "b must not alias a";

        // The macro's input window seen through its alias.
        const unsigned char codes[4] = {7, 8, 9, 10};
        cpu.write_block(inputs_alias + 4, codes, 4);
        unsigned char seen[4] = {0, 0, 0, 0};
        cpu.read_block(macro_base + regmap::addr::input_base + 4, seen, 4);
        EXPECT_EQ(std::memcmp(seen, codes, 4), 0);
    });
}

TEST(router, an_access_that_leaves_its_range_is_an_address_error) {
    run_router_bench([](router_bench&, vp::cpu& cpu) {
        unsigned char ff[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, 0x1FFC, ff, 8), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        unsigned char a_tail[4] = {1, 1, 1, 1}, b_head[4] = {1, 1, 1, 1};
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x1FFC, a_tail, 4), 4u);
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x2000, b_head, 4), 4u);
        for (int k = 0; k < 4; ++k) {
            EXPECT_EQ(a_tail[k], 0) << "a changed";
            EXPECT_EQ(b_head[k], 0) << "b changed";
        }
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, 0x1FFC, ff, 4), ::tlm::TLM_OK_RESPONSE);
    });
}

TEST(router, decode_latency_is_added_to_b_transport_not_to_dmi) {
    run_router_bench([](router_bench& rb, vp::cpu& cpu) {
        const std::uint64_t grants = cpu.stats().dmi_grants;
        sc_time t0 = cpu.local_time();
        cpu.read32(0x2004);
        EXPECT_EQ(cpu.local_time() - t0, ps(1000) + rb.b.access_latency(false, 4));
        // The b_transport carried the DMI hint: the CPU took the grant, and the next access of
        // 256 bytes costs the DMI latency once per 8-byte beat, without the router.
        EXPECT_EQ(cpu.stats().dmi_grants, grants + 1);
        t0 = cpu.local_time();
        unsigned char buf[256] = {};
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, 0x2100, buf, 256), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cpu.local_time() - t0, ps(rb.b.config().beat_ps) * 32.0);
        EXPECT_EQ(cpu.stats().dmi_accesses, 1u);
        // Outside that grant (the alias of a), b_transport again.
        t0 = cpu.local_time();
        EXPECT_EQ(cpu.transport(::tlm::TLM_WRITE_COMMAND, 0x8000'0100, buf, 256), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cpu.local_time() - t0, ps(1000) + rb.a.access_latency(true, 256));
    });
}

TEST(router, dmi_is_clipped_to_the_range_and_the_pointer_follows) {
    run_router_bench([](router_bench& rb, vp::cpu& cpu) {
        ::tlm::tlm_dmi dmi;
        // a grants all of its 64 KiB; the window shows a[0x4000, 0x5000) at 0x1000.
        ASSERT_TRUE(cpu.request_dmi(0x1010, ::tlm::TLM_WRITE_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), 0x1000u);
        EXPECT_EQ(dmi.get_end_address(), 0x1FFFu);
        EXPECT_TRUE(dmi.is_read_write_allowed());
        EXPECT_EQ(dmi.get_read_latency(), ps(rb.a.config().beat_ps)) << "DMI bypasses the router's decode";
        dmi.get_dmi_ptr()[0x10] = 0x77;
        unsigned char v = 0;
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x8000'4010, &v, 1), 1u);
        EXPECT_EQ(v, 0x77);

        ASSERT_TRUE(cpu.request_dmi(0x8000'0100, ::tlm::TLM_READ_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), 0x8000'0000u);
        EXPECT_EQ(dmi.get_end_address(), 0x8000'FFFFu);
        EXPECT_EQ(dmi.get_dmi_ptr()[0x4010], 0x77);

        // The macro's input window through its alias: the target range is the window itself.
        ASSERT_TRUE(cpu.request_dmi(inputs_alias + 0x10, ::tlm::TLM_WRITE_COMMAND, dmi));
        EXPECT_EQ(dmi.get_start_address(), inputs_alias);
        EXPECT_EQ(dmi.get_end_address(), inputs_alias + rb.dut.windows().input - 1);
        dmi.get_dmi_ptr()[3] = 0x42;
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, macro_base + regmap::addr::input_base + 3, &v, 1), 1u);
        EXPECT_EQ(v, 0x42);
    });
}

TEST(router, invalidations_are_translated_for_every_range_of_the_port) {
    run_router_bench([](router_bench& rb, vp::cpu& cpu) {
        const std::size_t before = cpu.invalidations().size();
        cpu.write32(macro_base + regmap::reg::wbit, 6);  // a changed configuration: the macro invalidates its span
        ASSERT_EQ(cpu.invalidations().size(), before + 2);
        const auto& inv = cpu.invalidations();
        EXPECT_EQ(inv[before].first, macro_base);
        EXPECT_EQ(inv[before].second, macro_base + regmap::addr::macro_span - 1);
        EXPECT_EQ(inv[before + 1].first, inputs_alias);
        EXPECT_EQ(inv[before + 1].second, inputs_alias + rb.dut.windows().input - 1);
    });
}

TEST(router, debug_transport_is_split_at_range_boundaries) {
    run_router_bench([](router_bench&, vp::cpu& cpu) {
        unsigned char data[16];
        for (unsigned k = 0; k < 16; ++k) data[k] = static_cast<unsigned char>(0x30 + k);
        EXPECT_EQ(cpu.debug(::tlm::TLM_WRITE_COMMAND, 0x1FF8, data, 16), 16u) << "a_window's last 8 bytes, then b's first 8";
        unsigned char a_part[8], b_part[8];
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x8000'4FF8, a_part, 8), 8u);
        ASSERT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x2000, b_part, 8), 8u);
        EXPECT_EQ(std::memcmp(a_part, data, 8), 0);
        EXPECT_EQ(std::memcmp(b_part, data + 8, 8), 0);
        // The map ends at 0x3000: what lies before the hole is served.
        unsigned char tail[32];
        EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x2FF0, tail, 32), 16u);
        EXPECT_EQ(cpu.debug(::tlm::TLM_READ_COMMAND, 0x3000, tail, 4), 0u);
    });
}

TEST(router, overlapping_and_empty_ranges_are_rejected) {
    // Modules live until the process ends, as SystemC wants.
    vp::router& bus = *new vp::router("bus", vp::router_config{});
    vp::memory& a = *new vp::memory("a", memory_of(0x1000));
    vp::memory& b = *new vp::memory("b", memory_of(0x1000));
    bus.attach(a.bus_in, 0x1000, 0x1000, "a");
    test::expect_report(sc_core::SC_ERROR, vp::router::msg_type, "overlaps a");
    EXPECT_THROW(bus.map(0, 0x1800, 0x1000, "b"), sc_core::sc_report);
    test::expect_report(sc_core::SC_ERROR, vp::router::msg_type, "empty range");
    EXPECT_THROW(bus.map(0, 0x4000, 0, "c"), sc_core::sc_report);
    test::expect_report(sc_core::SC_ERROR, vp::router::msg_type, "wraps around");
    EXPECT_THROW(bus.map(0, 0xFFFF'FFFF'FFFF'F000ULL, 0x2000, "d"), sc_core::sc_report);
    EXPECT_EQ(bus.address_map().size(), 1u);
    bus.attach(b.bus_in, 0x2000, 0x1000, "b");  // adjacent is fine
    EXPECT_EQ(bus.address_map().size(), 2u);
}

// An AT initiator that sends BEGIN_REQ and waits for BEGIN_RESP on the backward path, as gem5's
// Gem5ToTlmBridge does in timing mode. Payloads come from a memory manager, as gem5's do.
class at_initiator : public sc_core::sc_module, public ::tlm::tlm_mm_interface {
public:
    tlm_utils::simple_initiator_socket<at_initiator> bus_out;
    SC_HAS_PROCESS(at_initiator);
    explicit at_initiator(const sc_core::sc_module_name& name, std::function<void(at_initiator&)> body)
        : sc_module(name), bus_out("bus_out"), m_body(std::move(body)) {
        bus_out.register_nb_transport_bw(this, &at_initiator::nb_transport_bw);
        SC_THREAD(run);
    }
    // Sends one transaction and waits for its response; returns the response status.
    ::tlm::tlm_response_status transact(::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data, unsigned len) {
        m_gp.set_mm(this);
        m_gp.acquire();
        m_gp.set_command(cmd);
        m_gp.set_address(address);
        m_gp.set_data_ptr(data);
        m_gp.set_data_length(len);
        m_gp.set_streaming_width(len);
        m_gp.set_byte_enable_ptr(nullptr);
        m_gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
        ::tlm::tlm_phase phase = ::tlm::BEGIN_REQ;
        sc_time t = sc_core::SC_ZERO_TIME;
        const ::tlm::tlm_sync_enum s = bus_out->nb_transport_fw(m_gp, phase, t);
        if (s != ::tlm::TLM_COMPLETED) sc_core::wait(m_response);
        m_gp.release();
        return m_gp.get_response_status();
    }
    void free(::tlm::tlm_generic_payload*) override {}
    bool finished = false;

private:
    ::tlm::tlm_sync_enum nb_transport_bw(::tlm::tlm_generic_payload&, ::tlm::tlm_phase& phase, sc_time& t) {
        if (phase == ::tlm::BEGIN_RESP) {
            m_response.notify(t);
            phase = ::tlm::END_RESP;
            return ::tlm::TLM_COMPLETED;
        }
        return ::tlm::TLM_ACCEPTED;
    }
    void run() {
        m_body(*this);
        finished = true;
        sc_core::sc_stop();
    }
    std::function<void(at_initiator&)> m_body;
    ::tlm::tlm_generic_payload m_gp;
    sc_core::sc_event m_response;
};

TEST(router, an_at_initiator_is_served_through_the_nb_to_b_conversion) {
    const sc::macro_config mc = small_macro();
    struct bench {
        at_initiator init;
        vp::router bus;
        sc::acim_macro dut;
        sc_core::sc_signal<bool> irq;
        explicit bench(const sc::macro_config& m, std::function<void(at_initiator&)> body)
            : init("init", std::move(body)), bus("bus", vp::router_config{3000}), dut("dut", m), irq("irq") {
            init.bus_out.bind(bus.bus_in);
            bus.attach(dut.bus_in, macro_base, regmap::addr::macro_span, "dut");
            dut.irq_out(irq);
        }
    };
    auto* b = new bench(mc, [&](at_initiator& init) {
        unsigned char word[4] = {0, 0, 0, 0};
        const sc_time t0 = sc_core::sc_time_stamp();
        EXPECT_EQ(init.transact(::tlm::TLM_READ_COMMAND, macro_base + regmap::reg::id, word, 4), ::tlm::TLM_OK_RESPONSE);
        const std::uint32_t id = static_cast<std::uint32_t>(word[0]) | static_cast<std::uint32_t>(word[1]) << 8 |
                                 static_cast<std::uint32_t>(word[2]) << 16 | static_cast<std::uint32_t>(word[3]) << 24;
        EXPECT_EQ(id, regmap::id_value);
        // The response comes after the router's and the register's latency.
        EXPECT_EQ(sc_core::sc_time_stamp() - t0, ps(3000) + ps(mc.clock_period_ps * mc.reg_access_cycles));
        EXPECT_EQ(init.transact(::tlm::TLM_READ_COMMAND, 0x1234, word, 4), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(init.transact(::tlm::TLM_WRITE_COMMAND, macro_base + regmap::reg::id, word, 4),
                  ::tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
    sc_core::sc_start();
    EXPECT_TRUE(b->init.finished);
}

TEST(router, a_range_on_an_unbound_port_fails_elaboration) {
    vp::cpu_config cc = no_decoupling();
    cc.irq_lines = 0;
    auto* c = new vp::cpu("cpu", cc);
    auto* bus = new vp::router("bus", vp::router_config{});
    auto* a = new vp::memory("a", memory_of(0x1000));
    c->bus_out.bind(bus->bus_in);
    bus->attach(a->bus_in, 0, 0x1000, "a");
    bus->map(3, 0x1000, 0x1000, "nowhere");
    test::expect_report(sc_core::SC_ERROR, vp::router::msg_type, "nowhere is mapped to port 3");
    EXPECT_THROW(sc_core::sc_start(), sc_core::sc_report);
}
