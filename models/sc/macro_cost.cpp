#include <acim/sc/macro_cost.hpp>

#include <acim/core/error.hpp>
#include <acim/tlm/buffer_layout.hpp>

#include <algorithm>
#include <random>

namespace acim::sc {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// Conversions column (o, i) needs in its cycle of kind k.
std::uint64_t conversion_slots(core::cycle_kind k, const core::cim_params& p) {
    switch (k) {
    case core::cycle_kind::analog: return 1;
    case core::cycle_kind::voted: return static_cast<std::uint64_t>(p.voting_samples);
    case core::cycle_kind::digital: return p.digital == core::digital_mode::adc ? 1 : 0;
    case core::cycle_kind::full_bp: return 1;
    }
    return 0;
}

bool uses_array(core::cycle_kind k) {
    return k == core::cycle_kind::analog || k == core::cycle_kind::voted || k == core::cycle_kind::full_bp;
}

}  // namespace

macro_cost::macro_cost(const macro_config& cfg) : m_cfg(cfg) {}

std::uint64_t macro_cost::conversion_clocks(adc_kind k, int adc_bits) const {
    const std::uint64_t decide = k == adc_kind::sar ? static_cast<std::uint64_t>(adc_bits) : 1;
    return decide + m_cfg.adc_sample_cycles;
}

double macro_cost::conversion_energy(adc_kind k, int adc_bits) const {
    switch (k) {
    case adc_kind::sar: return m_cfg.e_sar_bit_fj * adc_bits;
    case adc_kind::flash:
        return m_cfg.e_flash_comparator_fj * static_cast<double>((std::uint64_t{1} << adc_bits) - 1);
    case adc_kind::ideal: return m_cfg.e_ideal_conversion_fj;
    }
    return 0.0;
}

std::uint64_t macro_cost::activation_cycle_clocks(const run_shape& s, int j) const {
    return activation_cycle_parts(s, j).total();
}

cycle_clocks macro_cost::activation_cycle_parts(const run_shape& s, int j) const {
    const core::cycle_plan& plan = *s.plan;
    const core::cim_params& p = *s.params;
    const int P = plan.weight_cycles();
    // Conversions queued on each ADC: column c = o * P + i converts on ADC c mod adcs.
    std::vector<std::uint64_t> queue(m_cfg.adcs, 0);
    std::uint64_t digital_columns = 0;
    for (int i = 0; i < P; ++i) {
        const core::cycle_kind k = plan.kind(i, j);
        if (k == core::cycle_kind::digital) digital_columns += s.outputs;
        const std::uint64_t slots = conversion_slots(k, p);
        if (slots == 0) continue;
        for (std::size_t o = 0; o < s.outputs; ++o)
            queue[(o * static_cast<std::size_t>(P) + static_cast<std::size_t>(i)) % m_cfg.adcs] += slots;
    }
    std::uint64_t conversions = 0;  // the busiest ADC sets the pace
    for (const std::uint64_t q : queue) conversions = std::max(conversions, q);
    cycle_clocks c;
    if (conversions > 0) {
        c.dac = m_cfg.dac_settle_cycles;
        c.bitline = m_cfg.bitline_cycles;
        c.adc = conversions * conversion_clocks(s.adc, p.adc_bits);
    }
    if (digital_columns > 0) c.digital = ceil_div(digital_columns, m_cfg.digital_lanes) * m_cfg.digital_pass_cycles;
    return c;
}

std::uint64_t macro_cost::run_cycles(const run_shape& s) const {
    std::uint64_t per_tile = 0;
    for (int j = 0; j < s.plan->act_cycles(); ++j) per_tile += activation_cycle_clocks(s, j);
    return m_cfg.start_cycles + static_cast<std::uint64_t>(s.vectors) * s.tiles->size() * per_tile + m_cfg.drain_cycles;
}

