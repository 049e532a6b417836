#include <acim/vp/acim_driver.hpp>

#include <acim/tlm/buffer_layout.hpp>

#include <acim/tlm/register_table.hpp>

#include <algorithm>
#include <sstream>

namespace acim::vp {

namespace regmap = acim::tlm;
namespace R = acim::tlm::reg;

namespace {

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << std::uppercase << v;
    return os.str();
}

std::int32_t code_min(int bits, bool is_signed) { return is_signed ? -(std::int32_t{1} << (bits - 1)) : 0; }
std::int32_t code_max(int bits, bool is_signed) {
    return is_signed ? (std::int32_t{1} << (bits - 1)) - 1 : (std::int32_t{1} << bits) - 1;
}

}  // namespace

macro_counters macro_counters::operator-(const macro_counters& before) const {
    macro_counters d;
    d.cycles = cycles - before.cycles;
    d.conversions = conversions - before.conversions;
    d.digital_cycles = digital_cycles - before.digital_cycles;
    d.votes = votes - before.votes;
    d.saturations = saturations - before.saturations;
    d.energy_fj = energy_fj - before.energy_fj;
    d.runs = runs - before.runs;
    return d;
}

driver_error::driver_error(const std::string& what, regmap::error_code code, std::uint32_t where)
    : std::runtime_error(what), m_code(code), m_where(where) {}

acim_driver::acim_driver(bus_port& bus, std::uint64_t base, unsigned irq_line, driver_options opt)
    : m_bus(bus), m_base(base), m_irq_line(irq_line), m_opt(opt) {}

std::string acim_driver::where() const { return "macro at " + hex(m_base); }

const macro_info& acim_driver::probe() {
    macro_info i;
    i.id = rd(R::id);
    if (i.id != regmap::id_value)
        throw driver_error(where() + ": ID reads " + hex(i.id) + ", not " + hex(regmap::id_value) + " (\"ACIM\")");
    i.version = rd(R::version);
    if (i.version >> 16 != regmap::version_value >> 16)
        throw driver_error(where() + ": register map version " + hex(i.version) + " is not major version " +
                           std::to_string(regmap::version_value >> 16));
    i.rows = rd(R::hw_rows);
    i.cols = rd(R::hw_cols);
    i.adcs = rd(R::hw_adcs);
    i.depth = rd(R::hw_depth);
    i.clock_period_ps = rd(R::hw_clock_ps);
    m_info = i;
    m_probed = true;
    return m_info;
}

core::cim_params acim_driver::register_values(const core::cim_params& p) {
    try {
        return regmap::register_values(p);
    } catch (const regmap::codec_error& e) {
        throw driver_error(e.what());
    }
}

void acim_driver::configure(const layer_config& l) {
    if (m_pending != 0) throw driver_error(where() + ": configure() while a batch is pending; collect() it first");
    if (!m_probed) probe();
    const core::cim_params& p = l.params;
    // What the driver itself needs to lay out buffers; everything else the macro checks at START.
    if (p.wbit < 2 || p.wbit > 16) throw driver_error("layer wbit = " + std::to_string(p.wbit) + " outside [2, 16]");
    if (p.xbit < 1 || p.xbit > 16) throw driver_error("layer xbit = " + std::to_string(p.xbit) + " outside [1, 16]");
    if (p.cell_redraw || p.weight_bit_parallel)
        throw driver_error("cell_redraw and weight_bit_parallel have no register encoding");
    // Static mismatch: the macro converts with HW_ADCS ADCs; a reference computed with another
    // count would silently differ.
    if (p.mismatch() && p.adcs != 0 && static_cast<std::uint32_t>(p.adcs) != m_info.adcs)
        throw driver_error("layer params.adcs = " + std::to_string(p.adcs) + " differs from " + where() +
                           " HW_ADCS = " + std::to_string(m_info.adcs) + " (static mismatch)");
    if (l.rows < 1 || l.rows > m_info.rows)
        throw driver_error("layer rows = " + std::to_string(l.rows) + " do not fit " + where() + " (HW_ROWS = " +
                           std::to_string(m_info.rows) + ")");
    if (l.outputs < 1 || l.outputs * static_cast<std::size_t>(p.wbit) > m_info.cols)
        throw driver_error("layer outputs = " + std::to_string(l.outputs) + " x wbit " + std::to_string(p.wbit) +
                           " do not fit " + where() + " (HW_COLS = " + std::to_string(m_info.cols) + ")");
    if (l.tiles.size() > R::max_tiles)
        throw driver_error("layer has " + std::to_string(l.tiles.size()) + " row tiles; TILE holds " +
                           std::to_string(R::max_tiles));
    for (const core::row_tile& t : l.tiles)
        if (t.begin > 0xFFFFu || t.end > 0xFFFFu) throw driver_error("row tile bounds must fit 16 bits");
    (void)register_values(p);  // every register-carried setting encodable, before any register changes

    m_configured = false;
    // Every register that carries a core parameter, in offset order, encoded by its table entry.
    for (const regmap::register_info* r : regmap::parameter_registers()) wr(r->offset, r->codec->encode(p, r->core_name));
    wr(R::seed_lo, static_cast<std::uint32_t>(l.key.seed & 0xFFFFFFFFu));
    wr(R::seed_hi, static_cast<std::uint32_t>(l.key.seed >> 32));
    wr(R::die_id, l.key.die);
    wr(R::macro_id, l.key.macro);
    wr(R::layer_id, l.key.layer);
    wr(R::column_base, l.key.column_base);
    wr(R::tile_base, l.key.tile_base);
    wr(R::rows_used, static_cast<std::uint32_t>(l.rows));
    wr(R::outputs, static_cast<std::uint32_t>(l.outputs));
    wr(R::tile_mode, l.tiles.empty() ? regmap::tile_mode_dense : regmap::tile_mode_list);
    wr(R::tile_count, static_cast<std::uint32_t>(l.tiles.size()));
    for (std::size_t n = 0; n < l.tiles.size(); ++n)
        wr(R::tile + 4 * static_cast<std::uint32_t>(n),
           regmap::tile_entry(static_cast<std::uint32_t>(l.tiles[n].begin), static_cast<std::uint32_t>(l.tiles[n].end)));
    m_layer = l;
    m_configured = true;
}

