// memory: the platform's main memory (a DRAM or on-chip SRAM behind the bus), where firmware keeps
// its input tensors and collects its results. A loosely timed TLM-2.0 target: b_transport
// annotates an access latency plus a per-beat transfer time and never waits; DMI grants read and
// write access to the whole array; transport_dbg serves any length inside it (a loader's or
// debugger's functional access).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <vector>

namespace acim::vp {

struct memory_config {
    std::uint64_t size = 16u << 20;          // bytes
    std::uint64_t read_latency_ps = 20000;   // ps per b_transport read (first beat)
    std::uint64_t write_latency_ps = 20000;  // ps per b_transport write (first beat)
    std::uint32_t beat_bytes = 8;            // bytes per beat of the data port
    std::uint64_t beat_ps = 1000;            // ps per beat; also the DMI latency of one access
};

class memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<memory> bus_in;

    memory(const sc_core::sc_module_name& name, const memory_config& cfg);

    const memory_config& config() const { return m_cfg; }
    // b_transport latency of an access touching `bytes` bytes: latency + ceil(bytes / beat) beats.
    sc_core::sc_time access_latency(bool write, std::uint64_t bytes) const;

    static constexpr const char* msg_type = "acim/memory";

private:
    void b_transport(::tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned transport_dbg(::tlm::tlm_generic_payload& gp);
    bool get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi);

    memory_config m_cfg;
    std::vector<unsigned char> m_data;
};

}  // namespace acim::vp
