#include <acim/tlm/frame_protocol.hpp>

#include <stdexcept>

namespace acim::tlm {

frame_initiator_socket::frame_initiator_socket(const char* name) : tlm_initiator_socket(name), m_bw(*this) {
    this->bind(static_cast<frame_bw_if&>(m_bw));
}

::tlm::tlm_sync_enum frame_initiator_socket::backward::nb_transport_bw(frame_payload&, ::tlm::tlm_phase&,
                                                                      sc_core::sc_time&) {
    frame_link_misuse(socket.name(), "nb_transport_bw (frame links are loosely timed)");
}

void frame_initiator_socket::backward::invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) {}

void frame_link_misuse(const char* socket, const char* what) {
    const std::string msg = std::string(socket) + ": " + what + " is not part of the frame protocol";
    SC_REPORT_ERROR(frame_msg_type, msg.c_str());
    throw std::logic_error(msg);  // reached when the report handler does not throw
}

}  // namespace acim::tlm
