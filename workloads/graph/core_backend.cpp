#include "graph/core_backend.hpp"

#include <cmath>

namespace acim::workloads {

double layer_stats::sqnr_db() const {
    if (noise == 0.0) return INFINITY;
    return 10.0 * std::log10(signal / noise);
}

acim::core::cim_params exact_config() {
    acim::core::cim_params p;  // defaults: nrow 255, 8-bit ADC, bit-serial, no noise, no HCiM
    return p;
}

namespace {
std::unique_ptr<acim::core::mvm_engine> make_engine(const mac_layer& l, acim::core::cim_params p, int threads,
                                                    bool channel_tiling, bool asim_drop) {
    p.wbit = l.wbit;
    p.xbit = l.xbit;
    p.signed_act = l.signed_act;
    if (p.signed_act && p.act_enc >= p.xbit) p.act_enc = 1;
    auto e = std::make_unique<acim::core::mvm_engine>(p, acim::core::engine_options{threads});
    std::vector<acim::core::row_tile> tiles =
        (l.conv && channel_tiling)
            ? acim::core::channel_tiling(l.geom.in_channels, l.geom.kernel, p.row_parallelism, asim_drop)
            : acim::core::dense_tiling(l.rows, p.row_parallelism);
    e->load_weights(l.w_int.data(), l.outputs, l.rows, std::move(tiles));
    return e;
}
}  // namespace

core_backend::core_backend(const network& net, backend_config cfg) : m_cfg(std::move(cfg)) {
    m_engines.resize(net.layers.size());
    m_exact.resize(net.layers.size());
    m_stats.resize(net.layers.size());
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        const mac_layer& l = net.layers[k];
        if (l.needs_ptq || l.w_int.size() != l.outputs * l.rows)
            throw model_error(l.name, "has no integer weights: quantise the float model first (graph/ptq.hpp)");
        if (!m_cfg.digital_layers.count(k))
            m_engines[k] = make_engine(l, m_cfg.macro, m_cfg.threads, m_cfg.channel_tiling, m_cfg.asim_drop);
        if (m_cfg.measure) m_exact[k] = make_engine(l, exact_config(), m_cfg.threads, false, false);
    }
}

void core_backend::begin_batch(std::size_t first_item, std::size_t items) {
    m_first_item = first_item;
    m_items = items ? items : 1;
}

void core_backend::mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                       std::int64_t* num, std::int64_t& den) {
    auto& e = m_engines.at(layer);
    layer_stats& st = m_stats[layer];
    if (!e) {  // digital layer: exact on the host
        if (m_exact[layer]) {
            m_exact[layer]->run(x, vectors, 0, {}, num);
            den = m_exact[layer]->denominator();
        } else {
            m_ideal.mac(layer, l, x, vectors, num, den);
        }
        st.outputs += vectors * l.outputs;
        st.exact += vectors * l.outputs;
        return;
    }
    acim::core::stream_key key;
    key.seed = m_cfg.seed;
    key.die = m_cfg.die;
    key.layer = static_cast<std::uint32_t>(layer);
    const std::size_t per_item = vectors / m_items;
    const auto before = e->counters();
    e->run(x, vectors, static_cast<std::uint64_t>(m_first_item) * per_item, key, num);
    den = e->denominator();
    st.counters += e->counters() - before;
    if (!m_cfg.measure) return;
    m_ref.resize(vectors * l.outputs);
    m_exact[layer]->run(x, vectors, 0, {}, m_ref.data());
    const std::int64_t ref_den = m_exact[layer]->denominator();
    const double d = static_cast<double>(den);
    for (std::size_t k = 0; k < m_ref.size(); ++k) {
        m_ref[k] /= ref_den;  // exact: the lossless engine's numerators are multiples of L
        const double ideal = static_cast<double>(m_ref[k]);
        const double err = static_cast<double>(num[k]) / d - ideal;
        st.signal += ideal * ideal;
        st.noise += err * err;
        st.max_abs_error = std::max(st.max_abs_error, std::fabs(err));
        st.exact += num[k] == m_ref[k] * den;
    }
    st.outputs += m_ref.size();
}

}  // namespace acim::workloads
