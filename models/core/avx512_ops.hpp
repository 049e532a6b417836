// AVX-512 building blocks shared by the engine's kernel (engine_avx512.cpp) and the frame
// kernels (frame_ops_avx512.cpp): a vectorised SplitMix64 draw, the exact ideal code, the
// conversion-table lookup and the saturation test, eight 64-bit lanes at a time. Not a public
// header: include it only from translation units compiled with the AVX-512 flags.
#pragma once
// Include it inside an AVX-512 target region (after every other header): see engine_avx512.cpp.

#include <acim/core/adc.hpp>
#include <acim/core/rng.hpp>

#include <immintrin.h>

#include <cstdint>

namespace acim::core::detail::avx512 {
// Internal to each including file: engine_avx512.cpp is compiled twice (with and without
// AVX512-VBMI2), and a shared inline copy compiled with VBMI2 must not serve the other one.
namespace {

inline __m512i mix64v(__m512i z) {
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                           _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ULL)));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                           _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBULL)));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}


// Byte j mod 8 of each lane of a group draw h (detail::temporal_hi before the shift by 55).
inline __m512i group_byte_v(__m512i h, int j) {
    const auto sh = static_cast<unsigned>(8 * (j & 7));
    return _mm512_and_si512(sh ? _mm512_srli_epi64(h, sh) : h, _mm512_set1_epi64(0xFF));
}

// The low 55 bits of u from z = cycle stream + (v + 1) * golden, i.e. before the mix.
inline __m512i low55_v(__m512i z) { return _mm512_srli_epi64(mix64v(z), 64 - 55); }

// detail::temporal_u63 of every lane: cycle stream ck, group stream gk, vg = (v + 1) * golden.
inline __m512i temporal_u63v(std::uint64_t ck, std::uint64_t gk, __m512i vg, int j) {
    const __m512i h = mix64v(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(gk)), vg));
    return _mm512_or_si512(_mm512_slli_epi64(group_byte_v(h, j), 55),
                           low55_v(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(ck)), vg)));
}

// Lanes whose top byte of u alone settles the noise-free code (conversion_table::fast_byte_lo/hi).
inline __mmask8 fast_bytes(const conversion_table& t, __m512i byte) {
    return _mm512_cmplt_epu64_mask(_mm512_sub_epi64(byte, _mm512_set1_epi64(t.fast_byte_lo())),
                                   _mm512_set1_epi64(t.fast_byte_hi() - t.fast_byte_lo()));
}

// rhe(c * L / fs) for integer counts, exactly: x = c * (L/fs) is within 1e-10 of the rational
// c L / fs, whose distance to any other half-integer is at least 1/(2 fs); the integer remainder
// r = c L - floor(x) fs then settles ties (half to even) and a floor that landed one below.
inline __m512i ideal_code_v(__m512i c, std::int64_t fs, std::int64_t top, std::int64_t mult, double ratio) {
    if (mult == 1) return c;
    if (mult) return _mm512_mullo_epi64(c, _mm512_set1_epi64(mult));
    const __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(c), _mm512_set1_pd(ratio));
    const __m512i k = _mm512_cvtpd_epi64(_mm512_roundscale_pd(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    const __m512i vfs = _mm512_set1_epi64(fs);
    const __m512i r2 = _mm512_slli_epi64(
        _mm512_sub_epi64(_mm512_mullo_epi64(c, _mm512_set1_epi64(top)), _mm512_mullo_epi64(k, vfs)), 1);
    const __m512i one = _mm512_set1_epi64(1);
    const __mmask8 up = _mm512_cmpgt_epi64_mask(r2, vfs) |
                        (_mm512_cmpeq_epi64_mask(r2, vfs) & _mm512_test_epi64_mask(k, one));
    return _mm512_mask_add_epi64(k, up, k, one);
}

// The noise-free code of every lane.
inline __m512i base_code_v(const conversion_table& t, __m512i count) {
    if (t.arithmetic()) return ideal_code_v(count, t.full_scale(), t.top(), t.code_mult(), t.code_ratio());
    return _mm512_cvtepi32_epi64(_mm512_i64gather_epi32(count, t.codes(), 4));
}

// Lanes of conversion_table::sample that fall outside the table's fast range.
inline __mmask8 slow_lanes(const conversion_table& t, __m512i u) {
    const __mmask8 fast =
        _mm512_cmpge_epu64_mask(u, _mm512_set1_epi64(static_cast<long long>(t.fast_lo()))) &
        _mm512_cmplt_epu64_mask(u, _mm512_set1_epi64(static_cast<long long>(t.fast_hi())));
    return static_cast<__mmask8>(~fast);
}

// Lanes whose code sits on a rail (0 or L) although 0 < count < fs: unsigned (x - 1) >= L - 1
// holds exactly for x = 0 and x >= L, and (count - 1) < fs - 1 exactly for 0 < count < fs.
inline __mmask8 rail_mask(__m512i code, __m512i count, __m512i top1, std::int64_t fs) {
    const __m512i one = _mm512_set1_epi64(1);
    const __mmask8 edge = _mm512_cmpge_epu64_mask(_mm512_sub_epi64(code, one), top1);
    return _mm512_mask_cmplt_epu64_mask(edge, _mm512_sub_epi64(count, one), _mm512_set1_epi64(fs - 1));
}

// conversion_table::sample for the `slow` lanes; `code` holds the noise-free codes on entry.
inline __m512i sample_v(const conversion_table& t, __m512i count, __m512i u, __m512i code, __mmask8 slow) {
    const int gb = t.guide_bits();
    const __m512i gidx = _mm512_add_epi64(_mm512_slli_epi64(count, static_cast<unsigned>(gb)),
                                          _mm512_srli_epi64(u, static_cast<unsigned>(63 - gb)));
    const __m512i g = _mm512_cvtepu32_epi64(
        _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), slow, gidx, t.guide(), 4));
    code = _mm512_mask_and_epi64(code, slow, g, _mm512_set1_epi64(0xFFFF));
    __mmask8 walk = _mm512_mask_test_epi64_mask(slow, g, _mm512_set1_epi64(conversion_table::impure_flag));
    if (walk) {
        const __m512i one = _mm512_set1_epi64(1);
        __m512i tidx = _mm512_add_epi64(_mm512_mullo_epi64(count, _mm512_set1_epi64(static_cast<long long>(t.stride()))),
                                        _mm512_and_si512(_mm512_srli_epi64(g, 16), _mm512_set1_epi64(0x7FFF)));
        while (walk) {
            const __m512i thr = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), walk, tidx, t.thresholds(), 8);
            walk = _mm512_mask_cmpge_epu64_mask(walk, u, thr);
            code = _mm512_mask_add_epi64(code, walk, code, one);
            tidx = _mm512_mask_add_epi64(tidx, walk, tidx, one);
        }
    }
    return code;
}

}  // namespace
}  // namespace acim::core::detail::avx512
