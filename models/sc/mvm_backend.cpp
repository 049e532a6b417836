#include <acim/sc/mvm_backend.hpp>

namespace acim::sc {

bool same_params(const core::cim_params& a, const core::cim_params& b) {
    return a.wbit == b.wbit && a.xbit == b.xbit && a.signed_act == b.signed_act && a.act_enc == b.act_enc &&
           a.row_parallelism == b.row_parallelism && a.adc_bits == b.adc_bits && a.hybrid_levels == b.hybrid_levels &&
           a.digital == b.digital && a.voting_levels == b.voting_levels && a.voting_samples == b.voting_samples &&
           a.vote == b.vote && a.sigma_rand == b.sigma_rand && a.sigma_nl == b.sigma_nl &&
           a.gain_compression == b.gain_compression && a.cell_sigma == b.cell_sigma &&
           a.cell_redraw == b.cell_redraw && a.weight_bit_parallel == b.weight_bit_parallel &&
           a.adc_arch == b.adc_arch && a.adcs == b.adcs && a.sigma_col_gain == b.sigma_col_gain &&
           a.sigma_col_offset == b.sigma_col_offset && a.sigma_cmp_offset == b.sigma_cmp_offset &&
           a.sigma_sar_cap == b.sigma_sar_cap && a.sigma_flash_th == b.sigma_flash_th;
}

engine_backend::engine_backend(core::engine_options opt) : m_opt(opt) {}

void engine_backend::compute(const mvm_job& job, mvm_result& out) {
    if (!m_engine || !same_params(m_params, job.params)) {
        m_engine.reset();
        m_loaded = false;
        m_engine = std::make_unique<core::mvm_engine>(job.params, m_opt);
        m_params = job.params;
    }
    if (!m_loaded || m_version != job.weights_version || m_outputs != job.outputs || m_rows != job.rows ||
        m_tiles != job.tiles) {
        m_loaded = false;  // stays false if load_weights throws
        m_engine->load_weights(job.weights, job.outputs, job.rows, job.tiles);
        m_loaded = true;
        m_version = job.weights_version;
        m_outputs = job.outputs;
        m_rows = job.rows;
        m_tiles = job.tiles;
    }
    // The engine writes every numerator (bit-serial kernels zero their own range first).
    if (job.params.weight_bit_parallel) out.numerators.assign(job.vectors * job.outputs, 0);
    else out.numerators.resize(job.vectors * job.outputs);
    m_engine->reset_counters();
    m_engine->run(job.inputs, job.vectors, job.first_vector, job.key, out.numerators.data(), nullptr, job.inputs_checked);
    out.denominator = m_engine->denominator();
    out.counters = m_engine->counters();
    out.code_errors = m_engine->code_errors();
    out.cycles = 0;
    out.active_rows.clear();
}

}  // namespace acim::sc
