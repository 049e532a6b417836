// controller: the macro's sequencer. After START it latches the configuration (start_cycles), then
// walks the batch in frames: per range of frame_vectors vectors, per row tile, per activation
// cycle, one frame down the datapath (wordline_driver -> sram_array -> adc_bank ->
// hcim_digital_unit -> shift_add), each block adding its latency to the annotated delay. The run
// ends when the last frame has left the drained shift-add. Nothing waits: the run's time is the
// annotated delay it returns.
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <memory>

namespace acim::sc {

class controller : public frame_block {
public:
    acim::tlm::frame_initiator_socket frame_out;

    controller(const sc_core::sc_module_name& name, const macro_config& cfg);

    // A new layer; frames hold at most `capacity` vectors.
    void configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity);
    // Runs a batch x [vectors][rows] through the chain; out [vectors][outputs] receives the
    // numerators. Returns the annotated time from START to the drained shift-add. Throws
    // std::runtime_error if a block failed a frame.
    sc_core::sc_time run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector, std::int64_t* out);
    const core::frame_sequencer* core() const { return m_core.get(); }

    static constexpr const char* msg_type = "acim/controller";

private:
    std::unique_ptr<core::frame_sequencer> m_core;
    std::shared_ptr<const core::frame_plan> m_plan;
    std::unique_ptr<core::frame_data> m_frame;  // the frame buffers the blocks work on
    acim::tlm::frame_payload m_payload;
};

}  // namespace acim::sc
