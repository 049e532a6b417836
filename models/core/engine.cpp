#include <acim/core/engine.hpp>
#include <acim/core/aligned.hpp>

#include <acim/core/engine_impl.hpp>
#include <acim/core/error.hpp>
#include <acim/core/thread_pool.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace acim::core {

using namespace detail;

engine_counters& engine_counters::operator+=(const engine_counters& o) {
    conversions += o.conversions;
    analog += o.analog;
    digital += o.digital;
    voted += o.voted;
    adc_conversions += o.adc_conversions;
    saturations += o.saturations;
    return *this;
}

engine_counters engine_counters::operator-(const engine_counters& o) const {
    engine_counters d = *this;
    d.conversions -= o.conversions;
    d.analog -= o.analog;
    d.digital -= o.digital;
    d.voted -= o.voted;
    d.adc_conversions -= o.adc_conversions;
    d.saturations -= o.saturations;
    return d;
}

bool engine_counters::operator==(const engine_counters& o) const {
    return conversions == o.conversions && analog == o.analog && digital == o.digital &&
           voted == o.voted && adc_conversions == o.adc_conversions && saturations == o.saturations;
}

bool cpu_has_avx512_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vpopcntdq");
#else
    return false;
#endif
}

struct mvm_engine::impl {
    impl(const cim_params& p, engine_options o) : pr(p), opt(o), pool(thread_pool::shared(o.threads)) {}
    prepared pr;
    engine_options opt;
    std::shared_ptr<thread_pool> pool;
    bool avx512 = false;
    bool loaded = false;
    engine_counters counters;
    code_error_histogram code_errors;
    aligned_vector<std::uint64_t> xplanes;  // 64-byte aligned: the AVX-512 kernel loads whole rows
    // Cell variation, cached per stream key.
    cell_table cells;
    bool delta_valid = false;
    stream_key delta_key;
    // Static mismatch tables, cached per (seed, die, macro, column_base).
    std::unique_ptr<mismatch_tables> mm;
    // Stream keys of every (tile, output) (fill_keys), cached while the layer's temporal base,
    // column_base and tile_base stay the same: back-to-back runs of one layer hash them once.
    std::vector<std::uint64_t> key_table;
    std::uint64_t key_table_for[3] = {0, 0, 0};
    bool key_table_valid = false;
};

namespace {

void prepare_cycles(prepared& pr) {
    const cim_params& p = pr.params;
    pr.P = pr.plan.weight_cycles();
    pr.Q = pr.plan.act_cycles();
    pr.top = p.weight_bit_parallel ? p.signed_adc_top() : p.adc_top();
    const adc_model m = adc_model::of(p, pr.top);
    pr.acc_scale = {pr.top};
    struct key {
        std::int64_t fs;
        bool noisy;
    };
    std::vector<key> made;
    for (int i = 0; i < pr.P; ++i) {
        for (int j = 0; j < pr.Q; ++j) {
            cycle_info c;
            const act_cycle& a = pr.plan.act(j);
            c.kind = pr.plan.kind(i, j);
            c.sign = pr.plan.sign(i, j);
            c.shift = pr.plan.shift(i, j);
            c.lo = a.lo;
            c.width = a.width;
            c.fs = a.fs;
            const bool exact_digital = c.kind == cycle_kind::digital && p.digital == digital_mode::exact;
            if (!exact_digital && c.kind != cycle_kind::full_bp) {
                const bool noisy = c.kind != cycle_kind::digital && (p.sigma_rand > 0.0 || p.sigma_nl > 0.0);
                auto it = std::find_if(made.begin(), made.end(),
                                       [&](const key& k) { return k.fs == a.fs && k.noisy == noisy; });
                if (it == made.end()) {
                    pr.tables.emplace_back(a.fs, m, noisy);
                    made.push_back({a.fs, noisy});
                    it = made.end() - 1;
                }
                const auto t = static_cast<std::size_t>(it - made.begin());
                const conversion_table& tab = pr.tables[t];
                c.adc = true;
                c.noisy = tab.noisy();
                if (!tab.linear() || p.cell_sigma > 0.0 || p.mismatch()) {
                    c.table = static_cast<int>(t);
                    auto s = std::find(pr.acc_scale.begin() + 1, pr.acc_scale.end(), a.fs);
                    if (s == pr.acc_scale.end()) s = pr.acc_scale.insert(pr.acc_scale.end(), a.fs);
                    c.acc = static_cast<int>(s - pr.acc_scale.begin());
                }
                if (c.table < 0) c.lin_mult = pr.top / a.fs;  // linear: fs divides L
                else c.ideal_lookup = tab.arithmetic();
                if (tab.direct()) pr.needs_scalar = true;
                pr.any_noisy = pr.any_noisy || c.noisy;
            }
            pr.cycles.push_back(c);
        }
    }
    if (p.weight_bit_parallel || p.cell_sigma > 0.0) pr.needs_scalar = true;
    if (p.weight_bit_parallel) pr.any_noisy = p.sigma_rand > 0.0;
}

}  // namespace

