#include <acim/testbench/tlm_backend.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace acim::testbench {

using namespace acim::workloads;

tlm_backend::tlm_backend(const network& net, const backend_config& cfg, const network_map& map,
                         vp::cpu& cpu, const std::vector<std::uint64_t>& bases, const std::vector<unsigned>& irq_lines,
                         std::vector<const sc::acim_macro*> macros)
    : m_cfg(cfg), m_map(map), m_cpu(cpu), m_macros(std::move(macros)) {
    if (!m_macros.empty() && m_macros.size() != map.macros)
        throw std::invalid_argument("tlm_backend: " + std::to_string(m_macros.size()) + " macro handles for " +
                                    std::to_string(map.macros) + " macros");
    if (bases.size() != map.macros || irq_lines.size() != map.macros)
        throw std::invalid_argument("tlm_backend: the platform has " + std::to_string(bases.size()) +
                                    " macros, the mapping needs " + std::to_string(map.macros));
    for (std::size_t m = 0; m < map.macros; ++m)
        m_drivers.push_back(std::make_unique<vp::acim_driver>(cpu, bases[m], irq_lines[m]));
    m_resident.assign(map.macros, std::numeric_limits<std::size_t>::max());
    m_loaded_once.assign(map.pieces(), false);
    m_stats.resize(net.layers.size());
    m_costs.resize(net.layers.size());
    if (m_cfg.measure) m_meter = std::make_unique<reference_meter>(net, m_cfg.threads);
    if (m_cfg.threads > 1) m_host = core::thread_pool::shared(m_cfg.threads);
}

void tlm_backend::begin_batch(std::size_t first_item, std::size_t items) {
    m_first_item = first_item;
    m_items = items ? items : 1;
}

void tlm_backend::ensure_loaded(const mac_layer& l, const layer_piece& pc) {
    if (m_resident[pc.macro] == pc.index) return;
    vp::acim_driver& d = *m_drivers[pc.macro];
    vp::layer_config lc;
    lc.params = layer_params(l, m_cfg.macro);
    lc.rows = pc.rows();
    lc.outputs = pc.outputs();
    lc.tiles = pc.tiles;
    lc.key = piece_key(pc, m_cfg.seed, m_cfg.die);
    d.configure(lc);
    const std::vector<std::int32_t> w = piece_weights(l, pc);
    d.load_weights(w.data());
    layer_cost& c = m_costs[pc.layer];
    ++c.weight_loads;
    c.weight_bytes += pc.rows() * ((pc.outputs() * static_cast<std::size_t>(l.wbit) + 7) / 8);
    if (m_loaded_once[pc.index]) ++m_reloads;
    m_loaded_once[pc.index] = true;
    m_resident[pc.macro] = pc.index;
}

