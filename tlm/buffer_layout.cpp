#include <acim/tlm/buffer_layout.hpp>

#include <algorithm>
#include <cstring>

namespace acim::tlm {

window_sizes buffer_sizes(std::size_t rows, std::size_t cols, std::size_t depth) {
    window_sizes s;
    s.weight = rows * weight_row_bytes(cols);
    s.input = depth * rows * 2;
    s.output = depth * (cols / 2) * 8;
    return s;
}

void pack_weights(const std::int32_t* w, std::size_t outputs, std::size_t rows, int wbit, std::size_t cols,
                  unsigned char* sram) {
    const std::size_t stride = weight_row_bytes(cols);
    const auto bits = static_cast<std::size_t>(wbit);
    for (std::size_t r = 0; r < rows; ++r) {
        unsigned char* row = sram + r * stride;
        for (std::size_t o = 0; o < outputs; ++o) {
            const auto u = static_cast<std::uint32_t>(w[o * rows + r]);
            for (std::size_t i = 0; i < bits; ++i) {
                const std::size_t c = o * bits + i;
                const auto m = static_cast<unsigned char>(1u << (c % 8));
                if ((u >> i) & 1u) row[c / 8] = static_cast<unsigned char>(row[c / 8] | m);
                else row[c / 8] = static_cast<unsigned char>(row[c / 8] & ~m);
            }
        }
    }
}

void unpack_weights(const unsigned char* sram, std::size_t cols, std::size_t outputs, std::size_t rows, int wbit,
                    std::int32_t* w) {
    const std::size_t stride = weight_row_bytes(cols);
    const auto bits = static_cast<std::size_t>(wbit);
    const std::uint32_t sign = 1u << (wbit - 1);
    for (std::size_t o = 0; o < outputs; ++o) {
        for (std::size_t r = 0; r < rows; ++r) {
            const unsigned char* row = sram + r * stride;
            std::uint32_t u = 0;
            for (std::size_t i = 0; i < bits; ++i) {
                const std::size_t c = o * bits + i;
                u |= static_cast<std::uint32_t>((row[c / 8] >> (c % 8)) & 1u) << i;
            }
            // Sign extension: (u ^ sign) - sign maps [0, 2^wbit) onto [-2^(wbit-1), 2^(wbit-1)).
            w[o * rows + r] = static_cast<std::int32_t>(u ^ sign) - static_cast<std::int32_t>(sign);
        }
    }
}

void encode_inputs(const std::int32_t* x, std::size_t count, int xbit, unsigned char* buf) {
    const unsigned b = input_code_bytes(xbit);
    for (std::size_t k = 0; k < count; ++k) {
        const auto u = static_cast<std::uint32_t>(x[k]);
        buf[k * b] = static_cast<unsigned char>(u & 0xFFu);
        if (b == 2) buf[k * b + 1] = static_cast<unsigned char>((u >> 8) & 0xFFu);
    }
}

// The clones let the compiler vectorise the decode and its running range with the CPU's widest vectors.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) std::size_t decode_inputs(
    const unsigned char* buf, std::size_t count, int xbit, bool is_signed, std::int32_t* x) {
    const unsigned b = input_code_bytes(xbit);
    const std::int32_t lo = is_signed ? -(1 << (xbit - 1)) : 0;
    const std::int32_t hi = is_signed ? (1 << (xbit - 1)) - 1 : (1 << xbit) - 1;
    // Branch-free decode (vectorisable) with a running range; the first bad code is searched for
    // only when the range shows one.
    const std::uint32_t width_sign = b == 2 ? 0x8000u : 0x80u;
    const std::int32_t sign_off = is_signed ? static_cast<std::int32_t>(width_sign) : 0;
    const std::uint32_t flip = is_signed ? width_sign : 0u;
    std::int32_t mn = 0, mx = 0;
    if (b == 1) {
        for (std::size_t k = 0; k < count; ++k) {
            const std::int32_t v = static_cast<std::int32_t>(buf[k] ^ flip) - sign_off;
            x[k] = v;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
        }
    } else {
        for (std::size_t k = 0; k < count; ++k) {
            const std::uint32_t u = static_cast<std::uint32_t>(buf[2 * k]) | static_cast<std::uint32_t>(buf[2 * k + 1]) << 8;
            const std::int32_t v = static_cast<std::int32_t>(u ^ flip) - sign_off;
            x[k] = v;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
        }
    }
    if (mn >= lo && mx <= hi) return npos;
    for (std::size_t k = 0; k < count; ++k)
        if (x[k] < lo || x[k] > hi) return k;
    return npos;
}

void encode_outputs(const std::int64_t* num, std::size_t count, unsigned char* buf) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (count != 0) std::memcpy(buf, num, count * 8);  // the host order is the buffer's
#else
    for (std::size_t k = 0; k < count; ++k) {
        const auto u = static_cast<std::uint64_t>(num[k]);
        for (std::size_t b = 0; b < 8; ++b) buf[k * 8 + b] = static_cast<unsigned char>((u >> (8 * b)) & 0xFFu);
    }
#endif
}

void decode_outputs(const unsigned char* buf, std::size_t count, std::int64_t* num) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (count != 0) std::memcpy(num, buf, count * 8);
#else
    for (std::size_t k = 0; k < count; ++k) {
        std::uint64_t u = 0;
        for (std::size_t b = 0; b < 8; ++b) u |= static_cast<std::uint64_t>(buf[k * 8 + b]) << (8 * b);
        num[k] = static_cast<std::int64_t>(u);
    }
#endif
}

}  // namespace acim::tlm
