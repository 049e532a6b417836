// Every error response of the bus side, and that a bad access changes no state: registers,
// buffers, DMI grants and flags are compared before and after through debug transport.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

using namespace acim;
namespace regmap = acim::tlm;
using ::tlm::tlm_response_status;

namespace {

struct snapshot {
    std::vector<unsigned char> regs, weights, inputs, outputs;
    bool operator==(const snapshot& o) const {
        return regs == o.regs && weights == o.weights && inputs == o.inputs && outputs == o.outputs;
    }
};

snapshot take(test::macro_bench& b) {
    snapshot s;
    auto dump = [&](std::uint64_t base, std::size_t size) {
        std::vector<unsigned char> v(size);
        EXPECT_EQ(b.cpu.debug(::tlm::TLM_READ_COMMAND, base, v.data(), static_cast<unsigned>(size)), size);
        return v;
    };
    s.regs = dump(regmap::addr::reg_base, regmap::addr::reg_size);
    s.weights = dump(regmap::addr::weight_base, b.dut.windows().weight);
    s.inputs = dump(regmap::addr::input_base, b.dut.windows().input);
    s.outputs = dump(regmap::addr::output_base, b.dut.windows().output);
    return s;
}

// Fills buffers and a few registers with non-zero content, so that a stray write would show.
void fill(test::macro_bench& b) {
    std::vector<unsigned char> w(b.dut.windows().weight), x(b.dut.windows().input), y(b.dut.windows().output);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = static_cast<unsigned char>(k * 7 + 1);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<unsigned char>(k * 3 + 2);
    for (std::size_t k = 0; k < y.size(); ++k) y[k] = static_cast<unsigned char>(k * 5 + 3);
    b.cpu.debug(::tlm::TLM_WRITE_COMMAND, regmap::addr::weight_base, w.data(), static_cast<unsigned>(w.size()));
    b.cpu.debug(::tlm::TLM_WRITE_COMMAND, regmap::addr::input_base, x.data(), static_cast<unsigned>(x.size()));
    b.cpu.debug(::tlm::TLM_WRITE_COMMAND, regmap::addr::output_base, y.data(), static_cast<unsigned>(y.size()));
    b.cpu.wr(regmap::reg::wbit, 4);
    b.cpu.wr(regmap::reg::seed_lo, 0x1234);
    b.cpu.invalidations.clear();
}

// One raw access with full control over the payload.
struct raw_access {
    raw_access(::tlm::tlm_command c, std::uint64_t a, unsigned l, unsigned sw = 0,
               std::vector<unsigned char> be = {})
        : cmd(c), addr(a), len(l), streaming_width(sw), byte_enable(std::move(be)) {}
    ::tlm::tlm_command cmd;
    std::uint64_t addr;
    unsigned len;
    unsigned streaming_width;  // 0: = len
    std::vector<unsigned char> byte_enable;
    bool be_pointer_without_length = false;
};

tlm_response_status issue(test::bus_initiator& cpu, const raw_access& a) {
    std::vector<unsigned char> data(std::max(a.len, 1u), 0x5A);
    std::vector<unsigned char> be = a.byte_enable;
    unsigned char be_dummy = TLM_BYTE_ENABLED;
    ::tlm::tlm_generic_payload gp;
    gp.set_command(a.cmd);
    gp.set_address(a.addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(a.len);
    gp.set_streaming_width(a.streaming_width == 0 ? a.len : a.streaming_width);
    if (a.be_pointer_without_length) {
        gp.set_byte_enable_ptr(&be_dummy);
        gp.set_byte_enable_length(0);
    } else if (!be.empty()) {
        gp.set_byte_enable_ptr(be.data());
        gp.set_byte_enable_length(static_cast<unsigned>(be.size()));
    }
    gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
    return cpu.access(gp);
}

// Runs every access, expects `status` and an unchanged macro.
void expect_rejected(test::macro_bench& b, const std::vector<raw_access>& accesses, tlm_response_status status) {
    fill(b);
    const snapshot before = take(b);
    for (const raw_access& a : accesses)
        EXPECT_EQ(issue(b.cpu, a), status) << "address 0x" << std::hex << a.addr << " length " << std::dec << a.len
                                           << " command " << a.cmd;
    EXPECT_TRUE(take(b) == before) << "a rejected access changed the macro";
    EXPECT_TRUE(b.cpu.invalidations.empty());
    EXPECT_EQ(b.cpu.rd(regmap::reg::status), 0u);
    EXPECT_EQ(b.cpu.rd(regmap::reg::irq_status), 0u);
}

constexpr auto R = ::tlm::TLM_READ_COMMAND;
constexpr auto W = ::tlm::TLM_WRITE_COMMAND;

}  // namespace

TEST(bus_errors, address_errors) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        const std::uint64_t wsize = b.dut.windows().weight, xsize = b.dut.windows().input,
                            ysize = b.dut.windows().output;
        std::vector<raw_access> a;
        for (auto cmd : {R, W}) {
            a.push_back({cmd, regmap::addr::reg_size, 4});                   // just past the register block
            a.push_back({cmd, 0x024, 4});                                    // register hole
            a.push_back({cmd, 0x3FC, 4});                                    // hole in the counter area
            a.push_back({cmd, regmap::reg::wbit + 1, 4});                    // misaligned
            a.push_back({cmd, regmap::reg::ctrl + 2, 4});                    // misaligned
            a.push_back({cmd, regmap::addr::weight_base + wsize, 1});        // past the weight window
            a.push_back({cmd, regmap::addr::weight_base + wsize - 2, 4});    // leaves the weight window
            a.push_back({cmd, regmap::addr::input_base + xsize - 1, 2});     // leaves the input buffer
            a.push_back({cmd, regmap::addr::input_base - 4, 4});             // gap below the input buffer
            a.push_back({cmd, regmap::addr::output_base + ysize, 8});        // past the output buffer
            a.push_back({cmd, regmap::addr::macro_span, 4});                 // beyond the macro
            a.push_back({cmd, 0xFFFFFFFFFFFFFFF0ULL, 4});                    // far away
        }
        expect_rejected(b, a, ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST(bus_errors, command_errors) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        std::vector<raw_access> a;
        for (const regmap::register_info& r : regmap::register_table())
            if (r.acc == regmap::access::ro) a.push_back({W, r.offset, 4});
        a.push_back({R, regmap::reg::irq_set, 4});
        a.push_back({W, regmap::addr::output_base, 8});
        a.push_back({W, regmap::addr::output_base + 16, 1});
        expect_rejected(b, a, ::tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}

TEST(bus_errors, burst_errors) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        std::vector<raw_access> a;
        for (auto cmd : {R, W}) {
            a.push_back({cmd, regmap::reg::wbit, 8});          // two registers in one burst
            a.push_back({cmd, regmap::reg::wbit, 2});          // half a register
            a.push_back({cmd, regmap::reg::wbit, 1});
            a.push_back({cmd, regmap::reg::ctrl, 4, 2});       // streaming width below the length
            a.push_back({cmd, regmap::addr::weight_base, 0});  // empty buffer access
            a.push_back({cmd, regmap::addr::input_base, 0});
        }
        a.push_back({R, regmap::reg::status, 16});
        a.push_back({R, regmap::addr::output_base, 0});
        expect_rejected(b, a, ::tlm::TLM_BURST_ERROR_RESPONSE);
    });
}

