#include <acim/tlm/register_table.hpp>

#include <algorithm>
#include <stdexcept>

namespace acim::tlm {

const char* to_string(access a) {
    switch (a) {
    case access::ro: return "RO";
    case access::rw: return "RW";
    case access::w1c: return "W1C";
    case access::wo: return "WO";
    }
    return "?";
}

const char* to_string(reg_group g) {
    switch (g) {
    case reg_group::identity: return "identity";
    case reg_group::control: return "control and status";
    case reg_group::instance: return "instance description";
    case reg_group::configuration: return "configuration";
    case reg_group::counters: return "performance counters";
    }
    return "?";
}

std::uint32_t field_info::mask() const {
    return width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u) << lsb;
}

std::uint32_t register_info::action_mask() const {
    std::uint32_t m = 0;
    for (const field_info& f : fields)
        if (f.action) m |= f.mask();
    return m;
}

std::uint32_t register_info::store_mask() const {
    if (acc != access::rw) return 0;
    if (fields.empty()) return 0xFFFFFFFFu;
    std::uint32_t m = 0;
    for (const field_info& f : fields)
        if (!f.action) m |= f.mask();
    return m;
}

bool register_info::is_64bit_low() const {
    return name.size() > 3 && name.compare(name.size() - 3, 3, "_LO") == 0;
}

