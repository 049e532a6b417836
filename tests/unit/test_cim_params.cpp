// Configuration validation and the cycle grid (SEMANTICS.md §§4, 6, 7, 8.1): activation groups,
// full scales, signs, shifts, HCiM digital and voted cycle counts.
#include <acim/core/cim_params.hpp>
#include <acim/core/error.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

cim_params params(int wbit, int xbit, bool is_signed, int enc, int nrow = 255) {
    cim_params p;
    p.wbit = wbit;
    p.xbit = xbit;
    p.signed_act = is_signed;
    p.act_enc = enc;
    p.row_parallelism = nrow;
    return p;
}

void expect_group(const cycle_plan& c, int j, int lo, int width, bool sign, std::int64_t fs) {
    SCOPED_TRACE("activation cycle " + std::to_string(j));
    EXPECT_EQ(c.act(j).lo, lo);
    EXPECT_EQ(c.act(j).width, width);
    EXPECT_EQ(c.act(j).sign, sign);
    EXPECT_EQ(c.act(j).fs, fs);
}

// Name of the field a parameter_error reports for this configuration ("" if valid).
std::string invalid_field(const cim_params& p) {
    try {
        p.validate();
    } catch (const parameter_error& e) {
        // cycle_plan validates too and must report the same field.
        try {
            cycle_plan c(p);
            ADD_FAILURE() << "cycle_plan accepted " << p.describe();
        } catch (const parameter_error& e2) {
            EXPECT_EQ(e2.name(), e.name());
        }
        return e.name();
    }
    return "";
}

std::string invalid_field(const std::function<void(cim_params&)>& change) {
    cim_params p;
    change(p);
    return invalid_field(p);
}

}  // namespace

TEST(CimParams, DefaultsAreValid) {
    const cim_params p;
    EXPECT_NO_THROW(p.validate());
    EXPECT_EQ(p.adc_top(), 255);
    EXPECT_EQ(p.signed_adc_top(), 127);
    const cycle_plan c(p);
    EXPECT_EQ(c.weight_cycles(), 8);
    EXPECT_EQ(c.act_cycles(), 8);
    EXPECT_EQ(c.count(cycle_kind::analog), 64);
    EXPECT_NE(p.describe().find("W8A8"), std::string::npos) << p.describe();
}

TEST(CimParams, AdcTops) {
    cim_params p;
    p.adc_bits = 1;
    EXPECT_EQ(p.adc_top(), 1);
    p.adc_bits = 3;
    EXPECT_EQ(p.adc_top(), 7);
    EXPECT_EQ(p.signed_adc_top(), 3);
    p.adc_bits = 16;
    EXPECT_EQ(p.adc_top(), 65535);
    EXPECT_EQ(p.signed_adc_top(), 32767);
}

TEST(CyclePlan, BitSerialUnsigned) {
    const cycle_plan c(params(4, 5, false, 1, 7));
    ASSERT_EQ(c.weight_cycles(), 4);
    ASSERT_EQ(c.act_cycles(), 5);
    for (int j = 0; j < 5; ++j) expect_group(c, j, j, 1, false, 7);
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 5; ++j) {
            EXPECT_EQ(c.sign(i, j), i == 3 ? -1 : 1) << i << "," << j;
            EXPECT_EQ(c.shift(i, j), i + j);
            EXPECT_EQ(c.level(i, j), 8 - i - j);
            EXPECT_EQ(c.kind(i, j), cycle_kind::analog);
        }
    }
    EXPECT_EQ(c.level(3, 4), 1);
}

TEST(CyclePlan, BitSerialSignedSignRule) {
    // s = -1 iff exactly one of (i = wbit-1), (j = xbit-1); MSB x MSB is positive.
    const cycle_plan c(params(2, 3, true, 1, 4));
    ASSERT_EQ(c.act_cycles(), 3);
    expect_group(c, 0, 0, 1, false, 4);
    expect_group(c, 1, 1, 1, false, 4);
    expect_group(c, 2, 2, 1, true, 4);
    // Example B's table: (1,2) +, (1,1) -, (1,0) -, (0,2) -, (0,1) +, (0,0) +.
    EXPECT_EQ(c.sign(1, 2), 1);
    EXPECT_EQ(c.sign(1, 1), -1);
    EXPECT_EQ(c.sign(1, 0), -1);
    EXPECT_EQ(c.sign(0, 2), -1);
    EXPECT_EQ(c.sign(0, 1), 1);
    EXPECT_EQ(c.sign(0, 0), 1);
    EXPECT_EQ(c.shift(1, 2), 3);
    EXPECT_EQ(c.shift(0, 1), 1);
}

