// sram_array: the weight SRAM. Column c = o * WBIT + i stores bit-plane i of output o's weights;
// for each frame every column evaluates its count, sum over the tile's rows of
// weight bit AND driven activation slice, 2^t-weighted across a bit-parallel slice: on the bitline
// for the analog and voted columns, through the digital read-out for the HCiM columns. With
// current-domain cell variation it also forms each converted column's real-valued deviation.
//
// Energy events (stats().events): bitline evaluations, one per vector and analog or voted column.
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <memory>

namespace acim::sc {

class sram_array : public frame_block {
public:
    acim::tlm::frame_target_socket<sram_array> frame_in;
    acim::tlm::frame_initiator_socket frame_out;

    sram_array(const sc_core::sc_module_name& name, const macro_config& cfg);

    // A new layer (weights follow through load_weights).
    void configure(std::shared_ptr<const core::frame_plan> plan);
    // Weight codes [outputs][rows] of the configured layer; throws core::data_error for bad codes.
    void load_weights(const std::int32_t* w) { m_core->load_weights(w); }
    // The run's noise key (the cell variation is frozen per die and column base).
    void set_key(const core::stream_key& key) { m_core->set_key(key); }
    const core::array_core* core() const { return m_core.get(); }

    static constexpr const char* msg_type = "acim/sram_array";

private:
    void b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay);

    std::unique_ptr<core::array_core> m_core;
    std::vector<std::uint64_t> m_bitline_columns;  // [j]: analog and voted columns of cycle j
};

}  // namespace acim::sc