namespace {

// Fluent construction keeps each table entry readable as one block.
class entry {
public:
    entry(std::vector<register_info>& t, std::string name, std::uint32_t offset, access a, reg_group g)
        : m_r(t.emplace_back()) {
        m_r.name = std::move(name);
        m_r.offset = offset;
        m_r.acc = a;
        m_r.group = g;
    }
    entry& reset(std::uint32_t v) { m_r.reset = v; return *this; }
    entry& reset_from(std::string src) { m_r.reset_source = std::move(src); return *this; }
    entry& unit(std::string u) { m_r.unit = std::move(u); return *this; }
    entry& core(std::string c) { m_r.core_name = std::move(c); return *this; }
    entry& codec(std::optional<param_codec> c) { m_r.codec = std::move(c); return *this; }
    entry& count(unsigned n) { m_r.count = n; return *this; }
    entry& desc(std::string d) { m_r.description = std::move(d); return *this; }
    entry& effects(std::string e) { m_r.side_effects = std::move(e); return *this; }
    entry& field(std::string name, unsigned lsb, unsigned width, std::string d, bool action = false) {
        m_r.fields.push_back(field_info{std::move(name), lsb, width, action, std::move(d)});
        return *this;
    }

private:
    register_info& m_r;
};

const char* const config_effects =
    "Rejected while BUSY (GENERIC_ERROR response, ERROR_CODE 1). An accepted write that changes the "
    "value invalidates all DMI grants.";

void add_config(std::vector<register_info>& t, const char* name, std::uint32_t off, std::uint32_t reset,
                const char* core, const char* unit, const char* d, std::optional<param_codec> codec = std::nullopt) {
    entry(t, name, off, access::rw, reg_group::configuration)
        .reset(reset).core(core).unit(unit).desc(d).effects(config_effects).codec(std::move(codec));
}

using P = core::cim_params;
param_codec int_of(int P::*f) { return param_codec::integer(f); }
param_codec pct(double P::*f) { return param_codec::fixed_point(f, sigma_lsb_per_pct); }

void add_counter(std::vector<register_info>& t, const char* name, std::uint32_t lo, const char* unit,
                 const char* d) {
    const std::string n = name;
    const char* const e = "Accumulates at DONE of every run; cleared by CTRL.CLEAR_COUNTERS and SOFT_RESET.";
    entry(t, n + "_LO", lo, access::ro, reg_group::counters).unit(unit).desc(n + " bits 31:0: " + d).effects(e);
    entry(t, n + "_HI", lo + 4, access::ro, reg_group::counters).unit(unit).desc(n + " bits 63:32. Read _HI, _LO, _HI again if a run may complete in between.").effects(e);
}

std::vector<register_info> build() {
    std::vector<register_info> t;
    using A = access;
    using G = reg_group;

    entry(t, "ID", reg::id, A::ro, G::identity).reset(id_value)
        .desc("Identifies an acim-tlm ACiM macro: ASCII \"ACIM\".");
    entry(t, "VERSION", reg::version, A::ro, G::identity).reset(version_value)
        .desc("Register map version, major << 16 | minor << 8 | patch.");

    entry(t, "CTRL", reg::ctrl, A::rw, G::control)
        .desc("Commands and interrupt enable.")
        .field("START", 0, 1,
               "Write 1: validate the configuration and compute BATCH vectors. Accepted only while idle.", true)
        .field("SOFT_RESET", 1, 1,
               "Write 1: abort any run and return every register to its reset value. Buffers keep their "
               "contents.", true)
        .field("IRQ_ENABLE", 2, 1, "irq_out = IRQ_ENABLE and (IRQ_STATUS != 0).")
        .field("CLEAR_COUNTERS", 3, 1, "Write 1: clear the performance counters.", true)
        .effects("START: sets BUSY, clears DONE, ERROR, ERROR_CODE and ERROR_ADDR, invalidates all DMI grants "
                 "and schedules DONE after the run latency (docs/timing.md); if BUSY the whole write is "
                 "rejected (GENERIC_ERROR response, ERROR_CODE 3); an invalid configuration sets ERROR "
                 "instead and runs nothing. "
                 "SOFT_RESET (wins over every other bit of the same write): cancels the run, resets every "
                 "register, invalidates all DMI grants, lowers irq_out. CLEAR_COUNTERS acts before a START "
                 "of the same write. IRQ_ENABLE: updates irq_out.");
    entry(t, "STATUS", reg::status, A::ro, G::control)
        .desc("Run state, as seen at the local time of the access.")
        .field("BUSY", 0, 1, "A run is in progress.")
        .field("DONE", 1, 1, "The last run completed; outputs and counters are valid.")
        .field("ERROR", 2, 1, "An error was flagged (ERROR_CODE says which).")
        .effects("Cleared by an accepted START (DONE, ERROR) and by SOFT_RESET.");
    entry(t, "ERROR_CODE", reg::error_code, A::ro, G::control)
        .desc("Code of the last flagged error (table below); 0 = none.")
        .effects("Cleared by an accepted START and by SOFT_RESET.");
    entry(t, "ERROR_ADDR", reg::error_addr, A::ro, G::control)
        .desc("Where the last error points: the register offset of the invalid field (code 4), the macro "
              "address of the rejected access (codes 1-3) or of the first out-of-range input code (code 5).")
        .effects("Cleared by an accepted START and by SOFT_RESET.");
    entry(t, "IRQ_STATUS", reg::irq_status, A::w1c, G::control)
        .desc("Interrupt causes; write 1 to clear.")
        .field("DONE", 0, 1, "A run completed.")
        .field("ERROR", 1, 1, "An error was flagged.")
        .effects("Writing 1 clears the bit and updates irq_out.");
    entry(t, "IRQ_SET", reg::irq_set, A::wo, G::control)
        .desc("Write 1 to raise an interrupt cause by software (checks the interrupt wiring of a platform).")
        .field("DONE", 0, 1, "Sets IRQ_STATUS.DONE.", true)
        .field("ERROR", 1, 1, "Sets IRQ_STATUS.ERROR.", true)
        .effects("Sets the IRQ_STATUS bits written as 1 and updates irq_out.");
    entry(t, "OUT_DENOM", reg::out_denom, A::ro, G::control).reset(255)
        .desc("Denominator of the output buffer: output = numerator / OUT_DENOM exactly. It is the ADC top "
              "code L = 2^ADC_BITS - 1 of the run that wrote the buffer.")
        .effects("Updated at DONE.");

    entry(t, "HW_ROWS", reg::hw_rows, A::ro, G::instance).reset_from("macro_config::rows")
        .desc("SRAM rows (wordlines): the longest reduction a layer can map.");
    entry(t, "HW_COLS", reg::hw_cols, A::ro, G::instance).reset_from("macro_config::cols")
        .desc("SRAM columns (bitlines): OUTPUTS * WBIT must fit.");
    entry(t, "HW_ADCS", reg::hw_adcs, A::ro, G::instance).reset_from("macro_config::adcs")
        .desc("ADCs; column c converts on ADC c mod HW_ADCS.");
    entry(t, "HW_DEPTH", reg::hw_depth, A::ro, G::instance).reset_from("macro_config::input_depth")
        .desc("Input buffer depth D in vectors: the largest BATCH.");
    entry(t, "HW_CLOCK_PS", reg::hw_clock_ps, A::ro, G::instance).unit("ps")
        .reset_from("macro_config::clock_period_ps")
        .desc("Macro clock period; CYCLES counts these clocks.");

    add_config(t, "WBIT", reg::wbit, 8, "wbit", "bits", "Weight bits, two's complement: 2..16.",
               int_of(&P::wbit));
    add_config(t, "XBIT", reg::xbit, 8, "xbit", "bits",
               "Activation bits: 1..16 unsigned, 2..16 signed. XBIT <= 8 stores one byte per input code, "
               "else two.",
               int_of(&P::xbit));
    add_config(t, "SIGNED_ACT", reg::signed_act, 0, "signed_act", "",
               "0: unsigned activations; 1: two's complement activations with a separate sign cycle.",
               param_codec::flag(&P::signed_act));
    add_config(t, "ACT_ENC", reg::act_enc, 1, "act_enc", "bits",
               "Activation bits driven per cycle: 1 = bit-serial; e > 1 = bit-parallel with a 2^e-level "
               "DAC. 1..XBIT (1..XBIT-1 signed), at most 12.",
               int_of(&P::act_enc));
    add_config(t, "ADC_KIND", reg::adc_kind, adc_kind_sar, "adc_arch", "",
               "ADC architecture: 0 ideal (1 clock), 1 SAR (one clock per bit), 2 flash (1 clock). It sets "
               "latency, energy and which static-mismatch models apply (docs/models.md); with every "
               "*_SIGMA mismatch register at 0 the transfer is the ideal ADC of SEMANTICS.md for all three.",
               param_codec::enumeration(&P::adc_arch,
                                        {{adc_kind_ideal, "ideal"}, {adc_kind_sar, "sar"}, {adc_kind_flash, "flash"}}));
    add_config(t, "ADC_BITS", reg::adc_bits, 8, "adc_bits", "bits", "ADC resolution: 1..16.",
               int_of(&P::adc_bits));
    add_config(t, "ROW_PAR", reg::row_par, 255, "row_parallelism", "rows",
               "Row parallelism: rows summed per analog operation (ASiM nrow), the 1-bit full scale. "
               "1..65536.",
               int_of(&P::row_parallelism));
    add_config(t, "HYBRID_LEVELS", reg::hybrid_levels, 0, "hybrid_levels", "levels",
               "HCiM: anti-diagonals of the cycle grid from the MSB corner computed by the digital unit.",
               int_of(&P::hybrid_levels));
    add_config(t, "DIGITAL_MODE", reg::digital_mode, digital_mode_exact, "digital", "",
               "HCiM digital cycles: 0 exact counts; 1 ASiM mode, the count still passes the ADC.",
               param_codec::enumeration(&P::digital, {{digital_mode_exact, "exact"}, {digital_mode_adc, "adc"}}));
    add_config(t, "VOTING_LEVELS", reg::voting_levels, 0, "voting_levels", "levels",
               "Anti-diagonals (after the hybrid ones) converted VOTING_SAMPLES times and voted.",
               int_of(&P::voting_levels));
    add_config(t, "VOTING_SAMPLES", reg::voting_samples, 1, "voting_samples", "samples",
               "Conversions per voted cycle S: 1..255.",
               int_of(&P::voting_samples));
    add_config(t, "VOTE_RULE", reg::vote_rule, vote_rule_mode_min, "vote", "",
               "Vote resolution: 0 the smallest most frequent code (ASiM), 1 the lower median.",
               param_codec::enumeration(&P::vote, {{vote_rule_mode_min, "mode_min"}, {vote_rule_median, "median"}}));
    add_config(t, "SIGMA_RAND", reg::sigma_rand, 0, "sigma_rand", "1e-4 % of full scale",
               "Random conversion noise sigma: 10000 = 1 %.",
               pct(&P::sigma_rand));
    add_config(t, "SIGMA_NL", reg::sigma_nl, 0, "sigma_nl", "1e-4 % of full scale",
               "Count-dependent noise sigma (divided by sqrt(v * nrow + 1)): 10000 = 1 %.",
               pct(&P::sigma_nl));
    add_config(t, "GAIN_COMP", reg::gain_comp, 0, "gain_compression", "1e-6 per count",
               "Current-domain gain compression alpha, c' = c / (1 + alpha c): 1000 = 0.001.",
               param_codec::fixed_point(&P::gain_compression, gain_comp_lsb_per_unit));
    add_config(t, "CELL_SIGMA", reg::cell_sigma, 0, "cell_sigma", "1e-4 % of one cell",
               "Current-domain static cell variation, frozen per (SEED, DIE_ID, MACRO_ID): 10000 = 1 %.",
               pct(&P::cell_sigma));
    add_config(t, "SEED_LO", reg::seed_lo, 0, "seed", "",
               "Random seed, bits 31:0. With DIE_ID, MACRO_ID and LAYER_ID it keys every noise draw.");
    add_config(t, "SEED_HI", reg::seed_hi, 0, "", "", "Random seed, bits 63:32.");
    add_config(t, "DIE_ID", reg::die_id, 0, "die", "", "Die index: static mismatch is frozen per die.");
    add_config(t, "MACRO_ID", reg::macro_id, 0, "macro", "", "Macro instance index on the die.");
    add_config(t, "LAYER_ID", reg::layer_id, 0, "layer", "", "Workload layer index (keys temporal noise).");
    add_config(t, "COLUMN_BASE", reg::column_base, 0, "column_base", "columns",
               "Logical column of the first used column, for the noise keys of a layer whose columns are "
               "split into tiles. COLUMN_BASE + OUTPUTS * WBIT < 2^24.");
    add_config(t, "TILE_BASE", reg::tile_base, 0, "tile_base", "tiles",
               "Global index of row tile 0, for the noise keys of a layer whose rows are split over "
               "several loads: each load keys its tiles exactly as the whole layer would. TILE_BASE + "
               "row tiles < 2^20.");
    add_config(t, "VECTOR_BASE_LO", reg::vector_base_lo, 0, "first_vector", "vectors",
               "Global index of input vector 0 (bits 31:0): a layer split into batches keys its noise "
               "exactly as one run over all vectors.");
    add_config(t, "VECTOR_BASE_HI", reg::vector_base_hi, 0, "", "vectors", "Global vector index, bits 63:32.");
    add_config(t, "ROWS_USED", reg::rows_used, 1, "rows", "rows",
               "Reduction length of the layer: rows 0..ROWS_USED-1 of the SRAM and of each input vector. "
               "1..HW_ROWS.");
    add_config(t, "OUTPUTS", reg::outputs, 1, "outputs", "channels",
               "Output channels: columns 0..OUTPUTS*WBIT-1. OUTPUTS * WBIT <= HW_COLS.");
    add_config(t, "BATCH", reg::batch, 1, "vectors", "vectors", "Input vectors a START computes: 1..HW_DEPTH.");
    add_config(t, "TILE_MODE", reg::tile_mode, tile_mode_dense, "", "",
               "Row tiling: 0 dense (consecutive ROW_PAR-row tiles over ROWS_USED, the last one partial); "
               "1 the list TILE[0..TILE_COUNT-1].");
    add_config(t, "TILE_COUNT", reg::tile_count, 0, "", "tiles", "Entries of the tile list used: 1..64.");
    add_config(t, "COL_GAIN_SIGMA", reg::col_gain_sigma, 0, "sigma_col_gain", "1e-4 %",
               "Static column gain mismatch sigma, v' = (1 + g_c) v + o_c, frozen per (SEED, DIE_ID, MACRO_ID, "
               "column): 10000 = 1 %.",
               pct(&P::sigma_col_gain));
    add_config(t, "COL_OFFSET_SIGMA", reg::col_offset_sigma, 0, "sigma_col_offset", "1e-4 % of full scale",
               "Static column offset mismatch sigma o_c: 10000 = 1 %.",
               pct(&P::sigma_col_offset));
    add_config(t, "CMP_OFFSET_SIGMA", reg::cmp_offset_sigma, 0, "sigma_cmp_offset", "1e-4 % of full scale",
               "Static comparator offset sigma per ADC (ADC_KIND SAR or flash; column c uses ADC c mod HW_ADCS): "
               "10000 = 1 %.",
               pct(&P::sigma_cmp_offset));
    add_config(t, "SAR_CAP_SIGMA", reg::sar_cap_sigma, 0, "sigma_sar_cap", "1e-4 % of a unit capacitor",
               "SAR unit-capacitor mismatch sigma (ADC_KIND SAR): bit b weighs 2^b (1 + eps_b), eps_b ~ "
               "N(0, sigma^2 / 2^b): 10000 = 1 %.",
               pct(&P::sigma_sar_cap));
    add_config(t, "FLASH_TH_SIGMA", reg::flash_th_sigma, 0, "sigma_flash_th", "1e-4 % of full scale",
               "Flash per-comparator threshold spread sigma (ADC_KIND flash): 10000 = 1 %.",
               pct(&P::sigma_flash_th));
    entry(t, "TILE", reg::tile, A::rw, G::configuration).count(reg::max_tiles).core("tiles")
        .desc("Row tile n: rows [BEGIN, END) summed by one analog operation. Tiles are sorted, "
              "non-overlapping, at most ROW_PAR rows, inside ROWS_USED; rows in no tile are skipped "
              "(channel tiling with dropped channels).")
        .field("BEGIN", 0, 16, "First row of the tile.")
        .field("END", 16, 16, "One past the last row of the tile.")
        .effects(config_effects);

    add_counter(t, "CYCLES", reg::cycles_lo, "clocks", "macro clocks spent in runs (START to DONE).");
    add_counter(t, "CONVERSIONS", reg::conversions_lo, "conversions",
                "ADC conversions (S per voted cycle; digital cycles only in DIGITAL_MODE 1).");
    add_counter(t, "DIGITAL_CYCLES", reg::digital_lo, "cycles", "cycles computed by the HCiM digital unit.");
    add_counter(t, "VOTES", reg::votes_lo, "cycles", "majority-voted cycles.");
    add_counter(t, "SATURATIONS", reg::saturations_lo, "conversions",
                "conversions whose code is 0 or L although the ideal count lies strictly inside (0, FS).");
    add_counter(t, "ENERGY_FJ", reg::energy_lo, "fJ",
                "energy of runs and weight writes, rounded to the nearest fJ (docs/timing.md).");
    entry(t, "RUNS", reg::runs, A::ro, G::counters).unit("runs").desc("Completed runs.")
        .effects("Increments at DONE; cleared by CTRL.CLEAR_COUNTERS and SOFT_RESET.");

    std::sort(t.begin(), t.end(), [](const register_info& a, const register_info& b) { return a.offset < b.offset; });
    for (std::size_t k = 1; k < t.size(); ++k)
        if (t[k].offset < t[k - 1].end()) throw std::logic_error("register table: " + t[k].name + " overlaps");
    return t;
}

}  // namespace

