// adc_bank: the macro's ADCs and their column mux. `adcs` converters (SAR: one clock per bit;
// flash: one clock; the ideal ADC of SEMANTICS.md: one clock) serve the columns, column c on ADC
// c mod adcs, one conversion after another, so the busiest converter sets a cycle's pace. Each
// analog column is converted once; each voted column S times, and the bank keeps the majority
// code. Noise and static mismatch (per-column tables: column gain/offset, the thresholds of the
// column's ADC) come from the core's conversion tables and keyed random streams, so the codes
// equal mvm_engine's bit for bit.
//
// Energy events (stats().events): ADC conversions (S per voted column).
#pragma once

#include <acim/core/frame_ops.hpp>
#include <acim/sc/frame_block.hpp>

#include <memory>

namespace acim::sc {

class adc_bank : public frame_block {
public:
    acim::tlm::frame_target_socket<adc_bank> frame_in;
    acim::tlm::frame_initiator_socket frame_out;

    adc_bank(const sc_core::sc_module_name& name, const macro_config& cfg);

    // A new layer (its conversion tables are built here).
    void configure(std::shared_ptr<const core::frame_plan> plan);
    // ADC architecture of the run (ADC_KIND): it sets the conversion time here; the codes follow
    // it through the core parameters (core::cim_params::adc_arch: which static-mismatch models
    // apply, docs/models.md), identical to the ideal ADC while every mismatch sigma is 0.
    void set_kind(adc_kind kind) { m_kind = kind; }
    void set_key(const core::stream_key& key) { m_core->set_key(key); }
    adc_kind converter() const { return m_kind; }
    std::uint32_t adcs() const { return m_cfg.adcs; }
    // Columns per ADC of the configured layer: ceil(outputs * WBIT / adcs).
    std::uint64_t mux_ratio() const;
    const core::adc_core* core() const { return m_core.get(); }
    // Events of the frames converted since the last reset.
    const core::engine_counters& counters() const { return m_counters; }
    void reset_counters() { m_counters = {}; }

    static constexpr const char* msg_type = "acim/adc_bank";

private:
    void b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay);

    std::unique_ptr<core::adc_core> m_core;
    std::uint64_t m_columns = 0;
    adc_kind m_kind = adc_kind::sar;
    core::engine_counters m_counters;
};

}  // namespace acim::sc
