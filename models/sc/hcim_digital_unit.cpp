#include <acim/sc/hcim_digital_unit.hpp>

namespace acim::sc {

hcim_digital_unit::hcim_digital_unit(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_in("frame_in", this, &hcim_digital_unit::b_transport), frame_out("frame_out") {}

void hcim_digital_unit::configure(std::shared_ptr<const core::frame_plan> plan) {
    m_plan = plan;
    m_core = std::make_unique<core::digital_core>(std::move(plan));
}

void hcim_digital_unit::b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay) {
    if (!accept(f, m_core != nullptr)) return;
    if (!guarded(f, [&] { m_core->compute(f.id, *f.data, m_counters); })) return;
    const std::size_t digital = m_plan->bits(f.id.cycle, core::cycle_kind::digital).size();
    m_stats.events += f.id.vectors * m_plan->outputs() * digital * m_plan->tiles()[f.id.tile].size() *
                      static_cast<std::uint64_t>(m_plan->plan().act(f.id.cycle).width);
    const sc_core::sc_time done = f.start + latency(f);  // in parallel with the analog path
    if (done > delay) delay = done;
    served(f, delay);
    frame_out->b_transport(f, delay);
}

}  // namespace acim::sc
