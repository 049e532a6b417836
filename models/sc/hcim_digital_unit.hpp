// hcim_digital_unit: the hybrid-CiM digital unit. The MSB-corner cycles (HYBRID_LEVELS) are not
// converted: this unit takes their exact AND + popcount counts as codes, `digital_lanes` columns
// per pass, in parallel with the analog path (wordline settle, bitline, ADCs). In DIGITAL_MODE adc
// (ASiM, SEMANTICS B6) the count still passes the ADC transfer, without noise.
//
// Timing: the unit starts when the frame entered the wordline driver (frame_payload::start) and
// the frame leaves it at the later of the analog path's and its own completion.
// Energy events (stats().events): 1-bit AND + popcount operations, rows x slice width per vector
// and digital column.
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <memory>

namespace acim::sc {

class hcim_digital_unit : public frame_block {
public:
    acim::tlm::frame_target_socket<hcim_digital_unit> frame_in;
    acim::tlm::frame_initiator_socket frame_out;

    hcim_digital_unit(const sc_core::sc_module_name& name, const macro_config& cfg);

    void configure(std::shared_ptr<const core::frame_plan> plan);
    // Static mismatch of the ADC transfer in DIGITAL_MODE adc.
    void set_key(const core::stream_key& key) { m_core->set_key(key); }
    const core::digital_core* core() const { return m_core.get(); }
    const core::engine_counters& counters() const { return m_counters; }
    void reset_counters() { m_counters = {}; }

    static constexpr const char* msg_type = "acim/hcim_digital_unit";

private:
    void b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay);

    std::unique_ptr<core::digital_core> m_core;
    std::shared_ptr<const core::frame_plan> m_plan;
    core::engine_counters m_counters;
};

}  // namespace acim::sc
