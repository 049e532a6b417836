#include <acim/sc/macro_tracer.hpp>

#include <acim/core/adc.hpp>

#include <algorithm>

namespace acim::sc {

using sc_core::sc_time;

struct macro_tracer::run_record {
    std::uint64_t run = 0;
    std::uint64_t first_vector = 0;  // global index of the batch's first vector
    std::size_t vectors = 0;         // stepped vectors: min(trace_vectors, batch)
    adc_kind adc = adc_kind::sar;
    bool ready = false;              // shaped from the plan at the first frame
    std::size_t tiles = 0, columns = 0, outputs = 0;
    int P = 0, Q = 0, adc_bits = 0;
    std::vector<int> col_output, col_bit;  // per traced column, -1 when the layer does not use it
    std::vector<int> act_lo, act_width;    // per activation cycle
    std::vector<step> steps;               // [(vector * tiles + tile) * Q + j]
};

namespace {

template <class T>
sc_core::sc_vector<sc_core::sc_signal<T>> signals(const char* name, std::size_t n, T init) {
    return sc_core::sc_vector<sc_core::sc_signal<T>>(
        name, n, [init](const char* nm, std::size_t) { return new sc_core::sc_signal<T>(nm, init); });
}

std::uint64_t conversion_slots(core::cycle_kind k, const core::cim_params& p) {
    switch (k) {
    case core::cycle_kind::analog: return 1;
    case core::cycle_kind::voted: return static_cast<std::uint64_t>(p.voting_samples);
    case core::cycle_kind::digital: return p.digital == core::digital_mode::adc ? 1 : 0;
    default: return 0;
    }
}

int flag_of(core::cycle_kind k) {
    switch (k) {
    case core::cycle_kind::analog: return macro_tracer::flag_analog;
    case core::cycle_kind::voted: return macro_tracer::flag_voted;
    default: return macro_tracer::flag_digital;
    }
}

}  // namespace

macro_tracer::macro_tracer(const sc_core::sc_module_name& name, const macro_config& cfg, frame_chain_backend& chain)
    : sc_module(name),
      m_cfg(cfg),
      m_cost(cfg),
      m_chain(chain),
      m_stepping("stepping", false),
      m_run("run", -1),
      m_vector("vector", -1),
      m_tile("tile", -1),
      m_cycle("cycle", -1),
      m_act_lo("act_lo", 0),
      m_act_width("act_width", 0),
      m_active_rows("active_rows", 0),
      m_col_output(signals<int>("col_output", cfg.trace_columns, -1)),
      m_col_bit(signals<int>("col_bit", cfg.trace_columns, -1)),
      m_col_kind(signals<int>("col_kind", cfg.trace_columns, flag_idle)),
      m_col_count(signals<int>("col_count", cfg.trace_columns, 0)),
      m_col_code(signals<int>("col_code", cfg.trace_columns, 0)),
      m_col_err(signals<int>("col_err", cfg.trace_columns, 0)),
      m_col_analog(signals<double>("col_analog", cfg.trace_columns, 0.0)),
      m_acc(signals<sc_dt::int64>("acc", cfg.trace_outputs, 0)),
      m_adc_conversion("adc_conversion", 0),
      m_adc_column("adc_column", -1),
      m_adc_sample("adc_sample", 0),
      m_adc_bit("adc_bit", -1),
      m_adc_sar("adc_sar", 0),
      m_adc_code("adc_code", 0),
      m_adc_decision("adc_decision", false) {
    SC_THREAD(drive);
}

macro_tracer::~macro_tracer() = default;

sc_time macro_tracer::clocks(std::uint64_t n) const {
    return sc_time(static_cast<double>(n * m_cfg.clock_period_ps), sc_core::SC_PS);
}

void macro_tracer::trace(sc_core::sc_trace_file* tf, const std::string& scope) {
    if (tf == nullptr) return;
    const std::string seq = scope + ".seq.", adc = scope + ".adc0.";
    sc_core::sc_trace(tf, m_stepping, seq + "stepping");
    sc_core::sc_trace(tf, m_run, seq + "run");
    sc_core::sc_trace(tf, m_vector, seq + "vector");
    sc_core::sc_trace(tf, m_tile, seq + "tile");
    sc_core::sc_trace(tf, m_cycle, seq + "cycle");
    sc_core::sc_trace(tf, m_act_lo, seq + "act_lo");
    sc_core::sc_trace(tf, m_act_width, seq + "act_width");
    sc_core::sc_trace(tf, m_active_rows, seq + "active_rows");
    for (std::size_t k = 0; k < m_cfg.trace_columns; ++k) {
        const std::string c = scope + ".col" + std::to_string(k) + ".";
        sc_core::sc_trace(tf, m_col_output[k], c + "output");
        sc_core::sc_trace(tf, m_col_bit[k], c + "bit");
        sc_core::sc_trace(tf, m_col_kind[k], c + "kind");
        sc_core::sc_trace(tf, m_col_analog[k], c + "analog");
        sc_core::sc_trace(tf, m_col_count[k], c + "count");
        sc_core::sc_trace(tf, m_col_code[k], c + "code");
        sc_core::sc_trace(tf, m_col_err[k], c + "err_lsb");
    }
    for (std::size_t m = 0; m < m_cfg.trace_outputs; ++m)
        sc_core::sc_trace(tf, m_acc[m], scope + ".out" + std::to_string(m) + ".acc");
    sc_core::sc_trace(tf, m_adc_conversion, adc + "conversion");
    sc_core::sc_trace(tf, m_adc_column, adc + "column");
    sc_core::sc_trace(tf, m_adc_sample, adc + "sample");
    sc_core::sc_trace(tf, m_adc_bit, adc + "bit");
    sc_core::sc_trace(tf, m_adc_decision, adc + "decision");
    sc_core::sc_trace(tf, m_adc_sar, adc + "sar");
    sc_core::sc_trace(tf, m_adc_code, adc + "code");
}

bool macro_tracer::in_window(std::uint64_t run) const {
    return run >= m_cfg.trace_first_run && run - m_cfg.trace_first_run < m_cfg.trace_runs;
}

// ---------------------------------------------------------------------------------------------
// Recording

void macro_tracer::begin_run(std::uint64_t run, const mvm_job& job) {
    auto r = std::make_shared<run_record>();
    r->run = run;
    r->first_vector = job.first_vector;
    r->vectors = std::min<std::size_t>(m_cfg.trace_vectors, job.vectors);
    r->adc = job.params.adc_arch;
    m_recording = std::move(r);
    shift_add& sa = m_chain.backend_adder();
    if (sa.monitor() != this) m_forward = sa.monitor();
    sa.set_monitor(this);
}

void macro_tracer::abort() {
    if (!m_recording) return;
    m_chain.backend_adder().set_monitor(m_forward);
    m_recording.reset();
}

void macro_tracer::on_frame(const sc_core::sc_module& block, const acim::tlm::frame_payload& f,
                            const sc_core::sc_time& delay) {
    if (m_forward != nullptr) m_forward->on_frame(block, f, delay);
    if (!m_recording || &block != &m_chain.backend_adder() || !m_chain.plan()) return;
    run_record& r = *m_recording;
    const core::frame_plan& pl = *m_chain.plan();
    const core::cim_params& p = pl.params();
    if (!r.ready) {
        r.ready = true;
        r.tiles = pl.tiles().size();
        r.columns = pl.columns();
        r.outputs = pl.outputs();
        r.P = pl.weight_cycles();
        r.Q = pl.act_cycles();
        r.adc_bits = p.adc_bits;
        r.col_output.assign(m_cfg.trace_columns, -1);
        r.col_bit.assign(m_cfg.trace_columns, -1);
        for (std::size_t k = 0; k < m_cfg.trace_columns && k < r.columns; ++k) {
            r.col_output[k] = static_cast<int>(k / static_cast<std::size_t>(r.P));
            r.col_bit[k] = static_cast<int>(k % static_cast<std::size_t>(r.P));
        }
        for (int j = 0; j < r.Q; ++j) {
            r.act_lo.push_back(pl.plan().act(j).lo);
            r.act_width.push_back(pl.plan().act(j).width);
        }
        r.steps.resize(r.vectors * r.tiles * static_cast<std::size_t>(r.Q));
    }
    const core::frame_data& d = *f.data;
    const core::adc_core& adc = *m_chain.adcs().core();
    const core::shift_add_core& acc = *m_chain.backend_adder().core();
    const std::int64_t top = pl.denominator();
    const int j = f.id.cycle;
    const auto P = static_cast<std::size_t>(r.P);
    const std::size_t words = pl.words();
    const core::act_cycle& a = pl.plan().act(j);
    for (std::size_t v = 0; v < f.id.vectors; ++v) {
        const std::uint64_t local = f.id.first_vector + v - r.first_vector;
        if (local >= r.vectors) break;
        step& s = r.steps[(local * r.tiles + f.id.tile) * static_cast<std::size_t>(r.Q) + static_cast<std::size_t>(j)];
        s.vector = local;
        s.tile = f.id.tile;
        s.j = j;
        std::uint32_t rows = 0;  // wordlines whose activation slice of cycle j is nonzero
        for (std::size_t k = 0; k < words; ++k) {
            std::uint64_t any = 0;
            for (int t = 0; t < a.width; ++t) any |= d.planes[(static_cast<std::size_t>(t) * words + k) * d.plane_stride + v];
            rows += static_cast<std::uint32_t>(__builtin_popcountll(any));
        }
        s.active_rows = rows;
        s.cols.assign(m_cfg.trace_columns, column_value{});
        for (std::size_t c = 0; c < s.cols.size() && c < r.columns; ++c) {
            const core::frame_cycle& cy = pl.cycle(static_cast<int>(c % P), j);
            column_value& cv = s.cols[c];
            cv.kind = flag_of(cy.kind);
            cv.count = d.count(v, c);
            cv.code = d.code(v, c);
            cv.analog = adc.analog_value(f.id, d, v, c);
            cv.err = cy.adc ? static_cast<std::int32_t>(cv.code - core::ideal_code(cv.count, cy.fs, top)) : 0;
        }
        s.acc.assign(m_cfg.trace_outputs, 0);
        for (std::size_t o = 0; o < s.acc.size() && o < r.outputs; ++o) s.acc[o] = acc.accumulator(v, o);
        s.adc0.clear();
        for (std::size_t c = 0; c < r.columns; c += m_cfg.adcs) {
            const core::frame_cycle& cy = pl.cycle(static_cast<int>(c % P), j);
            const auto slots = static_cast<int>(conversion_slots(cy.kind, p));
            for (int k = 0; k < slots; ++k) {
                const std::int32_t code =
                    cy.kind == core::cycle_kind::digital ? d.code(v, c) : adc.sample_code(f.id, d, v, c, k);
                s.adc0.push_back(conversion{static_cast<int>(c), k, code});
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduling

void macro_tracer::commit(const sc_time& t_start) {
    m_chain.backend_adder().set_monitor(m_forward);
    std::shared_ptr<const run_record> rec = std::move(m_recording);
    m_recording.reset();
    if (!rec || !rec->ready || !m_chain.plan()) return;
    const run_record& r = *rec;
    const core::frame_plan& pl = *m_chain.plan();

    run_shape shape;
    shape.params = &pl.params();
    shape.plan = &pl.plan();
    shape.adc = r.adc;
    shape.outputs = r.outputs;
    shape.rows = pl.rows();
    shape.tiles = &pl.tiles();
    std::vector<cycle_clocks> parts(static_cast<std::size_t>(r.Q));
    std::vector<std::uint64_t> offset(static_cast<std::size_t>(r.Q) + 1, 0);  // cycle starts within a tile
    for (int j = 0; j < r.Q; ++j) {
        const auto jj = static_cast<std::size_t>(j);
        parts[jj] = m_cost.activation_cycle_parts(shape, j);
        offset[jj + 1] = offset[jj] + parts[jj].total();
    }
    const std::uint64_t per_tile = offset.back();
    const std::uint64_t t_conv = m_cost.conversion_clocks(r.adc, r.adc_bits);
    const bool sar = r.adc == adc_kind::sar;

    auto push = [&](action::what w, std::uint64_t clk, std::size_t index = 0, int a = 0, int b = 0) {
        m_actions.push_back(action{w, t_start + clocks(clk), rec, index, a, b});
    };
    push(action::what::run_begin, 0);
    for (std::size_t v = 0; v < r.vectors; ++v) {
        for (std::size_t n = 0; n < r.tiles; ++n) {
            for (int j = 0; j < r.Q; ++j) {
                const auto jj = static_cast<std::size_t>(j);
                const std::size_t index = (v * r.tiles + n) * static_cast<std::size_t>(r.Q) + jj;
                const std::uint64_t t0 = m_cfg.start_cycles + (v * r.tiles + n) * per_tile + offset[jj];
                push(action::what::step, t0, index);
                const step& s = r.steps[index];
                const std::uint64_t first = t0 + parts[jj].dac + parts[jj].bitline;
                for (std::size_t k = 0; k < s.adc0.size(); ++k) {
                    const std::uint64_t tc = first + k * t_conv;
                    const int conv = static_cast<int>(k);
                    push(action::what::adc_start, tc, index, conv);
                    if (sar) {
                        for (int b = 0; b < r.adc_bits; ++b)
                            push(action::what::adc_bit, tc + m_cfg.adc_sample_cycles + static_cast<std::uint64_t>(b), index,
                                 conv, r.adc_bits - 1 - b);
                    } else {
                        push(action::what::adc_bit, tc + m_cfg.adc_sample_cycles, index, conv, -1);
                    }
                }
                if (!s.adc0.empty()) push(action::what::adc_idle, first + s.adc0.size() * t_conv, index);
            }
        }
    }
    push(action::what::run_end, m_cfg.start_cycles + r.vectors * r.tiles * per_tile);
    m_wake.notify(sc_core::SC_ZERO_TIME);
}

void macro_tracer::cancel(const sc_time& t) {
    abort();
    if (m_actions.empty()) return;
    std::shared_ptr<const run_record> run = m_actions.back().run;
    while (!m_actions.empty() && m_actions.back().at >= t) m_actions.pop_back();  // after the reset
    m_actions.push_back(action{action::what::run_end, t, std::move(run), 0, 0, 0});
    m_wake.notify(sc_core::SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------------------------
// Driving

void macro_tracer::drive() {
    for (;;) {
        if (m_actions.empty()) {
            wait(m_wake);
            continue;
        }
        const sc_time now = sc_core::sc_time_stamp();
        if (m_actions.front().at > now) {
            wait(m_actions.front().at - now, m_wake);
            continue;
        }
        while (!m_actions.empty() && m_actions.front().at <= now) {
            const action a = m_actions.front();
            m_actions.pop_front();
            apply(a);
        }
        // A VCD writes the values of a time step when the next one begins: end on a step of our own.
        if (m_actions.empty()) wait(clocks(1));
    }
}

void macro_tracer::apply(const action& a) {
    const run_record& r = *a.run;
    switch (a.kind) {
    case action::what::run_begin:
        m_run.write(static_cast<int>(r.run));
        m_conversions = 0;
        m_adc_conversion.write(0);
        for (std::size_t k = 0; k < r.col_output.size(); ++k) {
            m_col_output[k].write(r.col_output[k]);
            m_col_bit[k].write(r.col_bit[k]);
        }
        break;
    case action::what::step: {
        const step& s = r.steps[a.index];
        const auto j = static_cast<std::size_t>(s.j);
        m_stepping.write(true);
        m_vector.write(static_cast<int>(s.vector));
        m_tile.write(static_cast<int>(s.tile));
        m_cycle.write(s.j);
        m_act_lo.write(r.act_lo[j]);
        m_act_width.write(r.act_width[j]);
        m_active_rows.write(static_cast<int>(s.active_rows));
        for (std::size_t k = 0; k < s.cols.size(); ++k) {
            const column_value& c = s.cols[k];
            m_col_kind[k].write(c.kind);
            m_col_analog[k].write(c.analog);
            m_col_count[k].write(c.count);
            m_col_code[k].write(c.code);
            m_col_err[k].write(c.err);
        }
        for (std::size_t o = 0; o < s.acc.size(); ++o) m_acc[o].write(s.acc[o]);
        ++m_steps_shown;
        break;
    }
    case action::what::adc_start: {
        const conversion& c = r.steps[a.index].adc0[static_cast<std::size_t>(a.a)];
        m_adc_conversion.write(++m_conversions);
        m_adc_column.write(c.column);
        m_adc_sample.write(c.sample);
        m_adc_bit.write(-1);
        m_adc_decision.write(false);
        m_adc_sar.write(0);
        break;
    }
    case action::what::adc_bit: {
        const conversion& c = r.steps[a.index].adc0[static_cast<std::size_t>(a.a)];
        const int b = a.b;
        m_adc_bit.write(b);
        if (b < 0) {  // flash / ideal: the whole code in one clock
            m_adc_sar.write(c.code);
            m_adc_code.write(c.code);
            break;
        }
        m_adc_decision.write(((c.code >> b) & 1) != 0);
        m_adc_sar.write(c.code >> b << b);
        if (b == 0) m_adc_code.write(c.code);
        break;
    }
    case action::what::adc_idle:
        m_adc_column.write(-1);
        m_adc_bit.write(-1);
        m_adc_decision.write(false);
        break;
    case action::what::run_end:
        m_stepping.write(false);
        m_vector.write(-1);
        m_tile.write(-1);
        m_cycle.write(-1);
        m_active_rows.write(0);
        m_adc_column.write(-1);
        m_adc_bit.write(-1);
        m_adc_decision.write(false);
        break;
    }
}

}  // namespace acim::sc
