// The register table's codecs (tlm/param_codec.hpp): every register that carries a core parameter
// encodes and decodes it through one definition, used by the macro at START and by the firmware
// driver. Kernel-free: no SystemC elaboration.
#include <acim/tlm/register_table.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace regmap = acim::tlm;
using acim::core::cim_params;

namespace {

const regmap::register_info& reg(const std::string& name) {
    for (const regmap::register_info& r : regmap::register_table())
        if (r.name == name) return r;
    throw std::runtime_error("no register " + name);
}

std::string encode_error(const regmap::register_info& r, const cim_params& p) {
    try {
        (void)r.codec->encode(p, r.core_name);
    } catch (const regmap::codec_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// The registers written from the documentation (docs/register_map.md): name -> encoding kind.
TEST(register_codec, the_documented_registers_carry_a_codec) {
    using K = regmap::param_codec::kind;
    const std::map<std::string, K> documented = {
        {"WBIT", K::integer},           {"XBIT", K::integer},          {"SIGNED_ACT", K::flag},
        {"ACT_ENC", K::integer},        {"ADC_KIND", K::enumeration},  {"ADC_BITS", K::integer},
        {"ROW_PAR", K::integer},        {"HYBRID_LEVELS", K::integer}, {"DIGITAL_MODE", K::enumeration},
        {"VOTING_LEVELS", K::integer},  {"VOTING_SAMPLES", K::integer}, {"VOTE_RULE", K::enumeration},
        {"SIGMA_RAND", K::fixed_point}, {"SIGMA_NL", K::fixed_point},  {"GAIN_COMP", K::fixed_point},
        {"CELL_SIGMA", K::fixed_point}, {"COL_GAIN_SIGMA", K::fixed_point}, {"COL_OFFSET_SIGMA", K::fixed_point},
        {"CMP_OFFSET_SIGMA", K::fixed_point}, {"SAR_CAP_SIGMA", K::fixed_point}, {"FLASH_TH_SIGMA", K::fixed_point},
    };
    std::map<std::string, K> got;
    std::uint32_t last = 0;
    for (const regmap::register_info* r : regmap::parameter_registers()) {
        got[r->name] = r->codec->type();
        EXPECT_GE(r->offset, last) << "parameter_registers() is in offset order";
        last = r->offset;
        EXPECT_EQ(r->acc, regmap::access::rw) << r->name;
        EXPECT_FALSE(r->core_name.empty()) << r->name;
    }
    EXPECT_EQ(got, documented);
}

TEST(register_codec, enumerations_are_contiguous_from_zero_and_reject_the_next_code) {
    for (const regmap::register_info* r : regmap::parameter_registers()) {
        const auto& c = *r->codec;
        if (c.type() != regmap::param_codec::kind::enumeration && c.type() != regmap::param_codec::kind::flag) continue;
        for (std::size_t k = 0; k < c.codes().size(); ++k) EXPECT_EQ(c.codes()[k].code, k) << r->name;
        cim_params p;
        for (const regmap::enum_code& e : c.codes()) {
            c.decode(e.code, p, r->name);
            EXPECT_EQ(c.encode(p, r->core_name), e.code) << r->name << " " << e.name;
        }
        try {
            c.decode(c.max_code() + 1, p, r->name);
            ADD_FAILURE() << r->name << " accepted " << c.max_code() + 1;
        } catch (const regmap::codec_error& e) {
            EXPECT_EQ(e.valid(), "[0, " + std::to_string(c.max_code()) + "]");
            EXPECT_NE(std::string(e.what()).find(r->name), std::string::npos) << e.what();
        }
    }
}

TEST(register_codec, enumerations_map_the_core_enumerators) {
    cim_params p;
    p.adc_arch = acim::core::adc_architecture::flash;
    p.digital = acim::core::digital_mode::adc;
    p.vote = acim::core::vote_rule::median;
    p.signed_act = true;
    EXPECT_EQ(reg("ADC_KIND").codec->encode(p, "adc_arch"), regmap::adc_kind_flash);
    EXPECT_EQ(reg("DIGITAL_MODE").codec->encode(p, "digital"), regmap::digital_mode_adc);
    EXPECT_EQ(reg("VOTE_RULE").codec->encode(p, "vote"), regmap::vote_rule_median);
    EXPECT_EQ(reg("SIGNED_ACT").codec->encode(p, "signed_act"), 1u);
    cim_params q;
    reg("ADC_KIND").codec->decode(regmap::adc_kind_ideal, q, "ADC_KIND");
    EXPECT_EQ(q.adc_arch, acim::core::adc_architecture::ideal);
    EXPECT_EQ(reg("ADC_KIND").codec->describe(), "0 = ideal, 1 = sar, 2 = flash");
}

TEST(register_codec, integers_round_trip_and_saturate_above_int_max) {
    const regmap::register_info& r = reg("ROW_PAR");
    cim_params p;
    for (int v : {0, 1, 255, 65536, std::numeric_limits<int>::max()}) {
        p.row_parallelism = v;
        const std::uint32_t n = r.codec->encode(p, r.core_name);
        EXPECT_EQ(n, static_cast<std::uint32_t>(v));
        cim_params q;
        r.codec->decode(n, q, r.name);
        EXPECT_EQ(q.row_parallelism, v);
    }
    cim_params q;
    r.codec->decode(0xFFFFFFFFu, q, r.name);  // the owner's validate() rejects it by name
    EXPECT_EQ(q.row_parallelism, std::numeric_limits<int>::max());
    p.row_parallelism = -1;
    EXPECT_EQ(encode_error(r, p), "layer setting row_parallelism = -1 has no register encoding (0 .. 2147483647)");
}

TEST(register_codec, fixed_point_rounds_to_the_lsb_and_rejects_what_it_cannot_hold) {
    const regmap::register_info& r = reg("SIGMA_RAND");
    cim_params p;
    p.sigma_rand = 0.123456789;
    EXPECT_EQ(r.codec->encode(p, r.core_name), 1235u);
    cim_params q;
    r.codec->decode(1235u, q, r.name);
    EXPECT_EQ(q.sigma_rand, 1235 / 1e4);  // the correctly rounded division the docs state
    p.sigma_rand = 0.1;
    EXPECT_EQ(regmap::register_values(p).sigma_rand, 0.1);  // 1000 / 1e4 is the double 0.1
    const regmap::register_info& g = reg("GAIN_COMP");
    p.gain_compression = 0.0012346;
    EXPECT_EQ(g.codec->encode(p, g.core_name), 1235u);  // 1e-6 per count
    for (double bad : {-0.1, std::nan(""), std::numeric_limits<double>::infinity(), 1e6}) {
        p.sigma_rand = bad;
        const std::string e = encode_error(r, p);
        EXPECT_NE(e.find("layer setting sigma_rand = "), std::string::npos) << bad;
        EXPECT_NE(e.find("has no register encoding (0 .. 429496.7"), std::string::npos) << e;
    }
    EXPECT_EQ(r.codec->describe(), "fixed point: value = n / 10000 (the double nearest n * 0.0001)");
}

TEST(register_codec, register_values_rounds_every_fixed_point_field_and_keeps_the_rest) {
    cim_params p;
    p.wbit = 4;
    p.xbit = 6;
    p.sigma_rand = 0.33333;
    p.sigma_nl = 0.77777;
    p.cell_sigma = 1.00004;
    p.sigma_col_gain = 2.00006;
    p.sigma_col_offset = 0.5;
    p.sigma_cmp_offset = 0.00004;
    p.sigma_sar_cap = 3.14159;
    p.sigma_flash_th = 0.81234;
    p.gain_compression = 0.0000004;
    const cim_params q = regmap::register_values(p);
    EXPECT_EQ(q.wbit, 4);
    EXPECT_EQ(q.xbit, 6);
    EXPECT_EQ(q.sigma_rand, 3333 / 1e4);
    EXPECT_EQ(q.sigma_nl, 7778 / 1e4);
    EXPECT_EQ(q.cell_sigma, 10000 / 1e4);
    EXPECT_EQ(q.sigma_col_gain, 20001 / 1e4);
    EXPECT_EQ(q.sigma_col_offset, 0.5);
    EXPECT_EQ(q.sigma_cmp_offset, 0.0);
    EXPECT_EQ(q.sigma_sar_cap, 31416 / 1e4);
    EXPECT_EQ(q.sigma_flash_th, 8123 / 1e4);
    EXPECT_EQ(q.gain_compression, 0.0);
}

// The register map as docs/register_map.md states it, typed in by hand (not read from the table):
// offset, name, access rule and reset value of every register. A change to the table that is not
// also a deliberate change of this list fails here. Instance registers (reset from macro_config)
// are marked with reset ~0u and checked to name their source instead.
TEST(register_table, matches_the_documented_offsets_access_rules_and_reset_values) {
    using A = regmap::access;
    struct documented {
        std::uint32_t offset;
        const char* name;
        A acc;
        std::uint32_t reset;
    };
    constexpr std::uint32_t inst = ~0u;
    const documented doc[] = {
        {0x000, "ID", A::ro, 0x4143494D},      {0x004, "VERSION", A::ro, 0x00010100},
        {0x008, "CTRL", A::rw, 0},             {0x00C, "STATUS", A::ro, 0},
        {0x010, "ERROR_CODE", A::ro, 0},       {0x014, "ERROR_ADDR", A::ro, 0},
        {0x018, "IRQ_STATUS", A::w1c, 0},      {0x01C, "IRQ_SET", A::wo, 0},
        {0x020, "OUT_DENOM", A::ro, 255},      {0x040, "HW_ROWS", A::ro, inst},
        {0x044, "HW_COLS", A::ro, inst},       {0x048, "HW_ADCS", A::ro, inst},
        {0x04C, "HW_DEPTH", A::ro, inst},      {0x050, "HW_CLOCK_PS", A::ro, inst},
        {0x100, "WBIT", A::rw, 8},             {0x104, "XBIT", A::rw, 8},
        {0x108, "SIGNED_ACT", A::rw, 0},       {0x10C, "ACT_ENC", A::rw, 1},
        {0x110, "ADC_KIND", A::rw, 1},         {0x114, "ADC_BITS", A::rw, 8},
        {0x118, "ROW_PAR", A::rw, 255},        {0x11C, "HYBRID_LEVELS", A::rw, 0},
        {0x120, "DIGITAL_MODE", A::rw, 0},     {0x124, "VOTING_LEVELS", A::rw, 0},
        {0x128, "VOTING_SAMPLES", A::rw, 1},   {0x12C, "VOTE_RULE", A::rw, 0},
        {0x130, "SIGMA_RAND", A::rw, 0},       {0x134, "SIGMA_NL", A::rw, 0},
        {0x138, "GAIN_COMP", A::rw, 0},        {0x13C, "CELL_SIGMA", A::rw, 0},
        {0x140, "SEED_LO", A::rw, 0},          {0x144, "SEED_HI", A::rw, 0},
        {0x148, "DIE_ID", A::rw, 0},           {0x14C, "MACRO_ID", A::rw, 0},
        {0x150, "LAYER_ID", A::rw, 0},         {0x154, "COLUMN_BASE", A::rw, 0},
        {0x158, "VECTOR_BASE_LO", A::rw, 0},   {0x15C, "VECTOR_BASE_HI", A::rw, 0},
        {0x160, "ROWS_USED", A::rw, 1},        {0x164, "OUTPUTS", A::rw, 1},
        {0x168, "BATCH", A::rw, 1},            {0x16C, "TILE_MODE", A::rw, 0},
        {0x170, "TILE_COUNT", A::rw, 0},       {0x174, "COL_GAIN_SIGMA", A::rw, 0},
        {0x178, "COL_OFFSET_SIGMA", A::rw, 0}, {0x17C, "CMP_OFFSET_SIGMA", A::rw, 0},
        {0x180, "SAR_CAP_SIGMA", A::rw, 0},    {0x184, "FLASH_TH_SIGMA", A::rw, 0},
        {0x188, "TILE_BASE", A::rw, 0},        {0x200, "TILE", A::rw, 0},
        {0x300, "CYCLES_LO", A::ro, 0},        {0x304, "CYCLES_HI", A::ro, 0},
        {0x308, "CONVERSIONS_LO", A::ro, 0},   {0x30C, "CONVERSIONS_HI", A::ro, 0},
        {0x310, "DIGITAL_CYCLES_LO", A::ro, 0}, {0x314, "DIGITAL_CYCLES_HI", A::ro, 0},
        {0x318, "VOTES_LO", A::ro, 0},         {0x31C, "VOTES_HI", A::ro, 0},
        {0x320, "SATURATIONS_LO", A::ro, 0},   {0x324, "SATURATIONS_HI", A::ro, 0},
        {0x328, "ENERGY_FJ_LO", A::ro, 0},     {0x32C, "ENERGY_FJ_HI", A::ro, 0},
        {0x330, "RUNS", A::ro, 0},
    };
    const auto& t = regmap::register_table();
    ASSERT_EQ(t.size(), std::size(doc));
    for (std::size_t k = 0; k < t.size(); ++k) {
        SCOPED_TRACE(doc[k].name);
        EXPECT_EQ(t[k].offset, doc[k].offset);
        EXPECT_EQ(t[k].name, doc[k].name);
        EXPECT_EQ(t[k].acc, doc[k].acc);
        if (doc[k].reset == inst) {
            EXPECT_FALSE(t[k].reset_source.empty());
        } else {
            EXPECT_TRUE(t[k].reset_source.empty());
            EXPECT_EQ(t[k].reset, doc[k].reset);
        }
    }
    EXPECT_EQ(regmap::find_register(0x200)->count, 64u);  // TILE[0..63]
}