mvm_engine::mvm_engine(const cim_params& p, engine_options opt) : m(std::make_unique<impl>(p, opt)) {
    prepare_cycles(m->pr);
    const bool has = cpu_has_avx512_kernel();
    if ((opt.isa == kernel_isa::avx512 || opt.isa == kernel_isa::avx512_base) && !has)
        throw_parameter("isa", "avx512", "this CPU lacks AVX-512 VPOPCNTDQ");
    m->avx512 = has && opt.isa != kernel_isa::portable && !m->pr.needs_scalar;
}

mvm_engine::~mvm_engine() = default;

std::int64_t mvm_engine::denominator() const { return m->pr.top; }
const cim_params& mvm_engine::params() const { return m->pr.params; }
const cycle_plan& mvm_engine::plan() const { return m->pr.plan; }
std::size_t mvm_engine::outputs() const { return m->pr.outputs; }
std::size_t mvm_engine::rows() const { return m->pr.rows; }
const std::vector<row_tile>& mvm_engine::tiles() const { return m->pr.tiles; }
bool mvm_engine::uses_avx512() const { return m->avx512; }
const engine_counters& mvm_engine::counters() const { return m->counters; }
const code_error_histogram& mvm_engine::code_errors() const { return m->code_errors; }
void mvm_engine::reset_counters() {
    m->counters = {};
    m->code_errors = {};
}

void code_error_histogram::reset(int P, int Q) {
    weight_cycles = P;
    act_cycles = Q;
    counts.assign(static_cast<std::size_t>(P * Q * bins), 0);
}

std::uint64_t code_error_histogram::total(int i, int j) const {
    std::uint64_t t = 0;
    for (int b = 0; b < bins; ++b) t += at(i, j, b);
    return t;
}

std::uint64_t code_error_histogram::wrong(int i, int j) const { return total(i, j) - at(i, j, bin(0)); }

code_error_histogram& code_error_histogram::operator+=(const code_error_histogram& o) {
    if (o.empty()) return *this;
    if (empty()) reset(o.weight_cycles, o.act_cycles);
    if (o.weight_cycles != weight_cycles || o.act_cycles != act_cycles)
        throw parameter_error("code_error_histogram", "grid", "histograms of different cycle grids cannot be added");
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += o.counts[k];
    return *this;
}

code_error_histogram code_error_histogram::operator-(const code_error_histogram& before) const {
    code_error_histogram d = *this;
    if (before.empty()) return d;
    if (before.weight_cycles != weight_cycles || before.act_cycles != act_cycles)
        throw parameter_error("code_error_histogram", "grid", "histograms of different cycle grids cannot be subtracted");
    for (std::size_t k = 0; k < counts.size(); ++k) d.counts[k] -= before.counts[k];
    return d;
}

bool code_error_histogram::operator==(const code_error_histogram& o) const {
    return weight_cycles == o.weight_cycles && act_cycles == o.act_cycles && counts == o.counts;
}

std::size_t detail::check_layer(const cim_params& p, std::int64_t top, const std::int32_t* w, std::size_t outputs,
                                std::size_t rows, const std::vector<row_tile>& tiles) {
    if (outputs == 0) throw_parameter("outputs", outputs, "must be >= 1");
    if (rows == 0) throw_parameter("rows", rows, "must be >= 1");
    if (tiles.empty()) throw_parameter("tiles", 0, "at least one row tile is needed");
    std::size_t prev_end = 0, widest = 0;
    for (std::size_t n = 0; n < tiles.size(); ++n) {
        const row_tile& t = tiles[n];
        const std::string name = "tiles[" + to_text(n) + "]";
        const std::string range = "[" + to_text(t.begin) + ", " + to_text(t.end) + ")";
        if (t.begin >= t.end || t.end > rows)
            throw_parameter(name, range, "must be a non-empty range inside [0, " + to_text(rows) + ")");
        if (t.begin < prev_end) throw_parameter(name, range, "overlaps or precedes the previous tile");
        if (t.size() > static_cast<std::size_t>(p.row_parallelism))
            throw_parameter(name, range, "holds more rows than row_parallelism = " + to_text(p.row_parallelism));
        prev_end = t.end;
        widest = std::max(widest, t.size());
    }
    const std::int32_t wmin = -(1 << (p.wbit - 1)), wmax = (1 << (p.wbit - 1)) - 1;
    for (std::size_t k = 0; w != nullptr && k < outputs * rows; ++k) {
        if (w[k] < wmin || w[k] > wmax)
            throw data_error("weight[" + to_text(k / rows) + "][" + to_text(k % rows) + "] = " + to_text(w[k]) +
                             " outside the " + to_text(p.wbit) + "-bit range [" + to_text(wmin) + ", " +
                             to_text(wmax) + "]");
    }
    // |numerator| <= tiles * L * nrow * 2^(wbit + xbit) (sum over cycles of L * FS_j * 2^shift), or
    // tiles * L' * FS_w for weight-full-bit-parallel.
    const double xmax = std::ldexp(1.0, p.signed_act ? p.xbit - 1 : p.xbit);
    const double bound = static_cast<double>(tiles.size()) * static_cast<double>(top) *
                         static_cast<double>(p.row_parallelism) *
                         (p.weight_bit_parallel ? std::ldexp(1.0, p.wbit - 1) * xmax : std::ldexp(1.0, p.wbit + p.xbit));
    if (bound >= 0x1.0p62)
        throw_parameter("rows", rows, "layer too large: the exact accumulator could exceed 2^62");

    return widest;
}

