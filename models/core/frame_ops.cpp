#include <acim/core/frame_ops.hpp>

#include <acim/core/engine_impl.hpp>
#include <acim/core/error.hpp>
#include <acim/core/frame_kernels.hpp>

#include <algorithm>
#include <cmath>

namespace acim::core {

namespace {

constexpr std::size_t kind_index(cycle_kind k) { return static_cast<std::size_t>(k); }
constexpr std::size_t kinds = 4;

// Real-valued (cell-variation) count through the ADC transfer, exactly as mvm_engine's portable
// kernel: detail::real_value and detail::real_code.
std::int32_t convert_real(const cim_params& p, std::int64_t fs, std::int64_t top, bool noisy, std::int32_t count,
                          double cell, std::uint64_t key, std::uint64_t gkey, int j, std::uint64_t gv,
                          const conversion_table* mm) {
    const double a = detail::real_value(static_cast<double>(count) + cell, p.gain_compression, fs);
    const double sg = noisy ? noise_sigma(a, p.sigma_rand, p.sigma_nl, p.row_parallelism) : 0.0;
    return detail::real_code(a, sg, top, mm, key, gkey, gv, j);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// frame_plan

frame_plan::frame_plan(const cim_params& p, std::size_t outputs, std::size_t rows, std::vector<row_tile> tiles,
                       kernel_isa isa)
    : m_params(p), m_plan(p) {
    if (p.weight_bit_parallel)
        throw_parameter("weight_bit_parallel", "true",
                        "one conversion per tile has no activation cycles, hence no frames (use the fused engine)");
    m_P = m_plan.weight_cycles();
    m_Q = m_plan.act_cycles();
    m_top = p.adc_top();
    const std::size_t widest = detail::check_layer(p, m_top, nullptr, outputs, rows, tiles);
    m_outputs = outputs;
    m_rows = rows;
    m_tiles = std::move(tiles);
    m_words = (widest + 63) / 64;
    m_bits.assign(static_cast<std::size_t>(m_Q) * kinds, {});
    for (int i = 0; i < m_P; ++i) {
        for (int j = 0; j < m_Q; ++j) {
            const act_cycle& a = m_plan.act(j);
            frame_cycle c;
            c.kind = m_plan.kind(i, j);
            c.sign = m_plan.sign(i, j);
            c.shift = m_plan.shift(i, j);
            c.lo = a.lo;
            c.width = a.width;
            c.fs = a.fs;
            c.adc = c.kind != cycle_kind::digital || p.digital == digital_mode::adc;
            c.weight = c.sign * ((c.adc ? c.fs : m_top) << c.shift);
            m_cycles.push_back(c);
        }
    }
    for (int j = 0; j < m_Q; ++j)
        for (int i = 0; i < m_P; ++i)
            m_bits[static_cast<std::size_t>(j) * kinds + kind_index(cycle(i, j).kind)].push_back(i);
    const bool has = cpu_has_avx512_kernel();
    if ((isa == kernel_isa::avx512 || isa == kernel_isa::avx512_base) && !has)
        throw_parameter("isa", "avx512", "this CPU lacks AVX-512 VPOPCNTDQ");
    m_avx512 = has && isa != kernel_isa::portable;
}

const std::vector<int>& frame_plan::bits(int j, cycle_kind k) const {
    return m_bits[static_cast<std::size_t>(j) * kinds + kind_index(k)];
}

void frame_plan::check_inputs(const std::int32_t* x, std::size_t vectors) const {
    detail::check_inputs(m_params, x, vectors * m_rows, m_rows);
}

void frame_plan::check_key(const stream_key& key) const {
    if (key.tile_base + m_tiles.size() > detail::max_key_tiles)
        throw_parameter("tile_base", key.tile_base, "tile_base + row tiles must stay below 2^20");
    if (key.column_base + columns() > detail::max_key_columns)
        throw_parameter("column_base", key.column_base, "column_base + outputs * wbit must stay below 2^24");
}

frame_data::frame_data(const frame_plan& plan, std::size_t cap)
    : capacity(cap), stride(frame_plan::stride(cap)) {
    if (cap == 0) throw_parameter("frame_vectors", cap, "must be >= 1");
    counts.assign(plan.columns() * stride, 0);
    codes.assign(plan.columns() * stride, 0);
    code_rows.resize(plan.columns());
    for (std::size_t c = 0; c < plan.columns(); ++c) code_rows[c] = codes.data() + c * stride;
    if (plan.params().cell_sigma > 0.0) cell.assign(plan.columns() * stride, 0.0);
}

// ---------------------------------------------------------------------------------------------
// wordline_core

wordline_core::wordline_core(std::shared_ptr<const frame_plan> plan, std::size_t capacity)
    : m_plan(std::move(plan)), m_capacity(capacity), m_stride(frame_plan::stride(capacity)) {
    if (capacity == 0) throw_parameter("frame_vectors", capacity, "must be >= 1");
    m_planes.assign(static_cast<std::size_t>(m_plan->params().xbit) * m_plan->words() * m_stride, 0);
}

void wordline_core::latch(const std::int32_t* x, std::size_t tile, std::size_t vectors) {
    const frame_plan& pl = *m_plan;
    if (tile >= pl.tiles().size()) throw_parameter("tile", tile, "beyond the layer's row tiles");
    if (vectors == 0 || vectors > m_capacity)
        throw_parameter("vectors", vectors, "must lie in [1, " + to_text(m_capacity) + "] (the frame capacity)");
    m_tile = tile;
    m_vectors = vectors;
    m_latched = true;
    if (pl.avx512() && detail::frame_latch_avx512(pl, x, tile, vectors, m_stride, m_planes.data())) return;
    detail::pack_act_planes(x, pl.rows(), pl.tiles()[tile], vectors, pl.params().xbit, pl.words(), m_stride,
                            m_planes.data());
}

void wordline_core::drive(const frame_id& id, frame_data& f) const {
    if (!m_latched || id.tile != m_tile || id.vectors != m_vectors)
        throw data_error("wordline_core::drive: frame (tile " + to_text(id.tile) + ", " + to_text(id.vectors) +
                         " vectors) does not match the latched inputs");
    if (id.cycle < 0 || id.cycle >= m_plan->act_cycles()) throw_parameter("cycle", id.cycle, "no such activation cycle");
    const act_cycle& a = m_plan->plan().act(id.cycle);
    f.planes = m_planes.data() + static_cast<std::size_t>(a.lo) * m_plan->words() * m_stride;
    f.plane_stride = m_stride;
}

// The clones with POPCNT: the baseline x86-64 has no popcount instruction (libgcc's __popcountdi2).
__attribute__((target_clones("popcnt", "default"))) std::uint64_t wordline_core::active_rows(int j) const {
    if (!m_latched) return 0;
    if (m_plan->avx512()) return detail::frame_active_rows_avx512(*m_plan, m_planes.data(), m_stride, m_vectors, j);
    const act_cycle& a = m_plan->plan().act(j);
    const std::size_t W = m_plan->words();
    std::uint64_t n = 0;
    for (std::size_t k = 0; k < W; ++k) {
        for (std::size_t v = 0; v < m_vectors; ++v) {
            std::uint64_t any = 0;
            for (int t = 0; t < a.width; ++t)
                any |= m_planes[(static_cast<std::size_t>(a.lo + t) * W + k) * m_stride + v];
            n += static_cast<std::uint64_t>(__builtin_popcountll(any));
        }
    }
    return n;
}

// ---------------------------------------------------------------------------------------------
// array_core

array_core::array_core(std::shared_ptr<const frame_plan> plan) : m_plan(std::move(plan)) {
    m_wplanes.assign(m_plan->tiles().size() * m_plan->columns() * m_plan->words(), 0);
}

void array_core::load_weights(const std::int32_t* w) {
    const frame_plan& pl = *m_plan;
    detail::check_layer(pl.params(), pl.denominator(), w, pl.outputs(), pl.rows(), pl.tiles());
    // [tile][column = o * P + i][word]: the engine's weight planes.
    detail::pack_weight_planes(w, pl.outputs(), pl.rows(), pl.tiles(), pl.weight_cycles(), pl.words(), m_wplanes.data());
    m_loaded = true;
}

void array_core::set_key(const stream_key& key) {
    const cim_params& p = m_plan->params();
    if (p.cell_sigma <= 0.0) return;
    if (!m_delta_valid || !detail::same_static_key(m_delta_key, key) || p.cell_redraw) {
        if (!m_cells) m_cells = std::make_shared<detail::cell_table>();
        detail::make_cell_table(p, m_plan->tiles(), m_plan->columns(), key, *m_cells);
        m_sums.resize(m_cells->stride);
        m_scratch.resize(m_cells->stride);
        m_delta_key = key;
        m_delta_valid = true;
    }
}

__attribute__((target_clones("popcnt", "default"))) void array_core::evaluate(const frame_id& id, frame_data& f) const {
    const frame_plan& pl = *m_plan;
    if (!m_loaded) throw data_error("array_core::evaluate: load_weights() was not called");
    if (f.planes == nullptr) throw data_error("array_core::evaluate: the frame carries no activation planes");
    const bool cell = pl.params().cell_sigma > 0.0;
    if (cell && !m_delta_valid) throw data_error("array_core::evaluate: set_key() was not called (cell variation)");
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const std::size_t W = pl.words(), ps = f.plane_stride, nv = id.vectors;
    const act_cycle& a = pl.plan().act(id.cycle);
    if (pl.avx512()) {
        detail::frame_counts_avx512(pl, plane(id.tile, 0), id, f);
    } else {
        for (std::size_t col = 0; col < pl.columns(); ++col) {
            const std::uint64_t* wp = plane(id.tile, col);
            std::int32_t* cnt = f.counts.data() + col * f.stride;
            for (std::size_t v = 0; v < nv; ++v) {
                std::int64_t c = 0;
                for (int t = 0; t < a.width; ++t) {
                    const std::uint64_t* xp = f.planes + static_cast<std::size_t>(t) * W * ps + v;
                    std::int64_t pc = 0;
                    for (std::size_t k = 0; k < W; ++k) pc += __builtin_popcountll(wp[k] & xp[k * ps]);
                    c += pc << t;
                }
                cnt[v] = static_cast<std::int32_t>(c);
            }
        }
    }
    if (!cell) return;
    // The cell sums of the columns that pass an ADC, vector by vector across all columns at once
    // (detail::cell_sums, the engine's order of additions).
    for (std::size_t v = 0; v < nv; ++v) {
        detail::cell_sums(*m_cells, f.planes + v, W * ps, ps, a.width, W, m_sums.data(), m_scratch.data());
        for (std::size_t col = 0; col < pl.columns(); ++col)
            if (pl.cycle(static_cast<int>(col % P), id.cycle).adc) f.cell[col * f.stride + v] = m_sums[col];
    }
}

// ---------------------------------------------------------------------------------------------
// adc_core

adc_core::adc_core(std::shared_ptr<const frame_plan> plan) : m_plan(std::move(plan)) {
    const frame_plan& pl = *m_plan;
    const adc_model m = adc_model::of(pl.params());
    m_tables.resize(static_cast<std::size_t>(pl.act_cycles()));
    for (int j = 0; j < pl.act_cycles(); ++j) {
        if (pl.bits(j, cycle_kind::analog).empty() && pl.bits(j, cycle_kind::voted).empty()) continue;
        m_tables[static_cast<std::size_t>(j)] = std::make_unique<conversion_table>(pl.plan().act(j).fs, m, true);
    }
}

const conversion_table* adc_core::table(int j) const { return m_tables[static_cast<std::size_t>(j)].get(); }

double adc_core::analog_value(const frame_id& id, const frame_data& f, std::size_t v, std::size_t column) const {
    const frame_plan& pl = *m_plan;
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const frame_cycle& cy = pl.cycle(static_cast<int>(column % P), id.cycle);
    double c = static_cast<double>(f.count(v, column));
    if (cy.adc && pl.params().cell_sigma > 0.0) c += f.cell[column * f.stride + v];
    return std::clamp(compress(c, pl.params().gain_compression) / static_cast<double>(cy.fs), 0.0, 1.0);
}

std::int32_t adc_core::sample_code(const frame_id& id, const frame_data& f, std::size_t v, std::size_t column,
                                   int sample) const {
    const frame_plan& pl = *m_plan;
    const cim_params& p = pl.params();
    const int j = id.cycle;
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const frame_cycle& cy = pl.cycle(static_cast<int>(column % P), j);
    if (cy.kind != cycle_kind::analog && cy.kind != cycle_kind::voted)
        throw_parameter("column", column, "is not converted by the ADC bank in cycle " + to_text(j));
    const int ns = cy.kind == cycle_kind::voted ? p.voting_samples : 1;
    if (sample < 0 || sample >= ns) throw_parameter("sample", sample, "no such ADC sample");
    // With static mismatch the column converts through its own table (docs/models.md).
    const conversion_table* mt = p.mismatch() ? table(column, j) : nullptr;
    const conversion_table& tab = mt != nullptr ? *mt : *m_tables[static_cast<std::size_t>(j)];
    const std::int32_t count = f.count(v, column);
    const std::uint64_t gv = id.first_vector + v;
    const bool noisy = tab.noisy();
    const std::uint64_t key = noisy ? detail::cycle_key(m_temporal, m_tile_base + id.tile, m_column_base + column, j, sample) : 0;
    const std::uint64_t gkey = noisy ? detail::group_key(m_temporal, m_tile_base + id.tile, m_column_base + column, j, sample) : 0;
    if (p.cell_sigma > 0.0)
        return convert_real(p, tab.full_scale(), pl.denominator(), noisy, count, f.cell[column * f.stride + v], key, gkey,
                            j, gv, mt);
    return noisy ? detail::sample_temporal(tab, count, key, gkey, gv, j) : tab.code(count);
}

const conversion_table* adc_core::table(std::size_t column, int j) const {
    if (m_plan->params().mismatch()) return m_mm ? m_mm->find(column, j) : nullptr;
    return table(j);
}

void adc_core::set_key(const stream_key& key) {
    m_plan->check_key(key);
    m_temporal = detail::temporal_base(key);
    m_column_base = key.column_base;
    m_tile_base = key.tile_base;
    const frame_plan& pl = *m_plan;
    if (pl.params().mismatch() && (!m_mm || !m_mm->matches(key)))
        m_mm = std::make_unique<mismatch_tables>(pl.params(), pl.columns(), key, true, false);
}

void adc_core::convert(const frame_id& id, frame_data& f, engine_counters& cnt) const {
    const frame_plan& pl = *m_plan;
    const cim_params& p = pl.params();
    const int j = id.cycle;
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const std::size_t nv = id.vectors, outputs = pl.outputs();
    const std::int64_t top = pl.denominator();
    const bool median = p.vote == vote_rule::median;
    const bool cell = p.cell_sigma > 0.0;
    const std::size_t n_analog = pl.bits(j, cycle_kind::analog).size();
    const std::size_t n_voted = pl.bits(j, cycle_kind::voted).size();
    if (n_analog + n_voted == 0) return;
    const conversion_table& tab = *m_tables[static_cast<std::size_t>(j)];
    const std::int64_t fs = tab.full_scale();
    const bool noisy = tab.noisy();
    // A lossless noise-free ADC with FS = L gives code = count: the codes are the counts.
    // Static mismatch: every column converts through its own table (docs/models.md).
    const bool mismatch = p.mismatch();
    const bool identity = tab.linear() && tab.code_mult() == 1 && !cell && !mismatch;
    if (mismatch && !m_mm) throw data_error("adc_core::convert: set_key() was not called (static mismatch)");
    std::uint64_t saturations = 0;
    std::vector<std::uint64_t> keys;
    std::vector<std::int32_t> samples;
    for (const cycle_kind kind : {cycle_kind::analog, cycle_kind::voted}) {
        const int ns = kind == cycle_kind::voted ? p.voting_samples : 1;
        if (identity) {
            for (const int i : pl.bits(j, kind))
                for (std::size_t o = 0; o < outputs; ++o) {
                    const std::size_t col = o * P + static_cast<std::size_t>(i);
                    f.code_rows[col] = f.count_row(col);
                }
            continue;
        }
        if (pl.avx512() && ns == 1 && !cell && mismatch && !m_mm->any_direct()) {
            // Each column through its own table.
            for (const int i : pl.bits(j, kind))
                for (std::size_t o = 0; o < outputs; ++o) {
                    const std::size_t col = o * P + static_cast<std::size_t>(i);
                    f.code_rows[col] = f.code_row(col);
                    std::uint64_t key[2] = {0, 0};
                    if (noisy) {
                        key[0] = detail::cycle_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, 0);
                        key[1] = detail::group_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, 0);
                    }
                    saturations += detail::frame_convert_avx512(m_mm->table(col, j), &col, key, 1, j, id, f);
                }
            continue;
        }
        if (pl.avx512() && ns == 1 && !cell && !tab.direct() && !mismatch) {
            m_cols.clear();
            m_keys.clear();
            for (const int i : pl.bits(j, kind))
                for (std::size_t o = 0; o < outputs; ++o) {
                    const std::size_t col = o * P + static_cast<std::size_t>(i);
                    m_cols.push_back(col);
                    f.code_rows[col] = f.code_row(col);
                    if (noisy) {
                        m_keys.push_back(detail::cycle_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, 0));
                        m_keys.push_back(detail::group_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, 0));
                    }
                }
            saturations += detail::frame_convert_avx512(tab, m_cols.data(), m_keys.data(), m_cols.size(), j, id, f);
            continue;
        }
        keys.assign(static_cast<std::size_t>(2 * ns), 0);
        samples.assign(static_cast<std::size_t>(ns), 0);
        for (const int i : pl.bits(j, kind)) {
            for (std::size_t o = 0; o < outputs; ++o) {
                const std::size_t col = o * P + static_cast<std::size_t>(i);
                if (noisy)
                    for (int s = 0; s < ns; ++s) {
                        keys[static_cast<std::size_t>(2 * s)] =
                            detail::cycle_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, s);
                        keys[static_cast<std::size_t>(2 * s + 1)] =
                            detail::group_key(m_temporal, m_tile_base + id.tile, m_column_base + col, j, s);
                    }
                const std::int32_t* count = f.count_row(col);
                const double* csum = cell ? f.cell.data() + col * f.stride : nullptr;
                std::int32_t* code = f.code_row(col);
                f.code_rows[col] = code;
                const conversion_table* mt = mismatch ? &m_mm->table(col, j) : nullptr;
                const conversion_table& ct = mt ? *mt : tab;
                for (std::size_t v = 0; v < nv; ++v) {
                    const std::uint64_t gv = id.first_vector + v;
                    for (int s = 0; s < ns; ++s) {
                        const auto si = static_cast<std::size_t>(s);
                        samples[si] = csum != nullptr ? convert_real(p, fs, top, noisy, count[v], csum[v], keys[2 * si],
                                                                     keys[2 * si + 1], j, gv, mt)
                                      : noisy ? detail::sample_temporal(ct, count[v], keys[2 * si], keys[2 * si + 1], gv, j)
                                                      : ct.code(count[v]);
                    }
                    const std::int32_t q = ns == 1 ? samples[0] : vote(samples.data(), ns, median);
                    saturations += detail::saturated(q, top, count[v], fs);
                    code[v] = q;
                }
            }
        }
    }
    const std::uint64_t per = nv * outputs;
    cnt.analog += per * n_analog;
    cnt.voted += per * n_voted;
    cnt.adc_conversions += per * (n_analog + n_voted * static_cast<std::uint64_t>(p.voting_samples));
    cnt.saturations += saturations;
}

