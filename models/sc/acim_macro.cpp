#include <acim/sc/acim_macro.hpp>

#include <acim/core/error.hpp>
#include <acim/sc/frame_chain_backend.hpp>
#include <acim/sc/macro_tracer.hpp>

#include <sysc/tracing/sc_tracing_ids.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <sstream>

namespace acim::sc {

namespace regmap = acim::tlm;
using sc_core::sc_time;

struct acim_macro::run_fault {
    regmap::error_code code;
    std::uint64_t where;
    std::string message;
};

namespace {

std::uint32_t get_le32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void put_le32(unsigned char* p, std::uint32_t v) {
    for (unsigned b = 0; b < 4; ++b) p[b] = static_cast<unsigned char>((v >> (8 * b)) & 0xFFu);
}

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << std::uppercase << v;
    return os.str();
}

// Copies between the payload and a window at `offset`, honouring streaming width and byte enables.
// Returns the bytes transferred.
std::size_t transfer(::tlm::tlm_generic_payload& gp, unsigned char* mem, std::uint64_t offset) {
    const unsigned len = gp.get_data_length();
    const unsigned sw = gp.get_streaming_width();
    const unsigned char* be = gp.get_byte_enable_ptr();
    const unsigned be_len = gp.get_byte_enable_length();
    unsigned char* data = gp.get_data_ptr();
    const bool write = gp.is_write();
    if (be == nullptr && sw >= len) {
        if (write) std::memcpy(mem + offset, data, len);
        else std::memcpy(data, mem + offset, len);
        return len;
    }
    std::size_t n = 0;
    for (unsigned k = 0; k < len; ++k) {
        if (be != nullptr && be[k % be_len] != TLM_BYTE_ENABLED) continue;
        unsigned char& m = mem[offset + k % sw];
        if (write) m = data[k];
        else data[k] = m;
        ++n;
    }
    return n;
}

// "TILE[1] (0x204) = 123": a register element and its value, for messages.
std::string describe_register(std::uint32_t off, std::uint32_t value) {
    const regmap::register_info* r = regmap::find_register(off);
    std::string n = r == nullptr ? std::string("?") : r->name;
    if (r != nullptr && r->count > 1) n += "[" + std::to_string((off - r->offset) / 4) + "]";
    return n + " (" + hex(off) + ") = " + std::to_string(value);
}

// The register (element) that sets the core parameter `core_name` ("tiles[3]" -> TILE[3]), or
// CTRL when no register does.
std::uint32_t register_for(const std::string& core_name) {
    const regmap::register_info* r = regmap::find_register_for_core_name(core_name);
    if (r == nullptr) return regmap::reg::ctrl;
    std::uint32_t k = 0;
    const auto bracket = core_name.find('[');
    if (r->count > 1 && bracket != std::string::npos) {
        for (std::size_t i = bracket + 1; i < core_name.size() && std::isdigit(static_cast<unsigned char>(core_name[i])); ++i)
            k = std::min<std::uint32_t>(k * 10 + static_cast<std::uint32_t>(core_name[i] - '0'), r->count);
    }
    return k < r->count ? r->offset + 4 * k : r->offset;
}

// The compute step; the frame chain's blocks become children of the macro under construction.
std::unique_ptr<mvm_backend> make_backend(const macro_config& cfg) {
    if (cfg.backend == compute_backend::frames) return std::make_unique<frame_chain_backend>(cfg);
    return std::make_unique<engine_backend>(core::engine_options{cfg.threads, core::kernel_isa::automatic});
}

macro_config validated(const macro_config& cfg, const char* module) {
    try {
        cfg.validate();
    } catch (const core::parameter_error& e) {
        const std::string msg = std::string(module) + ": invalid macro_config: " + e.what();
        SC_REPORT_ERROR(acim_macro::msg_type, msg.c_str());
    }
    return cfg.at_supply();  // the macro runs at hw.vdd_v (identity at the nominal supply)
}

}  // namespace

