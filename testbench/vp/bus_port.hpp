// The bus as firmware sees it: 32-bit register reads and writes, block copies, and waiting for an
// interrupt line. A CPU model, a workload driver's own TLM initiator or a bridge into another
// simulator implements it; the firmware-style driver (acim_driver) is written against it alone,
// so the same driver code runs on any initiator. Plain C++: no SystemC types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace acim::vp {

// Outcome of a bus access, mirroring the TLM-2.0 response statuses.
enum class bus_status {
    ok,
    incomplete,         // nobody answered
    generic_error,      // the target refused (e.g. the macro is busy)
    address_error,      // nothing at that address, or the access leaves its window
    command_error,      // read of a write-only or write of a read-only location
    burst_error,        // length or streaming width not supported there
    byte_enable_error,  // byte enables not supported there
};
const char* to_string(bus_status s);

// A failed bus access: what a CPU would take as a bus fault.
class bus_error : public std::runtime_error {
public:
    bus_error(std::uint64_t address, bool write, bus_status status);
    std::uint64_t address() const { return m_address; }
    bool is_write() const { return m_write; }
    bus_status status() const { return m_status; }

private:
    std::uint64_t m_address;
    bool m_write;
    bus_status m_status;
};

class bus_port {
public:
    virtual ~bus_port() = default;
    // One aligned 32-bit little-endian beat. Throw bus_error unless the access succeeds.
    virtual std::uint32_t read32(std::uint64_t address) = 0;
    virtual void write32(std::uint64_t address, std::uint32_t value) = 0;
    // A block copy of `length` bytes (a burst, a DMA or a memcpy through a DMI pointer).
    virtual void read_block(std::uint64_t address, unsigned char* data, std::size_t length) = 0;
    virtual void write_block(std::uint64_t address, const unsigned char* data, std::size_t length) = 0;
    // Returns once interrupt line `line` is high, at once if it already is. The line says only
    // that something happened: the caller reads the cause from the device.
    virtual void wait_irq(unsigned line) = 0;
    // The CPU spends `ps` picoseconds doing something else (a polling back-off, a udelay).
    virtual void idle(std::uint64_t ps) = 0;
};

}  // namespace acim::vp