// ---------------------------------------------------------------------------------------------
// digital_core

digital_core::digital_core(std::shared_ptr<const frame_plan> plan) : m_plan(std::move(plan)) {
    const frame_plan& pl = *m_plan;
    m_tables.resize(static_cast<std::size_t>(pl.act_cycles()));
    if (pl.params().digital != digital_mode::adc) return;
    const adc_model m = adc_model::of(pl.params());
    for (int j = 0; j < pl.act_cycles(); ++j)
        if (!pl.bits(j, cycle_kind::digital).empty())
            m_tables[static_cast<std::size_t>(j)] = std::make_unique<conversion_table>(pl.plan().act(j).fs, m, false);
}

void digital_core::set_key(const stream_key& key) {
    const frame_plan& pl = *m_plan;
    const cim_params& p = pl.params();
    if (!p.mismatch() || p.digital != digital_mode::adc) return;
    pl.check_key(key);
    if (!m_mm || !m_mm->matches(key)) m_mm = std::make_unique<mismatch_tables>(p, pl.columns(), key, false, true);
}

void digital_core::compute(const frame_id& id, frame_data& f, engine_counters& cnt) const {
    const frame_plan& pl = *m_plan;
    const cim_params& p = pl.params();
    const int j = id.cycle;
    const std::vector<int>& bits = pl.bits(j, cycle_kind::digital);
    if (bits.empty()) return;
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const std::size_t nv = id.vectors, outputs = pl.outputs();
    const conversion_table* tab = m_tables[static_cast<std::size_t>(j)].get();
    const std::int64_t top = pl.denominator();
    const bool cell = p.cell_sigma > 0.0;
    std::uint64_t saturations = 0;
    for (const int i : bits) {
        for (std::size_t o = 0; o < outputs; ++o) {
            const std::size_t col = o * P + static_cast<std::size_t>(i);
            const std::int32_t* count = f.count_row(col);
            if (tab == nullptr) {  // exact: the codes are the counts
                f.code_rows[col] = count;
                continue;
            }
            std::int32_t* code = f.code_row(col);
            f.code_rows[col] = code;
            const std::int64_t fs = tab->full_scale();
            const double* csum = cell ? f.cell.data() + col * f.stride : nullptr;
            if (p.mismatch() && !m_mm) throw data_error("digital_core::compute: set_key() was not called (static mismatch)");
            const conversion_table* mt = m_mm ? &m_mm->table(col, j) : nullptr;
            const conversion_table& ct = mt ? *mt : *tab;
            for (std::size_t v = 0; v < nv; ++v) {
                const std::int32_t q =
                    csum != nullptr ? convert_real(p, fs, top, false, count[v], csum[v], 0, 0, 0, 0, mt) : ct.code(count[v]);
                saturations += detail::saturated(q, top, count[v], fs);
                code[v] = q;
            }
        }
    }
    const std::uint64_t per = nv * outputs * bits.size();
    cnt.digital += per;
    if (tab != nullptr) cnt.adc_conversions += per;
    cnt.saturations += saturations;
}

