// wordline_driver: the macro's input register and wordline DACs. Physically it loads the rows of
// the current row tile of each input vector from the input buffer into a register of bit planes,
// then, per activation cycle, drives each active row's wordline with that cycle's activation bits:
// one bit (bit-serial) or a multi-level slice through a DAC (bit-parallel). The frame it forwards
// carries the driven planes; the analog path pays the DAC settle time from here, and the HCiM
// digital unit starts in parallel from the frame's entry time (frame_payload::start).
//
// Energy events (stats().events): wordline drives, the rows of each vector with a nonzero slice in
// the cycles that have an analog or voted column (docs/timing.md).
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <algorithm>
#include <memory>

namespace acim::sc {

class wordline_driver : public frame_block {
public:
    acim::tlm::frame_target_socket<wordline_driver> frame_in;
    acim::tlm::frame_initiator_socket frame_out;

    wordline_driver(const sc_core::sc_module_name& name, const macro_config& cfg);

    // A new layer: its plan and the largest frame the controller sends.
    void configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity);
    const core::wordline_core* core() const { return m_core.get(); }
    // Wordline drive events per activation cycle since the last reset (the stats().events split by j).
    const std::vector<std::uint64_t>& active_rows() const { return m_active; }
    void reset_active_rows() { std::fill(m_active.begin(), m_active.end(), 0); }

    static constexpr const char* msg_type = "acim/wordline_driver";

private:
    void b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay);

    std::unique_ptr<core::wordline_core> m_core;
    std::vector<bool> m_array_cycle;  // [j]: some column of cycle j is analog or voted
    std::vector<std::uint64_t> m_active;  // [j]
};

}  // namespace acim::sc
