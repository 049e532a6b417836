// The register block of a memory-mapped peripheral as the bus sees it: one 32-bit word of storage
// per register of the register table, and the bus rules of the table (address decode, access rule,
// single 32-bit beats without byte enables). It answers whether a TLM access is legal before any
// state changes, applies the RW / W1C / WO rule of a legal write, and serves side-effect-free
// debug reads and writes of any length. What a write *does* (START, soft reset, busy rules) is the
// owning model's business.
#pragma once

#include <acim/tlm/register_table.hpp>

#include <tlm>

#include <cstdint>
#include <functional>
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
};

}  // namespace acim::tlm