TEST(CyclePlan, BitParallelUnsignedXbit8Enc3) {
    const int n = 10;
    const cycle_plan c(params(8, 8, false, 3, n));
    ASSERT_EQ(c.act_cycles(), 3);
    expect_group(c, 0, 0, 3, false, 7 * n);
    expect_group(c, 1, 3, 3, false, 7 * n);
    expect_group(c, 2, 6, 2, false, 3 * n);  // the short group is the MSB one
    EXPECT_EQ(c.shift(0, 2), 6);
    EXPECT_EQ(c.shift(7, 1), 10);
    EXPECT_EQ(c.sign(7, 2), -1);
    EXPECT_EQ(c.sign(6, 2), 1);
}

TEST(CyclePlan, BitParallelUnsignedOtherSplits) {
    const cycle_plan c4(params(8, 8, false, 4, 255));
    ASSERT_EQ(c4.act_cycles(), 2);
    expect_group(c4, 0, 0, 4, false, 15 * 255);
    expect_group(c4, 1, 4, 4, false, 15 * 255);
    const cycle_plan c8(params(8, 8, false, 8, 255));
    ASSERT_EQ(c8.act_cycles(), 1);
    expect_group(c8, 0, 0, 8, false, 255 * 255);
    const cycle_plan c2(params(4, 5, false, 2, 4));
    ASSERT_EQ(c2.act_cycles(), 3);
    expect_group(c2, 0, 0, 2, false, 12);
    expect_group(c2, 1, 2, 2, false, 12);
    expect_group(c2, 2, 4, 1, false, 4);
}

TEST(CyclePlan, BitParallelSignedXbit9Enc4) {
    // SEMANTICS §6.2: T = 3 (sign, bits 4-7, bits 0-3).
    const int n = 255;
    const cycle_plan c(params(8, 9, true, 4, n));
    ASSERT_EQ(c.act_cycles(), 3);
    expect_group(c, 0, 0, 4, false, 15 * n);
    expect_group(c, 1, 4, 4, false, 15 * n);
    expect_group(c, 2, 8, 1, true, n);
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(c.sign(i, 2), i == 7 ? 1 : -1) << i;  // sign cycle: + only with the weight MSB
        EXPECT_EQ(c.sign(i, 1), i == 7 ? -1 : 1) << i;
        EXPECT_EQ(c.sign(i, 0), i == 7 ? -1 : 1) << i;
        EXPECT_EQ(c.shift(i, 2), i + 8);
        EXPECT_EQ(c.shift(i, 1), i + 4);
    }
}

TEST(CyclePlan, BitParallelSignedXbit8Enc4) {
    // SEMANTICS §6.2: T = 3 (sign, 3-bit group 4-6, bits 0-3).
    const int n = 100;
    const cycle_plan c(params(8, 8, true, 4, n));
    ASSERT_EQ(c.act_cycles(), 3);
    expect_group(c, 0, 0, 4, false, 15 * n);
    expect_group(c, 1, 4, 3, false, 7 * n);
    expect_group(c, 2, 7, 1, true, n);
    EXPECT_EQ(c.shift(0, 2), 7);
}

TEST(CyclePlan, BitParallelSignedEnc2And3) {
    const cycle_plan c2(params(8, 9, true, 2, 5));  // 8 magnitude bits: 4 groups + sign
    ASSERT_EQ(c2.act_cycles(), 5);
    for (int j = 0; j < 4; ++j) expect_group(c2, j, 2 * j, 2, false, 15);
    expect_group(c2, 4, 8, 1, true, 5);
    const cycle_plan c3(params(8, 8, true, 3, 5));  // 7 magnitude bits: 3 + 3 + 1, then sign
    ASSERT_EQ(c3.act_cycles(), 4);
    expect_group(c3, 0, 0, 3, false, 35);
    expect_group(c3, 1, 3, 3, false, 35);
    expect_group(c3, 2, 6, 1, false, 5);
    expect_group(c3, 3, 7, 1, true, 5);
}