void mvm_engine::load_weights(const std::int32_t* w, std::size_t outputs, std::size_t rows,
                              std::vector<row_tile> tiles) {
    prepared& pr = m->pr;
    const cim_params& p = pr.params;
    const std::size_t widest = check_layer(p, pr.top, w, outputs, rows, tiles);
    m->key_table_valid = false;

    pr.outputs = outputs;
    pr.rows = rows;
    pr.tiles = std::move(tiles);
    pr.words = (widest + 63) / 64;
    const auto P = static_cast<std::size_t>(pr.P);
    pr.wplanes.resize(pr.tiles.size() * outputs * P * pr.words);
    pack_weight_planes(w, outputs, rows, pr.tiles, pr.P, pr.words, pr.wplanes.data());
    if (p.weight_bit_parallel || p.cell_sigma > 0.0) pr.wcodes.assign(w, w + outputs * rows);
    else pr.wcodes.clear();
    // Effective integer weights of the plain bit-serial shift-add (the AVX-512 kernel computes the
    // noise-free sum of a block as one integer dot product and samples only the conversions noise
    // may move). Exact: every |weff| and x fit 16 bits and every sum is bounded below 2^31 first.
    pr.weff16.clear();
    if (!p.weight_bit_parallel && !p.signed_act && pr.P > 0 && pr.Q > 0 && p.xbit <= 15) {
        double wmax = 0.0;
        bool shifts_ok = true;
        for (int i = 0; i < pr.P; ++i) {
            shifts_ok = shifts_ok && pr.cycle(i, 0).shift >= 0 && pr.cycle(i, 0).shift < 30;
            if (shifts_ok) wmax += std::ldexp(1.0, pr.cycle(i, 0).shift);
        }
        const double xmax = std::ldexp(1.0, p.xbit) - 1.0;
        if (shifts_ok && wmax < 32768.0 && wmax * xmax * static_cast<double>(widest) < 2147483647.0) {
            const std::size_t WS = (outputs + 15) / 16 * 16, pairs = (widest + 1) / 2;
            pr.weff_stride = WS;
            pr.weff_rows = widest;
            pr.weff16.assign(pr.tiles.size() * pairs * WS * 2, 0);
            for (std::size_t n = 0; n < pr.tiles.size(); ++n) {
                const row_tile& t = pr.tiles[n];
                for (std::size_t r = t.begin; r < t.end; ++r)
                    for (std::size_t o = 0; o < outputs; ++o) {
                        const auto u = static_cast<std::uint32_t>(w[o * rows + r]);
                        std::int32_t e = 0;
                        for (int i = 0; i < pr.P; ++i)
                            if ((u >> i) & 1u) e += pr.cycle(i, 0).sign * (std::int32_t{1} << pr.cycle(i, 0).shift);
                        const std::size_t rr = r - t.begin;
                        pr.weff16[((n * pairs + rr / 2) * WS + o) * 2 + rr % 2] = static_cast<std::int16_t>(e);
                    }
            }
        }
    }
    m->delta_valid = false;
    m->mm.reset();
    m->loaded = true;
}

