#include <acim/sc/shift_add.hpp>

namespace acim::sc {

shift_add::shift_add(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_in("frame_in", this, &shift_add::b_transport) {}

void shift_add::configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity) {
    m_core = std::make_unique<core::shift_add_core>(std::move(plan), capacity);
}

void shift_add::b_transport(acim::tlm::frame_payload& f, sc_core::sc_time& delay) {
    if (!accept(f, m_core != nullptr)) return;
    const std::uint64_t before = m_counters.conversions;
    const bool ok = guarded(f, [&] {
        if (f.first) m_core->clear(f.id.vectors);
        m_core->accumulate(f.id, *f.data, m_counters);
        if (f.last) m_core->read(f.outputs);
    });
    if (!ok) return;
    m_stats.events += m_counters.conversions - before;
    delay += latency(f);
    if (f.end_of_run) {
        delay += clocks(m_cfg.drain_cycles);
        m_stats.busy_clocks += m_cfg.drain_cycles;
    }
    f.status = acim::tlm::frame_status::ok;
    served(f, delay);
}

}  // namespace acim::sc
