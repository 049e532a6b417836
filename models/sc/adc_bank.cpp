#include <acim/sc/adc_bank.hpp>

namespace acim::sc {

adc_bank::adc_bank(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_in("frame_in", this, &adc_bank::b_transport), frame_out("frame_out") {}

void adc_bank::configure(std::shared_ptr<const core::frame_plan> plan) {
    m_columns = plan->columns();
    m_core = std::make_unique<core::adc_core>(std::move(plan));
}

std::uint64_t adc_bank::mux_ratio() const { return (m_columns + m_cfg.adcs - 1) / m_cfg.adcs; }

void adc_bank::b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay) {
    if (!accept(f, m_core != nullptr)) return;
    const std::uint64_t before = m_counters.adc_conversions;
    if (!guarded(f, [&] { m_core->convert(f.id, *f.data, m_counters); })) return;
    m_stats.events += m_counters.adc_conversions - before;
    delay += latency(f);
    served(f, delay);
    frame_out->b_transport(f, delay);
}

}  // namespace acim::sc
