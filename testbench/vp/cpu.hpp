// cpu: a CPU-like initiator that runs firmware written in C++. It is not an instruction-set
// simulator: the firmware is a C++ function that sees the platform only through this module's
// bus_port (register reads and writes, block copies, interrupt waits), as code on a core would.
//
// Loosely timed with temporal decoupling: every access is issued at the CPU's local time and
// advances it by the annotated delay; a tlm_quantumkeeper lets the local time run ahead of the
// kernel by up to the global quantum before it synchronises (quantum 0: after every access).
// Block copies use DMI when the target grants it (memcpy through the pointer, the DMI latency per
// beat) and b_transport otherwise; DMI invalidations drop the cached grants. Waiting for an
// interrupt first synchronises, then sleeps until the line rises.
#pragma once

#include <acim/vp/bus_port.hpp>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace acim::vp {

struct cpu_config {
    std::uint64_t quantum_ps = 1000000;  // global quantum of temporal decoupling (1 us); 0 = none
    bool use_dmi = true;                 // take DMI grants for block copies
    std::uint32_t dmi_beat_bytes = 8;    // a DMI copy costs the DMI latency once per beat
    std::size_t irq_lines = 1;           // interrupt inputs irq_in[0..irq_lines-1]
    bool stop_when_done = true;          // sc_stop() when the firmware returns
    std::size_t stack_bytes = 8u << 20;  // stack of the firmware thread (a workload runs on it)
};

class cpu : public sc_core::sc_module, public bus_port {
public:
    tlm_utils::simple_initiator_socket<cpu> bus_out;
    sc_core::sc_vector<sc_core::sc_in<bool>> irq_in;

    using firmware = std::function<void(cpu&)>;

    SC_HAS_PROCESS(cpu);
    cpu(const sc_core::sc_module_name& name, const cpu_config& cfg);

    // The firmware the CPU thread runs from time 0 (set it before sc_start).
    void load(firmware f) { m_firmware = std::move(f); }
    bool finished() const { return m_finished; }  // the firmware returned or threw
    bool failed() const { return m_failed; }      // it threw (reported as SC_REPORT_ERROR)
    const std::string& failure() const { return m_failure; }

    // bus_port: failed accesses throw bus_error.
    std::uint32_t read32(std::uint64_t address) override;
    void write32(std::uint64_t address, std::uint32_t value) override;
    void read_block(std::uint64_t address, unsigned char* data, std::size_t length) override;
    void write_block(std::uint64_t address, const unsigned char* data, std::size_t length) override;
    void wait_irq(unsigned line) override;
    void idle(std::uint64_t ps) override;

    // One access of any command and length, without exceptions (DMI if cached and allowed).
    ::tlm::tlm_response_status transport(::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data,
                                         unsigned length);
    // Debug transport: no time, no side effects at the target; returns the bytes served.
    unsigned debug(::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data, unsigned length);
    // Asks for a DMI grant covering `address` (and caches it when granted).
    bool request_dmi(std::uint64_t address, ::tlm::tlm_command cmd, ::tlm::tlm_dmi& dmi);

    // The CPU's notion of now: kernel time plus the decoupled local offset.
    sc_core::sc_time local_time() const { return sc_core::sc_time_stamp() + m_qk.get_local_time(); }
    // Waits until the kernel reaches the local time.
    void sync() { m_qk.sync(); }
    // Changes the global quantum (after a sync), e.g. between phases of a run.
    void set_quantum(const sc_core::sc_time& q);

    struct statistics {
        std::uint64_t bus_accesses = 0;     // b_transport calls
        std::uint64_t dmi_accesses = 0;     // copies served through a DMI pointer
        std::uint64_t dmi_grants = 0;       // grants received
        std::uint64_t invalidations = 0;    // invalidate_direct_mem_ptr calls received
        std::uint64_t irq_waits = 0;        // wait_irq calls
    };
    const statistics& stats() const { return m_stats; }
    // Every invalidation range received, in initiator addresses.
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& invalidations() const { return m_invalidations; }
    const cpu_config& config() const { return m_cfg; }

    static constexpr const char* msg_type = "acim/cpu";

private:
    void run();
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    void drop_dmi(std::uint64_t first, std::uint64_t last);  // forgets grants overlapping [first, last]
    const ::tlm::tlm_dmi* find_dmi(std::uint64_t address, std::size_t length, bool write) const;
    void copy(bool write, std::uint64_t address, unsigned char* data, std::size_t length);
    void after_access();

    cpu_config m_cfg;
    tlm_utils::tlm_quantumkeeper m_qk;
    firmware m_firmware;
    ::tlm::tlm_generic_payload m_gp;
    std::vector<::tlm::tlm_dmi> m_dmi;  // cached grants, initiator addresses
    statistics m_stats;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_invalidations;
    bool m_finished = false;
    bool m_failed = false;
    std::string m_failure;
};

}  // namespace acim::vp
