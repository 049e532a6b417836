// A virtual platform of a user of the installed package: a CPU-like initiator drives one
// acim::sc::acim_macro over TLM-2.0 at bus width ACIM_CONSUMER_BUS_WIDTH, as firmware would
// (register offsets of docs/register_map.md, 32-bit register accesses, block copies into the
// buffer windows), and checks every output against a plain integer dot product. Built against the
// installed headers and libraries only (tests/consumer/CMakeLists.txt); exit status 0 = all equal.
#include <acim/sc/acim_macro.hpp>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#ifndef ACIM_CONSUMER_BUS_WIDTH
#define ACIM_CONSUMER_BUS_WIDTH 32
#endif

namespace {

constexpr unsigned bus_width = ACIM_CONSUMER_BUS_WIDTH;

// docs/register_map.md: macro-relative addresses.
constexpr std::uint64_t reg_id = 0x000, reg_ctrl = 0x008, reg_irq_status = 0x018, reg_out_denom = 0x020;
constexpr std::uint64_t reg_rows_used = 0x160, reg_outputs = 0x164, reg_batch = 0x168;
constexpr std::uint64_t weight_base = 0x100000, input_base = 0x200000, output_base = 0x400000;
constexpr std::uint32_t ctrl_start = 1u << 0, ctrl_irq_enable = 1u << 2, irq_done = 1u << 0;

// The layer: OUTPUTS 8 weights of 8 bits over 40 rows, 5 unsigned 8-bit input vectors. With the
// reset configuration (bit-serial, 8-bit SAR, ROW_PAR 255) the macro is lossless, so every
// numerator is the dot product times OUT_DENOM.
constexpr std::size_t cols = 64, rows = 40, outputs = 8, vectors = 5;

struct cpu : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<cpu, bus_width> bus_out;
    sc_core::sc_in<bool> irq_in;
    std::vector<std::int32_t> w, x;  // w[o][r], x[v][r]
    int mismatches = -1;             // set when the body has run to its end

    SC_HAS_PROCESS(cpu);
    explicit cpu(const sc_core::sc_module_name& n) : sc_module(n), bus_out("bus_out"), irq_in("irq_in") {
        std::uint32_t s = 12345;  // a small LCG: data that any consumer can reproduce
        auto next = [&s] { s = s * 1664525u + 1013904223u; return s >> 8; };
        for (std::size_t k = 0; k < outputs * rows; ++k) w.push_back(static_cast<std::int32_t>(next() % 256) - 128);
        for (std::size_t k = 0; k < vectors * rows; ++k) x.push_back(static_cast<std::int32_t>(next() % 256));
        SC_THREAD(run);
    }

    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len) {
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_byte_enable_ptr(nullptr);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        bus_out->b_transport(gp, delay);
        wait(delay);
        if (gp.get_response_status() != tlm::TLM_OK_RESPONSE) {
            std::fprintf(stderr, "bus error at 0x%llx: %s\n", static_cast<unsigned long long>(addr),
                         gp.get_response_string().c_str());
            sc_core::sc_stop();
            wait();  // never resumes: mismatches stays -1
        }
        return gp.get_response_status();
    }
    void wr(std::uint64_t addr, std::uint32_t v) {
        unsigned char b[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                              static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
        access(tlm::TLM_WRITE_COMMAND, addr, b, 4);
    }
    std::uint32_t rd(std::uint64_t addr) {
        unsigned char b[4] = {0, 0, 0, 0};
        access(tlm::TLM_READ_COMMAND, addr, b, 4);
        return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
               static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
    }

    void run() {
        if (rd(reg_id) != 0x4143494Du) {
            std::fprintf(stderr, "ID is not \"ACIM\"\n");
            sc_core::sc_stop();
            return;
        }
        wr(reg_rows_used, rows);
        wr(reg_outputs, outputs);
        wr(reg_batch, vectors);
        // Weight SRAM: row r is cols/8 bytes; column o*8+i is bit i of w[o][r], so with WBIT 8
        // byte o of row r is w[o][r] in two's complement.
        std::vector<unsigned char> sram(rows * cols / 8, 0);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t o = 0; o < outputs; ++o)
                sram[r * cols / 8 + o] = static_cast<unsigned char>(w[o * rows + r] & 0xFF);
        access(tlm::TLM_WRITE_COMMAND, weight_base, sram.data(), static_cast<unsigned>(sram.size()));
        std::vector<unsigned char> in(x.size());
        for (std::size_t k = 0; k < x.size(); ++k) in[k] = static_cast<unsigned char>(x[k]);
        access(tlm::TLM_WRITE_COMMAND, input_base, in.data(), static_cast<unsigned>(in.size()));

        wr(reg_ctrl, ctrl_start | ctrl_irq_enable);
        if (!irq_in.read()) wait(irq_in.posedge_event());
        const std::uint32_t cause = rd(reg_irq_status);
        wr(reg_irq_status, cause);
        const std::int64_t den = rd(reg_out_denom);
        std::vector<unsigned char> out(vectors * outputs * 8);
        access(tlm::TLM_READ_COMMAND, output_base, out.data(), static_cast<unsigned>(out.size()));

        int bad = cause == irq_done ? 0 : 1;
        for (std::size_t v = 0; v < vectors; ++v)
            for (std::size_t o = 0; o < outputs; ++o) {
                std::int64_t dot = 0;
                for (std::size_t r = 0; r < rows; ++r) dot += std::int64_t{w[o * rows + r]} * x[v * rows + r];
                std::uint64_t u = 0;
                for (int b = 7; b >= 0; --b) u = (u << 8) | out[(v * outputs + o) * 8 + static_cast<std::size_t>(b)];
                const auto num = static_cast<std::int64_t>(u);
                if (num != dot * den) {
                    ++bad;
                    std::fprintf(stderr, "v %zu o %zu: numerator %lld, dot product %lld x %lld\n", v, o,
                                 static_cast<long long>(num), static_cast<long long>(dot), static_cast<long long>(den));
                }
            }
        std::printf("consumer (%u-bit bus): %zu outputs, %d differ from the integer dot product, done at %s\n",
                    bus_width, vectors * outputs, bad, sc_core::sc_time_stamp().to_string().c_str());
        mismatches = bad;
        sc_core::sc_stop();
    }
};

}  // namespace

int sc_main(int, char*[]) {
    acim::sc::macro_config cfg;
    cfg.rows = 64;
    cfg.cols = cols;
    cfg.adcs = 16;
    cfg.input_depth = 8;
    acim::sc::acim_macro macro("acim0", cfg);
    cpu host("cpu");
    sc_core::sc_signal<bool> irq("irq");
    host.bus_out.bind(macro.bus_socket<bus_width>());
    macro.irq_out(irq);
    host.irq_in(irq);
    sc_core::sc_start();
    return host.mismatches == 0 ? 0 : 1;
}