void tlm_backend::mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
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
    layer_cost& cost = m_costs[layer];
    const sc_core::sc_time t0 = m_cpu.local_time();
    const std::uint64_t first_vector = static_cast<std::uint64_t>(m_first_item) * (vectors / m_items);
    den = 0;
    // The first piece of each column range writes its outputs, the others (further row chunks)
    // add to them: no zero fill of the whole result. Pieces run in order, each over all vectors.
    std::vector<char> writes(pieces.size(), 0);
    {
        std::vector<char> covered(l.outputs, 0);
        for (std::size_t p = 0; p < pieces.size(); ++p) {
            const layer_piece& pc = pieces[p];
            writes[p] = !covered[pc.out_begin];
            for (std::size_t o = pc.out_begin; o < pc.out_begin + pc.outputs(); ++o) covered[o] = 1;
        }
        for (std::size_t o = 0; o < l.outputs; ++o)  // the mapping gives every output a piece; exact if not
            if (!covered[o])
                for (std::size_t v = 0; v < vectors; ++v) num[v * l.outputs + o] = 0;
    }

    // Waves: runs of pieces on distinct macros, which then compute side by side.
    for (std::size_t w0 = 0; w0 < pieces.size();) {
        std::vector<const layer_piece*> wave;
        std::vector<bool> busy(m_map.macros, false);
        std::size_t w1 = w0;
        for (; w1 < pieces.size() && !busy[pieces[w1].macro]; ++w1) {
            busy[pieces[w1].macro] = true;
            wave.push_back(&pieces[w1]);
        }
        std::vector<vp::macro_counters> before;
        std::vector<core::code_error_histogram> errors_before;
        for (const layer_piece* pc : wave) {
            ensure_loaded(l, *pc);
            before.push_back(m_drivers[pc->macro]->read_counters());
            if (!m_macros.empty()) errors_before.push_back(m_macros[pc->macro]->code_errors());
        }
        m_parts.resize(wave.size());
        std::size_t depth = std::numeric_limits<std::size_t>::max();
        for (const layer_piece* pc : wave) depth = std::min<std::size_t>(depth, m_drivers[pc->macro]->info().depth);
        for (std::size_t v0 = 0; v0 < vectors; v0 += depth) {
            const std::size_t n = std::min(depth, vectors - v0);
            for (const layer_piece* pc : wave) {
                const std::int32_t* xp = x + v0 * l.rows;
                if (!pc->whole_rows) {
                    slice_inputs(l, *pc, xp, n, m_xs);
                    xp = m_xs.data();
                }
                m_drivers[pc->macro]->submit(xp, n, first_vector + v0);
            }
            for (std::size_t q = 0; q < wave.size(); ++q) {
                const layer_piece& pc = *wave[q];
                vp::acim_driver& d = *m_drivers[pc.macro];
                const bool first = writes[static_cast<std::size_t>(wave[q] - pieces.data())];
                // A first piece holding every output reads its buffer straight into the result.
                const bool direct = first && pc.outputs() == l.outputs;
                if (direct) {
                    d.collect(num + v0 * l.outputs);
                } else {
                    m_parts[q].resize(n * pc.outputs());
                    d.collect(m_parts[q].data());
                }
                if (den == 0) den = d.denominator();
                else if (d.denominator() != den)
                    throw std::runtime_error("layer " + std::to_string(layer) + ": macros returned different OUT_DENOM");
                if (!direct)
                for (std::size_t v = 0; v < n; ++v) {
                    std::int64_t* dst = num + (v0 + v) * l.outputs + pc.out_begin;
                    const std::int64_t* src = m_parts[q].data() + v * pc.outputs();
                    if (first) std::copy(src, src + pc.outputs(), dst);
                    else
                        for (std::size_t o = 0; o < pc.outputs(); ++o) dst[o] += src[o];
                }
                ++cost.starts;
            }
        }
        for (std::size_t q = 0; q < wave.size(); ++q) {
            const layer_piece& pc = *wave[q];
            const vp::macro_counters d = m_drivers[pc.macro]->read_counters() - before[q];
            if (!m_macros.empty()) {
                const core::code_error_histogram& now = m_macros[pc.macro]->code_errors();
                const core::code_error_histogram& was = errors_before[q];
                const bool same_grid = was.weight_cycles == now.weight_cycles && was.act_cycles == now.act_cycles;
                st.code_errors += same_grid ? now - was : now;  // the macro restarted them on a new grid
            }
            cost.macro_cycles += d.cycles;
            cost.energy_fj += d.energy_fj;
            cost.macs += vectors * pc.rows() * pc.outputs();
            // CONVERSIONS counts ADC operations: S per voted cycle, digital cycles only in ADC mode.
            core::engine_counters& c = st.counters;
            const std::uint64_t digital_adc = m_cfg.macro.digital == core::digital_mode::adc ? d.digital_cycles : 0;
            const std::uint64_t analog =
                d.conversions - d.votes * static_cast<std::uint64_t>(m_cfg.macro.voting_samples) - digital_adc;
            c.adc_conversions += d.conversions;
            c.digital += d.digital_cycles;
            c.voted += d.votes;
            c.analog += analog;
            c.conversions += analog + d.votes + d.digital_cycles;
            c.saturations += d.saturations;
        }
        w0 = w1;
    }
    cost.elapsed += m_cpu.local_time() - t0;
    // With host threads the comparison with the exact result runs in the workers' idle time;
    // forward() keeps each layer's x and num until the batch's background tasks are done.
    if (m_meter && m_host) m_meter->measure_later(*m_host, layer, l, x, vectors, num, den, st);
    else if (m_meter) m_meter->measure(layer, l, x, vectors, num, den, st);
}

}  // namespace acim::testbench