namespace {

void check_inputs_impl(const cim_params& p, const std::int32_t* x, std::size_t n, std::size_t rows) {
    const std::int32_t lo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
    const std::int32_t hi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
    std::int32_t mn = 0, mx = 0;
    for (std::size_t k = 0; k < n; ++k) {
        mn = std::min(mn, x[k]);
        mx = std::max(mx, x[k]);
    }
    if (mn >= lo && mx <= hi) return;
    for (std::size_t k = 0; k < n; ++k) {
        if (x[k] < lo || x[k] > hi)
            throw data_error("input[" + to_text(k / rows) + "][" + to_text(k % rows) + "] = " + to_text(x[k]) +
                             " outside the " + std::string(p.signed_act ? "signed " : "unsigned ") +
                             to_text(p.xbit) + "-bit range [" + to_text(lo) + ", " + to_text(hi) + "]");
    }
}

void pack_portable(const run_ctx& c, std::uint64_t* xp, std::size_t b0, std::size_t b1) {
    const prepared& pr = *c.pr;
    const auto xbit = static_cast<std::size_t>(pr.params.xbit);
    for (std::size_t n = 0; n < pr.tiles.size(); ++n)
        for (std::size_t b = b0; b < b1; ++b)
            pack_act_planes(c.x + b * lanes * pr.rows, pr.rows, pr.tiles[n], std::min(lanes, c.vectors - b * lanes),
                            pr.params.xbit, pr.words, lanes, xp + (n * c.blocks + b) * xbit * pr.words * lanes);
}

void emit(conversion_sink* sink, std::uint64_t vector, std::size_t o, std::size_t n, int i, int j, cycle_kind kind,
          std::int64_t ideal, std::int64_t fs, std::int64_t code, double error_lsb, bool sat) {
    conversion_event e;
    e.vector = vector;
    e.output = static_cast<std::uint32_t>(o);
    e.tile = static_cast<std::uint32_t>(n);
    e.i = i;
    e.j = j;
    e.kind = kind;
    e.ideal = ideal;
    e.full_scale = fs;
    e.code = static_cast<std::int32_t>(code);
    e.error_lsb = error_lsb;
    e.saturated = sat;
    sink->on_conversion(e);
}

void run_weight_bp(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, conversion_sink* sink) {
    const prepared& pr = *c.pr;
    const cim_params& p = pr.params;
    const std::int64_t xmax = p.signed_act ? (std::int64_t{1} << (p.xbit - 1)) - 1 : (std::int64_t{1} << p.xbit) - 1;
    const std::int64_t fsw = ((std::int64_t{1} << (p.wbit - 1)) - 1) * xmax * p.row_parallelism;
    const double top = static_cast<double>(pr.top);
    const double sigma = p.sigma_rand / 100.0;
    const std::uint64_t base = key_fold(c.temporal, static_cast<std::uint64_t>(stream_kind::full_bp));
    for (std::size_t v = b0 * lanes; v < std::min(b1 * lanes, c.vectors); ++v) {
        const std::int32_t* xv = c.x + v * pr.rows;
        const std::uint64_t gv = c.first_vector + v;
        for (std::size_t o = 0; o < pr.outputs; ++o) {
            const std::int32_t* wo = pr.wcodes.data() + o * pr.rows;
            std::int64_t acc = 0;
            for (std::size_t n = 0; n < pr.tiles.size(); ++n) {
                std::int64_t d = 0;
                for (std::size_t r = pr.tiles[n].begin; r < pr.tiles[n].end; ++r)
                    d += static_cast<std::int64_t>(wo[r]) * xv[r];
                double a = std::clamp(static_cast<double>(d) / static_cast<double>(fsw), -1.0, 1.0);
                if (sigma > 0.0) {
                    const std::uint64_t h = cycle_key(base, c.tile_base + n, c.column_base + o, 0, 0);
                    a = std::clamp(a + sigma * gaussian_from_u63(draw63(h, gv)), -1.0, 1.0);
                }
                const auto q = static_cast<std::int64_t>(std::nearbyint(a * top));
                acc += q * fsw;
                const bool sat = (q == pr.top || q == -pr.top) && std::abs(d) < fsw;
                cnt.saturations += sat;
                if (sink)
                    emit(sink, gv, o, n, 0, 0, cycle_kind::full_bp, d, fsw, q,
                         static_cast<double>(q) - static_cast<double>(d) * top / static_cast<double>(fsw), sat);
            }
            c.out[v * pr.outputs + o] = acc;
        }
    }
}

}  // namespace

void detail::pack_act_planes(const std::int32_t* x, std::size_t row_len, const row_tile& t, std::size_t nv, int xbit,
                             std::size_t words, std::size_t vstride, std::uint64_t* out) {
    const auto nb = static_cast<std::size_t>(xbit);
    std::fill(out, out + nb * words * vstride, 0);
    for (std::size_t v = 0; v < nv; ++v) {
        const std::int32_t* row = x + v * row_len;
        for (std::size_t r = t.begin; r < t.end; ++r) {
            const auto u = static_cast<std::uint32_t>(row[r]);
            if (u == 0) continue;
            const std::size_t word = (r - t.begin) / 64;
            const std::uint64_t bit = std::uint64_t{1} << ((r - t.begin) % 64);
            for (std::size_t p = 0; p < nb; ++p)
                if ((u >> p) & 1u) out[(p * words + word) * vstride + v] |= bit;
        }
    }
}

