#include <acim/tlm/register_map_doc.hpp>

#include <acim/tlm/buffer_layout.hpp>
#include <acim/tlm/register_table.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

namespace acim::tlm {

namespace {

std::string hex(std::uint64_t v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(v));
    return buf;
}

std::string offsets(const register_info& r) {
    if (r.count == 1) return hex(r.offset, 3);
    return hex(r.offset, 3) + "–" + hex(r.end() - 4, 3);
}

std::string display_name(const register_info& r) {
    return r.count == 1 ? r.name : r.name + "[0.." + std::to_string(r.count - 1) + "]";
}

std::string reset_text(const register_info& r) {
    return r.reset_source.empty() ? hex(r.reset, 8) : "`" + r.reset_source + "`";
}

// Table cells: a '|' would end the cell.
std::string cell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += '\\';
        out += c;
    }
    return out;
}

std::string first_sentence(const std::string& s) {
    const auto dot = s.find(". ");
    return dot == std::string::npos ? s : s.substr(0, dot + 1);
}

void bus_rules(std::ostream& os) {
    os << "## Bus rules\n\n"
          "* The macro is a TLM-2.0 base-protocol target (`acim::sc::acim_macro`, socket `bus_in`) with "
          "`b_transport`, `transport_dbg` and DMI, plus the level interrupt `irq_out`.\n"
          "* Registers are 32 bits wide, little-endian, and take exactly one aligned 4-byte beat without byte "
          "enables. A bad register access changes no state and answers, checked in this order:\n"
          "  1. no register at that aligned address (holes, misaligned addresses): `TLM_ADDRESS_ERROR_RESPONSE`;\n"
          "  2. write to an RO register, read of a WO register: `TLM_COMMAND_ERROR_RESPONSE`;\n"
          "  3. length other than 4, or streaming width below the length: `TLM_BURST_ERROR_RESPONSE`;\n"
          "  4. a byte-enable pointer: `TLM_BYTE_ENABLE_ERROR_RESPONSE`.\n"
          "* Buffer windows take any length, streaming width and byte-enable pattern inside one window. An access "
          "that leaves its window, or falls in a gap of the map, gets `TLM_ADDRESS_ERROR_RESPONSE`; a write to the "
          "output buffer gets `TLM_COMMAND_ERROR_RESPONSE`. `TLM_IGNORE_COMMAND` is accepted and does nothing.\n"
          "* While BUSY, writes to configuration registers, to the weight SRAM or to the input buffer, and START, "
          "are dropped with `TLM_GENERIC_ERROR_RESPONSE` and flagged: STATUS.ERROR, IRQ_STATUS.ERROR, "
          "ERROR_CODE and ERROR_ADDR. Reads are always served; the output buffer keeps the previous results "
          "until DONE.\n"
          "* STATUS, outputs and counters follow the local time of the access (`sc_time_stamp() + delay`): an "
          "initiator that runs ahead under temporal decoupling sees DONE exactly when its local time reaches the "
          "completion time.\n"
          "* `transport_dbg` serves the whole requested length inside a window or the register block, with no "
          "side effect and no timing; byte enables and streaming width are ignored. Debug reads return what a bus "
          "read returns (holes and WO registers read 0); debug writes store into the stored bits of RW registers "
          "only (no START, no W1C, no busy check) and into any buffer, the output buffer included.\n"
          "* DMI: read/write on the input buffer, read-only on the weight SRAM and the output buffer (weight writes "
          "go through `b_transport` so that their write time and energy are counted). While BUSY the input buffer "
          "is refused (`get_direct_mem_ptr` returns false). START, SOFT_RESET and every accepted configuration "
          "write that changes a value invalidate all grants over the macro's whole span. DMI latency: one macro "
          "clock per access.\n\n";
}