void acim_driver::require_configured(const char* what) const {
    if (!m_configured) throw driver_error(std::string(what) + " before configure() on " + where());
}

void acim_driver::load_weights(const std::int32_t* w) {
    require_configured("load_weights()");
    if (m_pending != 0) throw driver_error(where() + ": load_weights() while a batch is pending");
    const int wbit = m_layer.params.wbit;
    const std::size_t n = m_layer.outputs * m_layer.rows;
    const std::int32_t lo = code_min(wbit, true), hi = code_max(wbit, true);
    for (std::size_t k = 0; k < n; ++k)
        if (w[k] < lo || w[k] > hi)
            throw driver_error("weight " + std::to_string(w[k]) + " of output " + std::to_string(k / m_layer.rows) +
                               ", row " + std::to_string(k % m_layer.rows) + " lies outside the " +
                               std::to_string(wbit) + "-bit range");
    const std::size_t row_bytes = regmap::weight_row_bytes(m_info.cols);
    const std::size_t used = (m_layer.outputs * static_cast<std::size_t>(wbit) + 7) / 8;
    m_bytes.assign(m_layer.rows * row_bytes, 0);
    regmap::pack_weights(w, m_layer.outputs, m_layer.rows, wbit, m_info.cols, m_bytes.data());
    const std::uint64_t at = m_base + regmap::addr::weight_base;
    if (used == row_bytes) {
        m_bus.write_block(at, m_bytes.data(), m_bytes.size());
        return;
    }
    // A partial row is one wordline write of the used columns; other columns keep their bits
    // except those sharing the last used byte, which are cleared.
    for (std::size_t r = 0; r < m_layer.rows; ++r)
        m_bus.write_block(at + r * row_bytes, m_bytes.data() + r * row_bytes, used);
}

void acim_driver::submit(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector) {
    require_configured("submit()");
    if (m_pending != 0) throw driver_error(where() + ": submit() while a batch is pending; collect() it first");
    if (vectors < 1 || vectors > m_info.depth)
        throw driver_error("batch of " + std::to_string(vectors) + " vectors; " + where() + " takes 1.." +
                           std::to_string(m_info.depth));
    const core::cim_params& p = m_layer.params;
    const std::size_t n = vectors * m_layer.rows;
    const std::int32_t lo = code_min(p.xbit, p.signed_act), hi = code_max(p.xbit, p.signed_act);
    for (std::size_t k = 0; k < n; ++k)
        if (x[k] < lo || x[k] > hi)
            throw driver_error("input code " + std::to_string(x[k]) + " of vector " + std::to_string(k / m_layer.rows) +
                               ", row " + std::to_string(k % m_layer.rows) + " lies outside [" + std::to_string(lo) +
                               ", " + std::to_string(hi) + "]");
    wr(R::batch, static_cast<std::uint32_t>(vectors));
    wr(R::vector_base_lo, static_cast<std::uint32_t>(first_vector & 0xFFFFFFFFu));
    wr(R::vector_base_hi, static_cast<std::uint32_t>(first_vector >> 32));
    m_bytes.resize(n * regmap::input_code_bytes(p.xbit));
    regmap::encode_inputs(x, n, p.xbit, m_bytes.data());
    m_bus.write_block(m_base + regmap::addr::input_base, m_bytes.data(), m_bytes.size());
    wr(R::ctrl, regmap::ctrl_start | (m_opt.mode == completion::interrupt ? regmap::ctrl_irq_enable : 0u));
    m_pending = vectors;
}

