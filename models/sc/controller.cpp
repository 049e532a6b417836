#include <acim/sc/controller.hpp>

#include <stdexcept>

namespace acim::sc {

controller::controller(const sc_core::sc_module_name& name, const macro_config& cfg)
    : frame_block(name, cfg), frame_out("frame_out") {}

void controller::configure(std::shared_ptr<const core::frame_plan> plan, std::size_t capacity) {
    m_frame = std::make_unique<core::frame_data>(*plan, capacity);
    m_core = std::make_unique<core::frame_sequencer>(plan, capacity);
    m_plan = std::move(plan);
}

sc_core::sc_time controller::run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector,
                                 std::int64_t* out) {
    if (!m_core) throw std::logic_error(std::string(name()) + ": run before configuration");
    sc_core::sc_time delay = clocks(m_cfg.start_cycles);
    m_stats.busy_clocks += m_cfg.start_cycles;
    const std::size_t rows = m_plan->rows(), outputs = m_plan->outputs();
    core::frame_step s;
    m_core->begin(vectors, first_vector);
    while (m_core->next(s)) {
        acim::tlm::frame_payload& f = m_payload;
        f.id = s.id;
        f.latch = s.latch;
        f.first = s.first;
        f.last = s.last;
        f.end_of_run = s.end_of_run;
        f.inputs = x + s.offset * rows;
        f.data = m_frame.get();
        f.outputs = out + s.offset * outputs;
        f.start = delay;
        f.status = acim::tlm::frame_status::incomplete;
        f.error.clear();
        frame_out->b_transport(f, delay);
        if (f.status != acim::tlm::frame_status::ok) {
            const std::string why = f.status == acim::tlm::frame_status::error
                                        ? f.error
                                        : std::string(name()) + ": a frame left the chain unfinished";
            throw std::runtime_error(why);
        }
        served(f, delay);
    }
    return delay;
}

}  // namespace acim::sc