TEST(CyclePlan, HcimAnalogCountTableFromSemantics) {
    // SEMANTICS §7, P = 4, xbit = 5.
    const std::vector<int> serial = {20, 19, 17, 14, 10, 6, 3, 1, 0};
    const std::vector<int> enc2 = {12, 11, 9, 6, 3, 1, 0};  // Q = 3: levels 0..6 (7, 8 are off-grid)
    const std::vector<int> enc3 = {8, 7, 5, 3, 1, 0};       // Q = 2: levels 0..5
    for (bool s : {false, true}) {
        for (int lh = 0; lh <= 8; ++lh) {
            cim_params p = params(4, 5, s, 1);
            p.hybrid_levels = lh;
            const cycle_plan c(p);
            EXPECT_EQ(c.count(cycle_kind::analog), serial[static_cast<std::size_t>(lh)]) << s << " " << lh;
            EXPECT_EQ(c.count(cycle_kind::digital), 20 - serial[static_cast<std::size_t>(lh)]);
            EXPECT_EQ(c.count(cycle_kind::voted), 0);
        }
    }
    for (int lh = 0; lh <= 6; ++lh) {
        cim_params p = params(4, 5, false, 2);
        p.hybrid_levels = lh;
        const cycle_plan c(p);
        EXPECT_EQ(c.count(cycle_kind::analog), enc2[static_cast<std::size_t>(lh)]) << lh;
        EXPECT_EQ(c.count(cycle_kind::digital), 12 - enc2[static_cast<std::size_t>(lh)]);
    }
    for (int lh = 0; lh <= 5; ++lh) {
        cim_params p = params(4, 5, false, 3);
        p.hybrid_levels = lh;
        const cycle_plan c(p);
        EXPECT_EQ(c.count(cycle_kind::analog), enc3[static_cast<std::size_t>(lh)]) << lh;
    }
}

TEST(CyclePlan, HcimDigitalSetIsTheTopAntiDiagonals) {
    cim_params p = params(8, 8, false, 1);
    const std::vector<int> digital = {0, 1, 3, 6, 10};  // P = Q = 8
    for (int lh = 0; lh <= 4; ++lh) {
        p.hybrid_levels = lh;
        const cycle_plan c(p);
        EXPECT_EQ(c.count(cycle_kind::digital), digital[static_cast<std::size_t>(lh)]);
        for (int i = 0; i < 8; ++i)
            for (int j = 0; j < 8; ++j)
                EXPECT_EQ(c.kind(i, j) == cycle_kind::digital, i + j > 8 + 8 - 2 - lh) << i << "," << j;
    }
    // Signed bit-parallel: the sign cycle is the top j, so it becomes digital first.
    cim_params s = params(4, 9, true, 4);
    s.hybrid_levels = 1;
    const cycle_plan cs(s);
    EXPECT_EQ(cs.kind(3, 2), cycle_kind::digital);
    EXPECT_TRUE(cs.act(2).sign);
    EXPECT_EQ(cs.count(cycle_kind::digital), 1);
}

TEST(CyclePlan, VotingCycleCounts) {
    for (int lv = 0; lv <= 8; ++lv) {
        cim_params p = params(4, 5, false, 1);
        p.voting_levels = lv;
        p.voting_samples = 3;
        const cycle_plan c(p);
        const std::vector<int> serial = {20, 19, 17, 14, 10, 6, 3, 1, 0};
        EXPECT_EQ(c.count(cycle_kind::analog), serial[static_cast<std::size_t>(lv)]) << lv;
        EXPECT_EQ(c.count(cycle_kind::voted), 20 - serial[static_cast<std::size_t>(lv)]) << lv;
        EXPECT_EQ(c.count(cycle_kind::digital), 0);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 5; ++j)
                EXPECT_EQ(c.kind(i, j) == cycle_kind::voted, i + j > 4 + 5 - 2 - lv);
    }
    // With both set, the HCiM digital levels take the MSB corner and voting the next levels.
    cim_params p = params(4, 5, false, 1);
    p.hybrid_levels = 1;
    p.voting_levels = 3;
    const cycle_plan c(p);
    EXPECT_EQ(c.count(cycle_kind::digital), 1);
    EXPECT_EQ(c.count(cycle_kind::voted), 5);
    EXPECT_EQ(c.count(cycle_kind::analog), 14);
}

TEST(CyclePlan, WeightBitParallelMarksEveryCycle) {
    cim_params p = params(4, 4, false, 2, 16);
    p.weight_bit_parallel = true;
    const cycle_plan c(p);
    EXPECT_EQ(c.count(cycle_kind::full_bp), 8);
    EXPECT_EQ(c.count(cycle_kind::analog), 0);
    EXPECT_STREQ(to_string(cycle_kind::full_bp), "full_bp");
    EXPECT_STREQ(to_string(cycle_kind::voted), "voted");
}

