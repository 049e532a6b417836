#include <acim/vp/bus_port.hpp>

#include <sstream>

namespace acim::vp {

const char* to_string(bus_status s) {
    switch (s) {
    case bus_status::ok: return "ok";
    case bus_status::incomplete: return "incomplete";
    case bus_status::generic_error: return "generic error";
    case bus_status::address_error: return "address error";
    case bus_status::command_error: return "command error";
    case bus_status::burst_error: return "burst error";
    case bus_status::byte_enable_error: return "byte-enable error";
    }
    return "?";
}

namespace {
std::string describe(std::uint64_t address, bool write, bus_status status) {
    std::ostringstream os;
    os << "bus " << (write ? "write" : "read") << " at 0x" << std::hex << std::uppercase << address << ": "
       << to_string(status);
    return os.str();
}
}  // namespace

bus_error::bus_error(std::uint64_t address, bool write, bus_status status)
    : std::runtime_error(describe(address, write, status)), m_address(address), m_write(write), m_status(status) {}

}  // namespace acim::vp
