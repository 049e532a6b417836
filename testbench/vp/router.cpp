#include <acim/vp/router.hpp>

#include <algorithm>
#include <iomanip>
#include <limits>
#include <sstream>

namespace acim::vp {

using sc_core::sc_time;

namespace {

constexpr std::uint64_t max_address = std::numeric_limits<std::uint64_t>::max();

std::string hex(std::uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << std::uppercase << std::setw(8) << std::setfill('0') << v;
    return os.str();
}

}  // namespace

router::router(const sc_core::sc_module_name& name, const router_config& cfg)
    : sc_module(name),
      bus_in("bus_in"),
      bus_out("bus_out"),
      m_cfg(cfg),
      m_latency(static_cast<double>(cfg.latency_ps), sc_core::SC_PS) {
    bus_in.register_b_transport(this, &router::b_transport);
    bus_in.register_transport_dbg(this, &router::transport_dbg);
    bus_in.register_get_direct_mem_ptr(this, &router::get_direct_mem_ptr);
    bus_out.register_invalidate_direct_mem_ptr(this, &router::invalidate_direct_mem_ptr);
}

std::size_t router::attach(target_socket_type& target, std::uint64_t base, std::uint64_t size,
                           const std::string& name, std::uint64_t offset) {
    const std::size_t port = m_bound++;
    bus_out.bind(target);
    map(port, base, size, name, offset);
    return port;
}

void router::map(std::size_t port, std::uint64_t base, std::uint64_t size, const std::string& name,
                 std::uint64_t offset) {
    auto fail = [&](const std::string& why) {
        const std::string msg = std::string(this->name()) + ": cannot map " + name + " [" + hex(base) + ", +" +
                                hex(size) + "): " + why;
        SC_REPORT_ERROR(msg_type, msg.c_str());
    };
    if (size == 0) return fail("empty range");
    if (size - 1 > max_address - base) return fail("range wraps around the 64-bit address space");
    if (size - 1 > max_address - offset) return fail("target range wraps around the 64-bit address space");
    mapping m{name, port, base, size, offset};
    for (const mapping& o : m_map)
        if (m.base <= o.last() && o.base <= m.last())
            return fail("overlaps " + o.name + " [" + hex(o.base) + ", " + hex(o.last()) + "]");
    const auto at = std::upper_bound(m_map.begin(), m_map.end(), base,
                                     [](std::uint64_t a, const mapping& e) { return a < e.base; });
    m_map.insert(at, m);
}

const router::mapping* router::decode(std::uint64_t address) const {
    auto it = std::upper_bound(m_map.begin(), m_map.end(), address,
                               [](std::uint64_t a, const mapping& e) { return a < e.base; });
    if (it == m_map.begin()) return nullptr;
    --it;
    return address <= it->last() ? &*it : nullptr;
}

std::string router::describe() const {
    std::ostringstream os;
    for (const mapping& m : m_map) {
        os << "  " << hex(m.base) << " .. " << hex(m.last()) << "  " << std::left << std::setw(12) << m.name
           << " port " << m.port;
        if (m.offset != 0) os << ", target address " << hex(m.offset) << " + (address - base)";
        os << '\n';
    }
    return os.str();
}

void router::end_of_elaboration() {
    const std::size_t ports = bus_out.size();
    for (const mapping& m : m_map) {
        if (m.port < ports) continue;
        const std::string msg = std::string(name()) + ": " + m.name + " is mapped to port " + std::to_string(m.port) +
                                " but bus_out has " + std::to_string(ports) + " bound ports";
        SC_REPORT_ERROR(msg_type, msg.c_str());
    }
}

void router::b_transport(::tlm::tlm_generic_payload& gp, sc_time& delay) {
    delay += m_latency;
    const std::uint64_t a = gp.get_address();
    const mapping* m = decode(a);
    // The bytes the access touches: a streaming burst stays inside its first streaming_width bytes.
    const std::uint64_t extent = std::min(gp.get_data_length(), gp.get_streaming_width());
    if (m == nullptr || (extent != 0 && extent - 1 > m->last() - a)) {
        gp.set_dmi_allowed(false);
        gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    gp.set_address(m->offset + (a - m->base));
    bus_out[static_cast<int>(m->port)]->b_transport(gp, delay);
    gp.set_address(a);
}

unsigned router::transport_dbg(::tlm::tlm_generic_payload& gp) {
    const std::uint64_t a0 = gp.get_address();
    unsigned char* const data0 = gp.get_data_ptr();
    const unsigned len = gp.get_data_length();
    const unsigned sw0 = gp.get_streaming_width();
    const bool split = gp.get_byte_enable_ptr() == nullptr;  // a byte-enable pattern cannot be re-phased
    unsigned done = 0;
    gp.set_response_status(::tlm::TLM_OK_RESPONSE);
    do {
        const std::uint64_t a = a0 + done;
        const mapping* m = decode(a);
        if (m == nullptr) {
            if (done == 0) gp.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
            break;
        }
        unsigned n = len - done;
        if (n != 0 && n - 1 > m->last() - a) n = static_cast<unsigned>(m->last() - a + 1);
        gp.set_address(m->offset + (a - m->base));
        gp.set_data_ptr(data0 + done);
        gp.set_data_length(n);
        gp.set_streaming_width(n);
        const unsigned got = bus_out[static_cast<int>(m->port)]->transport_dbg(gp);
        done += got;
        if (got < n || !split) break;
    } while (done < len);
    gp.set_address(a0);
    gp.set_data_ptr(data0);
    gp.set_data_length(len);
    gp.set_streaming_width(sw0);
    return done;
}

bool router::get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi) {
    const std::uint64_t a = gp.get_address();
    const mapping* m = decode(a);
    if (m == nullptr) {
        // No DMI anywhere in the gap around `a`: the initiator may remember that.
        std::uint64_t lo = 0, hi = max_address;
        for (const mapping& e : m_map) {
            if (e.last() < a) lo = e.last() + 1;
            if (e.base > a) {
                hi = e.base - 1;
                break;
            }
        }
        dmi.allow_none();
        dmi.set_start_address(lo);
        dmi.set_end_address(hi);
        return false;
    }
    gp.set_address(m->offset + (a - m->base));
    const bool granted = bus_out[static_cast<int>(m->port)]->get_direct_mem_ptr(gp, dmi);
    gp.set_address(a);

    // The target's range, clipped to the part of its space this mapping shows, in initiator addresses.
    const std::uint64_t t_first = dmi.get_start_address(), t_last = dmi.get_end_address();
    const std::uint64_t lo = std::max(t_first, m->offset);
    const std::uint64_t hi = std::min(t_last, m->offset + (m->size - 1));
    const std::uint64_t local = m->offset + (a - m->base);
    if (lo > hi || local < lo || local > hi) {  // a target range that misses the address: trust nothing
        dmi.allow_none();
        dmi.set_dmi_ptr(nullptr);
        dmi.set_start_address(a);
        dmi.set_end_address(a);
        return false;
    }
    // DMI bypasses the decode: the grant keeps the target's latencies.
    if (granted) dmi.set_dmi_ptr(dmi.get_dmi_ptr() + (lo - t_first));  // the pointer follows the clipped start
    dmi.set_start_address(m->base + (lo - m->offset));
    dmi.set_end_address(m->base + (hi - m->offset));
    return granted;
}

void router::invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const mapping& m : m_map) {
        if (m.port != static_cast<std::size_t>(port)) continue;
        const std::uint64_t lo = std::max<std::uint64_t>(start, m.offset);
        const std::uint64_t hi = std::min<std::uint64_t>(end, m.offset + (m.size - 1));
        if (lo > hi) continue;
        bus_in->invalidate_direct_mem_ptr(m.base + (lo - m.offset), m.base + (hi - m.offset));
    }
}

}  // namespace acim::vp
