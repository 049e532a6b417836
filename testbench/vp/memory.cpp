#include <acim/vp/memory.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace acim::vp {

using sc_core::sc_time;

namespace {
sc_time ps(std::uint64_t n) { return sc_time(static_cast<double>(n), sc_core::SC_PS); }

memory_config validated(const memory_config& cfg, const char* module) {
    if (cfg.size == 0 || cfg.beat_bytes == 0) {
        const std::string msg = std::string(module) + ": memory_config needs size > 0 and beat_bytes > 0";
        SC_REPORT_ERROR(memory::msg_type, msg.c_str());
    }
    return cfg;
}
}  // namespace

memory::memory(const sc_core::sc_module_name& name, const memory_config& cfg)
    : sc_module(name), bus_in("bus_in"), m_cfg(validated(cfg, basename())), m_data(m_cfg.size, 0) {
    bus_in.register_b_transport(this, &memory::b_transport);
    bus_in.register_transport_dbg(this, &memory::transport_dbg);
    bus_in.register_get_direct_mem_ptr(this, &memory::get_direct_mem_ptr);
}

sc_time memory::access_latency(bool write, std::uint64_t bytes) const {
    const std::uint64_t beats = (bytes + m_cfg.beat_bytes - 1) / m_cfg.beat_bytes;
    return ps((write ? m_cfg.write_latency_ps : m_cfg.read_latency_ps) + beats * m_cfg.beat_ps);
}

void memory::b_transport(::tlm::tlm_generic_payload& gp, sc_time& delay) {
    const std::uint64_t a = gp.get_address();
    const unsigned len = gp.get_data_length();
    const unsigned sw = gp.get_streaming_width();
    const std::uint64_t extent = std::min(len, sw);  // bytes of the array the access touches
    const unsigned char* be = gp.get_byte_enable_ptr();
    const unsigned be_len = gp.get_byte_enable_length();
    gp.set_dmi_allowed(false);
    if (a >= m_cfg.size || extent > m_cfg.size - a) {
        gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (len == 0 || sw == 0) {
        gp.set_response_status(::tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    if (be != nullptr && be_len == 0) {
        gp.set_response_status(::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    delay += access_latency(gp.is_write(), len);
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    gp.set_dmi_allowed(true);
    if (!gp.is_read() && !gp.is_write()) return;  // TLM_IGNORE_COMMAND
    unsigned char* mem = m_data.data() + a;
    unsigned char* data = gp.get_data_ptr();
    if (be == nullptr && sw >= len) {
        if (gp.is_write()) std::memcpy(mem, data, len);
        else std::memcpy(data, mem, len);
        return;
    }
    for (unsigned k = 0; k < len; ++k) {
        if (be != nullptr && be[k % be_len] != TLM_BYTE_ENABLED) continue;
        if (gp.is_write()) mem[k % sw] = data[k];
        else data[k] = mem[k % sw];
    }
}

unsigned memory::transport_dbg(::tlm::tlm_generic_payload& gp) {
    const std::uint64_t a = gp.get_address();
    if (a >= m_cfg.size) {
        gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    if (!gp.is_read() && !gp.is_write()) return 0;
    const auto n = static_cast<unsigned>(std::min<std::uint64_t>(gp.get_data_length(), m_cfg.size - a));
    if (gp.is_read()) std::memcpy(gp.get_data_ptr(), m_data.data() + a, n);
    else std::memcpy(m_data.data() + a, gp.get_data_ptr(), n);
    return n;
}

bool memory::get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi) {
    dmi.allow_none();
    if (gp.get_address() >= m_cfg.size) {
        dmi.set_start_address(m_cfg.size);
        dmi.set_end_address(~sc_dt::uint64{0});
        return false;
    }
    dmi.set_dmi_ptr(m_data.data());
    dmi.set_start_address(0);
    dmi.set_end_address(m_cfg.size - 1);
    dmi.allow_read_write();
    dmi.set_read_latency(ps(m_cfg.beat_ps));
    dmi.set_write_latency(ps(m_cfg.beat_ps));
    return true;
}

}  // namespace acim::vp
