// shift_add: the digital backend. Each code of a frame is scaled by its cycle's sign, full scale
// (or L for an exact digital count) and 2^(i + lo), and added into one exact accumulator per vector
// and output: numerators over L = 2^ADC_BITS - 1, as the output buffer holds them. It is pipelined
// behind the conversions, so only its drain (drain_cycles) shows, once per run. On the last frame
// of a range of vectors it writes their numerators to the output buffer.
//
// Energy events (stats().events): accumulated cycle results, one per vector and column.
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <memory>

namespace acim::sc {

class shift_add : public frame_block {
public:
    acim::tlm::frame_target_socket<shift_add> frame_in;

    shift_add(const sc_core::sc_module_name& name, const macro_config& cfg);

    void configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity);
    const core::shift_add_core* core() const { return m_core.get(); }
    const core::engine_counters& counters() const { return m_counters; }
    void reset_counters() { m_counters = {}; }

    static constexpr const char* msg_type = "acim/shift_add";

private:
    void b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay);

    std::unique_ptr<core::shift_add_core> m_core;
    core::engine_counters m_counters;
};

}  // namespace acim::sc
