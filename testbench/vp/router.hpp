// router: an address-decoding interconnect, the bus fabric between one initiator (a CPU, or a
// bridge from another simulator) and the memories and peripherals of a platform. Each target owns
// a range of the 64-bit address space; the router hands an access to the target whose range holds
// it, with the address rebased into the target's own space, and adds its decode latency. An access
// outside every range, or one that crosses the end of its range, is answered with
// TLM_ADDRESS_ERROR_RESPONSE and reaches no target.
//
// DMI grants are translated back into the initiator's address space and clipped to the range;
// DMI invalidations coming back from a target are translated likewise. Debug transport is split at
// range boundaries so that a functional access of any length is served in full. The target socket
// is a simple_target_socket, so an AT initiator (gem5's bridge in timing mode) is served through
// its automatic nb_transport/b_transport conversion.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace acim::vp {

struct router_config {
    std::uint64_t latency_ps = 0;  // decode latency added to every b_transport (DMI bypasses the decode)
};

class router : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<router> bus_in;
    tlm_utils::multi_passthrough_initiator_socket<router> bus_out;

    // One range of the address map: initiator addresses [base, base + size) reach port `port`
    // as target addresses offset + (address - base).
    struct mapping {
        std::string name;
        std::size_t port = 0;
        std::uint64_t base = 0;
        std::uint64_t size = 0;
        std::uint64_t offset = 0;
        std::uint64_t last() const { return base + (size - 1); }
    };

    router(const sc_core::sc_module_name& name, const router_config& cfg);

    // Binds the next port of bus_out to `target` and maps [base, base + size) to it; returns the
    // port. Overlapping or empty ranges are SC_REPORT_ERRORs. Ports are numbered in bind order:
    // bind every target through attach(), or bind bus_out yourself and use map().
    using target_socket_type = tlm_utils::multi_passthrough_initiator_socket<router>::base_target_socket_type;
    std::size_t attach(target_socket_type& target, std::uint64_t base, std::uint64_t size, const std::string& name,
                       std::uint64_t offset = 0);
    // Maps a range to a port bound elsewhere (a port may serve several ranges).
    void map(std::size_t port, std::uint64_t base, std::uint64_t size, const std::string& name,
             std::uint64_t offset = 0);

    const std::vector<mapping>& address_map() const { return m_map; }  // sorted by base
    // The range holding `address`, or nullptr.
    const mapping* decode(std::uint64_t address) const;
    // The address map as a table, for logs.
    std::string describe() const;
    const router_config& config() const { return m_cfg; }

    static constexpr const char* msg_type = "acim/router";

private:
    void b_transport(::tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned transport_dbg(::tlm::tlm_generic_payload& gp);
    bool get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end);
    void end_of_elaboration() override;

    router_config m_cfg;
    sc_core::sc_time m_latency;
    std::vector<mapping> m_map;
    std::size_t m_bound = 0;  // ports bound through attach()
};

}  // namespace acim::vp
