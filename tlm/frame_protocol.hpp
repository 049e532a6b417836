// The project protocol of the macro's internal datapath links. Physically a link is the wide bus
// between two blocks of the macro (wordline drivers -> SRAM array -> ADC bank -> HCiM digital unit
// -> shift-add); in the model one transaction carries one whole frame: a row tile and an
// activation cycle for a range of input vectors across every column, by reference to the frame's
// buffers (core::frame_data), never one element at a time.
//
// Loosely timed only: a block serves b_transport, does its frame work, adds its latency to the
// annotated delay and forwards the same payload downstream before it returns; nothing waits.
// frame_payload is our own class (not a generic payload with extensions), carried by OSCI
// tlm_initiator_socket / tlm_target_socket through the traits class frame_protocol.
#pragma once

#include <acim/core/frame_ops.hpp>

#include <systemc>
#include <tlm>

#include <cstdint>
#include <string>

namespace acim::tlm {

enum class frame_status : std::uint8_t {
    incomplete,  // still travelling; the last block (shift-add) sets ok
    ok,
    error,       // a block rejected the frame; `error` says why
};

class frame_payload {
public:
    core::frame_id id;           // tile, activation cycle, vector count, global first vector
    bool latch = false;          // first frame of its tile for these vectors: load the input register
    bool first = false;          // first frame of these vectors: clear the accumulators
    bool last = false;           // last frame of these vectors: write their numerators out
    bool end_of_run = false;     // last frame of the run: the shift-add pipeline drains
    const std::int32_t* inputs = nullptr;  // [vectors][rows] input codes of the frame's vectors
    core::frame_data* data = nullptr;      // activation planes, counts, cell sums, codes
    std::int64_t* outputs = nullptr;       // [vectors][outputs] numerators of the frame's vectors
    sc_core::sc_time start;      // annotated delay when the frame entered the wordline driver: the
                                 // HCiM digital unit works in parallel with the analog path from here
    frame_status status = frame_status::incomplete;
    std::string error;           // set with frame_status::error

    void fail(const std::string& why) {
        status = frame_status::error;
        error = why;
    }
};

// Protocol traits for the OSCI sockets.
struct frame_protocol {
    using tlm_payload_type = frame_payload;
    using tlm_phase_type = ::tlm::tlm_phase;
};

inline constexpr unsigned frame_bus_width = 64;  // nominal: frames travel by reference
inline constexpr const char* frame_msg_type = "acim/frame";

using frame_fw_if = ::tlm::tlm_fw_transport_if<frame_protocol>;
using frame_bw_if = ::tlm::tlm_bw_transport_if<frame_protocol>;

// Initiator end of a frame link. The backward path exists only to satisfy the socket binding:
// nb_transport_bw is an error (LT only), DMI does not apply.
class frame_initiator_socket : public ::tlm::tlm_initiator_socket<frame_bus_width, frame_protocol> {
public:
    explicit frame_initiator_socket(const char* name);

private:
    struct backward final : frame_bw_if {
        explicit backward(const frame_initiator_socket& s) : socket(s) {}
        ::tlm::tlm_sync_enum nb_transport_bw(frame_payload& p, ::tlm::tlm_phase& phase, sc_core::sc_time& t) override;
        void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override;
        const frame_initiator_socket& socket;
    };
    backward m_bw;
};

// Shared by every frame_target_socket: refuses what an LT frame link does not do.
[[noreturn]] void frame_link_misuse(const char* socket, const char* what);

// Target end of a frame link: b_transport goes to a member function of the owning module;
// nb_transport_fw, DMI and debug transport are not part of the protocol.
template <class MODULE>
class frame_target_socket : public ::tlm::tlm_target_socket<frame_bus_width, frame_protocol> {
public:
    using callback = void (MODULE::*)(frame_payload&, sc_core::sc_time&);

    frame_target_socket(const char* name, MODULE* owner, callback cb) : tlm_target_socket(name), m_fw(*this, owner, cb) {
        this->bind(static_cast<frame_fw_if&>(m_fw));
    }

private:
    struct forward final : frame_fw_if {
        forward(const frame_target_socket& s, MODULE* o, callback c) : socket(s), owner(o), cb(c) {}
        void b_transport(frame_payload& p, sc_core::sc_time& t) override { (owner->*cb)(p, t); }
        ::tlm::tlm_sync_enum nb_transport_fw(frame_payload&, ::tlm::tlm_phase&, sc_core::sc_time&) override {
            frame_link_misuse(socket.name(), "nb_transport_fw (frame links are loosely timed)");
        }
        bool get_direct_mem_ptr(frame_payload&, ::tlm::tlm_dmi&) override { return false; }
        unsigned int transport_dbg(frame_payload&) override { return 0; }
        const frame_target_socket& socket;
        MODULE* owner;
        callback cb;
    };
    forward m_fw;
};

}  // namespace acim::tlm