void detail::pack_weight_planes(const std::int32_t* w, std::size_t outputs, std::size_t rows,
                                const std::vector<row_tile>& tiles, int P, std::size_t words, std::uint64_t* out) {
    const auto nb = static_cast<std::size_t>(P);
    std::fill(out, out + tiles.size() * outputs * nb * words, 0);
    for (std::size_t n = 0; n < tiles.size(); ++n) {
        const row_tile& t = tiles[n];
        for (std::size_t o = 0; o < outputs; ++o)
            for (std::size_t r = t.begin; r < t.end; ++r) {
                const auto u = static_cast<std::uint32_t>(w[o * rows + r]);
                const std::size_t word = (r - t.begin) / 64, bit = (r - t.begin) % 64;
                for (std::size_t i = 0; i < nb; ++i)
                    if ((u >> i) & 1u) out[((n * outputs + o) * nb + i) * words + word] |= std::uint64_t{1} << bit;
            }
    }
}

void detail::check_inputs(const cim_params& p, const std::int32_t* x, std::size_t n, std::size_t rows) {
    check_inputs_impl(p, x, n, rows);
}

// Cell variation in count units, frozen per (seed, die, macro) by default. The draws are those of
// the per-column streams (column_base + column, row); only the layout is row-major.
void detail::make_cell_table(const cim_params& p, const std::vector<row_tile>& tiles, std::size_t cols,
                             const stream_key& key, cell_table& t) {
    std::size_t widest = 0;
    for (const row_tile& r : tiles) widest = std::max(widest, r.size());
    t.rows = widest;
    t.columns = cols;
    t.stride = (cols + 7) / 8 * 8;
    t.delta.assign(t.stride * widest, 0.0);
    std::uint64_t base = stream_base(key, stream_kind::cell_variation);
    if (p.cell_redraw) base = key_fold(base, key.epoch);
    const double s = p.cell_sigma / 100.0;
    for (std::size_t col = 0; col < cols; ++col) {
        const std::uint64_t h = key_fold(base, key.column_base + col);
        for (std::size_t r = 0; r < widest; ++r) t.delta[r * t.stride + col] = s * gaussian_from_u63(draw63(h, r));
    }
}

// The clones let the compiler run the column loops on the widest vectors the CPU has; they only
// add (and scale by exact powers of two), each column in the defined order, so every clone gives
// the same bits.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void detail::cell_sums(
    const cell_table& ct, const std::uint64_t* x, std::size_t t_stride, std::size_t k_stride, int width,
    std::size_t words, double* sums, double* s) {
    const std::size_t C = ct.stride;
    const double* delta = ct.delta.data();
    for (std::size_t c = 0; c < C; ++c) sums[c] = 0.0;
    for (int t = 0; t < width; ++t) {
        const double scale = std::ldexp(1.0, t);  // ldexp(v, t) == v * 2^t exactly
        for (std::size_t k = 0; k < words; ++k) {
            std::uint64_t xw = x[static_cast<std::size_t>(t) * t_stride + k * k_stride];
            // An empty word adds +0.0 (s starts at +0.0 and no sum of these values is -0.0), so
            // skipping it changes nothing.
            if (xw == 0) continue;
            const double* d = delta + (k * 64 + static_cast<std::size_t>(__builtin_ctzll(xw))) * C;
            for (std::size_t c = 0; c < C; ++c) s[c] = 0.0 + d[c];
            for (xw &= xw - 1; xw != 0; xw &= xw - 1) {
                d = delta + (k * 64 + static_cast<std::size_t>(__builtin_ctzll(xw))) * C;
                for (std::size_t c = 0; c < C; ++c) s[c] += d[c];
            }
            for (std::size_t c = 0; c < C; ++c) sums[c] += s[c] * scale;
        }
    }
}

void detail::fill_keys(const run_ctx& c, std::size_t n, std::size_t o, std::vector<std::uint64_t>& keys) {
    const prepared& pr = *c.pr;
    const int S = pr.params.voting_samples;
    const int G = groups_of(pr.Q);
    const auto per = static_cast<std::size_t>(pr.P * (pr.Q + G) * S);
    keys.resize(per);
    if (c.key_table) {
        const std::uint64_t* src = c.key_table + (n * pr.outputs + o) * per;
        std::copy(src, src + per, keys.begin());
        return;
    }
    std::size_t k = 0, kg = group_keys_at(pr);
    for (int i = 0; i < pr.P; ++i) {
        const std::uint64_t col = c.column_base + o * static_cast<std::size_t>(pr.P) + static_cast<std::size_t>(i);
        for (int j = 0; j < pr.Q; ++j)
            for (int s = 0; s < S; ++s) keys[k++] = cycle_key(c.temporal, c.tile_base + n, col, j, s);
        for (int g = 0; g < G; ++g)
            for (int s = 0; s < S; ++s) keys[kg++] = group_key(c.temporal, c.tile_base + n, col, 8 * g, s);
    }
}

