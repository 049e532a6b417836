#include <acim/core/mismatch.hpp>

#include <acim/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

namespace acim::core {

namespace {

// Parameter tags of the mismatch streams.
enum class param_tag : std::uint64_t { col_gain = 1, col_offset = 2, cmp_offset = 3, sar_cap = 4, flash_th = 5 };

// N(0, 1) draw number `index` of parameter `tag` of physical instance `unit` (column or ADC).
double unit_normal(const stream_key& key, param_tag tag, std::uint64_t unit, std::uint64_t index) {
    std::uint64_t h = stream_base(key, stream_kind::mismatch);  // seed, die, macro: never epoch or layer
    h = key_fold(h, static_cast<std::uint64_t>(tag));
    h = key_fold(h, unit);
    return gaussian_from_u63(draw63(h, index));
}

}  // namespace

column_mismatch draw_column_mismatch(const cim_params& p, const stream_key& key, std::uint64_t col) {
    column_mismatch m;
    if (p.sigma_col_gain > 0.0) m.gain = p.sigma_col_gain / 100.0 * unit_normal(key, param_tag::col_gain, col, 0);
    if (p.sigma_col_offset > 0.0)
        m.offset = p.sigma_col_offset / 100.0 * unit_normal(key, param_tag::col_offset, col, 0);
    return m;
}

std::vector<double> ideal_thresholds(std::int64_t top) {
    std::vector<double> e(static_cast<std::size_t>(top));
    for (std::int64_t k = 1; k <= top; ++k)
        e[static_cast<std::size_t>(k - 1)] = (static_cast<double>(k) - 0.5) / static_cast<double>(top);
    return e;
}

std::int32_t sar_search(const std::vector<double>& node, int bits, double x) {
    std::uint32_t d = 0;
    for (int b = bits - 1; b >= 0; --b) {
        const std::uint32_t trial = d | (1u << b);
        if (x >= node[trial - 1]) d = trial;
    }
    return static_cast<std::int32_t>(d);
}

std::vector<double> sar_effective_thresholds(const std::vector<double>& node, int bits) {
    // The search result only changes at node thresholds and is right-continuous there; it is
    // monotone (two inputs part at the first node that separates them, the larger one keeping
    // the bit), so E_k is the first breakpoint whose code reaches k.
    std::vector<double> bp(node);
    std::sort(bp.begin(), bp.end());
    bp.erase(std::unique(bp.begin(), bp.end()), bp.end());
    const std::size_t top = node.size();
    std::vector<double> e(top, std::numeric_limits<double>::infinity());
    std::size_t k = 0;  // thresholds E_1..E_k are set
    for (const double x : bp) {
        const auto code = static_cast<std::size_t>(sar_search(node, bits, x));
        while (k < code && k < top) e[k++] = x;
    }
    return e;
}

adc_mismatch draw_adc_mismatch(const cim_params& p, const stream_key& key, std::uint64_t adc) {
    adc_mismatch m;
    const std::int64_t top = p.adc_top();
    const double L = static_cast<double>(top);
    if (p.sigma_cmp_offset > 0.0 && p.adc_arch != adc_architecture::ideal)
        m.comparator_offset = p.sigma_cmp_offset / 100.0 * unit_normal(key, param_tag::cmp_offset, adc, 0);
    switch (p.adc_arch) {
    case adc_architecture::ideal:
        m.raw = ideal_thresholds(top);
        m.thresholds = std::make_shared<const std::vector<double>>(m.raw);
        break;
    case adc_architecture::sar: {
        // Bit b is 2^b unit capacitors with independent relative error sigma_cap: its weight
        // error has sigma_cap / sqrt(2^b).
        m.cap_error.assign(static_cast<std::size_t>(p.adc_bits), 0.0);
        if (p.sigma_sar_cap > 0.0)
            for (int b = 0; b < p.adc_bits; ++b)
                m.cap_error[static_cast<std::size_t>(b)] = p.sigma_sar_cap / 100.0 / std::sqrt(std::ldexp(1.0, b)) *
                                                            unit_normal(key, param_tag::sar_cap, adc, static_cast<std::uint64_t>(b));
        std::vector<double> weight(static_cast<std::size_t>(p.adc_bits));
        for (int b = 0; b < p.adc_bits; ++b)
            weight[static_cast<std::size_t>(b)] = std::ldexp(1.0, b) * (1.0 + m.cap_error[static_cast<std::size_t>(b)]);
        m.raw.resize(static_cast<std::size_t>(top));
        for (std::int64_t d = 1; d <= top; ++d) {
            double dac = 0.0;
            for (int b = 0; b < p.adc_bits; ++b)
                if ((d >> b) & 1) dac += weight[static_cast<std::size_t>(b)];
            m.raw[static_cast<std::size_t>(d - 1)] = (dac - 0.5) / L + m.comparator_offset;
        }
        m.thresholds = std::make_shared<const std::vector<double>>(sar_effective_thresholds(m.raw, p.adc_bits));
        break;
    }
    case adc_architecture::flash: {
        m.raw = ideal_thresholds(top);
        for (std::int64_t k = 1; k <= top; ++k) {
            double& t = m.raw[static_cast<std::size_t>(k - 1)];
            if (p.sigma_flash_th > 0.0)
                t += p.sigma_flash_th / 100.0 * unit_normal(key, param_tag::flash_th, adc, static_cast<std::uint64_t>(k));
            t += m.comparator_offset;
        }
        // Thermometer code with bubbles, decoded by counting the comparators that fire: the code
        // is #{k : x >= T_k} = #{k : x >= sorted T}.
        std::vector<double> e(m.raw);
        std::sort(e.begin(), e.end());
        m.thresholds = std::make_shared<const std::vector<double>>(std::move(e));
        break;
    }
    }
    return m;
}

mismatch_tables::mismatch_tables(const cim_params& p, std::size_t columns, const stream_key& key, bool converted,
                                 bool digital)
    : m_key(key) {
    if (!p.mismatch()) throw_parameter("mismatch", 0, "mismatch_tables needs a static mismatch sigma > 0");
    const cycle_plan plan(p);
    const int P = plan.weight_cycles();
    m_q = plan.act_cycles();
    const adc_model m = adc_model::of(p);
    m_index.assign(columns * static_cast<std::size_t>(m_q), -1);
    std::map<std::uint64_t, adc_mismatch> adcs;
    std::map<std::tuple<std::uint64_t, double, double, std::int64_t, bool>, int> made;
    struct spec {
        static_transfer st;
        std::int64_t fs = 0;
        bool noisy = false;
    };
    std::vector<spec> specs;  // the distinct tables, built once their number is known
    for (std::size_t col = 0; col < columns; ++col) {
        const int i = static_cast<int>(col % static_cast<std::size_t>(P));
        const std::uint64_t phys = physical_column(key, col);
        const std::uint64_t a = adc_of(p, phys);
        column_mismatch cm;
        bool drawn = false;
        for (int j = 0; j < m_q; ++j) {
            const cycle_kind k = plan.kind(i, j);
            const bool conv = converted && (k == cycle_kind::analog || k == cycle_kind::voted);
            const bool dig = digital && k == cycle_kind::digital && p.digital == digital_mode::adc;
            if (!conv && !dig) continue;
            if (!drawn) {
                cm = draw_column_mismatch(p, key, phys);
                drawn = true;
            }
            auto ai = adcs.find(a);
            if (ai == adcs.end()) ai = adcs.emplace(a, draw_adc_mismatch(p, key, a)).first;
            const bool noisy = conv && (p.sigma_rand > 0.0 || p.sigma_nl > 0.0);
            const std::int64_t fs = plan.act(j).fs;
            const auto id = std::make_tuple(a, cm.gain, cm.offset, fs, noisy);
            auto it = made.find(id);
            if (it == made.end()) {
                spec sp;
                sp.st.gain = cm.gain;
                sp.st.offset = cm.offset;
                sp.st.thresholds = ai->second.thresholds;
                sp.fs = fs;
                sp.noisy = noisy;
                specs.push_back(std::move(sp));
                it = made.emplace(id, static_cast<int>(specs.size() - 1)).first;
            }
            m_index[col * static_cast<std::size_t>(m_q) + static_cast<std::size_t>(j)] = it->second;
        }
    }
    // The guide tables of a layer share a budget of 2^22 entries (16 MiB), between 2^12 and the
    // default 2^20 per table: many tables (one per column or ADC) stay small enough for the
    // caches; the codes never depend on it.
    std::size_t guide = std::size_t{1} << 20;
    while (guide > (std::size_t{1} << 12) && guide * specs.size() > (std::size_t{1} << 22)) guide >>= 1;
    m_tables.reserve(specs.size());
    for (spec& sp : specs) {
        sp.st.max_guide_entries = guide;
        m_tables.emplace_back(sp.fs, m, sp.noisy, &sp.st);
        m_any_direct = m_any_direct || m_tables.back().direct();
    }
}

const conversion_table& mismatch_tables::table(std::size_t column, int j) const {
    const conversion_table* t = find(column, j);
    if (t == nullptr) throw data_error("mismatch_tables: column " + to_text(column) + ", cycle " + to_text(j) + " has no ADC");
    return *t;
}

bool mismatch_tables::matches(const stream_key& k) const {
    return k.seed == m_key.seed && k.die == m_key.die && k.macro == m_key.macro;
}

}  // namespace acim::core
