// The buffer layouts of tlm/buffer_layout against the formulas of docs/register_map.md, written out
// independently in sc_test_support.
#include "sc_test_support.hpp"
#include <acim/tlm/buffer_layout.hpp>

#include <gtest/gtest.h>

#include <vector>

using namespace acim;
namespace regmap = acim::tlm;

TEST(buffer_layout, window_sizes_follow_the_documented_formulas) {
    const regmap::window_sizes s = regmap::buffer_sizes(200, 96, 10);
    EXPECT_EQ(s.weight, 200u * 96u / 8u);
    EXPECT_EQ(s.input, 10u * 200u * 2u);
    EXPECT_EQ(s.output, 10u * 48u * 8u);
}

TEST(buffer_layout, one_weight_bit_lands_where_documented) {
    // Output 2, bit 3 of a W5 layer at row 7 of a 48-column SRAM: column 13, byte 7*6 + 1, bit 5.
    const std::size_t cols = 48, rows = 9, outputs = 3;
    std::vector<std::int32_t> w(outputs * rows, 0);
    w[2 * rows + 7] = 1 << 3;
    std::vector<unsigned char> sram(rows * cols / 8, 0);
    regmap::pack_weights(w.data(), outputs, rows, 5, cols, sram.data());
    for (std::size_t k = 0; k < sram.size(); ++k) EXPECT_EQ(sram[k], k == 7 * 6 + 1 ? 1u << 5 : 0u) << "byte " << k;
}

TEST(buffer_layout, weights_match_the_independent_image_and_round_trip) {
    for (int wbit : {2, 3, 5, 8, 11, 16}) {
        core::cim_params p;
        p.wbit = wbit;
        const test::layer_setup l = test::random_layer(p, 7, 33, 1, static_cast<std::uint64_t>(wbit));
        const std::size_t cols = 128, hw_rows = 40;
        std::vector<unsigned char> sram(hw_rows * cols / 8, 0);
        regmap::pack_weights(l.w.data(), l.outputs, l.rows, wbit, cols, sram.data());
        EXPECT_EQ(sram, test::weight_image(l, cols, hw_rows)) << "wbit " << wbit;
        std::vector<std::int32_t> back(l.w.size());
        regmap::unpack_weights(sram.data(), cols, l.outputs, l.rows, wbit, back.data());
        EXPECT_EQ(back, l.w) << "wbit " << wbit;
    }
}

TEST(buffer_layout, pack_leaves_unused_columns_alone) {
    std::vector<std::int32_t> w = {-1, -1};  // 1 output x 2 rows, W4: columns 0..3
    std::vector<unsigned char> sram(2, 0xA0);  // 8 columns, 2 rows; bits 5 and 7 set
    regmap::pack_weights(w.data(), 1, 2, 4, 8, sram.data());
    EXPECT_EQ(sram[0], 0xAF);
    EXPECT_EQ(sram[1], 0xAF);
}

TEST(buffer_layout, every_bit_pattern_is_a_valid_weight) {
    // WBIT re-interprets the same bits: 0b1000 is -8 at W4; at W8, 0x08 | 0x80 is -120.
    std::vector<unsigned char> sram = {0x08};
    std::int32_t w = 0;
    regmap::unpack_weights(sram.data(), 8, 1, 1, 4, &w);
    EXPECT_EQ(w, -8);
    sram[0] = 0x88;
    regmap::unpack_weights(sram.data(), 8, 1, 1, 8, &w);
    EXPECT_EQ(w, -120);
}

TEST(buffer_layout, inputs_encode_one_or_two_bytes_and_detect_range) {
    std::vector<std::int32_t> x = {0, 5, -3, 127, -128};
    std::vector<unsigned char> b(x.size());
    regmap::encode_inputs(x.data(), x.size(), 8, b.data());
    EXPECT_EQ(b, (std::vector<unsigned char>{0x00, 0x05, 0xFD, 0x7F, 0x80}));
    std::vector<std::int32_t> back(x.size());
    EXPECT_EQ(regmap::decode_inputs(b.data(), x.size(), 8, true, back.data()), regmap::npos);
    EXPECT_EQ(back, x);
    // Signed 4-bit: -3 is fine, 127 is not (index 3).
    EXPECT_EQ(regmap::decode_inputs(b.data(), x.size(), 4, true, back.data()), 3u);
    // Unsigned 8-bit: 0xFD is 253, fine; unsigned 6-bit: 253 at index 2 is not.
    EXPECT_EQ(regmap::decode_inputs(b.data(), x.size(), 8, false, back.data()), regmap::npos);
    EXPECT_EQ(back[2], 253);
    EXPECT_EQ(regmap::decode_inputs(b.data(), x.size(), 6, false, back.data()), 2u);

    std::vector<std::int32_t> wide = {-2048, 2047, 0x123};
    std::vector<unsigned char> wb(wide.size() * 2);
    regmap::encode_inputs(wide.data(), wide.size(), 12, wb.data());
    EXPECT_EQ(wb, (std::vector<unsigned char>{0x00, 0xF8, 0xFF, 0x07, 0x23, 0x01}));
    std::vector<std::int32_t> wback(wide.size());
    EXPECT_EQ(regmap::decode_inputs(wb.data(), wide.size(), 12, true, wback.data()), regmap::npos);
    EXPECT_EQ(wback, wide);
    EXPECT_EQ(regmap::decode_inputs(wb.data(), wide.size(), 11, true, wback.data()), 0u);
}

TEST(buffer_layout, outputs_are_little_endian_int64) {
    const std::vector<std::int64_t> v = {0x0102030405060708LL, -2};
    std::vector<unsigned char> b(16);
    regmap::encode_outputs(v.data(), v.size(), b.data());
    EXPECT_EQ(b, (std::vector<unsigned char>{8, 7, 6, 5, 4, 3, 2, 1, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
    std::vector<std::int64_t> back(2);
    regmap::decode_outputs(b.data(), 2, back.data());
    EXPECT_EQ(back, v);
    EXPECT_EQ(test::decode_output_image(b), v);
}
