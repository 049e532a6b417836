#include <acim/vp/cpu.hpp>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>

namespace acim::vp {

using sc_core::sc_time;

namespace {

sc_time ps(std::uint64_t n) { return sc_time(static_cast<double>(n), sc_core::SC_PS); }

bus_status to_bus_status(::tlm::tlm_response_status s) {
    switch (s) {
    case ::tlm::TLM_OK_RESPONSE: return bus_status::ok;
    case ::tlm::TLM_INCOMPLETE_RESPONSE: return bus_status::incomplete;
    case ::tlm::TLM_GENERIC_ERROR_RESPONSE: return bus_status::generic_error;
    case ::tlm::TLM_ADDRESS_ERROR_RESPONSE: return bus_status::address_error;
    case ::tlm::TLM_COMMAND_ERROR_RESPONSE: return bus_status::command_error;
    case ::tlm::TLM_BURST_ERROR_RESPONSE: return bus_status::burst_error;
    case ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return bus_status::byte_enable_error;
    }
    return bus_status::generic_error;
}

void prepare(::tlm::tlm_generic_payload& gp, ::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data,
             unsigned length) {
    gp.set_command(cmd);
    gp.set_address(address);
    gp.set_data_ptr(data);
    gp.set_data_length(length);
    gp.set_streaming_width(length);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
}

bool overlaps(const ::tlm::tlm_dmi& d, std::uint64_t first, std::uint64_t last) {
    return d.get_start_address() <= last && first <= d.get_end_address();
}

}  // namespace

cpu::cpu(const sc_core::sc_module_name& name, const cpu_config& cfg)
    : sc_module(name), bus_out("bus_out"), irq_in("irq_in", cfg.irq_lines), m_cfg(cfg) {
    if (m_cfg.dmi_beat_bytes == 0) {
        const std::string msg = std::string(basename()) + ": cpu_config.dmi_beat_bytes must be > 0";
        SC_REPORT_ERROR(msg_type, msg.c_str());
    }
    bus_out.register_invalidate_direct_mem_ptr(this, &cpu::invalidate_direct_mem_ptr);
    ::tlm::tlm_global_quantum::instance().set(ps(m_cfg.quantum_ps));
    SC_THREAD(run);
    set_stack_size(m_cfg.stack_bytes);
}

void cpu::run() {
    m_qk.reset();
    try {
        if (m_firmware) m_firmware(*this);
        m_qk.sync();
    } catch (const sc_core::sc_unwind_exception&) {
        throw;  // the kernel is killing or resetting this thread
    } catch (const std::exception& e) {
        m_failed = true;
        m_failure = e.what();
    }
    m_finished = true;
    if (m_cfg.stop_when_done) sc_core::sc_stop();
    if (m_failed) {
        const std::string msg = std::string(name()) + ": firmware failed: " + m_failure;
        SC_REPORT_ERROR(msg_type, msg.c_str());
    }
}

void cpu::set_quantum(const sc_time& q) {
    m_qk.sync();
    ::tlm::tlm_global_quantum::instance().set(q);
    m_qk.reset();
}

void cpu::after_access() {
    if (m_qk.need_sync()) m_qk.sync();
}

void cpu::drop_dmi(std::uint64_t first, std::uint64_t last) {
    m_dmi.erase(std::remove_if(m_dmi.begin(), m_dmi.end(), [&](const ::tlm::tlm_dmi& d) { return overlaps(d, first, last); }),
                m_dmi.end());
}

const ::tlm::tlm_dmi* cpu::find_dmi(std::uint64_t address, std::size_t length, bool write) const {
    const std::uint64_t last = address + (length == 0 ? 0 : length - 1);
    for (const ::tlm::tlm_dmi& d : m_dmi) {
        if (address < d.get_start_address() || last > d.get_end_address() || last < address) continue;
        if (write ? d.is_write_allowed() : d.is_read_allowed()) return &d;
    }
    return nullptr;
}

bool cpu::request_dmi(std::uint64_t address, ::tlm::tlm_command cmd, ::tlm::tlm_dmi& dmi) {
    ::tlm::tlm_generic_payload gp;
    unsigned char dummy = 0;
    prepare(gp, cmd, address, &dummy, 1);
    dmi.init();
    if (!bus_out->get_direct_mem_ptr(gp, dmi)) return false;
    ++m_stats.dmi_grants;
    const std::uint64_t first = dmi.get_start_address(), last = dmi.get_end_address();
    drop_dmi(first, last);
    m_dmi.push_back(dmi);
    return true;
}

void cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    ++m_stats.invalidations;
    m_invalidations.emplace_back(start, end);
    drop_dmi(start, end);
}

