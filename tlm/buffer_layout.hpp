// Byte layouts of the macro's three buffer windows, as firmware sees them.
//
// * Weight SRAM: the physical bit array. Row r (a wordline) is `cols / 8` bytes at byte offset
//   r * cols / 8; column c is bit c % 8 of byte c / 8 of the row. Column c = o * wbit + i holds bit
//   i (0 = LSB, wbit-1 = the negative MSB) of the two's-complement weight of output o at row r. A
//   change of WBIT re-interprets the same bits, as the silicon would.
// * Input vector buffer: input code r of vector v at byte (v * rows_used + r) * b, b = 1 byte for
//   xbit <= 8 and 2 bytes (little-endian) otherwise, two's complement when signed.
// * Output buffer: numerator o of vector v at byte (v * outputs + o) * 8, a little-endian int64;
//   output = numerator / OUT_DENOM exactly.
//
// The macro decodes with these functions; drivers encode with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace acim::tlm {

struct window_sizes {
    std::size_t weight = 0;
    std::size_t input = 0;
    std::size_t output = 0;
};
// Window sizes of a macro with `rows` x `cols` SRAM and an input buffer `depth` vectors deep.
window_sizes buffer_sizes(std::size_t rows, std::size_t cols, std::size_t depth);

inline std::size_t weight_row_bytes(std::size_t cols) { return cols / 8; }
inline unsigned input_code_bytes(int xbit) { return xbit <= 8 ? 1u : 2u; }

// Writes the bits of weights w[outputs][rows] into the used columns [0, outputs * wbit) of rows
// [0, rows) of the SRAM image; other bits are left alone.
void pack_weights(const std::int32_t* w, std::size_t outputs, std::size_t rows, int wbit, std::size_t cols,
                  unsigned char* sram);
// Reads weights w[outputs][rows] (sign-extended from wbit bits) from the SRAM image.
void unpack_weights(const unsigned char* sram, std::size_t cols, std::size_t outputs, std::size_t rows, int wbit,
                    std::int32_t* w);

// Writes `count` input codes (low 8 or 16 bits, two's complement) to the buffer image.
void encode_inputs(const std::int32_t* x, std::size_t count, int xbit, unsigned char* buf);

inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
// Reads `count` input codes; returns the index of the first code outside the xbit range (unsigned:
// [0, 2^xbit - 1], signed: [-2^(xbit-1), 2^(xbit-1) - 1]), or npos if all are valid.
std::size_t decode_inputs(const unsigned char* buf, std::size_t count, int xbit, bool is_signed, std::int32_t* x);

void encode_outputs(const std::int64_t* num, std::size_t count, unsigned char* buf);
void decode_outputs(const unsigned char* buf, std::size_t count, std::int64_t* num);

}  // namespace acim::tlm