// The clone with POPCNT: the baseline x86-64 has no popcount instruction (libgcc's __popcountdi2).
__attribute__((target_clones("popcnt", "default"))) void detail::kernel_portable(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt,
                             std::uint64_t* errs, conversion_sink* sink) {
    const prepared& pr = *c.pr;
    const cim_params& p = pr.params;
    if (p.weight_bit_parallel) return run_weight_bp(c, b0, b1, cnt, sink);
    const std::size_t W = pr.words, nacc = pr.acc_scale.size();
    const int S = p.voting_samples;
    const bool median = p.vote == vote_rule::median;
    const double top = static_cast<double>(pr.top);
    std::vector<std::uint64_t> keys;
    std::vector<std::int32_t> samples(static_cast<std::size_t>(S));
    std::vector<std::int64_t> acc(nacc);
    // Cell variation: the sums of every (vector of the chunk, cycle j, column), per tile.
    const cell_table* cells = c.cells;
    const std::size_t CS = cells ? cells->stride : 0;
    const auto Q = static_cast<std::size_t>(pr.Q);
    std::vector<double> dsums(cells ? chunk_blocks * lanes * Q * CS : 0), scratch(CS);
    const real_noise noise(p);
    std::vector<std::uint64_t> gdraw(static_cast<std::size_t>(S));  // group draws of the current (i, j / 8) [sample]
    std::vector<int> gdraw_group(static_cast<std::size_t>(S), -1);

    for (std::size_t cb = b0; cb < b1; cb += chunk_blocks) {
        const std::size_t ce = std::min(b1, cb + chunk_blocks);
        for (std::size_t n = 0; n < pr.tiles.size(); ++n) {
            for (std::size_t b = cb; cells && b < ce; ++b) {
                const std::uint64_t* xb = c.xblock(n, b);
                for (std::size_t l = 0; l < lanes && b * lanes + l < c.vectors; ++l)
                    for (int j = 0; j < pr.Q; ++j) {
                        const cycle_info& cy = pr.cycle(0, j);
                        cell_sums(*cells, xb + static_cast<std::size_t>(cy.lo) * W * lanes + l, W * lanes, lanes, cy.width, W,
                                  &dsums[(((b - cb) * lanes + l) * Q + static_cast<std::size_t>(j)) * CS], scratch.data());
                    }
            }
            for (std::size_t o = 0; o < pr.outputs; ++o) {
                if (pr.any_noisy) fill_keys(c, n, o, keys);
                for (std::size_t b = cb; b < ce; ++b) {
                    const std::uint64_t* xb = c.xblock(n, b);
                    for (std::size_t l = 0; l < lanes; ++l) {
                        const std::size_t v = b * lanes + l;
                        if (v >= c.vectors) break;
                        const std::uint64_t gv = c.first_vector + v;
                        std::fill(acc.begin(), acc.end(), 0);
                        for (int i = 0; i < pr.P; ++i) {
                            std::fill(gdraw_group.begin(), gdraw_group.end(), -1);
                            const std::uint64_t* wp = pr.wplane(n, o, i);
                            const std::size_t col = o * static_cast<std::size_t>(pr.P) + static_cast<std::size_t>(i);
                            for (int j = 0; j < pr.Q; ++j) {
                                const cycle_info& cy = pr.cycle(i, j);
                                std::int64_t cnt_ideal = 0;
                                for (int t = 0; t < cy.width; ++t) {
                                    const std::uint64_t* xp = xb + static_cast<std::size_t>(cy.lo + t) * W * lanes + l;
                                    std::int64_t pc = 0;
                                    for (std::size_t k = 0; k < W; ++k) pc += __builtin_popcountll(wp[k] & xp[k * lanes]);
                                    cnt_ideal += pc << t;
                                }
                                std::int64_t code = 0;
                                if (cy.table < 0) {
                                    code = cy.kind == cycle_kind::digital ? cnt_ideal : cnt_ideal * cy.lin_mult;
                                    acc[0] += cy.sign * (cnt_ideal << cy.shift);
                                } else {
                                    const conversion_table& tab =
                                        c.mm ? c.mm->table(col, j) : pr.tables[static_cast<std::size_t>(cy.table)];
                                    const int ns = cy.kind == cycle_kind::voted ? S : 1;
                                    if (cells) {
                                        // Real-valued count: the cell sum of the active cells added.
                                        const double dsum = dsums[(((b - cb) * lanes + l) * Q + static_cast<std::size_t>(j)) * CS + col];
                                        const double a = real_value(static_cast<double>(cnt_ideal) + dsum, p.gain_compression, cy.fs);
                                        const double sg = cy.noisy ? noise(a) : 0.0;
                                        for (int s = 0; s < ns; ++s)
                                            samples[static_cast<std::size_t>(s)] =
                                                real_code(a, sg, pr.top, c.mm ? &tab : nullptr,
                                                          sg > 0.0 ? keyed_cycle_stream(pr, keys.data(), i, j, s) : 0,
                                                          sg > 0.0 ? keyed_group_stream(pr, keys.data(), i, j, s) : 0, gv, j);
                                    } else {
                                        for (int s = 0; s < ns; ++s) {
                                            std::int32_t q = 0;
                                            if (cy.noisy) {
                                                // The group draw of (i, j / 8, s), drawn once for its eight cycles.
                                                const auto si = static_cast<std::size_t>(s);
                                                if (gdraw_group[si] != (j >> 3)) {
                                                    gdraw[si] = draw(keyed_group_stream(pr, keys.data(), i, j, s), gv);
                                                    gdraw_group[si] = j >> 3;
                                                }
                                                q = sample_temporal_drawn(tab, cnt_ideal, keyed_cycle_stream(pr, keys.data(), i, j, s),
                                                                          gdraw[si], gv, j);
                                            } else {
                                                q = tab.code(cnt_ideal);
                                            }
                                            samples[static_cast<std::size_t>(s)] = q;
                                        }
                                    }
                                    code = ns == 1 ? samples[0] : vote(samples.data(), ns, median);
                                    acc[static_cast<std::size_t>(cy.acc)] += cy.sign * (code << cy.shift);
                                }
                                const bool sat = cy.adc && saturated(code, pr.top, cnt_ideal, cy.fs);
                                cnt.saturations += sat;
                                if (cy.adc) {
                                    const std::int64_t ideal =
                                        cy.table < 0      ? cnt_ideal * cy.lin_mult
                                        : cy.ideal_lookup ? pr.tables[static_cast<std::size_t>(cy.table)].code(cnt_ideal)
                                                          : ideal_code(cnt_ideal, cy.fs, pr.top);
                                    const std::int64_t err = code - ideal;
                                    if (err != 0)
                                        ++errs[static_cast<std::size_t>((i * pr.Q + j) * code_error_histogram::bins +
                                                                        code_error_histogram::bin(err))];
                                }
                                if (sink)
                                    emit(sink, gv, o, n, i, j, cy.kind, cnt_ideal, cy.fs, code,
                                         cy.adc ? static_cast<double>(code) - static_cast<double>(cnt_ideal) * top /
                                                                                   static_cast<double>(cy.fs)
                                                : 0.0,
                                         sat);
                            }
                        }
                        std::int64_t sum = 0;
                        for (std::size_t a = 0; a < nacc; ++a) sum += acc[a] * pr.acc_scale[a];
                        c.out[v * pr.outputs + o] += sum;
                    }
                }
            }
        }
    }
}