void address_map(std::ostream& os) {
    const window_sizes ex = buffer_sizes(256, 256, 256);
    os << "## Address map\n\n"
          "Offsets are relative to the macro's base address; a macro occupies "
       << hex(addr::macro_span, 6)
       << " bytes. Window sizes depend on the instance (`macro_config`: `rows`, `cols`, `input_depth` = D); "
          "the rest of each span is a gap.\n\n"
          "| window | base | span | size | access | DMI | example size (256 x 256, D = 256) |\n"
          "|---|---|---|---|---|---|---|\n";
    os << "| registers | " << hex(addr::reg_base, 6) << " | " << hex(addr::reg_size, 6)
       << " | 4 KiB | per register | no | 4096 B |\n";
    os << "| weight SRAM | " << hex(addr::weight_base, 6) << " | " << hex(addr::weight_span, 6)
       << " | rows * cols / 8 | RW | read | " << ex.weight << " B |\n";
    os << "| input buffer | " << hex(addr::input_base, 6) << " | " << hex(addr::input_span, 6)
       << " | D * rows * 2 | RW | read/write (idle) | " << ex.input << " B |\n";
    os << "| output buffer | " << hex(addr::output_base, 6) << " | " << hex(addr::output_span, 6)
       << " | D * (cols / 2) * 8 | RO | read | " << ex.output << " B |\n\n";
}

// The fixed-point registers, grouped by LSB, from the table's codecs.
void fixed_point_settings(std::ostream& os) {
    std::vector<std::pair<double, std::string>> groups;  // LSB per unit, register names
    for (const register_info* r : parameter_registers()) {
        if (r->codec->type() != param_codec::kind::fixed_point) continue;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto& g) { return g.first == r->codec->lsb_per_unit(); });
        if (it == groups.end()) groups.emplace_back(r->codec->lsb_per_unit(), r->name);
        else it->second += ", " + r->name;
    }
    os << "**Fixed-point settings** — a register value n means n / s (a correctly rounded division: the "
          "double nearest to the exact quotient; each register's `unit` line gives the LSB), and the driver "
          "writes n = nearest(value * s):";
    for (std::size_t k = 0; k < groups.size(); ++k) {
        std::ostringstream s;
        s << groups[k].first;
        os << (k ? ";" : "") << " " << groups[k].second << ": s = " << s.str();
    }
    os << ". These are the values the core receives.\n\n";
}

void layouts(std::ostream& os) {
    os << "## Buffer layouts\n\n"
          "**Weight SRAM** — the physical bit array, so that a WBIT change re-interprets the same bits as the "
          "silicon would and a row write is one wordline write. Row r is `cols / 8` bytes at byte `r * cols / 8`; "
          "column c is bit `c % 8` (LSB first) of byte `c / 8` of its row. Column `c = o * WBIT + i` holds bit i "
          "(0 = LSB; i = WBIT-1 is the negative MSB) of the two's-complement weight of output o at row r. Rows "
          "0..ROWS_USED-1 and columns 0..OUTPUTS*WBIT-1 are used. Every bit pattern is a valid weight.\n\n"
          "```\n"
          "byte(r, o, i) = weight_base + r * cols/8 + (o*WBIT + i) / 8     bit = (o*WBIT + i) % 8\n"
          "```\n\n"
          "**Input buffer** — BATCH vectors of ROWS_USED codes, packed: code r of vector v is at byte "
          "`(v * ROWS_USED + r) * b`, with b = 1 for XBIT <= 8 and b = 2 (little-endian) for XBIT > 8. Signed "
          "activations (SIGNED_ACT = 1) are two's complement in those b bytes. A code outside the XBIT range "
          "(unsigned 0..2^XBIT-1, signed -2^(XBIT-1)..2^(XBIT-1)-1) makes START fail with BAD_INPUT.\n\n"
          "**Output buffer** — the exact results of the last completed run: numerator o of vector v is the "
          "little-endian int64 at byte `(v * OUTPUTS + o) * 8`, and the output is `numerator / OUT_DENOM` "
          "exactly (OUT_DENOM = 2^ADC_BITS - 1). The numerators are the core's `mvm_engine::run` results bit for "
          "bit: every contribution sign * code * FS * 2^shift / L is a multiple of 1/L, so nothing is rounded. "
          "The buffer is written at DONE; bytes beyond BATCH * OUTPUTS * 8 keep their old contents.\n\n"
          "**Encodings** — every register that carries a core parameter says how in its `encoding` line "
          "below, from the codec its table entry binds (tlm/param_codec.hpp): the macro decodes it with that "
          "codec at START and the firmware driver encodes it with the same one.\n\n";
    fixed_point_settings(os);
    os << "**Noise keys** — the core's `stream_key` is {seed = SEED_HI:SEED_LO, die = DIE_ID, macro = MACRO_ID, "
          "layer = LAYER_ID, column_base = COLUMN_BASE}; the first vector's global index is VECTOR_BASE_HI:LO.\n\n"
          "**Static mismatch** — the core also receives adc_arch = ADC_KIND and adcs = HW_ADCS. Mismatch is "
          "frozen per (SEED, DIE_ID, MACRO_ID) and keyed by physical column COLUMN_BASE + o * WBIT + i and by "
          "ADC (column mod HW_ADCS); with every *_SIGMA mismatch register at 0 the results are those of the "
          "ideal ADC for all three ADC kinds ([models.md](models.md)).\n\n";
}