std::uint32_t acim_driver::wait_done() {
    const std::uint32_t causes = regmap::irq_done | regmap::irq_error;
    if (m_opt.mode == completion::interrupt) {
        for (;;) {
            m_bus.wait_irq(m_irq_line);
            const std::uint32_t s = rd(R::irq_status) & causes;  // the line may be shared or stale
            if (s != 0) return s;
        }
    }
    for (;;) {
        const std::uint32_t s = rd(R::status);
        if (!(s & regmap::status_busy)) {
            if (s & regmap::status_error) return regmap::irq_error;
            if (s & regmap::status_done) return regmap::irq_done;
            throw driver_error(where() + ": idle without DONE after START (STATUS = " + hex(s) + ")");
        }
        if (m_opt.poll_interval_ps != 0) m_bus.idle(m_opt.poll_interval_ps);
    }
}

void acim_driver::collect(std::int64_t* out) {
    if (m_pending == 0) throw driver_error(where() + ": collect() without a submitted batch");
    const std::size_t vectors = m_pending;
    const std::uint32_t cause = wait_done();
    m_pending = 0;
    if (cause & regmap::irq_error) {
        const auto code = static_cast<regmap::error_code>(rd(R::error_code));
        const std::uint32_t at = rd(R::error_addr);
        wr(R::irq_status, regmap::irq_done | regmap::irq_error);
        throw driver_error(where() + ": START failed with " + regmap::to_string(code) + " (ERROR_ADDR " + hex(at) + ")",
                           code, at);
    }
    wr(R::irq_status, regmap::irq_done);
    m_denominator = rd(R::out_denom);
    const std::size_t n = vectors * m_layer.outputs;
    m_bytes.resize(n * 8);
    m_bus.read_block(m_base + regmap::addr::output_base, m_bytes.data(), m_bytes.size());
    regmap::decode_outputs(m_bytes.data(), n, out);
}

void acim_driver::run_batch(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector, std::int64_t* out) {
    require_configured("run_batch()");
    for (std::size_t done = 0; done < vectors;) {
        const std::size_t n = std::min<std::size_t>(vectors - done, m_info.depth);
        submit(x + done * m_layer.rows, n, first_vector + done);
        collect(out + done * m_layer.outputs);
        done += n;
    }
}

std::vector<std::int64_t> acim_driver::run_batch(const std::vector<std::int32_t>& x, std::uint64_t first_vector) {
    require_configured("run_batch()");
    if (x.size() % m_layer.rows != 0)
        throw driver_error("input of " + std::to_string(x.size()) + " codes is not a whole number of " +
                           std::to_string(m_layer.rows) + "-row vectors");
    const std::size_t vectors = x.size() / m_layer.rows;
    std::vector<std::int64_t> out(vectors * m_layer.outputs);
    run_batch(x.data(), vectors, first_vector, out.data());
    return out;
}

std::uint64_t acim_driver::read64(std::uint32_t lo) {
    // HI, LO, HI again: a run that completes between the two halves carries into HI.
    for (;;) {
        const std::uint32_t hi = rd(lo + 4);
        const std::uint32_t low = rd(lo);
        if (rd(lo + 4) == hi) return std::uint64_t{hi} << 32 | low;
    }
}

macro_counters acim_driver::read_counters() {
    macro_counters c;
    c.cycles = read64(R::cycles_lo);
    c.conversions = read64(R::conversions_lo);
    c.digital_cycles = read64(R::digital_lo);
    c.votes = read64(R::votes_lo);
    c.saturations = read64(R::saturations_lo);
    c.energy_fj = read64(R::energy_lo);
    c.runs = rd(R::runs);
    return c;
}

void acim_driver::soft_reset() {
    wr(R::ctrl, regmap::ctrl_soft_reset);
    m_configured = false;
    m_pending = 0;
}

}  // namespace acim::vp
