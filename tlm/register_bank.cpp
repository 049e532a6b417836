#include <acim/tlm/register_bank.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace acim::tlm {

register_bank::register_bank() : m_words(size / 4, 0), m_map(size / 4, nullptr), m_on_write(size / 4) {
    for (const register_info& r : register_table()) {
        if (r.end() > size) throw std::logic_error("register " + r.name + " lies outside the register block");
        for (std::uint32_t off = r.offset; off < r.end(); off += 4) m_map[off / 4] = &r;
    }
}

register_bank::decoded register_bank::check(const ::tlm::tlm_generic_payload& gp, std::uint64_t offset) const {
    decoded d;
    if (offset >= size || offset % 4 != 0 || m_map[offset / 4] == nullptr) {
        d.status = ::tlm::TLM_ADDRESS_ERROR_RESPONSE;
        return d;
    }
    const register_info& r = *m_map[offset / 4];
    const ::tlm::tlm_command cmd = gp.get_command();
    if ((cmd == ::tlm::TLM_WRITE_COMMAND && r.acc == access::ro) ||
        (cmd == ::tlm::TLM_READ_COMMAND && r.acc == access::wo)) {
        d.status = ::tlm::TLM_COMMAND_ERROR_RESPONSE;
        return d;
    }
    if (gp.get_data_length() != 4 || gp.get_streaming_width() < gp.get_data_length()) {
        d.status = ::tlm::TLM_BURST_ERROR_RESPONSE;
        return d;
    }
    if (gp.get_byte_enable_ptr() != nullptr) {
        d.status = ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
        return d;
    }
    d.reg = &r;
    d.offset = static_cast<std::uint32_t>(offset);
    return d;
}

std::uint32_t register_bank::bus_write(const register_info& r, std::uint32_t offset, std::uint32_t data) {
    std::uint32_t& w = m_words[offset / 4];
    switch (r.acc) {
    case access::rw: {
        const std::uint32_t keep = r.store_mask();
        w = (w & ~keep) | (data & keep);
        break;
    }
    case access::w1c: w &= ~data; break;
    case access::wo:
    case access::ro: break;
    }
    return data & r.action_mask();
}

void register_bank::on_write(std::uint32_t offset, write_callback cb) {
    const register_info* r = find_register(offset);
    if (r == nullptr) throw std::logic_error("register_bank::on_write: no register at offset " + std::to_string(offset));
    for (std::uint32_t off = r->offset; off < r->end(); off += 4) m_on_write[off / 4] = cb;
}

void register_bank::on_write(reg_group g, write_callback cb) { m_on_group_write[g] = std::move(cb); }

::tlm::tlm_response_status register_bank::write(const decoded& d, std::uint32_t data, const sc_core::sc_time& t,
                                                const sc_core::sc_time& t_end) {
    const write_access a{*d.reg, d.offset, data, t, t_end};
    if (const write_callback& cb = m_on_write[d.offset / 4]) return cb(a);
    const auto g = m_on_group_write.find(d.reg->group);
    if (g != m_on_group_write.end() && g->second) return g->second(a);
    bus_write(*d.reg, d.offset, data);
    return ::tlm::TLM_OK_RESPONSE;
}

std::uint64_t register_bank::get64(std::uint32_t lo) const {
    return static_cast<std::uint64_t>(get(lo)) | (static_cast<std::uint64_t>(get(lo + 4)) << 32);
}

void register_bank::set64(std::uint32_t lo, std::uint64_t value) {
    set(lo, static_cast<std::uint32_t>(value & 0xFFFFFFFFu));
    set(lo + 4, static_cast<std::uint32_t>(value >> 32));
}

unsigned register_bank::debug_read(std::uint64_t offset, unsigned char* data, unsigned len) const {
    if (offset >= size) return 0;
    const auto n = static_cast<unsigned>(std::min<std::uint64_t>(len, size - offset));
    for (unsigned k = 0; k < n; ++k) {
        const std::uint64_t a = offset + k;
        const register_info* r = m_map[a / 4];
        const std::uint32_t w = (r == nullptr || r->acc == access::wo) ? 0 : m_words[a / 4];
        data[k] = static_cast<unsigned char>((w >> (8 * (a % 4))) & 0xFFu);  // little-endian words
    }
    return n;
}

unsigned register_bank::debug_write(std::uint64_t offset, const unsigned char* data, unsigned len) {
    if (offset >= size) return 0;
    const auto n = static_cast<unsigned>(std::min<std::uint64_t>(len, size - offset));
    for (unsigned k = 0; k < n; ++k) {
        const std::uint64_t a = offset + k;
        const register_info* r = m_map[a / 4];
        if (r == nullptr || r->acc != access::rw) continue;
        const unsigned shift = static_cast<unsigned>(8 * (a % 4));
        const std::uint32_t lane = (0xFFu << shift) & r->store_mask();
        std::uint32_t& w = m_words[a / 4];
        w = (w & ~lane) | ((static_cast<std::uint32_t>(data[k]) << shift) & lane);
    }
    return n;
}

void register_bank::reset(const std::function<std::uint32_t(const register_info&)>& instance_value) {
    std::fill(m_words.begin(), m_words.end(), 0u);
    for (const register_info& r : register_table()) {
        const std::uint32_t v = r.reset_source.empty() ? r.reset : instance_value(r);
        for (std::uint32_t off = r.offset; off < r.end(); off += 4) m_words[off / 4] = v;
    }
}

}  // namespace acim::tlm
