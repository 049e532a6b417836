// Test support for the SystemC tests: a report handler that turns every SystemC warning or error
// into a test failure unless the test declared it, and a testbench that elaborates one acim_macro
// with a bus initiator whose SC_THREAD runs the test body and then calls sc_stop().
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>
#include <acim/sc/acim_macro.hpp>
#include <acim/tlm/register_table.hpp>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace acim::test {

// Installs the failing report handler (sc_test_main does this once per process).
void install_report_handler();
// The current test expects at least one report of this severity and type whose message contains
// `text`; such reports do not fail it, and run_bench fails it if none arrived.
void expect_report(sc_core::sc_severity severity, const std::string& msg_type, const std::string& text);

// Reads and writes the macro like a CPU on a bus. By default every access is followed by a wait
// of its annotated delay (LT without decoupling). With `decoupled`, accesses happen at the local
// time sc_time_stamp() + local and only advance `local`, as under a quantum keeper.
class bus_initiator : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<bus_initiator> bus_out;
    sc_core::sc_in<bool> irq_in;

    SC_HAS_PROCESS(bus_initiator);
    bus_initiator(const sc_core::sc_module_name& name, std::function<void()> body);

    bool decoupled = false;
    sc_core::sc_time local;  // local time offset in decoupled mode
    std::vector<std::pair<std::uint64_t, std::uint64_t>> invalidations;  // DMI invalidation ranges
    bool finished = false;   // the body ran to its end

    // One access through b_transport; returns the response status.
    ::tlm::tlm_response_status access(::tlm::tlm_generic_payload& gp);
    ::tlm::tlm_response_status read32(std::uint64_t addr, std::uint32_t& value);
    ::tlm::tlm_response_status write32(std::uint64_t addr, std::uint32_t value);
    // Register access that must succeed (a failed one is a test failure).
    std::uint32_t rd(std::uint64_t addr);
    void wr(std::uint64_t addr, std::uint32_t value);
    ::tlm::tlm_response_status write_bytes(std::uint64_t addr, const std::vector<unsigned char>& bytes);
    ::tlm::tlm_response_status read_bytes(std::uint64_t addr, std::vector<unsigned char>& bytes);
    unsigned debug(::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len);
    bool get_dmi(std::uint64_t addr, ::tlm::tlm_command cmd, ::tlm::tlm_dmi& dmi);
    // Waits for irq_out high.
    void wait_irq();
    // Waits in decoupled mode until the kernel catches up with the local time.
    void sync_local();

private:
    void run();
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    std::function<void()> m_body;
};

// A plain payload: command, address, data and length, streaming width = length, no byte enables.
void prepare_payload(::tlm::tlm_generic_payload& gp, ::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data,
                     unsigned len);

// A small instance for bus-level tests: 64 x 64 SRAM, 16 ADCs, 8 input vectors deep.
sc::macro_config small_macro_config();

struct macro_bench {
    sc::acim_macro dut;
    bus_initiator cpu;
    sc_core::sc_signal<bool> irq;
    macro_bench(const sc::macro_config& cfg, const std::function<void(macro_bench&)>& body);
};

// Elaborates one bench, simulates until the body ends, then checks the body finished and that
// every expected report arrived. Call once per test (per process).
void run_bench(const sc::macro_config& cfg, const std::function<void(macro_bench&)>& body);

// A layer to run on the macro, with its data.
struct layer_setup {
    core::cim_params p;
    std::size_t outputs = 1;
    std::size_t rows = 1;
    std::size_t vectors = 1;
    std::vector<core::row_tile> tiles;  // empty: dense tiling
    std::vector<std::int32_t> w;        // [outputs][rows]
    std::vector<std::int32_t> x;        // [vectors][rows]
    core::stream_key key;
    std::uint64_t first_vector = 0;
};
// Random codes in their full ranges (weights also hit -2^(wbit-1), which the SRAM can hold).
layer_setup random_layer(const core::cim_params& p, std::size_t outputs, std::size_t rows, std::size_t vectors,
                         std::uint64_t seed);

// Buffer images written by the documented formulas of docs/register_map.md, independently of
// tlm/buffer_layout.
std::vector<unsigned char> weight_image(const layer_setup& l, std::size_t cols, std::size_t hw_rows);
std::vector<unsigned char> input_image(const layer_setup& l);
std::vector<std::int64_t> decode_output_image(const std::vector<unsigned char>& bytes);

// Register values that configure `l` (offset, value), in a firmware-like order.
std::vector<std::pair<std::uint32_t, std::uint32_t>> config_writes(const layer_setup& l);
// Programs the layer through the bus: configuration, weight SRAM, input buffer.
void program(bus_initiator& cpu, const layer_setup& l, const sc::macro_config& cfg);
// Reads `l.vectors * l.outputs` numerators from the output buffer.
std::vector<std::int64_t> read_outputs(bus_initiator& cpu, const layer_setup& l);

// The reference: the core engine called directly.
struct engine_reference {
    std::vector<std::int64_t> num;
    std::int64_t den = 0;
    core::engine_counters counters;
};
engine_reference run_engine(const layer_setup& l);

std::uint64_t read64(bus_initiator& cpu, std::uint32_t lo);

}  // namespace acim::test
