// The register block of a memory-mapped peripheral as the bus sees it: one 32-bit word of storage
// per register of the register table, and the bus rules of the table (address decode, access rule,
// single 32-bit beats without byte enables). It answers whether a TLM access is legal before any
// state changes, applies the RW / W1C / WO rule of a legal write, and serves side-effect-free
// debug reads and writes of any length. What a write *does* beyond storing (START, soft reset,
// W1C interrupt updates, busy rules, DMI invalidation) is a write callback the owning model binds
// to the register, or to every register of a group, as VCML binds them to its register objects.
#pragma once

#include <acim/tlm/register_table.hpp>

#include <systemc>
#include <tlm>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace acim::tlm {

class register_bank {
public:
    register_bank();

    struct decoded {
        ::tlm::tlm_response_status status = ::tlm::TLM_OK_RESPONSE;
        const register_info* reg = nullptr;  // set when status is OK
        std::uint32_t offset = 0;            // offset of the addressed word
    };
    // Checks a b_transport access at `offset` (relative to the block) in this order: address (an
    // aligned register exists there), command (RO written, WO read), length and streaming width
    // (exactly one 4-byte beat), byte enables (none). Changes no state.
    decoded check(const ::tlm::tlm_generic_payload& gp, std::uint64_t offset) const;

    // Applies the access rule of a checked bus write and returns the action bits written as 1.
    std::uint32_t bus_write(const register_info& r, std::uint32_t offset, std::uint32_t data);

    // A checked bus write as its callback sees it.
    struct write_access {
        const register_info& reg;
        std::uint32_t offset;      // the addressed word
        std::uint32_t data;
        sc_core::sc_time t;        // local time of the access
        sc_core::sc_time t_end;    // local time at which the access completes
    };
    // What a write does: returns the response status. A callback that stores calls bus_write.
    using write_callback = std::function<::tlm::tlm_response_status(const write_access&)>;
    // Binds `cb` to the register at `offset` (every element of an array register), or to every
    // register of group `g` that has no callback of its own.
    void on_write(std::uint32_t offset, write_callback cb);
    void on_write(reg_group g, write_callback cb);
    // Performs a checked bus write: the register's callback, else its group's, else the access
    // rule alone (bus_write, TLM_OK_RESPONSE).
    ::tlm::tlm_response_status write(const decoded& d, std::uint32_t data, const sc_core::sc_time& t,
                                     const sc_core::sc_time& t_end);

    // Raw storage, for the model's own updates (status, counters) and for bus reads.
    std::uint32_t get(std::uint32_t offset) const { return m_words[offset / 4]; }
    void set(std::uint32_t offset, std::uint32_t value) { m_words[offset / 4] = value; }
    void set_bits(std::uint32_t offset, std::uint32_t bits) { m_words[offset / 4] |= bits; }
    void clear_bits(std::uint32_t offset, std::uint32_t bits) { m_words[offset / 4] &= ~bits; }
    std::uint64_t get64(std::uint32_t lo) const;
    void set64(std::uint32_t lo, std::uint64_t value);

    // Debug access of `len` bytes from `offset`, clipped to the block; returns the bytes served.
    // Reads return what a bus read returns (0 for holes and WO registers). Writes store into the
    // stored bits of RW registers only: no actions, no W1C, no side effects.
    unsigned debug_read(std::uint64_t offset, unsigned char* data, unsigned len) const;
    unsigned debug_write(std::uint64_t offset, const unsigned char* data, unsigned len);

    // Every register to its reset value; `instance_value` resolves reset_source entries.
    void reset(const std::function<std::uint32_t(const register_info&)>& instance_value);

    static constexpr std::uint32_t size = static_cast<std::uint32_t>(addr::reg_size);

private:
    std::vector<std::uint32_t> m_words;
    std::vector<const register_info*> m_map;  // register per word, nullptr for holes
    std::vector<write_callback> m_on_write;   // per word; empty: the group's or none
    std::map<reg_group, write_callback> m_on_group_write;
};

}  // namespace acim::tlm