acim_macro::acim_macro(const sc_core::sc_module_name& name, const macro_config& cfg)
    : sc_module(name),
      bus_in("bus_in"),
      bus_in64("bus_in64"),
      irq_out("irq_out"),
      m_cfg(validated(cfg, basename())),
      m_cost(m_cfg),
      m_sizes(regmap::buffer_sizes(m_cfg.rows, m_cfg.cols, m_cfg.input_depth)),
      m_weights(m_sizes.weight, 0),
      m_inputs(m_sizes.input, 0),
      m_outputs(m_sizes.output, 0),
      m_backend(make_backend(m_cfg)) {
    bus_in.register_b_transport(this, &acim_macro::b_transport);
    bus_in.register_transport_dbg(this, &acim_macro::transport_dbg);
    bus_in.register_get_direct_mem_ptr(this, &acim_macro::get_direct_mem_ptr);
    bus_in64.register_b_transport(this, &acim_macro::b_transport);
    bus_in64.register_transport_dbg(this, &acim_macro::transport_dbg);
    bus_in64.register_get_direct_mem_ptr(this, &acim_macro::get_direct_mem_ptr);
    m_bank.reset([this](const regmap::register_info& r) { return instance_value(r); });
    bind_register_callbacks();

    SC_METHOD(update_irq);
    sensitive << m_done_event << m_irq_event;
    dont_initialize();

    if (m_cfg.trace_runs > 0) {
        m_chain = dynamic_cast<frame_chain_backend*>(m_backend.get());
        if (m_chain == nullptr) {
            m_trace_chain = std::make_unique<frame_chain_backend>(m_cfg);
            m_chain = m_trace_chain.get();
        }
        m_tracer = std::make_unique<macro_tracer>("trace", m_cfg, *m_chain);
        if (!m_cfg.trace_file.empty()) {
            std::string path = m_cfg.trace_file;
            if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".vcd") == 0) path.resize(path.size() - 4);
            m_trace_file = sc_core::sc_create_vcd_trace_file(path.c_str());
            // 1 ps resolves every clock period; its info report would only repeat that.
            const sc_core::sc_actions quiet = sc_core::sc_report_handler::set_actions(
                sc_core::SC_ID_TRACING_TIMESCALE_UNIT_, sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
            m_trace_file->set_time_unit(1.0, sc_core::SC_PS);
            sc_core::sc_report_handler::set_actions(sc_core::SC_ID_TRACING_TIMESCALE_UNIT_, sc_core::SC_INFO, quiet);
            m_tracer->trace(m_trace_file, "acim_macro");
        }
    }
}

acim_macro::~acim_macro() { close_trace_file(); }

void acim_macro::trace(sc_core::sc_trace_file* tf, const std::string& scope) {
    if (!m_tracer) {
        SC_REPORT_ERROR(msg_type, (std::string(name()) + ": trace() needs macro_config::trace_runs > 0").c_str());
        return;
    }
    m_tracer->trace(tf, scope.empty() ? std::string(name()) : scope);
}

void acim_macro::end_of_simulation() { close_trace_file(); }

void acim_macro::close_trace_file() {
    if (m_trace_file == nullptr) return;
    sc_core::sc_close_vcd_trace_file(m_trace_file);
    m_trace_file = nullptr;
}

sc_time acim_macro::clocks(std::uint64_t n) const {
    return sc_time(static_cast<double>(n * m_cfg.clock_period_ps), sc_core::SC_PS);
}

