// The programmer's view of one ACiM macro: its memory-mapped registers, their access rules and
// reset values, the error codes it reports, and the address map of its register block and buffer
// windows. Firmware sees the macro only through this map: it programs precision, encoding, ADC,
// noise and geometry settings, fills the weight SRAM and the input vector buffer, writes START,
// waits for DONE (or the interrupt) and reads the exact output numerators.
//
// This table is the single source of truth: the TLM target (acim::sc::acim_macro) takes its
// access rules and reset values from it, and `regmap_gen` prints docs/register_map.md from it.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/tlm/param_codec.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acim::tlm {

// Bus access rule of a register.
enum class access : std::uint8_t {
    ro,   // read-only: a write is a command error
    rw,   // read/write
    w1c,  // read; writing 1 to a bit clears it
    wo,   // write-only: a read is a command error
};
const char* to_string(access a);

enum class reg_group : std::uint8_t {
    identity,       // ID, VERSION
    control,        // CTRL, STATUS, errors, interrupts
    instance,       // read-only description of this macro instance
    configuration,  // layer settings: written while idle, rejected while busy
    counters,       // performance counters
};
const char* to_string(reg_group g);

// A bit field inside a register.
struct field_info {
    std::string name;
    unsigned lsb = 0;
    unsigned width = 1;
    bool action = false;  // write-1 action: triggers a side effect, is never stored, reads as 0
    std::string description;
    std::uint32_t mask() const;
};

struct register_info {
    std::string name;
    std::uint32_t offset = 0;    // byte offset inside the register block
    unsigned count = 1;          // array elements, 4 bytes apart (TILE[n])
    unsigned width = 32;         // every register is 32 bits wide
    access acc = access::ro;
    reg_group group = reg_group::control;
    std::uint32_t reset = 0;
    std::string reset_source;    // empty: `reset` is the constant; else the macro_config field
    std::string unit;            // physical unit and fixed-point scale of the value, if any
    std::string core_name;       // the core parameter this register configures, if any
    // For a register that holds one core::cim_params field: the field and its encoding. The macro
    // decodes it at START, the driver encodes it, the documentation prints it.
    std::optional<param_codec> codec;
    std::string description;
    std::string side_effects;
    std::vector<field_info> fields;

    std::uint32_t end() const { return offset + 4 * count; }
    bool contains(std::uint32_t off) const { return off >= offset && off < end(); }
    std::uint32_t action_mask() const;  // bits that are write-1 actions
    // Bits a bus write stores (RW registers): all bits except actions.
    std::uint32_t store_mask() const;
    bool is_64bit_low() const;   // the _LO half of a 64-bit counter pair
};

// The table, sorted by offset.
const std::vector<register_info>& register_table();
// The register covering the 4-byte word at `offset` (relative to the register block), or nullptr.
const register_info* find_register(std::uint32_t offset);
// The register a core parameter name refers to ("wbit", "tiles[3]" -> TILE), or nullptr.
const register_info* find_register_for_core_name(const std::string& core_name);
// The registers that carry a core::cim_params field (those with a codec), in offset order.
const std::vector<const register_info*>& parameter_registers();
// p with every register-carried field replaced by what the macro decodes from the driver's
// encoding of it (fixed-point settings rounded to their LSB): the values the macro computes with.
// Throws codec_error for a value with no encoding.
core::cim_params register_values(const core::cim_params& p);