void mvm_engine::run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector,
                     const stream_key& key, std::int64_t* out, conversion_sink* sink, bool inputs_checked) {
    prepared& pr = m->pr;
    if (!m->loaded) throw data_error("mvm_engine::run: load_weights() was not called");
    if (vectors == 0) return;
    if (!inputs_checked) check_inputs_impl(pr.params, x, vectors * pr.rows, pr.rows);
    if (key.tile_base + pr.tiles.size() > max_key_tiles)
        throw_parameter("tile_base", key.tile_base, "tile_base + row tiles must stay below 2^20");
    if (key.column_base + pr.outputs * static_cast<std::size_t>(pr.P) > max_key_columns)
        throw_parameter("column_base", key.column_base, "column_base + outputs * wbit must stay below 2^24");

    run_ctx c;
    c.pr = &pr;
    c.x = x;
    c.vectors = vectors;
    c.blocks = (vectors + lanes - 1) / lanes;
    c.first_vector = first_vector;
    c.column_base = key.column_base;
    c.tile_base = key.tile_base;
    c.temporal = temporal_base(key);
    c.out = out;
    c.no_vbmi2 = m->opt.isa == kernel_isa::avx512_base;
    if (pr.any_noisy) {
        // Keys of every (tile, output), hashed once per layer key (capped at 8 MB).
        const auto per = static_cast<std::size_t>(pr.P * (pr.Q + groups_of(pr.Q)) * pr.params.voting_samples);
        const std::size_t entries = pr.tiles.size() * pr.outputs * per;
        if (entries <= (std::size_t{1} << 20)) {
            const std::uint64_t id[3] = {c.temporal, c.column_base, c.tile_base};
            if (!m->key_table_valid || !std::equal(id, id + 3, m->key_table_for) || m->key_table.size() != entries) {
                m->key_table.resize(entries);
                std::vector<std::uint64_t> keys;
                for (std::size_t n = 0; n < pr.tiles.size(); ++n)
                    for (std::size_t o = 0; o < pr.outputs; ++o) {
                        fill_keys(c, n, o, keys);
                        std::copy(keys.begin(), keys.end(), m->key_table.begin() + static_cast<std::ptrdiff_t>((n * pr.outputs + o) * per));
                    }
                std::copy(id, id + 3, m->key_table_for);
                m->key_table_valid = true;
            }
            c.key_table = m->key_table.data();
        }
    }
    if (pr.params.cell_sigma > 0.0) {
        if (!m->delta_valid || !same_static_key(m->delta_key, key) || pr.params.cell_redraw) {
            make_cell_table(pr.params, pr.tiles, pr.outputs * static_cast<std::size_t>(pr.P), key, m->cells);
            m->delta_key = key;
            m->delta_valid = true;
        }
        c.cells = &m->cells;
    }
    if (pr.params.mismatch()) {
        if (!m->mm || !m->mm->matches(key))
            m->mm = std::make_unique<mismatch_tables>(pr.params, pr.outputs * static_cast<std::size_t>(pr.P), key, true, true);
        c.mm = m->mm.get();
    }

    const bool use_avx = m->avx512 && sink == nullptr && !(c.mm && c.mm->any_direct());
    const int nthreads = sink ? 1 : m->pool->size();
    struct alignas(64) padded_counters {  // one cache line each: no false sharing between workers
        engine_counters c;
        std::vector<std::uint64_t> errs;  // [cycle][bin]: conversions with a nonzero code error
    };
    std::vector<padded_counters> part(static_cast<std::size_t>(m->pool->size()));
    const std::size_t hist_size = static_cast<std::size_t>(pr.P * pr.Q * code_error_histogram::bins);
    for (auto& pc : part) pc.errs.assign(hist_size, 0);
    if (!pr.params.weight_bit_parallel) {
        m->xplanes.resize(pr.tiles.size() * c.blocks * static_cast<std::size_t>(pr.params.xbit) * pr.words * lanes);
        c.xplanes = m->xplanes.data();
    }
    auto work = [&](int t, std::size_t b0, std::size_t b1) {
        if (!pr.params.weight_bit_parallel) {
            if (!(use_avx && pack_avx512(c, m->xplanes.data(), b0, b1))) pack_portable(c, m->xplanes.data(), b0, b1);
        }
        engine_counters& pc = part[static_cast<std::size_t>(t)].c;
        std::uint64_t* errs = part[static_cast<std::size_t>(t)].errs.data();
        const std::size_t v1 = std::min(b1 * lanes, c.vectors);
        // The AVX-512 kernel writes every output itself (its first tile assigns).
        if (!pr.params.weight_bit_parallel && !use_avx) std::fill(c.out + b0 * lanes * pr.outputs, c.out + v1 * pr.outputs, 0);
        if (use_avx) kernel_avx512(c, b0, b1, pc, errs);
        else kernel_portable(c, b0, b1, pc, errs, sink);
    };
    if (nthreads == 1) work(0, 0, c.blocks);
    else m->pool->parallel_for(c.blocks, work);

    engine_counters total;
    for (const auto& pc : part) total += pc.c;
    const std::uint64_t per = vectors * pr.outputs * pr.tiles.size();
    if (pr.params.weight_bit_parallel) {
        total.conversions = total.adc_conversions = per;
        total.analog = per;
    } else {
        const auto cyc = [&](cycle_kind k) { return per * static_cast<std::uint64_t>(pr.plan.count(k)); };
        total.conversions = per * static_cast<std::uint64_t>(pr.P * pr.Q);
        total.analog = cyc(cycle_kind::analog);
        total.digital = cyc(cycle_kind::digital);
        total.voted = cyc(cycle_kind::voted);
        total.adc_conversions = total.analog + total.voted * static_cast<std::uint64_t>(pr.params.voting_samples) +
                                (pr.params.digital == digital_mode::adc ? total.digital : 0);
    }
    m->counters += total;

    // Code errors: the kernels counted the nonzero ones; every other ADC conversion of a cycle
    // (one per vector, output and tile; a voted cycle counts its vote) is exact.
    if (!pr.params.weight_bit_parallel) {
        code_error_histogram h;
        h.reset(pr.P, pr.Q);
        for (const auto& pc : part)
            for (std::size_t k = 0; k < hist_size; ++k) h.counts[k] += pc.errs[k];
        for (int i = 0; i < pr.P; ++i)
            for (int j = 0; j < pr.Q; ++j) {
                if (!pr.cycle(i, j).adc) continue;
                const auto at = static_cast<std::size_t>((i * pr.Q + j) * code_error_histogram::bins);
                std::uint64_t wrong = 0;
                for (int b = 0; b < code_error_histogram::bins; ++b) wrong += h.counts[at + static_cast<std::size_t>(b)];
                h.counts[at + static_cast<std::size_t>(code_error_histogram::bin(0))] = per - wrong;
            }
        m->code_errors += h;
    }
}

}  // namespace acim::core
