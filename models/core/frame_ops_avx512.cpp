// AVX-512 frame kernels: eight vectors of a frame per 512-bit register, one 64-bit word of an
// activation plane per lane, as in the engine's kernel. Compiled for AVX-512 and entered
// only when frame_plan::avx512() holds (a CPUID check). Bit-identical to the portable loops.
#include <acim/core/adc.hpp>
#include <acim/core/engine_impl.hpp>
#include <acim/core/frame_kernels.hpp>
#include <acim/core/rng.hpp>

#include <immintrin.h>

#include <algorithm>

// Everything included above compiles for the baseline ISA; only the code below is AVX-512. With
// GCC that is a target pragma rather than -m flags for the whole file (models/CMakeLists.txt):
// the inline functions and template instances this file shares with the rest of the library
// (std::vector, engine_impl.hpp, ...) are then compiled for the baseline, so the linker cannot
// pick an AVX-512 copy of one for a caller on a CPU without AVX-512 (it did in the ASan build:
// SIGILL in std::vector<long>::_M_fill_assign, called from the ONNX importer).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512vpopcntdq,popcnt")
#endif
#include <acim/core/avx512_ops.hpp>

namespace acim::core::detail {

namespace {

using namespace avx512;


inline __mmask8 lane_mask(std::size_t n) { return n >= lanes ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << n) - 1u); }

// counts for words-per-plane WC (0: any) and planes-per-cycle TW (0: any). With both fixed, the
// eight vectors' activation words stay in registers while every column's weight words stream by.
template <std::size_t WC, int TW>
void counts_t(const frame_plan& plan, const std::uint64_t* wplanes, const frame_id& id, frame_data& f) {
    const std::size_t W = WC ? WC : plan.words();
    const int width = TW ? TW : plan.plan().act(id.cycle).width;
    const std::size_t ps = f.plane_stride, cols = plan.columns();
    for (std::size_t v0 = 0; v0 < id.vectors; v0 += lanes) {
        if constexpr (WC != 0 && TW != 0) {
            __m512i xr[static_cast<std::size_t>(TW)][WC];
            for (int t = 0; t < TW; ++t)
                for (std::size_t k = 0; k < WC; ++k)
                    xr[t][k] = _mm512_load_si512(f.planes + (static_cast<std::size_t>(t) * W + k) * ps + v0);
            for (std::size_t col = 0; col < cols; ++col) {
                const std::uint64_t* wp = wplanes + col * W;
                __m512i c = _mm512_setzero_si512();
                for (int t = 0; t < TW; ++t) {
                    __m512i pc = _mm512_setzero_si512();
                    for (std::size_t k = 0; k < WC; ++k)
                        pc = _mm512_add_epi64(pc, _mm512_popcnt_epi64(_mm512_and_si512(
                                                      _mm512_set1_epi64(static_cast<long long>(wp[k])), xr[t][k])));
                    c = t == 0 ? pc : _mm512_add_epi64(c, _mm512_slli_epi64(pc, static_cast<unsigned>(t)));
                }
                _mm256_store_si256(reinterpret_cast<__m256i*>(f.counts.data() + col * f.stride + v0),
                                   _mm512_cvtepi64_epi32(c));
            }
        } else {
            for (std::size_t col = 0; col < cols; ++col) {
                const std::uint64_t* wp = wplanes + col * W;
                __m512i c = _mm512_setzero_si512();
                for (int t = 0; t < width; ++t) {
                    const std::uint64_t* xp = f.planes + static_cast<std::size_t>(t) * W * ps + v0;
                    __m512i pc = _mm512_setzero_si512();
                    for (std::size_t k = 0; k < W; ++k)
                        pc = _mm512_add_epi64(pc, _mm512_popcnt_epi64(_mm512_and_si512(
                                                      _mm512_set1_epi64(static_cast<long long>(wp[k])),
                                                      _mm512_load_si512(xp + k * ps))));
                    c = _mm512_add_epi64(c, _mm512_slli_epi64(pc, static_cast<unsigned>(t)));
                }
                _mm256_store_si256(reinterpret_cast<__m256i*>(f.counts.data() + col * f.stride + v0),
                                   _mm512_cvtepi64_epi32(c));
            }
        }
    }
}

template <std::size_t WC>
void counts_w(const frame_plan& plan, const std::uint64_t* wplanes, const frame_id& id, frame_data& f) {
    switch (plan.plan().act(id.cycle).width) {
    case 1: return counts_t<WC, 1>(plan, wplanes, id, f);
    case 2: return counts_t<WC, 2>(plan, wplanes, id, f);
    case 3: return counts_t<WC, 3>(plan, wplanes, id, f);
    case 4: return counts_t<WC, 4>(plan, wplanes, id, f);
    default: return counts_t<WC, 0>(plan, wplanes, id, f);
    }
}

}  // namespace