// Register offsets inside the register block.
namespace reg {
inline constexpr std::uint32_t id = 0x000;
inline constexpr std::uint32_t version = 0x004;
inline constexpr std::uint32_t ctrl = 0x008;
inline constexpr std::uint32_t status = 0x00C;
inline constexpr std::uint32_t error_code = 0x010;
inline constexpr std::uint32_t error_addr = 0x014;
inline constexpr std::uint32_t irq_status = 0x018;
inline constexpr std::uint32_t irq_set = 0x01C;
inline constexpr std::uint32_t out_denom = 0x020;

inline constexpr std::uint32_t hw_rows = 0x040;
inline constexpr std::uint32_t hw_cols = 0x044;
inline constexpr std::uint32_t hw_adcs = 0x048;
inline constexpr std::uint32_t hw_depth = 0x04C;
inline constexpr std::uint32_t hw_clock_ps = 0x050;

inline constexpr std::uint32_t wbit = 0x100;
inline constexpr std::uint32_t xbit = 0x104;
inline constexpr std::uint32_t signed_act = 0x108;
inline constexpr std::uint32_t act_enc = 0x10C;
inline constexpr std::uint32_t adc_kind = 0x110;
inline constexpr std::uint32_t adc_bits = 0x114;
inline constexpr std::uint32_t row_par = 0x118;
inline constexpr std::uint32_t hybrid_levels = 0x11C;
inline constexpr std::uint32_t digital_mode = 0x120;
inline constexpr std::uint32_t voting_levels = 0x124;
inline constexpr std::uint32_t voting_samples = 0x128;
inline constexpr std::uint32_t vote_rule = 0x12C;
inline constexpr std::uint32_t sigma_rand = 0x130;
inline constexpr std::uint32_t sigma_nl = 0x134;
inline constexpr std::uint32_t gain_comp = 0x138;
inline constexpr std::uint32_t cell_sigma = 0x13C;
inline constexpr std::uint32_t seed_lo = 0x140;
inline constexpr std::uint32_t seed_hi = 0x144;
inline constexpr std::uint32_t die_id = 0x148;
inline constexpr std::uint32_t macro_id = 0x14C;
inline constexpr std::uint32_t layer_id = 0x150;
inline constexpr std::uint32_t column_base = 0x154;
inline constexpr std::uint32_t vector_base_lo = 0x158;
inline constexpr std::uint32_t vector_base_hi = 0x15C;
inline constexpr std::uint32_t rows_used = 0x160;
inline constexpr std::uint32_t outputs = 0x164;
inline constexpr std::uint32_t batch = 0x168;
inline constexpr std::uint32_t tile_mode = 0x16C;
inline constexpr std::uint32_t tile_count = 0x170;
inline constexpr std::uint32_t col_gain_sigma = 0x174;
inline constexpr std::uint32_t col_offset_sigma = 0x178;
inline constexpr std::uint32_t cmp_offset_sigma = 0x17C;
inline constexpr std::uint32_t sar_cap_sigma = 0x180;
inline constexpr std::uint32_t flash_th_sigma = 0x184;
inline constexpr std::uint32_t tile_base = 0x188;
inline constexpr std::uint32_t tile = 0x200;  // TILE[0..max_tiles-1]
inline constexpr unsigned max_tiles = 64;

inline constexpr std::uint32_t cycles_lo = 0x300;
inline constexpr std::uint32_t cycles_hi = 0x304;
inline constexpr std::uint32_t conversions_lo = 0x308;
inline constexpr std::uint32_t conversions_hi = 0x30C;
inline constexpr std::uint32_t digital_lo = 0x310;
inline constexpr std::uint32_t digital_hi = 0x314;
inline constexpr std::uint32_t votes_lo = 0x318;
inline constexpr std::uint32_t votes_hi = 0x31C;
inline constexpr std::uint32_t saturations_lo = 0x320;
inline constexpr std::uint32_t saturations_hi = 0x324;
inline constexpr std::uint32_t energy_lo = 0x328;
inline constexpr std::uint32_t energy_hi = 0x32C;
inline constexpr std::uint32_t runs = 0x330;
}  // namespace reg

