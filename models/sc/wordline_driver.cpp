#include <acim/sc/wordline_driver.hpp>

namespace acim::sc {

wordline_driver::wordline_driver(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_in("frame_in", this, &wordline_driver::b_transport), frame_out("frame_out") {}

void wordline_driver::configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity) {
    m_array_cycle.assign(static_cast<std::size_t>(plan->act_cycles()), false);
    for (int j = 0; j < plan->act_cycles(); ++j)
        m_array_cycle[static_cast<std::size_t>(j)] =
            !plan->bits(j, core::cycle_kind::analog).empty() || !plan->bits(j, core::cycle_kind::voted).empty();
    m_active.assign(m_array_cycle.size(), 0);
    m_core = std::make_unique<core::wordline_core>(std::move(plan), capacity);
}

void wordline_driver::b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay) {
    if (!accept(f, m_core != nullptr)) return;
    f.start = delay;
    const bool ok = guarded(f, [&] {
        if (f.latch) m_core->latch(f.inputs, f.id.tile, f.id.vectors);
        m_core->drive(f.id, *f.data);
        const auto j = static_cast<std::size_t>(f.id.cycle);
        if (m_array_cycle[j]) {
            const std::uint64_t n = m_core->active_rows(f.id.cycle);
            m_active[j] += n;
            m_stats.events += n;
        }
    });
    if (!ok) return;
    delay += latency(f);
    served(f, delay);
    frame_out->b_transport(f, delay);
}

}  // namespace acim::sc