::tlm::tlm_response_status cpu::transport(::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data,
                                          unsigned length) {
    const bool write = cmd == ::tlm::TLM_WRITE_COMMAND;
    if (m_cfg.use_dmi && cmd != ::tlm::TLM_IGNORE_COMMAND) {
        if (const ::tlm::tlm_dmi* d = find_dmi(address, length, write)) {
            unsigned char* p = d->get_dmi_ptr() + (address - d->get_start_address());
            if (write) std::memcpy(p, data, length);
            else std::memcpy(data, p, length);
            const std::uint64_t beats = (std::uint64_t{length} + m_cfg.dmi_beat_bytes - 1) / m_cfg.dmi_beat_bytes;
            m_qk.inc((write ? d->get_write_latency() : d->get_read_latency()) * static_cast<double>(beats));
            ++m_stats.dmi_accesses;
            after_access();
            return ::tlm::TLM_OK_RESPONSE;
        }
    }
    prepare(m_gp, cmd, address, data, length);
    sc_time delay = m_qk.get_local_time();
    bus_out->b_transport(m_gp, delay);
    m_qk.set(delay);
    ++m_stats.bus_accesses;
    const ::tlm::tlm_response_status status = m_gp.get_response_status();
    if (status == ::tlm::TLM_OK_RESPONSE && m_cfg.use_dmi && m_gp.is_dmi_allowed() &&
        cmd != ::tlm::TLM_IGNORE_COMMAND && find_dmi(address, 1, write) == nullptr) {
        ::tlm::tlm_dmi dmi;
        request_dmi(address, cmd, dmi);
    }
    after_access();
    return status;
}

unsigned cpu::debug(::tlm::tlm_command cmd, std::uint64_t address, unsigned char* data, unsigned length) {
    ::tlm::tlm_generic_payload gp;
    prepare(gp, cmd, address, data, length);
    return bus_out->transport_dbg(gp);
}

std::uint32_t cpu::read32(std::uint64_t address) {
    unsigned char b[4] = {0, 0, 0, 0};
    const auto s = transport(::tlm::TLM_READ_COMMAND, address, b, 4);
    if (s != ::tlm::TLM_OK_RESPONSE) throw bus_error(address, false, to_bus_status(s));
    return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
           static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

void cpu::write32(std::uint64_t address, std::uint32_t value) {
    unsigned char b[4];
    for (unsigned k = 0; k < 4; ++k) b[k] = static_cast<unsigned char>((value >> (8 * k)) & 0xFFu);
    const auto s = transport(::tlm::TLM_WRITE_COMMAND, address, b, 4);
    if (s != ::tlm::TLM_OK_RESPONSE) throw bus_error(address, true, to_bus_status(s));
}

void cpu::copy(bool write, std::uint64_t address, unsigned char* data, std::size_t length) {
    if (length == 0) return;
    const ::tlm::tlm_command cmd = write ? ::tlm::TLM_WRITE_COMMAND : ::tlm::TLM_READ_COMMAND;
    // A block copy asks for DMI first, as a CPU model does on a translation miss; a cached grant
    // without the needed access already says the target does not offer it there.
    if (m_cfg.use_dmi && find_dmi(address, length, write) == nullptr && find_dmi(address, length, !write) == nullptr) {
        ::tlm::tlm_dmi dmi;
        request_dmi(address, cmd, dmi);
    }
    for (std::size_t done = 0; done < length;) {
        const auto n = static_cast<unsigned>(std::min<std::size_t>(length - done, UINT_MAX));
        const auto s = transport(cmd, address + done, data + done, n);
        if (s != ::tlm::TLM_OK_RESPONSE) throw bus_error(address + done, write, to_bus_status(s));
        done += n;
    }
}

void cpu::read_block(std::uint64_t address, unsigned char* data, std::size_t length) {
    copy(false, address, data, length);
}

void cpu::write_block(std::uint64_t address, const unsigned char* data, std::size_t length) {
    // TLM payloads carry non-const data pointers; a write never modifies the source.
    copy(true, address, const_cast<unsigned char*>(data), length);
}

void cpu::wait_irq(unsigned line) {
    if (line >= irq_in.size())
        throw std::out_of_range(std::string(name()) + ": no interrupt line " + std::to_string(line));
    ++m_stats.irq_waits;
    m_qk.sync();
    // Level changes scheduled for this very time (a W1C just issued) settle before the test.
    wait(sc_core::SC_ZERO_TIME);
    while (!irq_in[line].read()) wait(irq_in[line].posedge_event());
    m_qk.reset();
}

void cpu::idle(std::uint64_t t_ps) {
    m_qk.inc(ps(t_ps));
    after_access();
}

}  // namespace acim::vp