TEST(CimParams, ValidationNamesTheField) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(invalid_field([](cim_params& p) { p.wbit = 0; }), "wbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.wbit = 1; }), "wbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.wbit = 17; }), "wbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.wbit = 16; }), "");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 0; p.act_enc = 1; }), "xbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 17; }), "xbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 1; }), "");  // unsigned 1-bit input
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 1; p.signed_act = true; }), "xbit");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.row_parallelism = 0; }), "row_parallelism");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.row_parallelism = -5; }), "row_parallelism");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.adc_bits = 0; }), "adc_bits");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.adc_bits = 17; }), "adc_bits");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.act_enc = 0; }), "act_enc");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.act_enc = 9; }), "act_enc");  // > xbit
    EXPECT_EQ(invalid_field([](cim_params& p) { p.act_enc = 8; }), "");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.signed_act = true; p.act_enc = 8; }), "act_enc");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.signed_act = true; p.act_enc = 7; }), "");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 16; p.act_enc = 13; }), "act_enc");  // DAC
    // (2^12 - 1) * 4098 > 2^24 counts; (2^12 - 1) * 4097 = 2^24 - 1 fits.
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 12; p.act_enc = 12; p.row_parallelism = 4098; }),
              "act_enc");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.xbit = 12; p.act_enc = 12; p.row_parallelism = 4097; }),
              "");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.voting_samples = 0; }), "voting_samples");
    EXPECT_EQ(invalid_field([](cim_params& p) { p.voting_samples = 256; }), "voting_samples");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.sigma_rand = -0.1; }), "sigma_rand");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.sigma_rand = nan; }), "sigma_rand");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.sigma_nl = inf; }), "sigma_nl");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.sigma_nl = nan; }), "sigma_nl");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.gain_compression = -1e-3; }), "gain_compression");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.cell_sigma = nan; }), "cell_sigma");
    EXPECT_EQ(invalid_field([&](cim_params& p) { p.sigma_rand = 0.0; p.sigma_nl = 0.0; }), "");
}

TEST(CimParams, LevelsBeyondTheGrid) {
    // P + Q - 1 is the number of anti-diagonals; one more is off the grid.
    struct c {
        int wbit, xbit;
        bool s;
        int enc, levels;
    };
    for (const c& k : {c{4, 5, false, 1, 8}, c{4, 5, true, 1, 8}, c{4, 5, false, 2, 6},
                       c{4, 5, false, 3, 5}, c{8, 9, true, 4, 10}, c{8, 8, true, 3, 11}}) {
        cim_params p = params(k.wbit, k.xbit, k.s, k.enc);
        p.hybrid_levels = k.levels;
        EXPECT_EQ(invalid_field(p), "") << k.levels;
        p.hybrid_levels = k.levels + 1;
        EXPECT_EQ(invalid_field(p), "hybrid_levels") << k.levels;
        p.hybrid_levels = -1;
        EXPECT_EQ(invalid_field(p), "hybrid_levels");
        p.hybrid_levels = 0;
        p.voting_levels = k.levels + 1;
        EXPECT_EQ(invalid_field(p), "voting_levels");
        p.voting_levels = k.levels;
        EXPECT_EQ(invalid_field(p), "");
    }
}

TEST(CimParams, WeightBitParallelRestrictions) {
    auto wbp = [](const std::function<void(cim_params&)>& change) {
        return invalid_field([&](cim_params& p) {
            p.weight_bit_parallel = true;
            p.act_enc = 4;
            change(p);
        });
    };
    EXPECT_EQ(wbp([](cim_params&) {}), "");
    EXPECT_EQ(wbp([](cim_params& p) { p.adc_bits = 1; }), "adc_bits");
    EXPECT_EQ(wbp([](cim_params& p) { p.hybrid_levels = 1; }), "hybrid_levels");
    EXPECT_EQ(wbp([](cim_params& p) { p.voting_levels = 1; }), "voting_levels");
    EXPECT_EQ(wbp([](cim_params& p) { p.sigma_nl = 1.0; }), "sigma_nl");
    EXPECT_EQ(wbp([](cim_params& p) { p.gain_compression = 0.01; }), "gain_compression");
    EXPECT_EQ(wbp([](cim_params& p) { p.cell_sigma = 1.0; }), "cell_sigma");
    EXPECT_EQ(wbp([](cim_params& p) { p.sigma_rand = 1.0; }), "");
}

TEST(CimParams, ErrorCarriesTheValue) {
    cim_params p;
    p.wbit = 17;
    try {
        p.validate();
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.name(), "wbit");
        EXPECT_EQ(e.value(), "17");
        const std::string what = e.what();
        EXPECT_NE(what.find("wbit"), std::string::npos) << what;
        EXPECT_NE(what.find("17"), std::string::npos) << what;
    }
    EXPECT_THROW(cycle_plan{p}, parameter_error);
}