const std::vector<register_info>& register_table() {
    static const std::vector<register_info> table = build();
    return table;
}

const register_info* find_register(std::uint32_t offset) {
    const auto& t = register_table();
    auto it = std::upper_bound(t.begin(), t.end(), offset,
                               [](std::uint32_t off, const register_info& r) { return off < r.offset; });
    if (it == t.begin()) return nullptr;
    --it;
    return it->contains(offset) && (offset - it->offset) % 4 == 0 ? &*it : nullptr;
}

const register_info* find_register_for_core_name(const std::string& core_name) {
    const std::string base = core_name.substr(0, core_name.find('['));
    for (const register_info& r : register_table())
        if (!r.core_name.empty() && r.core_name == base) return &r;
    return nullptr;
}

const std::vector<const register_info*>& parameter_registers() {
    static const std::vector<const register_info*> regs = [] {
        std::vector<const register_info*> v;
        for (const register_info& r : register_table())
            if (r.codec) v.push_back(&r);
        return v;
    }();
    return regs;
}

core::cim_params register_values(const core::cim_params& p) {
    core::cim_params q = p;
    for (const register_info* r : parameter_registers()) r->codec->decode(r->codec->encode(p, r->core_name), q, r->name);
    return q;
}

const std::vector<error_code_info>& error_codes() {
    static const std::vector<error_code_info> codes = {
        {error_code::none, "NONE", "No error."},
        {error_code::config_write_busy, "CONFIG_WRITE_BUSY",
         "A configuration register write arrived while BUSY and was dropped. ERROR_ADDR: its address."},
        {error_code::buffer_write_busy, "BUFFER_WRITE_BUSY",
         "A weight or input buffer write arrived while BUSY and was dropped. ERROR_ADDR: its address."},
        {error_code::start_busy, "START_BUSY", "START arrived while BUSY and was dropped. ERROR_ADDR: CTRL."},
        {error_code::bad_config, "BAD_CONFIG",
         "START found an invalid configuration; nothing ran. ERROR_ADDR: offset of the offending register."},
        {error_code::bad_input, "BAD_INPUT",
         "START found an input code outside the XBIT range; nothing ran. ERROR_ADDR: address of its first "
         "byte."},
        {error_code::internal, "INTERNAL", "The compute backend failed for another reason; nothing ran."},
    };
    return codes;
}

const char* to_string(error_code c) {
    for (const error_code_info& e : error_codes())
        if (e.code == c) return e.name;
    return "?";
}

}  // namespace acim::tlm
