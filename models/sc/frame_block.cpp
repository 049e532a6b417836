#include <acim/sc/frame_block.hpp>

namespace acim::sc {

frame_block::frame_block(const sc_core::sc_module_name& name, const macro_config& cfg)
    : sc_module(name),
      m_cfg(cfg),
      m_clock_value(sc_core::sc_time(static_cast<double>(cfg.clock_period_ps), sc_core::SC_PS).value()) {}

bool frame_block::accept(acim::tlm::frame_payload& f, bool configured) {
    if (f.status != acim::tlm::frame_status::incomplete) return false;
    if (!configured) {
        f.fail(std::string(name()) + ": frame before configuration");
        return false;
    }
    return true;
}

sc_core::sc_time frame_block::latency(const acim::tlm::frame_payload& f) {
    const auto j = static_cast<std::size_t>(f.id.cycle);
    const std::uint64_t n = j < m_cycle_clocks.size() ? m_cycle_clocks[j] * f.id.vectors : 0;
    m_stats.busy_clocks += n;
    return clocks(n);
}

void frame_block::served(const acim::tlm::frame_payload& f, const sc_core::sc_time& delay) {
    ++m_stats.frames;
    m_stats.vectors += f.id.vectors;
    if (m_monitor != nullptr) m_monitor->on_frame(*this, f, delay);
    if (sc_core::sc_report_handler::get_verbosity_level() >= sc_core::SC_DEBUG) {
        const std::string msg = std::string(name()) + ": frame tile " + std::to_string(f.id.tile) + " cycle " +
                                std::to_string(f.id.cycle) + " vectors " + std::to_string(f.id.first_vector) + "+" +
                                std::to_string(f.id.vectors) + " done at +" + delay.to_string();
        SC_REPORT_INFO_VERB(acim::tlm::frame_msg_type, msg.c_str(), sc_core::SC_DEBUG);
    }
}

}  // namespace acim::sc