bool frame_latch_avx512(const frame_plan& plan, const std::int32_t* x, std::size_t tile, std::size_t vectors,
                        std::size_t stride, std::uint64_t* planes) {
    const int xbit = plan.params().xbit;
    if (xbit > 8) return false;
    const std::size_t W = plan.words(), rows = plan.rows();
    const auto xb = static_cast<std::size_t>(xbit);
    const row_tile& t = plan.tiles()[tile];
    for (std::size_t v = 0; v < stride; ++v) {
        if (v >= vectors) {
            for (std::size_t q = 0; q < xb * W; ++q) planes[q * stride + v] = 0;
            continue;
        }
        const std::int32_t* row = x + v * rows;
        for (std::size_t k = 0; k < W; ++k) {
            const std::size_t r0 = t.begin + 64 * k;
            const std::size_t avail = r0 < t.end ? std::min<std::size_t>(64, t.end - r0) : 0;
            __m512i bytes = _mm512_setzero_si512();
            for (std::size_t q = 0; q < 4; ++q) {
                const std::size_t have = avail > 16 * q ? std::min<std::size_t>(16, avail - 16 * q) : 0;
                if (have == 0) break;
                const auto m = static_cast<__mmask16>((1u << have) - 1u);  // have <= 16
                const __m128i b8 = _mm512_cvtepi32_epi8(_mm512_maskz_loadu_epi32(m, row + r0 + 16 * q));
                switch (q) {
                case 0: bytes = _mm512_inserti32x4(bytes, b8, 0); break;
                case 1: bytes = _mm512_inserti32x4(bytes, b8, 1); break;
                case 2: bytes = _mm512_inserti32x4(bytes, b8, 2); break;
                default: bytes = _mm512_inserti32x4(bytes, b8, 3); break;
                }
            }
            for (std::size_t p = 0; p < xb; ++p)
                planes[(p * W + k) * stride + v] = _mm512_movepi8_mask(_mm512_slli_epi16(bytes, static_cast<int>(7 - p)));
        }
    }
    return true;
}

std::uint64_t frame_active_rows_avx512(const frame_plan& plan, const std::uint64_t* planes, std::size_t stride,
                                       std::size_t vectors, int j) {
    const act_cycle& a = plan.plan().act(j);
    const std::size_t W = plan.words();
    __m512i n = _mm512_setzero_si512();
    for (std::size_t k = 0; k < W; ++k) {
        for (std::size_t v0 = 0; v0 < vectors; v0 += lanes) {  // lanes beyond `vectors` are zero
            __m512i any = _mm512_setzero_si512();
            for (int t = 0; t < a.width; ++t)
                any = _mm512_or_si512(any, _mm512_load_si512(planes + (static_cast<std::size_t>(a.lo + t) * W + k) * stride + v0));
            n = _mm512_add_epi64(n, _mm512_popcnt_epi64(any));
        }
    }
    alignas(64) std::uint64_t part[lanes];
    _mm512_store_si512(part, n);
    std::uint64_t sum = 0;
    for (const std::uint64_t q : part) sum += q;
    return sum;
}

void frame_counts_avx512(const frame_plan& plan, const std::uint64_t* wplanes, const frame_id& id, frame_data& f) {
    switch (plan.words()) {
    case 1: return counts_w<1>(plan, wplanes, id, f);
    case 2: return counts_w<2>(plan, wplanes, id, f);
    case 3: return counts_w<3>(plan, wplanes, id, f);
    case 4: return counts_w<4>(plan, wplanes, id, f);
    default: return counts_t<0, 0>(plan, wplanes, id, f);
    }
}