// ---------------------------------------------------------------------------------------------
// shift_add_core

shift_add_core::shift_add_core(std::shared_ptr<const frame_plan> plan, std::size_t capacity)
    : m_plan(std::move(plan)), m_capacity(capacity), m_stride(frame_plan::stride(capacity)) {
    if (capacity == 0) throw_parameter("frame_vectors", capacity, "must be >= 1");
    m_acc.assign(m_plan->outputs() * m_stride, 0);
}

void shift_add_core::clear(std::size_t vectors) {
    if (vectors == 0 || vectors > m_capacity)
        throw_parameter("vectors", vectors, "must lie in [1, " + to_text(m_capacity) + "] (the frame capacity)");
    std::fill(m_acc.begin(), m_acc.end(), 0);
    m_vectors = vectors;
}

void shift_add_core::accumulate(const frame_id& id, const frame_data& f, engine_counters& cnt) {
    const frame_plan& pl = *m_plan;
    if (id.vectors != m_vectors)
        throw data_error("shift_add_core::accumulate: frame of " + to_text(id.vectors) + " vectors, accumulators hold " +
                         to_text(m_vectors));
    cnt.conversions += id.vectors * pl.columns();
    if (pl.avx512()) return detail::frame_accumulate_avx512(pl, id, f, m_acc.data(), m_stride);
    const auto P = static_cast<std::size_t>(pl.weight_cycles());
    const std::size_t nv = id.vectors;
    for (std::size_t col = 0; col < pl.columns(); ++col) {
        const auto mult = static_cast<std::uint64_t>(pl.cycle(static_cast<int>(col % P), id.cycle).weight);
        std::uint64_t* acc = m_acc.data() + (col / P) * m_stride;
        const std::int32_t* code = f.code_rows[col];
        for (std::size_t v = 0; v < nv; ++v) acc[v] += static_cast<std::uint64_t>(static_cast<std::int64_t>(code[v])) * mult;
    }
}