energy_breakdown macro_cost::run_energy(const run_shape& s, const core::engine_counters& counters) const {
    const core::cycle_plan& plan = *s.plan;
    const core::cim_params& p = *s.params;
    const int P = plan.weight_cycles(), Q = plan.act_cycles();
    const auto V = static_cast<double>(s.vectors);
    const auto outputs = static_cast<double>(s.outputs);
    std::size_t tile_rows = 0;
    for (const core::row_tile& t : *s.tiles) tile_rows += t.size();

    energy_breakdown e;
    std::uint64_t array_cycles = 0;  // (i, j) pairs evaluated on the bitlines
    std::uint64_t fixed_cycles = 0;  // activation cycles j that use the array
    double digital_bitops = 0.0;     // per vector and output
    // Input codes of the tiles' rows by value (xbit bits): one pass over the batch serves every
    // cycle's active-row count.
    std::vector<std::uint64_t> hist;
    auto histogram = [&] {
        const std::uint32_t vmask = (1u << p.xbit) - 1u;
        const std::size_t bins = std::size_t{vmask} + 1;
        // Four interleaved partial histograms: runs of equal codes (zeros) do not serialise on
        // one counter.
        std::vector<std::uint64_t> part(4 * bins, 0);
        for (std::size_t v = 0; v < s.vectors; ++v) {
            const std::int32_t* x = s.inputs + v * s.rows;
            for (const core::row_tile& t : *s.tiles) {
                std::size_t r = t.begin;
                for (; r + 4 <= t.end; r += 4) {
                    ++part[static_cast<std::uint32_t>(x[r]) & vmask];
                    ++part[bins + (static_cast<std::uint32_t>(x[r + 1]) & vmask)];
                    ++part[2 * bins + (static_cast<std::uint32_t>(x[r + 2]) & vmask)];
                    ++part[3 * bins + (static_cast<std::uint32_t>(x[r + 3]) & vmask)];
                }
                for (; r < t.end; ++r) ++part[static_cast<std::uint32_t>(x[r]) & vmask];
            }
        }
        hist.assign(bins, 0);
        for (std::size_t b = 0; b < bins; ++b) hist[b] = part[b] + part[bins + b] + part[2 * bins + b] + part[3 * bins + b];
    };
    for (int j = 0; j < Q; ++j) {
        const core::act_cycle& a = plan.act(j);
        bool array = false;
        for (int i = 0; i < P; ++i) {
            const core::cycle_kind k = plan.kind(i, j);
            if (uses_array(k)) {
                array = true;
                ++array_cycles;
            } else if (k == core::cycle_kind::digital) {
                digital_bitops += static_cast<double>(tile_rows) * a.width;
            }
        }
        if (!array) continue;
        // Active rows: rows of a tile whose activation bits of this cycle are not all zero.
        std::uint64_t active = 0;
        if (s.active_rows != nullptr && s.active_rows->size() == static_cast<std::size_t>(Q)) {
            active = (*s.active_rows)[static_cast<std::size_t>(j)];
        } else if ((std::size_t{1} << p.xbit) <= s.vectors * tile_rows) {
            const std::uint32_t mask = ((1u << a.width) - 1u) << a.lo;
            if (hist.empty()) histogram();
            for (std::size_t value = 0; value < hist.size(); ++value) active += (value & mask) != 0 ? hist[value] : 0;
        } else {  // fewer codes than histogram bins: count directly
            const std::uint32_t mask = ((1u << a.width) - 1u) << a.lo;
            for (std::size_t v = 0; v < s.vectors; ++v) {
                const std::int32_t* x = s.inputs + v * s.rows;
                for (const core::row_tile& t : *s.tiles)
                    for (std::size_t r = t.begin; r < t.end; ++r) active += (static_cast<std::uint32_t>(x[r]) & mask) != 0;
            }
        }
        e.wordline += static_cast<double>(active) * m_cfg.e_wordline_fj;
        ++fixed_cycles;
    }
    e.bitline = V * static_cast<double>(s.tiles->size()) * outputs * static_cast<double>(array_cycles) * m_cfg.e_bitline_fj;
    e.adc = static_cast<double>(counters.adc_conversions) * conversion_energy(s.adc, p.adc_bits);
    e.shift_add = static_cast<double>(counters.conversions) * m_cfg.e_shift_add_fj;
    e.digital = V * outputs * digital_bitops * m_cfg.e_digital_bitop_fj;
    const double bytes = V * static_cast<double>(s.rows * tlm::input_code_bytes(p.xbit)) + V * outputs * 8.0;
    e.buffer = bytes * m_cfg.e_buffer_byte_fj;
    if (m_cfg.e_cycle_fixed_fj != 0.0)
        e.fixed = V * static_cast<double>(s.tiles->size()) * static_cast<double>(fixed_cycles) * m_cfg.e_cycle_fixed_fj;
    return e;
}