std::uint32_t acim_macro::instance_value(const regmap::register_info& r) const {
    switch (r.offset) {
    case regmap::reg::hw_rows: return m_cfg.rows;
    case regmap::reg::hw_cols: return m_cfg.cols;
    case regmap::reg::hw_adcs: return m_cfg.adcs;
    case regmap::reg::hw_depth: return m_cfg.input_depth;
    case regmap::reg::hw_clock_ps: return static_cast<std::uint32_t>(m_cfg.clock_period_ps);
    default: break;
    }
    SC_REPORT_FATAL(msg_type, ("register " + r.name + " names an unknown instance value " + r.reset_source).c_str());
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Address decode

acim_macro::decoded_address acim_macro::decode(std::uint64_t address) const {
    struct entry {
        window win;
        std::uint64_t base, size;
    };
    const entry map[] = {
        {window::registers, regmap::addr::reg_base, regmap::addr::reg_size},
        {window::weights, regmap::addr::weight_base, m_sizes.weight},
        {window::inputs, regmap::addr::input_base, m_sizes.input},
        {window::outputs, regmap::addr::output_base, m_sizes.output},
    };
    decoded_address d;
    for (const entry& e : map) {
        if (address >= e.base && address - e.base < e.size) {
            d.win = e.win;
            d.base = e.base;
            d.offset = address - e.base;
            d.size = e.size;
        }
    }
    return d;
}

unsigned char* acim_macro::memory(window w) {
    switch (w) {
    case window::weights: return m_weights.data();
    case window::inputs: return m_inputs.data();
    case window::outputs: return m_outputs.data();
    default: return nullptr;
    }
}

// ---------------------------------------------------------------------------------------------
// Bus callbacks

void acim_macro::b_transport(::tlm::tlm_generic_payload& gp, sc_time& delay) {
    const sc_time t = sc_core::sc_time_stamp() + delay;  // local time of the access
    sync(t);
    sc_time latency = clocks(m_cost.register_access_clocks());
    const decoded_address d = decode(gp.get_address());
    gp.set_dmi_allowed(false);
    switch (d.win) {
    case window::none: gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE); break;
    case window::registers: register_access(gp, d.offset, t, latency); break;
    default: buffer_access(gp, d, t, latency); break;
    }
    delay += latency;
}

void acim_macro::register_access(::tlm::tlm_generic_payload& gp, std::uint64_t offset, const sc_time& t,
                                 sc_time& latency) {
    const regmap::register_bank::decoded c = m_bank.check(gp, offset);
    if (c.status != ::tlm::TLM_OK_RESPONSE) {
        gp.set_response_status(c.status);
        return;
    }
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    if (gp.is_read()) {
        put_le32(gp.get_data_ptr(), m_bank.get(c.offset));
        return;
    }
    if (!gp.is_write()) return;  // TLM_IGNORE_COMMAND
    gp.set_response_status(m_bank.write(c, get_le32(gp.get_data_ptr()), t, t + latency));
}

void acim_macro::bind_register_callbacks() {
    using access = regmap::register_bank::write_access;
    // Configuration: rejected while busy; an accepted change invalidates every DMI grant.
    m_bank.on_write(regmap::reg_group::configuration, [this](const access& a) {
        if (m_running) {
            flag_error(regmap::error_code::config_write_busy, regmap::addr::reg_base + a.offset, a.t);
            return ::tlm::TLM_GENERIC_ERROR_RESPONSE;
        }
        const std::uint32_t old = m_bank.get(a.offset);
        m_bank.bus_write(a.reg, a.offset, a.data);
        if (m_bank.get(a.offset) != old) invalidate_dmi();
        return ::tlm::TLM_OK_RESPONSE;
    });
    m_bank.on_write(regmap::reg::ctrl, [this](const access& a) { return write_ctrl(a.data, a.t, a.t_end); });
    m_bank.on_write(regmap::reg::irq_status, [this](const access& a) {  // W1C, then the line follows
        m_bank.bus_write(a.reg, a.offset, a.data);
        schedule_irq_update(a.t);
        return ::tlm::TLM_OK_RESPONSE;
    });
    m_bank.on_write(regmap::reg::irq_set, [this](const access& a) {
        m_bank.set_bits(regmap::reg::irq_status,
                        m_bank.bus_write(a.reg, a.offset, a.data) & (regmap::irq_done | regmap::irq_error));
        schedule_irq_update(a.t);
        return ::tlm::TLM_OK_RESPONSE;
    });
}

