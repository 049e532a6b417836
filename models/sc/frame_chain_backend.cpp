#include <acim/sc/frame_chain_backend.hpp>

#include <algorithm>

namespace acim::sc {

frame_chain_backend::frame_chain_backend(const macro_config& cfg)
    : m_cfg(cfg),
      m_cost(cfg),
      m_clock(static_cast<double>(cfg.clock_period_ps), sc_core::SC_PS),
      m_controller(std::make_unique<controller>("controller", cfg)),
      m_wordline(std::make_unique<wordline_driver>("wordline_driver", cfg)),
      m_array(std::make_unique<sram_array>("sram_array", cfg)),
      m_adc(std::make_unique<adc_bank>("adc_bank", cfg)),
      m_digital(std::make_unique<hcim_digital_unit>("hcim_digital_unit", cfg)),
      m_shift_add(std::make_unique<shift_add>("shift_add", cfg)) {
    m_controller->frame_out.bind(m_wordline->frame_in);
    m_wordline->frame_out.bind(m_array->frame_in);
    m_array->frame_out.bind(m_adc->frame_in);
    m_adc->frame_out.bind(m_digital->frame_in);
    m_digital->frame_out.bind(m_shift_add->frame_in);
}

frame_chain_backend::~frame_chain_backend() = default;

std::vector<frame_block*> frame_chain_backend::blocks() {
    return {m_controller.get(), m_wordline.get(), m_array.get(), m_adc.get(), m_digital.get(), m_shift_add.get()};
}

void frame_chain_backend::configure(const mvm_job& job) {
    if (m_plan && same_params(m_plan->params(), job.params) && m_plan->outputs() == job.outputs &&
        m_plan->rows() == job.rows && m_plan->tiles() == job.tiles)
        return;
    m_plan.reset();
    m_loaded = false;
    auto plan = std::make_shared<const core::frame_plan>(job.params, job.outputs, job.rows, job.tiles);
    const std::size_t capacity = std::min<std::size_t>(m_cfg.frame_vectors, m_cfg.input_depth);
    m_controller->configure(plan, capacity);
    m_wordline->configure(plan, capacity);
    m_array->configure(plan);
    m_adc->configure(plan);
    m_digital->configure(plan);
    m_shift_add->configure(plan, capacity);
    m_plan = std::move(plan);
}

void frame_chain_backend::set_timing(const mvm_job& job) {
    run_shape s;
    s.params = &m_plan->params();
    s.plan = &m_plan->plan();
    s.adc = job.params.adc_arch;
    s.outputs = job.outputs;
    s.rows = job.rows;
    s.tiles = &m_plan->tiles();
    const auto Q = static_cast<std::size_t>(m_plan->act_cycles());
    std::vector<std::uint64_t> dac(Q), bitline(Q), adc(Q), digital(Q);
    for (std::size_t j = 0; j < Q; ++j) {
        const cycle_clocks c = m_cost.activation_cycle_parts(s, static_cast<int>(j));
        dac[j] = c.dac;
        bitline[j] = c.bitline;
        adc[j] = c.adc;
        digital[j] = c.digital;
    }
    m_wordline->set_cycle_clocks(std::move(dac));
    m_array->set_cycle_clocks(std::move(bitline));
    m_adc->set_cycle_clocks(std::move(adc));
    m_adc->set_kind(job.params.adc_arch);
    m_digital->set_cycle_clocks(std::move(digital));
    m_shift_add->set_cycle_clocks(std::vector<std::uint64_t>(Q, 0));  // pipelined: only the drain shows
}

void frame_chain_backend::compute(const mvm_job& job, mvm_result& out) {
    configure(job);
    if (!m_loaded || m_version != job.weights_version) {
        m_array->load_weights(job.weights);
        m_loaded = true;
        m_version = job.weights_version;
    }
    if (!job.inputs_checked) m_plan->check_inputs(job.inputs, job.vectors);
    m_adc->set_key(job.key);
    m_array->set_key(job.key);
    m_digital->set_key(job.key);
    set_timing(job);
    m_adc->reset_counters();
    m_wordline->reset_active_rows();
    m_digital->reset_counters();
    m_shift_add->reset_counters();

    out.numerators.assign(job.vectors * job.outputs, 0);
    const sc_core::sc_time t = m_controller->run(job.inputs, job.vectors, job.first_vector, out.numerators.data());
    out.denominator = m_plan->denominator();
    out.counters = m_adc->counters();
    out.counters += m_digital->counters();
    out.counters += m_shift_add->counters();
    out.cycles = t.value() / m_clock.value();
    out.active_rows = m_wordline->active_rows();
}

}  // namespace acim::sc