run_cost macro_cost::run(const run_shape& s, const core::engine_counters& counters) const {
    run_cost c;
    c.cycles = run_cycles(s);
    c.energy = run_energy(s, counters);
    return c;
}

std::uint64_t macro_cost::buffer_access_clocks(std::size_t bytes) const {
    return ceil_div(std::max<std::size_t>(bytes, 1), m_cfg.buffer_bytes_per_cycle);
}

std::uint64_t macro_cost::weight_write_clocks(std::size_t bytes) const {
    return ceil_div(std::max<std::size_t>(bytes, 1), m_cfg.weight_bytes_per_cycle);
}

double macro_cost::weight_write_energy(std::size_t bytes) const {
    return static_cast<double>(bytes) * 8.0 * m_cfg.e_sram_write_bit_fj;
}

area_breakdown macro_area(const macro_config& cfg, bool hcim) {
    area_breakdown a;
    a.cells = static_cast<double>(cfg.rows) * static_cast<double>(cfg.cols) * cfg.area_cell_um2;
    a.adcs = static_cast<double>(cfg.adcs) * cfg.area_adc_um2;
    a.drivers = static_cast<double>(cfg.rows) * cfg.area_row_driver_um2;
    a.shift_add = static_cast<double>(cfg.cols) * cfg.area_shift_add_um2;
    a.digital = hcim ? cfg.area_digital_um2 : 0.0;
    const tlm::window_sizes w = tlm::buffer_sizes(cfg.rows, cfg.cols, cfg.input_depth);
    a.buffers = static_cast<double>(w.input + w.output) * cfg.area_buffer_byte_um2;
    a.fixed = cfg.area_fixed_um2;
    return a;
}

peak_figures macro_peak(const macro_config& cfg_in, const core::cim_params& p_in, adc_kind adc) {
    core::cim_params p = p_in;
    macro_config cfg = cfg_in;
    p.adcs = static_cast<int>(cfg.adcs);
    p.validate();
    cfg.validate();
    if (cfg.cols % static_cast<std::uint32_t>(p.wbit) != 0)
        core::throw_parameter("cols", cfg.cols, "is not a multiple of wbit = " + core::to_text(p.wbit));
    // Whole tiles only: with rows = 256 and row_parallelism = 255 the 256th row would cost a tile.
    const auto rp = static_cast<std::size_t>(p.row_parallelism);
    const std::size_t rows = cfg.rows >= rp ? cfg.rows / rp * rp : cfg.rows;
    const std::size_t outputs = cfg.cols / static_cast<std::uint32_t>(p.wbit);
    const std::vector<core::row_tile> tiles = core::dense_tiling(rows, p.row_parallelism);
    // One vector of maximal input codes (every row active in every activation cycle) against
    // random weights: the counters depend on the shape only.
    const std::int32_t xmax = p.signed_act ? (std::int32_t{1} << (p.xbit - 1)) - 1 : (std::int32_t{1} << p.xbit) - 1;
    std::vector<std::int32_t> x(rows, xmax), w(outputs * rows);
    std::mt19937 gen(1);
    std::uniform_int_distribution<std::int32_t> wd(-(std::int32_t{1} << (p.wbit - 1)), (std::int32_t{1} << (p.wbit - 1)) - 1);
    for (auto& v : w) v = wd(gen);
    core::mvm_engine eng(p, {1, core::kernel_isa::automatic});
    eng.load_weights(w.data(), outputs, rows, tiles);
    std::vector<std::int64_t> out(outputs);
    core::stream_key key;
    eng.run(x.data(), 1, 0, key, out.data());
    const core::cycle_plan plan(p);
    run_shape s;
    s.params = &p;
    s.plan = &plan;
    s.adc = adc;
    s.outputs = outputs;
    s.rows = rows;
    s.tiles = &tiles;
    s.vectors = 1;
    s.inputs = x.data();
    const macro_cost cost(cfg);
    peak_figures f;
    f.macs = static_cast<double>(rows) * static_cast<double>(outputs);
    const std::uint64_t clocks = cost.run_cycles(s) - cfg.start_cycles - cfg.drain_cycles;
    f.seconds = static_cast<double>(clocks) * static_cast<double>(cfg.clock_period_ps) * 1e-12;
    f.energy = cost.run_energy(s, eng.counters());
    f.area_um2 = macro_area(cfg, p.hybrid_levels > 0).total();
    return f;
}

}  // namespace acim::sc