std::uint64_t frame_convert_avx512(const conversion_table& tab, const std::size_t* cols, const std::uint64_t* keys,
                                   std::size_t ncols, int j, const frame_id& id, frame_data& f) {
    const std::int64_t fs = tab.full_scale();
    const __m512i top1 = _mm512_set1_epi64(tab.top() - 1);
    const __m512i step = _mm512_set1_epi64(static_cast<long long>(lanes * golden_gamma));
    const __m512i gamma_iota = _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
                                                  _mm512_set1_epi64(static_cast<long long>(golden_gamma)));
    const __m512i vg0 = _mm512_add_epi64(
        _mm512_set1_epi64(static_cast<long long>((id.first_vector + 1) * golden_gamma)), gamma_iota);
    std::uint64_t sat = 0;
    if (tab.linear()) {
        // code = count * L / fs exactly, with fs dividing L: a scaling; code 0 and L only at
        // counts 0 and fs, so nothing saturates.
        const __m512i mult = _mm512_set1_epi32(static_cast<std::int32_t>(tab.code_mult()));
        for (std::size_t k = 0; k < ncols; ++k) {
            const std::int32_t* cnt = f.counts.data() + cols[k] * f.stride;
            std::int32_t* out = f.codes.data() + cols[k] * f.stride;
            for (std::size_t v0 = 0; v0 < id.vectors; v0 += 2 * lanes) {
                const __m512i c = _mm512_load_si512(cnt + v0);
                _mm512_store_si512(out + v0, tab.code_mult() == 1 ? c : _mm512_mullo_epi32(c, mult));
            }
        }
        return 0;
    }
    // Noisy conversions whose top byte of u (detail::temporal_u63) does not settle the noise-free
    // code are listed branch-free (index into the frame arrays | the byte << 55, and the cycle
    // stream's counter before the mix) and sampled eight at a time, so that every gather lane
    // works; the list is flushed when full and at the end, as in the engine's kernel.
    constexpr std::size_t list_cap = 1024;
    constexpr std::uint64_t at_mask = (std::uint64_t{1} << 55) - 1;
    alignas(64) std::uint64_t where[list_cap + lanes], zs[list_cap + lanes];
    std::size_t listed = 0;
    std::int32_t* const counts = f.counts.data();
    std::int32_t* const codes = f.codes.data();
    const std::int64_t top = tab.top();
    auto flush = [&] {
        for (std::size_t s0 = 0; s0 < listed; s0 += lanes) {
            const __mmask8 mk = lane_mask(listed - s0);
            const __m512i packed = _mm512_maskz_loadu_epi64(mk, where + s0);
            const __m512i at = _mm512_and_si512(packed, _mm512_set1_epi64(static_cast<long long>(at_mask)));
            const __m512i u = _mm512_or_si512(_mm512_andnot_si512(_mm512_set1_epi64(static_cast<long long>(at_mask)), packed),
                                              low55_v(_mm512_maskz_loadu_epi64(mk, zs + s0)));
            const __m512i count =
                _mm512_cvtepi32_epi64(_mm512_mask_i64gather_epi32(_mm256_setzero_si256(), mk, at, counts, 4));
            const __m512i base =
                _mm512_cvtepi32_epi64(_mm512_mask_i64gather_epi32(_mm256_setzero_si256(), mk, at, codes, 4));
            const __m512i q = sample_v(tab, count, u, base, mk);
            auto moved = static_cast<unsigned>(_mm512_mask_cmpneq_epi64_mask(mk, q, base));
            if (!moved) continue;
            alignas(64) std::int64_t qa[lanes], ba[lanes], ca[lanes];
            alignas(64) std::uint64_t wa[lanes];
            _mm512_store_si512(qa, q);
            _mm512_store_si512(ba, base);
            _mm512_store_si512(ca, count);
            _mm512_store_si512(wa, at);
            for (; moved; moved &= moved - 1) {
                const auto l = static_cast<std::size_t>(__builtin_ctz(moved));
                codes[wa[l]] = static_cast<std::int32_t>(qa[l]);
                sat += saturated(qa[l], top, ca[l], fs);
                sat -= saturated(ba[l], top, ca[l], fs);
            }
        }
        listed = 0;
    };
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (std::size_t k = 0; k < ncols; ++k) {
        const std::size_t row = cols[k] * f.stride;
        const std::int32_t* cnt = counts + row;
        std::int32_t* out = codes + row;
        __m512i vg = vg0;  // (first_vector + v + 1) * gamma of each lane
        for (std::size_t v0 = 0; v0 < id.vectors; v0 += lanes, vg = _mm512_add_epi64(vg, step)) {
            const __mmask8 valid = lane_mask(id.vectors - v0);
            const __m512i count = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(valid, cnt + v0));
            const __m512i code = base_code_v(tab, count);
            if (tab.noisy()) {
                const __m512i byte = group_byte_v(
                    mix64v(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(keys[2 * k + 1])), vg)), j);
                const auto slow = static_cast<__mmask8>(~fast_bytes(tab, byte) & valid);
                const __m512i at = _mm512_or_si512(
                    _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(row + v0)), iota), _mm512_slli_epi64(byte, 55));
                const __m512i z = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(keys[2 * k])), vg);
                _mm512_storeu_si512(where + listed, _mm512_maskz_compress_epi64(slow, at));
                _mm512_storeu_si512(zs + listed, _mm512_maskz_compress_epi64(slow, z));
                listed += static_cast<std::size_t>(__builtin_popcount(slow));
            }
            sat += static_cast<std::uint64_t>(__builtin_popcount(rail_mask(code, count, top1, fs) & valid));
            _mm256_mask_storeu_epi32(out + v0, valid, _mm512_cvtepi64_epi32(code));
            if (listed >= list_cap) flush();
        }
    }
    flush();
    return sat;
}

void frame_accumulate_avx512(const frame_plan& plan, const frame_id& id, const frame_data& f, std::uint64_t* acc,
                             std::size_t acc_stride) {
    const int P = plan.weight_cycles();
    const auto Pz = static_cast<std::size_t>(P);
    __m512i mult[16];  // wbit <= 16
    for (int i = 0; i < P; ++i) mult[i] = _mm512_set1_epi64(plan.cycle(i, id.cycle).weight);
    for (std::size_t o = 0; o < plan.outputs(); ++o) {
        const std::int32_t* const* rows = f.code_rows.data() + o * Pz;
        std::uint64_t* a = acc + o * acc_stride;
        for (std::size_t v0 = 0; v0 < id.vectors; v0 += lanes) {
            __m512i s = _mm512_load_si512(a + v0);
            for (std::size_t i = 0; i < Pz; ++i) {
                const __m512i c = _mm512_cvtepi32_epi64(
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(rows[i] + v0)));
                s = _mm512_add_epi64(s, _mm512_mullo_epi64(c, mult[i]));
            }
            _mm512_store_si512(a + v0, s);
        }
    }
}

}  // namespace acim::core::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
