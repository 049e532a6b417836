// Static mismatch of the analog datapath, frozen per die (docs/models.md). Each physical column c
// has a gain and an offset on its normalised analog value, v' = (1 + g_c) v + o_c. Each ADC has
// a set of decision thresholds that replace the ideal ones (k - 1/2) / L: a SAR's come from its
// binary search over a capacitor DAC whose bit b weighs 2^b (1 + eps_b) (capacitor-mismatch
// DNL/INL) plus one comparator offset; a flash's from L comparators, each with its own threshold
// error, plus a shared offset, decoded by counting the comparators that fire (bubbles are
// tolerated). Column c converts on ADC c mod adcs. Every parameter is drawn from a keyed stream
// (seed, die, macro, physical column or ADC, parameter, bit): never from execution order.
//
// A column's transfer, with the ADC it uses, is a static_transfer; mismatch_tables turns the
// transfers of a layer's columns into conversion tables, so noisy conversions stay exactly
// sampled from one uniform, as without mismatch.
#pragma once

#include <acim/core/adc.hpp>
#include <acim/core/cim_params.hpp>
#include <acim/core/rng.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace acim::core {

struct column_mismatch {
    double gain = 0.0;    // g_c
    double offset = 0.0;  // o_c, normalised units (fraction of full scale)
};

struct adc_mismatch {
    double comparator_offset = 0.0;  // normalised units, added to every threshold
    std::vector<double> cap_error;   // SAR: eps_b of bit b = 0..N-1 (relative)
    // SAR: the threshold of the binary-search node that tries code d, T(d) = (DAC(d) - 1/2)/L + o,
    // at [d - 1]; flash: comparator k's threshold (k - 1/2)/L + delta_k + o at [k - 1].
    std::vector<double> raw;
    // Effective decision thresholds E_1 <= ... <= E_L: code = #{k : x >= E_k}.
    std::shared_ptr<const std::vector<double>> thresholds;
};

// Physical column of layer column `column` (o * wbit + i): the SRAM column itself. Static
// mismatch belongs to the silicon (MACRO_ID, the column, its ADC), so the logical COLUMN_BASE
// that keeps temporal noise streams apart does not enter: the same column of the same macro has
// the same mismatch whichever piece of a layer it holds.
inline std::uint64_t physical_column(const stream_key& key, std::size_t column) {
    (void)key;
    return column;
}
// The ADC a physical column converts on.
inline std::uint64_t adc_of(const cim_params& p, std::uint64_t physical_col) {
    return p.adcs > 0 ? physical_col % static_cast<std::uint64_t>(p.adcs) : physical_col;
}

column_mismatch draw_column_mismatch(const cim_params& p, const stream_key& key, std::uint64_t physical_col);
adc_mismatch draw_adc_mismatch(const cim_params& p, const stream_key& key, std::uint64_t adc);

// Ideal thresholds (k - 1/2) / L, k = 1..L.
std::vector<double> ideal_thresholds(std::int64_t top);
// The effective thresholds of a binary search over node thresholds node[d - 1] = T(d), d = 1..L
// (L = 2^bits - 1): E_k = the smallest x whose search ends at a code >= k (+inf if none). The
// search is monotone in x, so code(x) = #{k : x >= E_k} exactly.
std::vector<double> sar_effective_thresholds(const std::vector<double>& node, int bits);
// Code of the binary search itself (v >= T(trial) keeps the bit).
std::int32_t sar_search(const std::vector<double>& node, int bits, double x);

// The conversion tables of a layer's columns under static mismatch.
class mismatch_tables {
public:
    // Tables for every column (0..columns-1, the physical SRAM column) and
    // activation cycle j whose cycle (i = column % wbit, j) passes an ADC: analog and voted cycles
    // (noisy if the model has noise) when `converted`, digital cycles in digital_mode::adc
    // (noise-free) when `digital`. Columns with the same ADC and transfer share tables.
    mismatch_tables(const cim_params& p, std::size_t columns, const stream_key& key, bool converted, bool digital);

    // The table of (column, j); null if that cycle has none.
    const conversion_table* find(std::size_t column, int j) const {
        const int t = m_index[column * static_cast<std::size_t>(m_q) + static_cast<std::size_t>(j)];
        return t < 0 ? nullptr : &m_tables[static_cast<std::size_t>(t)];
    }
    const conversion_table& table(std::size_t column, int j) const;
    // The key fields the mismatch depends on (seed, die, macro) are those of `key`.
    bool matches(const stream_key& key) const;
    std::size_t size() const { return m_tables.size(); }  // distinct tables
    // Some table samples Phi^-1(u) directly (too wide a code window): no vectorised lookup.
    bool any_direct() const { return m_any_direct; }

private:
    int m_q = 0;
    stream_key m_key;
    std::vector<conversion_table> m_tables;
    std::vector<int> m_index;  // [column * Q + j]
    bool m_any_direct = false;
};

}  // namespace acim::core