void shift_add_core::read(std::int64_t* out) const {
    const std::size_t outputs = m_plan->outputs();
    for (std::size_t v = 0; v < m_vectors; ++v)
        for (std::size_t o = 0; o < outputs; ++o) out[v * outputs + o] = accumulator(v, o);
}

// ---------------------------------------------------------------------------------------------
// frame_sequencer

frame_sequencer::frame_sequencer(std::shared_ptr<const frame_plan> plan, std::size_t frame_vectors)
    : m_plan(std::move(plan)), m_frame_vectors(frame_vectors) {
    if (frame_vectors == 0) throw_parameter("frame_vectors", frame_vectors, "must be >= 1");
}

void frame_sequencer::begin(std::size_t vectors, std::uint64_t first_vector) {
    m_vectors = vectors;
    m_first_vector = first_vector;
    m_offset = 0;
    m_tile = 0;
    m_cycle = 0;
}

bool frame_sequencer::next(frame_step& s) {
    if (m_offset >= m_vectors) return false;
    const std::size_t tiles = m_plan->tiles().size();
    const int Q = m_plan->act_cycles();
    const std::size_t nv = std::min(m_frame_vectors, m_vectors - m_offset);
    s.id = frame_id{m_tile, m_cycle, nv, m_first_vector + m_offset};
    s.offset = m_offset;
    s.latch = m_cycle == 0;
    s.first = m_tile == 0 && m_cycle == 0;
    s.last = m_tile + 1 == tiles && m_cycle + 1 == Q;
    s.end_of_run = s.last && m_offset + nv == m_vectors;
    if (++m_cycle == Q) {
        m_cycle = 0;
        if (++m_tile == tiles) {
            m_tile = 0;
            m_offset += nv;
        }
    }
    return true;
}