// Bits of CTRL, STATUS and IRQ_STATUS / IRQ_SET.
inline constexpr std::uint32_t ctrl_start = 1u << 0;
inline constexpr std::uint32_t ctrl_soft_reset = 1u << 1;
inline constexpr std::uint32_t ctrl_irq_enable = 1u << 2;
inline constexpr std::uint32_t ctrl_clear_counters = 1u << 3;
inline constexpr std::uint32_t status_busy = 1u << 0;
inline constexpr std::uint32_t status_done = 1u << 1;
inline constexpr std::uint32_t status_error = 1u << 2;
inline constexpr std::uint32_t irq_done = 1u << 0;
inline constexpr std::uint32_t irq_error = 1u << 1;

// Encodings of the enumerated configuration registers.
inline constexpr std::uint32_t adc_kind_ideal = static_cast<std::uint32_t>(core::adc_architecture::ideal);
inline constexpr std::uint32_t adc_kind_sar = static_cast<std::uint32_t>(core::adc_architecture::sar);
inline constexpr std::uint32_t adc_kind_flash = static_cast<std::uint32_t>(core::adc_architecture::flash);
inline constexpr std::uint32_t digital_mode_exact = 0;
inline constexpr std::uint32_t digital_mode_adc = 1;
inline constexpr std::uint32_t vote_rule_mode_min = 0;
inline constexpr std::uint32_t vote_rule_median = 1;
inline constexpr std::uint32_t tile_mode_dense = 0;
inline constexpr std::uint32_t tile_mode_list = 1;
// TILE[n] = begin | end << 16: rows [begin, end) of the reduction dimension.
inline constexpr std::uint32_t tile_entry(std::uint32_t begin, std::uint32_t end) {
    return (begin & 0xFFFFu) | (end << 16);
}

// Fixed-point scales: register value = physical value / scale, read back as the double nearest
// to value * scale (computed as value / (1 / scale), a correctly rounded division).
inline constexpr double sigma_per_lsb_pct = 1e-4;     // SIGMA_RAND, SIGMA_NL, CELL_SIGMA, *_SIGMA mismatch: 1e-4 %
inline constexpr double sigma_lsb_per_pct = 1e4;
inline constexpr double gain_comp_per_lsb = 1e-6;     // GAIN_COMP: 1e-6 per count
inline constexpr double gain_comp_lsb_per_unit = 1e6;

inline constexpr std::uint32_t id_value = 0x4143494D;  // "ACIM"
inline constexpr std::uint32_t version_value = 0x00010100;  // register map 1.1.0: major << 16 | minor << 8 | patch

// ERROR_CODE values.
enum class error_code : std::uint32_t {
    none = 0,
    config_write_busy = 1,  // a configuration register write arrived while busy
    buffer_write_busy = 2,  // a weight or input buffer write arrived while busy
    start_busy = 3,         // START while busy
    bad_config = 4,         // START with an invalid configuration; ERROR_ADDR = the register
    bad_input = 5,          // START with an input code outside its xbit range; ERROR_ADDR = its byte
    internal = 6,           // the compute backend failed for another reason
};
struct error_code_info {
    error_code code;
    const char* name;
    const char* description;
};
const std::vector<error_code_info>& error_codes();
const char* to_string(error_code c);

// Address map of one macro, relative to its base address on the bus.
namespace addr {
inline constexpr std::uint64_t reg_base = 0x000000;
inline constexpr std::uint64_t reg_size = 0x1000;
inline constexpr std::uint64_t weight_base = 0x100000;
inline constexpr std::uint64_t weight_span = 0x100000;   // window size rows * cols / 8 <= span
inline constexpr std::uint64_t input_base = 0x200000;
inline constexpr std::uint64_t input_span = 0x200000;    // window size depth * rows * 2 <= span
inline constexpr std::uint64_t output_base = 0x400000;
inline constexpr std::uint64_t output_span = 0x400000;   // window size depth * (cols / 2) * 8 <= span
inline constexpr std::uint64_t macro_span = 0x800000;    // address space a macro occupies
}  // namespace addr

}  // namespace acim::tlm
