#include <acim/workloads/graph/core_backend.hpp>

#include <cmath>

namespace acim::workloads {

double layer_stats::sqnr_db() const {
    if (noise == 0.0) return INFINITY;
    return 10.0 * std::log10(signal / noise);
}


void declare(core::param_tree::scope& m, core::param_tree::scope& r, backend_config& b) {
    m.choice("tiling", b.channel_tiling, "conv row tiling: dense rows, or ASiM's whole-channel groups",
             {{"dense", false}, {"channel", true}})
        .set_field("channel_tiling");
    m.flag("asim_drop", b.asim_drop, "with channel tiling, drop trailing groups as ASiM does (bug B1)");
    m.indices("digital_layers", b.digital_layers, "list", "MAC layer indices computed digitally (exact): 0,2 or a JSON array");
    m.number("macros", b.macros, "macros",
             "physical macros; 0 = one per layer piece (weights written once), else pieces share macros round-robin and reload their weights");
    r.number("seed", b.seed, "seed", "random seed of every noise and mismatch stream");
    r.number("threads", b.threads, "threads", "host worker threads (results never depend on them)", 1, 256);
    r.number("die", b.die, "id", "die instance: static mismatch is frozen per die");
}

mapping_options mapping_of(const backend_config& cfg) {
    mapping_options m;
    m.geometry = cfg.geometry;
    m.macros = cfg.macros;
    m.channel_tiling = cfg.channel_tiling;
    m.asim_drop = cfg.asim_drop;
    m.digital_layers = cfg.digital_layers;
    return m;
}

acim::core::cim_params layer_params(const mac_layer& l, acim::core::cim_params p) {
    p.wbit = l.wbit;
    p.xbit = l.xbit;
    p.signed_act = l.signed_act;
    if (p.signed_act && p.act_enc >= p.xbit) p.act_enc = 1;
    return p;
}

reference_meter::reference_meter(const network& net, int threads) : m_net(net), m_ideal(threads), m_later(1) {
    m_later.prepare(net);
    m_refs.resize(net.layers.size());
}

void reference_meter::exact(std::size_t layer, const std::int32_t* x, std::size_t vectors, std::int64_t* num,
                            std::int64_t& den) {
    m_ideal.mac(layer, m_net.layers.at(layer), x, vectors, num, den);
}

void reference_meter::compare(const std::int64_t* ref, std::size_t count, const std::int64_t* num, std::int64_t den,
                              layer_stats& st) const {
    const double d = static_cast<double>(den);
    for (std::size_t k = 0; k < count; ++k) {
        const double ideal = static_cast<double>(ref[k]);
        const double err = (den == 1 ? static_cast<double>(num[k]) : static_cast<double>(num[k]) / d) - ideal;  // x / 1.0 == x
        st.signal += ideal * ideal;
        st.noise += err * err;
        st.max_abs_error = std::max(st.max_abs_error, std::fabs(err));
        st.exact += num[k] == ref[k] * den;
    }
    st.outputs += count;
}

void reference_meter::measure(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                              const std::int64_t* num, std::int64_t den, layer_stats& st) {
    m_ref.resize(vectors * l.outputs);
    std::int64_t ref_den = 1;
    exact(layer, x, vectors, m_ref.data(), ref_den);  // ref_den = 1: integer dot products
    compare(m_ref.data(), m_ref.size(), num, den, st);
}

void reference_meter::measure_later(core::thread_pool& pool, std::size_t layer, const mac_layer& l,
                                    const std::int32_t* x, std::size_t vectors, const std::int64_t* num,
                                    std::int64_t den, layer_stats& st) {
    pool.post([this, layer, &l, x, vectors, num, den, &st] {
        std::vector<std::int64_t>& ref = m_refs.at(layer);
        ref.resize(vectors * l.outputs);
        std::int64_t ref_den = 1;
        m_later.mac(layer, l, x, vectors, ref.data(), ref_den);
        compare(ref.data(), ref.size(), num, den, st);
    });
}

core_backend::core_backend(const network& net, backend_config cfg) : m_cfg(std::move(cfg)) {
    for (const mac_layer& l : net.layers)
        if (l.needs_ptq || l.w_int.size() != l.outputs * l.rows)
            throw model_error(l.name, "has no integer weights: quantise the float model first (graph/ptq.hpp)");
    m_map = map_network(net, m_cfg.macro, mapping_of(m_cfg));
    m_engines.resize(net.layers.size());
    m_stats.resize(net.layers.size());
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        const mac_layer& l = net.layers[k];
        for (const layer_piece& pc : m_map.layers[k]) {
            auto e = std::make_unique<acim::core::mvm_engine>(layer_params(l, m_cfg.macro),
                                                              acim::core::engine_options{m_cfg.threads});
            const std::vector<std::int32_t> w = piece_weights(l, pc);
            e->load_weights(w.data(), pc.outputs(), pc.rows(), pc.tiles);
            m_engines[k].push_back(std::move(e));
        }
    }
    if (m_cfg.measure) m_meter = std::make_unique<reference_meter>(net, m_cfg.threads);
    if (m_cfg.threads > 1) m_host = core::thread_pool::shared(m_cfg.threads);
}

void core_backend::begin_batch(std::size_t first_item, std::size_t items) {
    m_first_item = first_item;
    m_items = items ? items : 1;
}

void core_backend::mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                       std::int64_t* num, std::int64_t& den) {
    layer_stats& st = m_stats.at(layer);
    const auto& pieces = m_map.layers.at(layer);
    if (pieces.empty()) {  // digital layer: exact on the host
        if (m_meter) m_meter->exact(layer, x, vectors, num, den);
        else m_ideal.mac(layer, l, x, vectors, num, den);
        st.outputs += vectors * l.outputs;
        st.exact += vectors * l.outputs;
        return;
    }
    const std::size_t per_item = vectors / m_items;
    const std::uint64_t first_vector = static_cast<std::uint64_t>(m_first_item) * per_item;
    std::fill(num, num + vectors * l.outputs, 0);
    for (std::size_t q = 0; q < pieces.size(); ++q) {
        const layer_piece& pc = pieces[q];
        auto& e = *m_engines[layer][q];
        const std::int32_t* xp = x;
        if (!pc.whole_rows) {
            slice_inputs(l, pc, x, vectors, m_xs);
            xp = m_xs.data();
        }
        m_part.resize(vectors * pc.outputs());
        const auto before = e.counters();
        const auto errors_before = e.code_errors();
        e.run(xp, vectors, first_vector, piece_key(pc, m_cfg.seed, m_cfg.die), m_part.data());
        st.counters += e.counters() - before;
        st.code_errors += e.code_errors() - errors_before;
        den = e.denominator();
        for (std::size_t v = 0; v < vectors; ++v)
            for (std::size_t o = 0; o < pc.outputs(); ++o)
                num[v * l.outputs + pc.out_begin + o] += m_part[v * pc.outputs() + o];
    }
    if (m_meter) m_meter->measure(layer, l, x, vectors, num, den, st);
}

}  // namespace acim::workloads
