#include <acim/sc/sram_array.hpp>

namespace acim::sc {

sram_array::sram_array(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_in("frame_in", this, &sram_array::b_transport), frame_out("frame_out") {}

void sram_array::configure(std::shared_ptr<const core::frame_plan> plan) {
    m_bitline_columns.assign(static_cast<std::size_t>(plan->act_cycles()), 0);
    for (int j = 0; j < plan->act_cycles(); ++j)
        m_bitline_columns[static_cast<std::size_t>(j)] =
            plan->outputs() *
            (plan->bits(j, core::cycle_kind::analog).size() + plan->bits(j, core::cycle_kind::voted).size());
    m_core = std::make_unique<core::array_core>(std::move(plan));
}

void sram_array::b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay) {
    if (!accept(f, m_core != nullptr)) return;
    if (!guarded(f, [&] { m_core->evaluate(f.id, *f.data); })) return;
    m_stats.events += f.id.vectors * m_bitline_columns[static_cast<std::size_t>(f.id.cycle)];
    delay += latency(f);
    served(f, delay);
    frame_out->b_transport(f, delay);
}

}  // namespace acim::sc