std::uint64_t frame_sequencer::frames(std::size_t vectors) const {
    return (vectors + m_frame_vectors - 1) / m_frame_vectors * m_plan->tiles().size() *
           static_cast<std::uint64_t>(m_plan->act_cycles());
}

// ---------------------------------------------------------------------------------------------
// frame_pipeline

frame_pipeline::frame_pipeline(const cim_params& p, const std::int32_t* w, std::size_t outputs, std::size_t rows,
                               std::vector<row_tile> tiles, std::size_t frame_vectors, kernel_isa isa)
    : m_plan(std::make_shared<const frame_plan>(p, outputs, rows, std::move(tiles), isa)),
      m_sequencer(m_plan, frame_vectors),
      m_frame(*m_plan, frame_vectors),
      m_wordline(m_plan, frame_vectors),
      m_array(m_plan),
      m_adc(m_plan),
      m_digital(m_plan),
      m_shift_add(m_plan, frame_vectors) {
    m_array.load_weights(w);
}

void frame_pipeline::run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector,
                         const stream_key& key, std::int64_t* out) {
    if (vectors == 0) return;
    const frame_plan& pl = *m_plan;
    pl.check_inputs(x, vectors);
    m_adc.set_key(key);
    m_array.set_key(key);
    m_digital.set_key(key);
    m_sequencer.begin(vectors, first_vector);
    frame_step s;
    while (m_sequencer.next(s)) {
        if (s.first) m_shift_add.clear(s.id.vectors);
        if (s.latch) m_wordline.latch(x + s.offset * pl.rows(), s.id.tile, s.id.vectors);
        m_wordline.drive(s.id, m_frame);
        m_array.evaluate(s.id, m_frame);
        m_adc.convert(s.id, m_frame, m_counters);
        m_digital.compute(s.id, m_frame, m_counters);
        m_shift_add.accumulate(s.id, m_frame, m_counters);
        if (s.last) m_shift_add.read(out + s.offset * pl.outputs());
        ++m_frames;
    }
}

}  // namespace acim::core