::tlm::tlm_response_status acim_macro::write_ctrl(std::uint32_t data, const sc_time& t, const sc_time& t_start) {
    if (data & regmap::ctrl_soft_reset) {
        soft_reset(t);
        return ::tlm::TLM_OK_RESPONSE;
    }
    if ((data & regmap::ctrl_start) && m_running) {
        flag_error(regmap::error_code::start_busy, regmap::addr::reg_base + regmap::reg::ctrl, t);
        return ::tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    m_bank.bus_write(*regmap::find_register(regmap::reg::ctrl), regmap::reg::ctrl, data);
    if (data & regmap::ctrl_clear_counters) clear_counters();
    if (data & regmap::ctrl_start) start(t, t_start);
    schedule_irq_update(t);
    return ::tlm::TLM_OK_RESPONSE;
}

void acim_macro::buffer_access(::tlm::tlm_generic_payload& gp, const decoded_address& d, const sc_time& t,
                               sc_time& latency) {
    const unsigned len = gp.get_data_length();
    const unsigned sw = gp.get_streaming_width();
    const std::uint64_t extent = std::min(len, sw);  // bytes of the window the access touches
    if (d.offset + extent > d.size) {
        gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (gp.is_write() && d.win == window::outputs) {
        gp.set_response_status(::tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
    if (len == 0 || sw == 0) {
        gp.set_response_status(::tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    if (gp.get_byte_enable_ptr() != nullptr && gp.get_byte_enable_length() == 0) {
        gp.set_response_status(::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    const bool weight_write = gp.is_write() && d.win == window::weights;
    latency = clocks(weight_write ? m_cost.weight_write_clocks(len) : m_cost.buffer_access_clocks(len));
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    if (!gp.is_read() && !gp.is_write()) return;  // TLM_IGNORE_COMMAND
    if (gp.is_write() && m_running) {
        flag_error(regmap::error_code::buffer_write_busy, d.base + d.offset, t);
        gp.set_response_status(::tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    const std::size_t n = transfer(gp, memory(d.win), d.offset);
    if (weight_write) {
        ++m_weights_version;
        add_energy(m_cost.weight_write_energy(n));
    }
    gp.set_dmi_allowed(d.win != window::inputs || !m_running);
}

unsigned acim_macro::transport_dbg(::tlm::tlm_generic_payload& gp) {
    const decoded_address d = decode(gp.get_address());
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    if (d.win == window::none) {
        gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    if (!gp.is_read() && !gp.is_write()) return 0;
    const unsigned len = gp.get_data_length();
    unsigned char* data = gp.get_data_ptr();
    if (d.win == window::registers) {
        if (gp.is_read()) return m_bank.debug_read(d.offset, data, len);
        const unsigned n = m_bank.debug_write(d.offset, data, len);
        schedule_irq_update(sc_core::sc_time_stamp());  // irq_out follows CTRL.IRQ_ENABLE (integration.md)
        return n;
    }
    const auto n = static_cast<unsigned>(std::min<std::uint64_t>(len, d.size - d.offset));
    unsigned char* mem = memory(d.win) + d.offset;
    if (gp.is_read()) {
        std::memcpy(data, mem, n);
    } else {
        std::memcpy(mem, data, n);
        if (d.win == window::weights) ++m_weights_version;  // keeps the decoded-weight cache honest
    }
    return n;
}

bool acim_macro::get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi) {
    sync(sc_core::sc_time_stamp());
    const decoded_address d = decode(gp.get_address());
    dmi.allow_none();
    if (d.win == window::none) {
        dmi.set_start_address(gp.get_address());
        dmi.set_end_address(gp.get_address());
        return false;
    }
    dmi.set_start_address(d.base);
    dmi.set_end_address(d.base + d.size - 1);
    if (d.win == window::registers || (d.win == window::inputs && m_running)) return false;
    dmi.set_dmi_ptr(memory(d.win));
    if (d.win == window::inputs) dmi.allow_read_write();
    else dmi.allow_read();
    dmi.set_read_latency(clocks(1));
    dmi.set_write_latency(clocks(1));
    return true;
}

void acim_macro::invalidate_dmi() {
    // Every bound socket: an initiator may hold a grant through either width.
    if (bus_in.size() > 0) bus_in->invalidate_direct_mem_ptr(0, regmap::addr::macro_span - 1);
    if (bus_in64.size() > 0) bus_in64->invalidate_direct_mem_ptr(0, regmap::addr::macro_span - 1);
}

void acim_macro::end_of_elaboration() {
    if (bus_in.size() == 0 && bus_in64.size() == 0) {
        const std::string msg = std::string(name()) + ": neither bus_in (32 bits) nor bus_in64 (64 bits) is bound";
        SC_REPORT_ERROR(msg_type, msg.c_str());
    }
}

// ---------------------------------------------------------------------------------------------
// Runs

void acim_macro::sync(const sc_time& t) {
    if (m_running && t >= m_done_time) complete();
}

void acim_macro::start(const sc_time& t, const sc_time& t_start) {
    mvm_job job;
    auto fail = [&](regmap::error_code code, std::uint64_t where, const std::string& why) {
        const std::string msg = std::string(name()) + ": START rejected: " + why;
        SC_REPORT_WARNING(msg_type, msg.c_str());
        flag_error(code, where, t);
    };
    auto param_fault = [&](const core::parameter_error& e) {
        const std::uint32_t off = register_for(e.name());
        fail(regmap::error_code::bad_config, regmap::addr::reg_base + off,
             describe_register(off, m_bank.get(off)) + ": " + e.what());
    };
    // A run in the trace window takes the frame chain: bit-identical, and its frames are recorded.
    const bool traced = m_tracer && m_tracer->in_window(m_runs_started);
    mvm_backend& backend = traced ? static_cast<mvm_backend&>(*m_chain) : *m_backend;
    try {
        prepare_run(job);
        if (traced) m_tracer->begin_run(m_runs_started, job);
        backend.compute(job, m_staged);
    } catch (const run_fault& f) {
        if (traced) m_tracer->abort();
        fail(f.code, f.where, f.message);
        return;
    } catch (const core::parameter_error& e) {
        if (traced) m_tracer->abort();
        param_fault(e);
        return;
    } catch (const std::exception& e) {
        if (traced) m_tracer->abort();
        fail(regmap::error_code::internal, regmap::addr::reg_base + regmap::reg::ctrl, e.what());
        return;
    }
    ++m_runs_started;
    if (traced) m_tracer->commit(t_start);

    const core::cycle_plan plan(job.params);
    run_shape s;
    s.params = &job.params;
    s.plan = &plan;
    s.adc = job.params.adc_arch;
    s.outputs = job.outputs;
    s.rows = job.rows;
    s.tiles = &job.tiles;
    s.vectors = job.vectors;
    s.inputs = job.inputs;
    if (!m_staged.active_rows.empty()) s.active_rows = &m_staged.active_rows;  // counted by the frame chain
    m_run_cost = m_cost.run(s, m_staged.counters);
    if (m_staged.cycles != 0) m_run_cost.cycles = m_staged.cycles;  // the frame chain's annotated time

    m_bank.set(regmap::reg::status, regmap::status_busy);
    m_bank.set(regmap::reg::error_code, 0);
    m_bank.set(regmap::reg::error_addr, 0);
    m_running = true;
    m_done_time = t_start + clocks(m_run_cost.cycles);
    m_done_event.notify(m_done_time - sc_core::sc_time_stamp());
    invalidate_dmi();
}

void acim_macro::prepare_run(mvm_job& job) {
    auto value = [this](std::uint32_t off) { return m_bank.get(off); };
    auto fault = [&](std::uint32_t off, const std::string& why) {
        return run_fault{regmap::error_code::bad_config, regmap::addr::reg_base + off,
                         describe_register(off, value(off)) + ": " + why};
    };
    auto check_enum = [&](std::uint32_t off, std::uint32_t max) {
        if (value(off) > max) throw fault(off, "must lie in [0, " + std::to_string(max) + "]");
    };
    // Every register that carries a core parameter decodes through its table entry's codec.
    core::cim_params& p = job.params;
    for (const regmap::register_info* r : regmap::parameter_registers()) {
        try {
            r->codec->decode(value(r->offset), p, r->name);
        } catch (const regmap::codec_error& e) {
            throw fault(r->offset, "must lie in " + e.valid());
        }
    }
    check_enum(regmap::reg::tile_mode, regmap::tile_mode_list);
    p.adcs = static_cast<int>(m_cfg.adcs);
    p.validate();  // parameter_error names the field; start() maps it to its register

    const std::uint32_t rows = value(regmap::reg::rows_used);
    if (rows < 1 || rows > m_cfg.rows)
        throw fault(regmap::reg::rows_used, "must lie in [1, HW_ROWS = " + std::to_string(m_cfg.rows) + "]");
    const std::uint32_t outputs = value(regmap::reg::outputs);
    const std::uint32_t max_outputs = m_cfg.cols / static_cast<std::uint32_t>(p.wbit);
    if (outputs < 1 || outputs > max_outputs)
        throw fault(regmap::reg::outputs, "must lie in [1, HW_COLS / WBIT = " + std::to_string(max_outputs) + "]");
    const std::uint32_t batch = value(regmap::reg::batch);
    if (batch < 1 || batch > m_cfg.input_depth)
        throw fault(regmap::reg::batch, "must lie in [1, HW_DEPTH = " + std::to_string(m_cfg.input_depth) + "]");

    job.tiles.clear();
    if (value(regmap::reg::tile_mode) == regmap::tile_mode_dense) {
        job.tiles = core::dense_tiling(rows, p.row_parallelism);
    } else {
        const std::uint32_t count = value(regmap::reg::tile_count);
        if (count < 1 || count > regmap::reg::max_tiles)
            throw fault(regmap::reg::tile_count, "must lie in [1, " + std::to_string(regmap::reg::max_tiles) + "]");
        for (std::uint32_t n = 0; n < count; ++n) {
            const std::uint32_t e = value(regmap::reg::tile + 4 * n);
            job.tiles.push_back(core::row_tile{e & 0xFFFFu, e >> 16});
        }
    }

    // Weights: decoded from the SRAM bits again only when they or their interpretation changed.
    if (m_wcodes_version != m_weights_version || m_wcodes_wbit != p.wbit || m_wcodes_outputs != outputs ||
        m_wcodes_rows != rows) {
        m_wcodes.resize(std::size_t{outputs} * rows);
        regmap::unpack_weights(m_weights.data(), m_cfg.cols, outputs, rows, p.wbit, m_wcodes.data());
        m_wcodes_version = m_weights_version;
        m_wcodes_wbit = p.wbit;
        m_wcodes_outputs = outputs;
        m_wcodes_rows = rows;
    }

    const std::size_t count = std::size_t{batch} * rows;
    m_xcodes.resize(count);
    const std::size_t bad = regmap::decode_inputs(m_inputs.data(), count, p.xbit, p.signed_act, m_xcodes.data());
    if (bad != regmap::npos) {
        const std::uint64_t at = regmap::addr::input_base + bad * regmap::input_code_bytes(p.xbit);
        const int lo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
        const int hi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
        throw run_fault{regmap::error_code::bad_input, at,
                        "input code " + std::to_string(m_xcodes[bad]) + " of vector " + std::to_string(bad / rows) +
                            ", row " + std::to_string(bad % rows) + " at " + hex(at) + " lies outside [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "] (XBIT = " + std::to_string(p.xbit) +
                            (p.signed_act ? ", signed)" : ", unsigned)")};
    }

    job.weights = m_wcodes.data();
    job.outputs = outputs;
    job.rows = rows;
    job.weights_version = m_weights_version;
    job.inputs = m_xcodes.data();
    job.inputs_checked = true;  // decode_inputs checked every code against the XBIT range
    job.vectors = batch;
    job.first_vector = m_bank.get64(regmap::reg::vector_base_lo);
    job.key.seed = m_bank.get64(regmap::reg::seed_lo);
    job.key.die = value(regmap::reg::die_id);
    job.key.macro = value(regmap::reg::macro_id);
    job.key.layer = value(regmap::reg::layer_id);
    job.key.column_base = value(regmap::reg::column_base);
    job.key.tile_base = value(regmap::reg::tile_base);
}

void acim_macro::complete() {
    const std::size_t n = m_staged.numerators.size();
    regmap::encode_outputs(m_staged.numerators.data(), n, m_outputs.data());
    m_bank.set(regmap::reg::out_denom, static_cast<std::uint32_t>(m_staged.denominator));
    auto add64 = [this](std::uint32_t lo, std::uint64_t v) { m_bank.set64(lo, m_bank.get64(lo) + v); };
    add64(regmap::reg::cycles_lo, m_run_cost.cycles);
    add64(regmap::reg::conversions_lo, m_staged.counters.adc_conversions);
    add64(regmap::reg::digital_lo, m_staged.counters.digital);
    add64(regmap::reg::votes_lo, m_staged.counters.voted);
    add64(regmap::reg::saturations_lo, m_staged.counters.saturations);
    // A new cycle grid (other WBIT, XBIT, ACT_ENC or signedness) starts the histograms anew.
    const core::code_error_histogram& h = m_staged.code_errors;
    if (!h.empty() && (h.weight_cycles != m_code_errors.weight_cycles || h.act_cycles != m_code_errors.act_cycles))
        m_code_errors = {};
    m_code_errors += h;
    add_energy(m_run_cost.energy.total());
    m_bank.set(regmap::reg::runs, m_bank.get(regmap::reg::runs) + 1);
    m_bank.clear_bits(regmap::reg::status, regmap::status_busy);
    m_bank.set_bits(regmap::reg::status, regmap::status_done);
    // An initiator running ahead of the kernel may complete the run early; the interrupt still
    // rises at the completion time.
    if (!(m_bank.get(regmap::reg::irq_status) & regmap::irq_done) && sc_core::sc_time_stamp() < m_done_time)
        m_irq_hold_until = m_done_time;
    m_bank.set_bits(regmap::reg::irq_status, regmap::irq_done);
    m_running = false;
}

void acim_macro::soft_reset(const sc_time& t) {
    m_done_event.cancel();
    if (m_tracer) m_tracer->cancel(t);
    m_running = false;
    m_staged = mvm_result{};
    m_bank.reset([this](const regmap::register_info& r) { return instance_value(r); });
    m_energy_fj = 0.0;
    m_code_errors = {};
    m_irq_hold_until = sc_core::SC_ZERO_TIME;
    invalidate_dmi();
    schedule_irq_update(t);
}

void acim_macro::clear_counters() {
    for (const regmap::register_info& r : regmap::register_table())
        if (r.group == regmap::reg_group::counters) m_bank.set(r.offset, 0);
    m_energy_fj = 0.0;
    m_code_errors = {};
}

void acim_macro::add_energy(double fj) {
    m_energy_fj += fj;
    m_bank.set64(regmap::reg::energy_lo, static_cast<std::uint64_t>(std::llround(m_energy_fj)));
}

void acim_macro::flag_error(regmap::error_code code, std::uint64_t where, const sc_time& t) {
    m_bank.set_bits(regmap::reg::status, regmap::status_error);
    m_bank.set(regmap::reg::error_code, static_cast<std::uint32_t>(code));
    m_bank.set(regmap::reg::error_addr, static_cast<std::uint32_t>(where));
    m_bank.set_bits(regmap::reg::irq_status, regmap::irq_error);
    schedule_irq_update(t);
}

// ---------------------------------------------------------------------------------------------
// Interrupt

void acim_macro::schedule_irq_update(const sc_time& t) { m_irq_event.notify(t - sc_core::sc_time_stamp()); }

bool acim_macro::irq_level() const {
    if (!(m_bank.get(regmap::reg::ctrl) & regmap::ctrl_irq_enable)) return false;
    std::uint32_t causes = m_bank.get(regmap::reg::irq_status);
    if (sc_core::sc_time_stamp() < m_irq_hold_until) causes &= ~regmap::irq_done;
    return causes != 0;
}

void acim_macro::update_irq() {
    sync(sc_core::sc_time_stamp());
    irq_out.write(irq_level());
}

}  // namespace acim::sc