TEST(bus_errors, byte_enable_errors) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        std::vector<raw_access> a;
        const std::vector<unsigned char> all(4, TLM_BYTE_ENABLED), some = {TLM_BYTE_ENABLED, 0, 0, 0};
        for (auto cmd : {R, W}) {
            a.push_back({cmd, regmap::reg::wbit, 4, 0, all});   // registers take no byte enables at all
            a.push_back({cmd, regmap::reg::ctrl, 4, 0, some});
            raw_access no_len{cmd, regmap::addr::input_base, 4};
            no_len.be_pointer_without_length = true;             // pointer with zero length
            a.push_back(no_len);
        }
        expect_rejected(b, a, ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    });
}

TEST(bus_errors, register_check_order) {
    // Address before command before burst before byte enables.
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        const std::vector<unsigned char> be(8, TLM_BYTE_ENABLED);
        EXPECT_EQ(issue(b.cpu, {W, 0x024, 8, 0, be}), ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(issue(b.cpu, {W, regmap::reg::id, 8, 0, be}), ::tlm::TLM_COMMAND_ERROR_RESPONSE);
        EXPECT_EQ(issue(b.cpu, {W, regmap::reg::wbit, 8, 0, be}), ::tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(issue(b.cpu, {W, regmap::reg::wbit, 4, 0, be}), ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    });
}

TEST(bus_errors, ignore_command_is_accepted_and_does_nothing) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        fill(b);
        const snapshot before = take(b);
        EXPECT_EQ(issue(b.cpu, {::tlm::TLM_IGNORE_COMMAND, regmap::reg::ctrl, 4}), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(issue(b.cpu, {::tlm::TLM_IGNORE_COMMAND, regmap::addr::weight_base, 16}), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(issue(b.cpu, {::tlm::TLM_IGNORE_COMMAND, regmap::addr::output_base, 16}), ::tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(take(b) == before);
    });
}

TEST(buffer_windows, byte_enables_and_streaming_width) {
    test::run_bench(test::small_macro_config(), [](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        const std::uint64_t base = regmap::addr::input_base + 32;
        EXPECT_EQ(cpu.write_bytes(base, std::vector<unsigned char>(8, 0x11)), ::tlm::TLM_OK_RESPONSE);

        // Byte enables repeat with their own length: every other byte is written.
        std::vector<unsigned char> data = {1, 2, 3, 4, 5, 6, 7, 8};
        std::vector<unsigned char> be = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
        ::tlm::tlm_generic_payload gp;
        gp.set_command(W);
        gp.set_address(base);
        gp.set_data_ptr(data.data());
        gp.set_data_length(8);
        gp.set_streaming_width(8);
        gp.set_byte_enable_ptr(be.data());
        gp.set_byte_enable_length(2);
        EXPECT_EQ(cpu.access(gp), ::tlm::TLM_OK_RESPONSE);
        std::vector<unsigned char> got(8);
        EXPECT_EQ(cpu.read_bytes(base, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(got, (std::vector<unsigned char>{1, 0x11, 3, 0x11, 5, 0x11, 7, 0x11}));

        // A read with byte enables leaves the disabled data bytes alone.
        std::vector<unsigned char> rd(8, 0xEE);
        gp.set_command(R);
        gp.set_data_ptr(rd.data());
        EXPECT_EQ(cpu.access(gp), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(rd, (std::vector<unsigned char>{1, 0xEE, 3, 0xEE, 5, 0xEE, 7, 0xEE}));

        // Streaming width 2: six bytes stream into the same two addresses; the last pair stays.
        std::vector<unsigned char> s = {0xA1, 0xA2, 0xB1, 0xB2, 0xC1, 0xC2};
        gp.set_command(W);
        gp.set_data_ptr(s.data());
        gp.set_data_length(6);
        gp.set_streaming_width(2);
        gp.set_byte_enable_ptr(nullptr);
        gp.set_byte_enable_length(0);
        EXPECT_EQ(cpu.access(gp), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cpu.read_bytes(base, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(got, (std::vector<unsigned char>{0xC1, 0xC2, 3, 0x11, 5, 0x11, 7, 0x11}));
        // A stream only needs its streaming width inside the window.
        gp.set_address(regmap::addr::input_base + b.dut.windows().input - 2);
        EXPECT_EQ(cpu.access(gp), ::tlm::TLM_OK_RESPONSE);
    });
}