void summary(std::ostream& os) {
    os << "## Register summary\n\n| offset | name | access | reset | description |\n|---|---|---|---|---|\n";
    for (const register_info& r : register_table())
        os << "| " << offsets(r) << " | " << display_name(r) << " | " << to_string(r.acc) << " | " << reset_text(r)
           << " | " << cell(first_sentence(r.description)) << " |\n";
    os << "\n";
}

void details(std::ostream& os) {
    os << "## Registers\n";
    bool first = true;
    reg_group group = reg_group::identity;
    for (const register_info& r : register_table()) {
        if (first || r.group != group) {
            os << "\n### " << to_string(r.group) << "\n";
            group = r.group;
            first = false;
        }
        os << "\n#### " << display_name(r) << " — " << offsets(r) << "\n\n";
        os << "* access: " << to_string(r.acc) << ", width " << r.width << ", reset " << reset_text(r) << "\n";
        if (!r.unit.empty()) os << "* unit: " << r.unit << "\n";
        if (!r.core_name.empty()) os << "* core parameter: `" << r.core_name << "`\n";
        if (r.codec) os << "* encoding: " << r.codec->describe() << "\n";
        os << "* " << r.description << "\n";
        if (!r.side_effects.empty()) os << "* side effects: " << r.side_effects << "\n";
        if (!r.fields.empty()) {
            os << "\n| bits | field | kind | description |\n|---|---|---|---|\n";
            for (const field_info& f : r.fields) {
                const std::string bits = f.width == 1 ? std::to_string(f.lsb)
                                                      : std::to_string(f.lsb + f.width - 1) + ":" + std::to_string(f.lsb);
                os << "| " << bits << " | " << f.name << " | " << (f.action ? "write-1 action" : "value") << " | "
                   << cell(f.description) << " |\n";
            }
        }
    }
    os << "\n";
}

void errors(std::ostream& os) {
    os << "## Error codes (ERROR_CODE)\n\n| code | name | meaning |\n|---|---|---|\n";
    for (const error_code_info& e : error_codes())
        os << "| " << static_cast<unsigned>(e.code) << " | " << e.name << " | " << cell(e.description) << " |\n";
    os << "\nAn invalid configuration at START also raises `SC_REPORT_WARNING` (type `acim/macro`) naming the "
          "register, the value and the rule it breaks; nothing runs and the previous outputs stay.\n";
}

}  // namespace

std::string register_map_markdown() {
    std::ostringstream os;
    os << "# Register map of `acim_macro`\n\n"
          "<!-- Generated by regmap_gen from tlm/register_table.cpp: do not edit. The ctest `register_map_doc` "
          "fails when this file differs from the generator's output; regenerate with `cmake --build <build> "
          "--target register_map_doc`. -->\n\n"
          "One ACiM macro as firmware sees it: program the configuration registers, load the weight SRAM and "
          "the input buffer, write CTRL.START, wait for STATUS.DONE or `irq_out`, read the output buffer. "
          "Latency and energy of a run are in [timing.md](timing.md). ID = "
       << hex(id_value, 8) << ", VERSION = " << hex(version_value, 8) << ".\n\n";
    bus_rules(os);
    address_map(os);
    layouts(os);
    summary(os);
    details(os);
    errors(os);
    return os.str();
}

}  // namespace acim::tlm
