// AVX-512 kernel of the engine: eight input vectors per 512-bit register, one 64-bit word of an
// activation plane per lane. Counts come from VPOPCNTQ, random numbers from a vectorised SplitMix64
// (detail::temporal_u63: one group draw gives the top byte of u for eight cycles, and the low 55
// bits are drawn only where that byte does not settle the code), and noisy codes from a
// guide-table gather. Results are bit-identical to kernel_portable.
// Its kernels are compiled for AVX-512 (the target region below) and only entered after a CPUID check.
// engine_avx512_vbmi2.cpp compiles it a second time with ACIM_KERNEL_VBMI2 = 1 and -mavx512vbmi2
// for the byte compress of the A8 dot-product path; kernel_avx512 enters that copy on CPUs with
// VBMI2 (Ice Lake, Zen 4 and later).
#ifndef ACIM_KERNEL_VBMI2
#define ACIM_KERNEL_VBMI2 0
#endif
#include <acim/core/adc.hpp>
#include <acim/core/engine_impl.hpp>
#include <acim/core/rng.hpp>

#include <immintrin.h>

#include <algorithm>
#include <array>

// Everything included above compiles for the baseline ISA; only the code below is AVX-512. With
// GCC that is a target pragma rather than -m flags for the whole file (models/CMakeLists.txt):
// the inline functions and template instances this file shares with the rest of the library
// (std::vector, engine_impl.hpp, ...) are then compiled for the baseline, so the linker cannot
// pick an AVX-512 copy of one for a caller on a CPU without AVX-512 (it did in the ASan build:
// SIGILL in std::vector<long>::_M_fill_assign, called from the ONNX importer).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#if ACIM_KERNEL_VBMI2
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512vpopcntdq,popcnt,avx512vbmi2")
#else
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx512vpopcntdq,popcnt")
#endif
#endif
#include <acim/core/avx512_ops.hpp>

namespace acim::core::detail {

namespace {

using namespace avx512;

// Pass 1: the bitline count of every cycle (i, j) of output o for the 8 vectors of a block.
template <std::size_t WC>
inline void block_counts(const prepared& pr, const std::uint64_t* wo, const std::uint64_t* xb, __m512i* cnt) {
    const std::size_t W = WC ? WC : pr.words;
    for (int i = 0; i < pr.P; ++i) {
        const std::uint64_t* wp = wo + static_cast<std::size_t>(i) * W;
        __m512i wv[WC ? WC : 1];
        if constexpr (WC != 0)
            for (std::size_t k = 0; k < WC; ++k) wv[k] = _mm512_set1_epi64(static_cast<long long>(wp[k]));
        for (int j = 0; j < pr.Q; ++j) {
            const act_cycle& a = pr.plan.act(j);
            __m512i count = _mm512_setzero_si512();
            for (int t = 0; t < a.width; ++t) {
                const std::uint64_t* xp = xb + static_cast<std::size_t>(a.lo + t) * W * lanes;
                __m512i pc = _mm512_setzero_si512();
                for (std::size_t k = 0; k < W; ++k) {
                    const __m512i w = WC ? wv[WC ? k : 0] : _mm512_set1_epi64(static_cast<long long>(wp[k]));
                    pc = _mm512_add_epi64(pc, _mm512_popcnt_epi64(_mm512_and_si512(w, _mm512_load_si512(xp + k * lanes))));
                }
                count = t == 0 ? pc : _mm512_add_epi64(count, _mm512_slli_epi64(pc, static_cast<unsigned>(t)));
            }
            _mm512_store_si512(cnt++, count);
        }
    }
}

constexpr bool vbmi2 = ACIM_KERNEL_VBMI2 != 0;

// The bytes of v selected by m, packed to the front (AVX512-VBMI2 copy of this file only).
inline __m512i compress_bytes([[maybe_unused]] __mmask64 m, __m512i v) {
#if ACIM_KERNEL_VBMI2
    return _mm512_maskz_compress_epi8(m, v);
#else
    return v;  // never used: the dot-product path needs the VBMI2 copy
#endif
}

// Conversions of a block whose top byte of u is not among the table's fast bytes: they need the
// rest of u and the table lookup. Pass 2 records a lane mask per cycle, pass 3 compacts the lanes
// branch-free and processes them eight at a time so that every gather lane does useful work.
struct alignas(64) lane_block {
    std::int64_t v[lanes];
};

struct slow_list {
    // k * lanes + lane (cycle k, lane) | (group draw index g * lanes + lane) << 16 | 8 (j mod 8) << 32
    std::vector<std::uint64_t> where;
    std::size_t table = 0;
    bool base_is_count = false;  // the noise-free code is the count: no codes to store and gather
};

// Appends the lanes of m to a list whose fill count lives in a register of the caller.
inline void push_slow(std::uint64_t* where, std::size_t& n, __mmask8 m, __m512i at) {
    _mm512_storeu_si512(where + n, _mm512_maskz_compress_epi64(m, at));
    n += static_cast<std::size_t>(__builtin_popcount(m));
}

// Adds the valid lanes whose code differs from the ideal code of their count to errs[k][bin].
inline void record_errors(std::uint64_t* errs, std::size_t k, __m512i code, __m512i count, const conversion_table& t,
                          __mmask8 valid) {
    const __m512i ideal = ideal_code_v(count, t.full_scale(), t.top(), t.code_mult(), t.code_ratio());
    auto m = static_cast<unsigned>(_mm512_mask_cmpneq_epi64_mask(valid, code, ideal));
    if (!m) return;
    alignas(64) std::array<std::int64_t, lanes> e{};
    _mm512_store_si512(e.data(), _mm512_sub_epi64(code, ideal));
    for (; m; m &= m - 1)
        ++errs[k * code_error_histogram::bins +
               static_cast<std::size_t>(code_error_histogram::bin(e[static_cast<std::size_t>(__builtin_ctz(m))]))];
}

template <std::size_t WC>
void kernel_t(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs) {
    const prepared& pr = *c.pr;
    const cim_params& p = pr.params;
    const std::size_t ncyc = pr.cycles.size();
    const int S = p.voting_samples;
    const bool median = p.vote == vote_rule::median;
    const __m512i top1 = _mm512_set1_epi64(pr.top - 1);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i one = _mm512_set1_epi64(1);
    bool all_linear = true;
    for (const cycle_info& cy : pr.cycles) all_linear = all_linear && cy.table < 0;
    std::vector<std::uint64_t> keys;
    std::vector<std::int32_t> samples(static_cast<std::size_t>(S));
    std::vector<lane_block> vu_v(static_cast<std::size_t>(S));  // voted cycles: u [sample][lane]
    std::uint64_t* const vu = reinterpret_cast<std::uint64_t*>(vu_v.data()->v);
    // [cycle][lane] counts and codes of the current block.
    std::vector<lane_block> counts_v(ncyc), codes_v(ncyc);
    std::int64_t* const counts = counts_v.data()->v;
    std::int64_t* const codes = codes_v.data()->v;
    // Noisy conversions whose top byte of u fell outside the fast bytes, one list per noisy table (at
    // most three: full group, short group, sign cycle), filled branch-free and refined eight at a time.
    std::vector<slow_list> slow;
    std::vector<int> slot_of(pr.tables.size(), -1);
    for (std::size_t t = 0; t < pr.tables.size(); ++t) {
        if (!pr.tables[t].noisy() || slow.size() == 3) continue;
        slot_of[t] = static_cast<int>(slow.size());
        const conversion_table& tab = pr.tables[t];
        slow.push_back({std::vector<std::uint64_t>(ncyc * lanes + lanes), t, tab.arithmetic() && tab.code_mult() == 1});
    }
    // The listed cycles of each list (pass 2 records their slow-lane masks, pass 3 compacts them).
    std::vector<std::vector<std::size_t>> listed_k(slow.size());
    for (std::size_t k = 0; k < ncyc; ++k) {
        const cycle_info& cy = pr.cycles[k];
        if (cy.table >= 0 && cy.noisy && !c.mm && !(cy.kind == cycle_kind::voted && S > 1))
            listed_k[static_cast<std::size_t>(slot_of[static_cast<std::size_t>(cy.table)])].push_back(k);
    }
    std::vector<std::uint8_t> slow_mask(ncyc, 0);
    // Random draws (detail::temporal_u63): one group draw per (i, j / 8) and block serves the top
    // bytes of u of up to eight cycles; the cycle streams' low 55 bits are drawn only for the lanes
    // whose byte falls outside the table's fast bytes (pass 3) or for per-column tables.
    const int G = groups_of(pr.Q);
    const std::size_t gkeys_at = group_keys_at(pr);
    std::vector<std::size_t> group_of(ncyc);
    std::vector<int> j_of(ncyc);
    std::vector<std::uint64_t> at_base(ncyc), ckeys(ncyc);
    for (std::size_t k = 0; k < ncyc; ++k) {
        const int i = static_cast<int>(k) / pr.Q, j = static_cast<int>(k) % pr.Q;
        group_of[k] = static_cast<std::size_t>(i * G + j / 8);
        j_of[k] = j;
        at_base[k] = (k * lanes) | (group_of[k] * lanes) << 16 | static_cast<std::uint64_t>(8 * (j % 8)) << 32;
    }
    std::vector<lane_block> hbuf_v(static_cast<std::size_t>(pr.P * G));
    std::uint64_t* const hbuf = reinterpret_cast<std::uint64_t*>(hbuf_v.data()->v);
    const __m512i iota2 = _mm512_set_epi64(7 * 0x10001, 6 * 0x10001, 5 * 0x10001, 4 * 0x10001, 3 * 0x10001,
                                           2 * 0x10001, 0x10001, 0);
    const __m512i mask16 = _mm512_set1_epi64(0xFFFF);
    // Pass 3's moved conversions of one list: cycle k * lanes + lane, noisy code, base code, count.
    std::vector<lane_block> moved_v(4 * (ncyc + 1));
    std::int64_t* const mv_w = moved_v.data()->v;
    std::int64_t* const mv_q = mv_w + (ncyc + 1) * lanes;
    std::int64_t* const mv_b = mv_q + (ncyc + 1) * lanes;
    std::int64_t* const mv_c = mv_b + (ncyc + 1) * lanes;
    std::vector<lane_block> us_v(ncyc + 1);  // pass 3: u of the listed lanes
    std::uint64_t* const us = reinterpret_cast<std::uint64_t*>(us_v.data()->v);
    // Tables whose noise-free code never sits on a rail for an interior count: in their noisy
    // cycles only noise makes saturations, and pass 3 counts those on the lanes it moves.
    std::vector<char> rails_free(pr.tables.size(), 0);
    for (std::size_t t = 0; t < pr.tables.size(); ++t) {
        const conversion_table& tab = pr.tables[t];
        bool free = true;
        for (std::int64_t n = 1; n < tab.full_scale() && free; ++n) free = tab.code(n) != 0 && tab.code(n) != pr.top;
        rails_free[t] = free;
    }
    // Listed cycles with nothing but the byte test to do in pass 2: arithmetic tables with code =
    // count (no codes to store, no errors to record) whose rails only noise reaches.
    std::vector<char> quick(ncyc, 0);
    std::vector<long long> byte_lo(ncyc, 0), byte_n(ncyc, 0);
    for (const std::vector<std::size_t>& ks : listed_k)
        for (const std::size_t k : ks) {
            const auto t = static_cast<std::size_t>(pr.cycles[k].table);
            quick[k] = slow[static_cast<std::size_t>(slot_of[t])].base_is_count && rails_free[t];
            byte_lo[k] = pr.tables[t].fast_byte_lo();
            byte_n[k] = static_cast<long long>(pr.tables[t].fast_byte_hi() - pr.tables[t].fast_byte_lo());
        }
    // The common configuration (every cycle a quick listed cycle of one table: analog, no voting,
    // code = count, rails only reached by noise, one accumulator, shift = i part + j part, sign by i
    // alone) takes a specialised pass 2 fused with pass 1: loop i outer, j inner, popcounts kept in
    // registers, one shift-add fold per i, the fast-byte test of eight cycles in one byte compare.
    bool fast = !c.mm && ncyc > 0 && slow.size() == 1 && pr.Q <= 64;
    std::vector<int> fj_lo(static_cast<std::size_t>(pr.Q)), fj_sh(static_cast<std::size_t>(pr.Q));
    std::vector<int> fi_sh(static_cast<std::size_t>(pr.P)), fi_sign(static_cast<std::size_t>(pr.P));
    for (int i = 0; i < pr.P && fast; ++i)
        for (int j = 0; j < pr.Q && fast; ++j) {
            const cycle_info& cy = pr.cycle(i, j);
            const std::size_t k = static_cast<std::size_t>(i * pr.Q + j);
            fj_lo[static_cast<std::size_t>(j)] = cy.lo;
            fj_sh[static_cast<std::size_t>(j)] = pr.cycle(0, j).shift - pr.cycle(0, 0).shift;
            fi_sh[static_cast<std::size_t>(i)] = pr.cycle(i, 0).shift;
            fi_sign[static_cast<std::size_t>(i)] = pr.cycle(i, 0).sign;
            fast = quick[k] && cy.table == pr.cycles[0].table && cy.acc == pr.cycles[0].acc && cy.width == 1 &&
                   cy.lo == pr.cycle(0, j).lo && cy.sign == pr.cycle(i, 0).sign &&
                   cy.shift == fi_sh[static_cast<std::size_t>(i)] + fj_sh[static_cast<std::size_t>(j)] &&
                   fj_sh[static_cast<std::size_t>(j)] >= 0 && fi_sh[static_cast<std::size_t>(i)] >= 0;
        }
    const int fast_acc = ncyc ? pr.cycles[0].acc : 0;
    bool fast8 = fast && pr.Q == 8;  // the usual A8 bit-serial plan: plane j, shift i + j
    for (int j = 0; j < pr.Q && fast8; ++j)
        fast8 = fj_lo[static_cast<std::size_t>(j)] == j && fj_sh[static_cast<std::size_t>(j)] == j;
    // The dot-product form of the A8 plan: the shift-add of the noise-free counts of a block is
    // sum_r weff[r] x[r] (prepared::weff16, one small integer GEMM per chunk and tile), so pass 2 only
    // draws the group hashes and lists the lanes whose byte of u is slow (a byte compress per
    // weight bit); the listed lanes' counts are computed in pass 3's preamble. Same list, same sums.
    const bool fastD = vbmi2 && fast8 && !pr.weff16.empty() && pr.P <= 8;
    std::vector<std::int64_t> dt;                                   // [output][vector of the chunk]
    std::vector<std::int32_t> dacc(fastD ? pr.weff_stride : 0);    // one vector's sums
    std::vector<std::uint16_t> wlist(fastD ? ncyc * lanes + 64 : 0);  // i << 6 | lane << 3 | j
    std::vector<std::uint8_t> blist(fastD ? ncyc * lanes + 64 : 0);   // their bytes of u
    // Pass 3 of the dot-product path: codes of the listed lanes (from the guide where its bucket
    // is pure), guide entries and bytes, and the list positions whose bucket needs the threshold
    // walk (the only lanes that draw the low bits of u).
    std::vector<lane_block> q3_v(fastD ? ncyc + 2 : 0), g3_v(fastD ? ncyc + 2 : 0), b3_v(fastD ? ncyc + 2 : 0),
        imp_v(fastD ? ncyc + 2 : 0);
    std::int64_t* const q3 = fastD ? q3_v.data()->v : nullptr;
    std::int64_t* const g3 = fastD ? g3_v.data()->v : nullptr;
    std::int64_t* const b3 = fastD ? b3_v.data()->v : nullptr;
    std::int64_t* const imp = fastD ? imp_v.data()->v : nullptr;
    // Per weight bit i of the A8 plan: shift(i, 0) and the sign (as -1 masks) for pass 3.
    alignas(64) std::array<std::int64_t, lanes> fish_a{}, fineg_a{};
    bool fs_uniform = ncyc > 0;
    for (std::size_t k = 0; k < ncyc; ++k) fs_uniform = fs_uniform && pr.cycles[k].fs == pr.cycles[0].fs;
    if (fastD)
        for (int i = 0; i < pr.P; ++i) {
            fish_a[static_cast<std::size_t>(i)] = fi_sh[static_cast<std::size_t>(i)];
            fineg_a[static_cast<std::size_t>(i)] = fi_sign[static_cast<std::size_t>(i)] < 0 ? -1 : 0;
        }
    const __m512i fish_v = _mm512_load_si512(fish_a.data()), fineg_v = _mm512_load_si512(fineg_a.data());
    const __m512i fs0_v = _mm512_set1_epi64(ncyc ? pr.cycles[0].fs : 0);
    std::vector<lane_block> cnt_list_v(fastD ? ncyc + 2 : 0);
    std::int64_t* const cnt_list = fastD ? cnt_list_v.data()->v : nullptr;
    alignas(64) std::array<std::uint8_t, 64> iota_bytes{};
    for (std::size_t q = 0; q < 64; ++q) iota_bytes[q] = static_cast<std::uint8_t>(q);
    const __m512i iota_b = _mm512_load_si512(iota_bytes.data());
    // fast_byte_lo <= fast_byte_hi <= 256: the byte-wise (b - lo) mod 256 < n equals the 64-bit test.
    const bool all_fast_bytes = fast && byte_n[0] >= 256;
    const __m512i blo8 = _mm512_set1_epi8(static_cast<char>(fast ? byte_lo[0] & 0xFF : 0));
    const __m512i bn8 = _mm512_set1_epi8(static_cast<char>(fast && byte_n[0] < 256 ? byte_n[0] : 0));
    // Static mismatch: the table of each cycle of the current output (its column's own table).
    std::vector<const conversion_table*> tabs(ncyc, nullptr);
    alignas(64) std::array<std::int64_t, lanes> lane_tmp{};
    std::uint64_t saturations = 0;
    // Pass 3 of arithmetic tables (the moved code's ideal is the noise-free code) applies its moved
    // conversions from vectors: per cycle the shift, accumulator and sign packed for one gather.
    std::vector<std::int64_t> kinfo(ncyc), kfs(ncyc);
    for (std::size_t k = 0; k < ncyc; ++k) {
        const cycle_info& cy = pr.cycles[k];
        kinfo[k] = cy.shift | cy.acc << 8 | (cy.sign < 0 ? 1 << 12 : 0);
        kfs[k] = cy.fs;
    }
    std::vector<std::int64_t> ap_idx(ncyc * lanes + lanes), ap_val(ncyc * lanes + lanes), ap_hist(ncyc * lanes + lanes);
    const __m512i top_v = _mm512_set1_epi64(pr.top);
    const __m512i lane_of = _mm512_set1_epi64(lanes - 1);

    for (std::size_t cb = b0; cb < b1; cb += chunk_blocks) {
        const std::size_t ce = std::min(b1, cb + chunk_blocks);
        for (std::size_t n = 0; n < pr.tiles.size(); ++n) {
            const std::size_t cv0 = cb * lanes, cv1 = std::min(c.vectors, ce * lanes), cvn = (ce - cb) * lanes;
            if (fastD) {
                // dt[o][v - cv0] = sum_r weff[n][r][o] x[v][tile row r], two rows per 16-bit
                // multiply-add, branch-free (exact: |weff|, x < 2^15 and the sums below 2^31).
                const row_tile& t = pr.tiles[n];
                const std::size_t WS = pr.weff_stride;
                dt.assign(pr.outputs * cvn, 0);
                const std::size_t pairs = (pr.weff_rows + 1) / 2, tp = (t.size() + 1) / 2;
                const std::int16_t* w16 = pr.weff16.data() + n * pairs * WS * 2;
                for (std::size_t o0 = 0; o0 < WS; o0 += 64) {
                    const std::size_t nb = std::min<std::size_t>(4, (WS - o0) / 16);
                    for (std::size_t v = cv0; v < cv1; ++v) {
                        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
                        const std::int32_t* xv = c.x + v * pr.rows + t.begin;
                        for (std::size_t q = 0; q < tp; ++q) {
                            const std::uint32_t hi = 2 * q + 1 < t.size() ? static_cast<std::uint32_t>(xv[2 * q + 1]) : 0u;
                            const __m512i a = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(xv[2 * q]) | hi << 16));
                            const std::int16_t* wr = w16 + (q * WS + o0) * 2;
                            s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a, _mm512_loadu_si512(wr)));
                            if (nb > 1) s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 32)));
                            if (nb > 2) s2 = _mm512_add_epi32(s2, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 64)));
                            if (nb > 3) s3 = _mm512_add_epi32(s3, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 96)));
                        }
                        _mm512_storeu_si512(dacc.data() + o0, s0);
                        if (nb > 1) _mm512_storeu_si512(dacc.data() + o0 + 16, s1);
                        if (nb > 2) _mm512_storeu_si512(dacc.data() + o0 + 32, s2);
                        if (nb > 3) _mm512_storeu_si512(dacc.data() + o0 + 48, s3);
                        const std::size_t oe = std::min(pr.outputs, o0 + 16 * nb);
                        for (std::size_t o = o0; o < oe; ++o) dt[o * cvn + (v - cv0)] = dacc[o];
                    }
                }
            }
            for (std::size_t o = 0; o < pr.outputs; ++o) {
                if (pr.any_noisy) {
                    fill_keys(c, n, o, keys);
                    for (std::size_t k = 0; k < ncyc; ++k) ckeys[k] = keys[k * static_cast<std::size_t>(S)];
                }
                if (c.mm) {
                    for (std::size_t k = 0; k < ncyc; ++k) {
                        const int i = static_cast<int>(k) / pr.Q, j = static_cast<int>(k) % pr.Q;
                        tabs[k] = pr.cycles[k].table < 0 ? nullptr
                                                         : &c.mm->table(o * static_cast<std::size_t>(pr.P) + static_cast<std::size_t>(i), j);
                    }
                }
                const std::uint64_t* wo = pr.wplane(n, o, 0);
                for (std::size_t b = cb; b < ce; ++b) {
                    const std::size_t nvalid = std::min(lanes, c.vectors - b * lanes);
                    const auto valid = static_cast<__mmask8>((1u << nvalid) - 1u);
                    if (!fast) block_counts<WC>(pr, wo, c.xblock(n, b), reinterpret_cast<__m512i*>(counts));
                    __m512i sum;
                    if (all_linear) {
                        __m512i a = zero;
                        for (std::size_t k = 0; k < ncyc; ++k) {
                            const cycle_info& cy = pr.cycles[k];
                            const __m512i val = _mm512_slli_epi64(_mm512_load_si512(counts + k * lanes),
                                                                  static_cast<unsigned>(cy.shift));
                            a = cy.sign > 0 ? _mm512_add_epi64(a, val) : _mm512_sub_epi64(a, val);
                        }
                        sum = _mm512_mullo_epi64(a, _mm512_set1_epi64(pr.top));
                    } else {
                        // (v + 1) * golden of the block's eight vectors (64-bit wrap-around, as the scalar form).
                        const __m512i vg = _mm512_mullo_epi64(
                            _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(c.first_vector + b * lanes + 1)),
                                             _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)),
                            _mm512_set1_epi64(static_cast<long long>(golden_gamma)));
                        // The group draw of the current (i, j / 8), and the byte-wise fast mask of
                        // it for table fast_table.
                        std::size_t cur_group = ~std::size_t{0};
                        __m512i h = zero;
#define ACIM_GROUP_DRAW(k)                                                                                          \
    if (group_of[k] != cur_group) {                                                                                 \
        cur_group = group_of[k];                                                                                    \
        h = mix64v(_mm512_add_epi64(                                                                                \
            _mm512_set1_epi64(static_cast<long long>(keys[gkeys_at + cur_group * static_cast<std::size_t>(S)])), vg)); \
        _mm512_store_si512(hbuf + cur_group * lanes, h);                                                            \
    }
                        // Pass 2: noise-free (or voted) codes, saturation and shift-add, plus the lane
                        // masks of the noisy conversions whose byte of u fell outside the fast bytes.
                        __m512i a0 = zero, a1 = zero, a2 = zero, a3 = zero, sat = zero;
                        std::size_t fast_ns = 0;
                        if (fastD) {
                            // The exact noise-free sum, then per weight bit i one group draw and the
                            // slow lanes of its eight cycles as one byte compress (bit 8 lane + j).
                            const __m512i a = _mm512_loadu_si512(dt.data() + o * cvn + (b - cb) * lanes);
                            std::size_t nl = 0;
                            for (int i = 0; i < pr.P; ++i) {
                                const auto grp = static_cast<std::size_t>(i);  // G = 1
                                const __m512i hg = mix64v(_mm512_add_epi64(
                                    _mm512_set1_epi64(static_cast<long long>(keys[gkeys_at + grp * static_cast<std::size_t>(S)])), vg));
                                _mm512_store_si512(hbuf + grp * lanes, hg);
                                if (all_fast_bytes) continue;
                                const __mmask64 sm = ~_mm512_cmplt_epu8_mask(_mm512_sub_epi8(hg, blo8), bn8);
                                if (!sm) continue;
                                const __m512i packed = compress_bytes(sm, iota_b);
                                _mm512_storeu_si512(blist.data() + nl, compress_bytes(sm, hg));
                                const auto nsm = static_cast<std::size_t>(__builtin_popcountll(sm));
                                const __m512i ioff = _mm512_set1_epi16(static_cast<short>(i << 6));
                                _mm512_storeu_si512(wlist.data() + nl,
                                                    _mm512_add_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(packed)), ioff));
                                if (nsm > 32)
                                    _mm512_storeu_si512(wlist.data() + nl + 32,
                                                        _mm512_add_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(packed, 1)), ioff));
                                nl += nsm;
                            }
                            // The list in pass 3's format (cycle k = 8 i + j, lane; group i; byte j) and
                            // the listed lanes' counts: popcount(w plane i AND x plane j) of the lane.
                            std::uint64_t* const fast_where = slow[0].where.data();
                            const std::size_t W = WC ? WC : pr.words;
                            const std::uint64_t* xb = c.xblock(n, b);
                            for (std::size_t s0 = 0; s0 < nl; s0 += lanes) {
                                const __m512i e = _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wlist.data() + s0)));
                                const __m512i iv = _mm512_srli_epi64(e, 6);
                                const __m512i lane = _mm512_and_si512(_mm512_srli_epi64(e, 3), _mm512_set1_epi64(7));
                                const __m512i jv = _mm512_and_si512(e, _mm512_set1_epi64(7));
                                const __m512i kv = _mm512_add_epi64(_mm512_slli_epi64(iv, 3), jv);
                                const __m512i where = _mm512_add_epi64(_mm512_slli_epi64(kv, 3), lane);
                                const __m512i gidx = _mm512_add_epi64(_mm512_slli_epi64(iv, 3), lane);
                                _mm512_storeu_si512(fast_where + s0,
                                                    _mm512_or_si512(_mm512_or_si512(where, _mm512_slli_epi64(gidx, 16)),
                                                                    _mm512_slli_epi64(jv, 35)));
                                __m512i count = zero;
                                for (std::size_t q = 0; q < W; ++q) {
                                    const auto qv = _mm512_set1_epi64(static_cast<long long>(q));
                                    const __m512i wi = _mm512_add_epi64(_mm512_mullo_epi64(iv, _mm512_set1_epi64(static_cast<long long>(W))), qv);
                                    const __m512i xi = _mm512_add_epi64(
                                        _mm512_slli_epi64(_mm512_add_epi64(_mm512_mullo_epi64(jv, _mm512_set1_epi64(static_cast<long long>(W))), qv), 3), lane);
                                    const __m512i wq = _mm512_i64gather_epi64(wi, wo, 8);
                                    const __m512i xq = _mm512_i64gather_epi64(xi, xb, 8);
                                    count = _mm512_add_epi64(count, _mm512_popcnt_epi64(_mm512_and_si512(wq, xq)));
                                }
                                _mm512_store_si512(cnt_list + s0, count);
                            }
                            fast_ns = nl;
                            switch (fast_acc) {
                            case 0: a0 = a; break;
                            case 1: a1 = a; break;
                            case 2: a2 = a; break;
                            default: a3 = a; break;
                            }
                        } else if (fast) {
                            std::uint64_t* const fast_where = slow[0].where.data();
                            const std::size_t W = WC ? WC : pr.words;
                            const std::uint64_t* xb = c.xblock(n, b);
                            __m512i a = zero;
                            for (int i = 0; i < pr.P; ++i) {
                                const std::uint64_t* wp = wo + static_cast<std::size_t>(i) * W;
                                __m512i wv[WC ? WC : 1];
                                if constexpr (WC != 0)
                                    for (std::size_t q = 0; q < WC; ++q) wv[q] = _mm512_set1_epi64(static_cast<long long>(wp[q]));
                                __m512i ai = zero;
                                for (int g = 0; g < G; ++g) {
                                    const std::size_t grp = static_cast<std::size_t>(i * G + g);
                                    const __m512i hg = mix64v(_mm512_add_epi64(
                                        _mm512_set1_epi64(static_cast<long long>(keys[gkeys_at + grp * static_cast<std::size_t>(S)])), vg));
                                    _mm512_store_si512(hbuf + grp * lanes, hg);
                                    // 0xFF in every byte of h that is a fast byte.
                                    const __m512i fb = all_fast_bytes
                                                           ? _mm512_set1_epi64(-1)
                                                           : _mm512_movm_epi8(_mm512_cmplt_epu8_mask(_mm512_sub_epi8(hg, blo8), bn8));
                                    // One cycle: counts (kept for pass 3), shift-add, slow lanes straight
                                    // into the list (pass 3 only samples them).
                                    const auto cycle = [&](int lo, int sh, int j, std::size_t k, __m512i at) __attribute__((always_inline)) {
                                        const std::uint64_t* xp = xb + static_cast<std::size_t>(lo) * W * lanes;
                                        __m512i count = zero;
                                        for (std::size_t q = 0; q < W; ++q) {
                                            const __m512i w = WC ? wv[WC ? q : 0] : _mm512_set1_epi64(static_cast<long long>(wp[q]));
                                            count = _mm512_add_epi64(count, _mm512_popcnt_epi64(_mm512_and_si512(w, _mm512_load_si512(xp + q * lanes))));
                                        }
                                        _mm512_store_si512(counts + k * lanes, count);
                                        ai = _mm512_add_epi64(ai, _mm512_slli_epi64(count, static_cast<unsigned>(sh)));
                                        const auto m = static_cast<__mmask8>(~_mm512_test_epi64_mask(
                                            fb, _mm512_set1_epi64(static_cast<long long>(std::uint64_t{0xFF} << (8 * (j & 7))))));
                                        push_slow(fast_where, fast_ns, m, at);
                                    };
                                    if (fast8) {
                                        // Q = 8, plane j, shift j: unrolled, every offset and shift a constant.
                                        const std::size_t k0 = static_cast<std::size_t>(i) * 8;
                                        const __m512i at0 = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(at_base[k0])), iota2);
#pragma GCC unroll 8
                                        for (int j = 0; j < 8; ++j)
                                            cycle(j, j, j, k0 + static_cast<std::size_t>(j),
                                                  _mm512_add_epi64(at0, _mm512_set1_epi64(static_cast<long long>(
                                                                            static_cast<std::uint64_t>(j) * lanes | static_cast<std::uint64_t>(8 * j) << 32))));
                                    } else {
                                        const int je = std::min(pr.Q, 8 * g + 8);
                                        for (int j = 8 * g; j < je; ++j) {
                                            const std::size_t k = static_cast<std::size_t>(i * pr.Q + j);
                                            cycle(fj_lo[static_cast<std::size_t>(j)], fj_sh[static_cast<std::size_t>(j)], j, k,
                                                  _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(at_base[k])), iota2));
                                        }
                                    }
                                }
                                ai = _mm512_slli_epi64(ai, static_cast<unsigned>(fi_sh[static_cast<std::size_t>(i)]));
                                a = fi_sign[static_cast<std::size_t>(i)] > 0 ? _mm512_add_epi64(a, ai) : _mm512_sub_epi64(a, ai);
                            }
                            switch (fast_acc) {
                            case 0: a0 = a; break;
                            case 1: a1 = a; break;
                            case 2: a2 = a; break;
                            default: a3 = a; break;
                            }
                        } else
                        for (std::size_t k = 0; k < ncyc; ++k) {
                            const cycle_info& cy = pr.cycles[k];
                            const __m512i count = _mm512_load_si512(counts + k * lanes);
                            __m512i val = count;
                            if (quick[k]) {
                                // Listed noisy cycle whose noise-free code is its count and whose
                                // saturations only noise makes (pass 3 counts them).
                                ACIM_GROUP_DRAW(k)
                                const __m512i byte = group_byte_v(h, j_of[k]);
                                slow_mask[k] = static_cast<std::uint8_t>(~_mm512_cmplt_epu64_mask(
                                    _mm512_sub_epi64(byte, _mm512_set1_epi64(byte_lo[k])), _mm512_set1_epi64(byte_n[k])));
                            } else if (cy.table >= 0) {
                                const conversion_table& tab = c.mm ? *tabs[k] : pr.tables[static_cast<std::size_t>(cy.table)];
                                const std::size_t key_at = k * static_cast<std::size_t>(S);
                                if (cy.kind == cycle_kind::voted && S > 1 && cy.noisy) {
                                    // u of every sample and lane (detail::temporal_u63), then the
                                    // samples and their vote lane by lane.
                                    for (int s = 0; s < S; ++s) {
                                        const auto sz = static_cast<std::size_t>(s);
                                        _mm512_store_si512(vu + sz * lanes,
                                                           temporal_u63v(keys[key_at + sz],
                                                                         keys[gkeys_at + group_of[k] * static_cast<std::size_t>(S) + sz],
                                                                         vg, j_of[k]));
                                    }
                                    for (std::size_t l = 0; l < lanes; ++l) {
                                        std::int64_t q = 0;
                                        if (l < nvalid) {
                                            for (std::size_t s = 0; s < static_cast<std::size_t>(S); ++s)
                                                samples[s] = tab.sample(counts[k * lanes + l], vu[s * lanes + l]);
                                            q = vote(samples.data(), S, median);
                                            const std::int64_t err = q - ideal_code(counts[k * lanes + l], cy.fs, pr.top);
                                            if (err != 0)
                                                ++errs[k * code_error_histogram::bins +
                                                       static_cast<std::size_t>(code_error_histogram::bin(err))];
                                        }
                                        lane_tmp[l] = q;
                                    }
                                    val = _mm512_load_si512(lane_tmp.data());
                                } else {
                                    if (cy.noisy && c.mm) {
                                        // Per-column tables: sample the slow lanes right here. A
                                        // mismatched table's fast range is often narrow (some
                                        // count sits near a threshold): then the guide lookup of
                                        // every lane replaces the noise-free gather.
                                        ACIM_GROUP_DRAW(k)
                                        const __m512i u = _mm512_or_si512(
                                            _mm512_slli_epi64(group_byte_v(h, j_of[k]), 55),
                                            low55_v(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(keys[key_at])), vg)));
                                        if (tab.fast_hi() - tab.fast_lo() < (std::uint64_t{1} << 62)) {
                                            val = sample_v(tab, count, u, zero, valid);
                                        } else {
                                            val = base_code_v(tab, count);
                                            const __mmask8 m = slow_lanes(tab, u) & valid;
                                            if (m) val = sample_v(tab, count, u, val, m);
                                        }
                                    } else if (cy.noisy) {
                                        const int slot = slot_of[static_cast<std::size_t>(cy.table)];
                                        val = base_code_v(tab, count);
                                        if (!slow[static_cast<std::size_t>(slot)].base_is_count)
                                            _mm512_store_si512(codes + k * lanes, val);
                                        ACIM_GROUP_DRAW(k)
                                        slow_mask[k] = static_cast<std::uint8_t>(~fast_bytes(tab, group_byte_v(h, j_of[k])));
                                    } else {
                                        val = base_code_v(tab, count);
                                    }
                                    // Arithmetic tables give the ideal code where no noise moved
                                    // it (pass 3 records those that moved); others are compared.
                                    if (!tab.arithmetic() || c.mm) record_errors(errs, k, val, count, tab, valid);
                                }
                                const bool listed = cy.noisy && !c.mm && !(cy.kind == cycle_kind::voted && S > 1);
                                if (!(listed && rails_free[static_cast<std::size_t>(cy.table)]))
                                    sat = _mm512_mask_add_epi64(sat, rail_mask(val, count, top1, cy.fs) & valid, sat, one);
                            }
                            val = _mm512_slli_epi64(val, static_cast<unsigned>(cy.shift));
                            if (cy.sign < 0) val = _mm512_sub_epi64(zero, val);
                            switch (cy.acc) {
                            case 0: a0 = _mm512_add_epi64(a0, val); break;
                            case 1: a1 = _mm512_add_epi64(a1, val); break;
                            case 2: a2 = _mm512_add_epi64(a2, val); break;
                            default: a3 = _mm512_add_epi64(a3, val); break;
                            }
                        }
#undef ACIM_GROUP_DRAW
                        saturations += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(sat));
                        alignas(64) std::int64_t acc[4][lanes];
                        _mm512_store_si512(acc[0], a0);
                        _mm512_store_si512(acc[1], a1);
                        _mm512_store_si512(acc[2], a2);
                        _mm512_store_si512(acc[3], a3);
                        // Pass 3: list the masked conversions, complete their u, sample them eight at
                        // a time, and correct the accumulators, the saturation count and the error
                        // histogram where noise moved the code.
                        for (std::size_t t = 0; t < slow.size(); ++t) {
                            slow_list& sl = slow[t];
                            std::size_t ns = fast_ns;  // the specialised pass 2 fills the one list itself
                            if (!fast)
                                for (const std::size_t k : listed_k[t])
                                    push_slow(sl.where.data(), ns, slow_mask[k],
                                              _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(at_base[k])), iota2));
                            std::size_t nmoved = 0;
                            const bool arith = pr.tables[sl.table].arithmetic();
                            std::size_t n_ap = 0, n_hist = 0;
                            const __m512i valid_lanes = _mm512_set1_epi64(static_cast<long long>(nvalid));
                            __m512i sat_delta = zero;
                            // u of every listed lane first: the byte of the lane's group draw and the
                            // low bits of its cycle stream (a branch-free loop, so the gathers overlap).
                            // The last batch reads up to seven entries past ns: they hold zeros or
                            // earlier entries, valid indices, and their u is never used.
                            if (fastD) {
                                // Guide entry of every listed lane from its count and byte of u; a
                                // pure bucket is the code. The rest (a threshold inside the bucket)
                                // get the low bits of u and walk the thresholds, eight at a time.
                                const conversion_table& tab = pr.tables[sl.table];
                                const int gb = tab.guide_bits();  // <= 8: the bucket is byte >> (8 - gb)
                                std::size_t nimp = 0;
                                for (std::size_t s0 = 0; s0 < ns; s0 += lanes) {
                                    const std::size_t m = std::min(lanes, ns - s0);
                                    const auto mk = static_cast<__mmask8>((1u << m) - 1u);
                                    const __m512i count = _mm512_maskz_load_epi64(mk, cnt_list + s0);
                                    const __m512i byte =
                                        _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blist.data() + s0)));
                                    const __m512i gidx = _mm512_add_epi64(_mm512_slli_epi64(count, static_cast<unsigned>(gb)),
                                                                          _mm512_srli_epi64(byte, static_cast<unsigned>(8 - gb)));
                                    const __m512i g = _mm512_cvtepu32_epi64(
                                        _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), mk, gidx, tab.guide(), 4));
                                    _mm512_store_si512(q3 + s0, _mm512_and_si512(g, _mm512_set1_epi64(0xFFFF)));
                                    _mm512_store_si512(g3 + s0, g);
                                    _mm512_store_si512(b3 + s0, byte);
                                    const __mmask8 walk =
                                        _mm512_mask_test_epi64_mask(mk, g, _mm512_set1_epi64(conversion_table::impure_flag));
                                    const __m512i pos = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(s0)),
                                                                         _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
                                    _mm512_storeu_si512(imp + nimp, _mm512_maskz_compress_epi64(walk, pos));
                                    nimp += static_cast<std::size_t>(__builtin_popcount(walk));
                                }
                                for (std::size_t i0 = 0; i0 < nimp; i0 += lanes) {
                                    const std::size_t m = std::min(lanes, nimp - i0);
                                    const auto mk = static_cast<__mmask8>((1u << m) - 1u);
                                    const __m512i pos = _mm512_maskz_loadu_epi64(mk, imp + i0);
                                    const __m512i where = _mm512_and_si512(
                                        _mm512_mask_i64gather_epi64(zero, mk, pos, reinterpret_cast<const long long*>(sl.where.data()), 8), mask16);
                                    const __m512i count = _mm512_mask_i64gather_epi64(zero, mk, pos, cnt_list, 8);
                                    const __m512i byte = _mm512_mask_i64gather_epi64(zero, mk, pos, b3, 8);
                                    const __m512i g = _mm512_mask_i64gather_epi64(zero, mk, pos, g3, 8);
                                    const __m512i ck = _mm512_mask_i64gather_epi64(zero, mk, _mm512_srli_epi64(where, 3), ckeys.data(), 8);
                                    const __m512i u = _mm512_or_si512(_mm512_slli_epi64(byte, 55),
                                                                      low55_v(_mm512_add_epi64(ck, _mm512_permutexvar_epi64(where, vg))));
                                    __m512i code = _mm512_and_si512(g, _mm512_set1_epi64(0xFFFF));
                                    __m512i tidx = _mm512_add_epi64(
                                        _mm512_mullo_epi64(count, _mm512_set1_epi64(static_cast<long long>(tab.stride()))),
                                        _mm512_and_si512(_mm512_srli_epi64(g, 16), _mm512_set1_epi64(0x7FFF)));
                                    for (__mmask8 wk = mk; wk;) {
                                        const __m512i thr = _mm512_mask_i64gather_epi64(zero, wk, tidx, tab.thresholds(), 8);
                                        wk = _mm512_mask_cmpge_epu64_mask(wk, u, thr);
                                        code = _mm512_mask_add_epi64(code, wk, code, one);
                                        tidx = _mm512_mask_add_epi64(tidx, wk, tidx, one);
                                    }
                                    _mm512_mask_i64scatter_epi64(q3, mk, pos, code, 8);
                                }
                            } else
                            for (std::size_t s0 = 0; s0 < ns; s0 += lanes) {
                                const __m512i packed = _mm512_loadu_si512(sl.where.data() + s0);
                                const __m512i where = _mm512_and_si512(packed, mask16);
                                const __m512i byte =
                                    fastD ? _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blist.data() + s0)))
                                          : _mm512_and_si512(_mm512_srlv_epi64(_mm512_i64gather_epi64(_mm512_and_si512(_mm512_srli_epi64(packed, 16), mask16), hbuf, 8),
                                                                               _mm512_srli_epi64(packed, 32)),
                                                             _mm512_set1_epi64(0xFF));
                                const __m512i ck = _mm512_i64gather_epi64(_mm512_srli_epi64(where, 3), ckeys.data(), 8);
                                _mm512_store_si512(us + s0, _mm512_or_si512(_mm512_slli_epi64(byte, 55),
                                                                            low55_v(_mm512_add_epi64(ck, _mm512_permutexvar_epi64(where, vg)))));
                            }
                            for (std::size_t s0 = 0; s0 < ns; s0 += lanes) {
                                const std::size_t m = std::min(lanes, ns - s0);
                                const auto mk = static_cast<__mmask8>((1u << m) - 1u);
                                const __m512i where = _mm512_and_si512(_mm512_maskz_loadu_epi64(mk, sl.where.data() + s0), mask16);
                                const __m512i count = fastD ? _mm512_maskz_load_epi64(mk, cnt_list + s0)
                                                            : _mm512_mask_i64gather_epi64(zero, mk, where, counts, 8);
                                const __m512i base =
                                    sl.base_is_count ? count : _mm512_mask_i64gather_epi64(zero, mk, where, codes, 8);
                                const __m512i q = fastD ? _mm512_maskz_load_epi64(mk, q3 + s0)
                                                        : sample_v(pr.tables[sl.table], count, _mm512_load_si512(us + s0), base, mk);
                                // The lanes noise moved, collected branch-free so that the batches'
                                // gather chains overlap; they are applied below.
                                const __mmask8 moved = _mm512_mask_cmpneq_epi64_mask(mk, q, base);
                                if (arith) {
                                    // Accumulator correction sign (q - base) << shift, histogram bin of
                                    // q - base (base is the ideal code), saturations of q minus those
                                    // of base; only the scalar adds remain per moved conversion.
                                    const __m512i kk = _mm512_srli_epi64(where, 3);
                                    const __m512i lane = _mm512_and_si512(where, lane_of);
                                    const __m512i fsk = fs_uniform ? fs0_v : _mm512_mask_i64gather_epi64(zero, moved, kk, kfs.data(), 8);
                                    const __m512i d = _mm512_sub_epi64(q, base);
                                    __m512i val, aidx;
                                    if (fastD) {  // k = 8 i + j: shift(i, 0) + j, sign of i, one accumulator
                                        const __m512i iv = _mm512_srli_epi64(kk, 3);
                                        val = _mm512_sllv_epi64(d, _mm512_add_epi64(_mm512_permutexvar_epi64(iv, fish_v),
                                                                                     _mm512_and_si512(kk, _mm512_set1_epi64(7))));
                                        const __m512i neg = _mm512_permutexvar_epi64(iv, fineg_v);
                                        val = _mm512_sub_epi64(_mm512_xor_si512(val, neg), neg);  // -val where neg = -1
                                        aidx = _mm512_add_epi64(_mm512_set1_epi64(fast_acc * static_cast<long long>(lanes)), lane);
                                    } else {
                                        const __m512i info = _mm512_mask_i64gather_epi64(zero, moved, kk, kinfo.data(), 8);
                                        val = _mm512_sllv_epi64(d, _mm512_and_si512(info, _mm512_set1_epi64(0xFF)));
                                        val = _mm512_mask_sub_epi64(val, _mm512_test_epi64_mask(info, _mm512_set1_epi64(1 << 12)), zero, val);
                                        aidx = _mm512_add_epi64(
                                            _mm512_slli_epi64(_mm512_and_si512(_mm512_srli_epi64(info, 8), _mm512_set1_epi64(0xF)), 3), lane);
                                    }
                                    _mm512_storeu_si512(ap_idx.data() + n_ap, _mm512_maskz_compress_epi64(moved, aidx));
                                    _mm512_storeu_si512(ap_val.data() + n_ap, _mm512_maskz_compress_epi64(moved, val));
                                    n_ap += static_cast<std::size_t>(__builtin_popcount(moved));
                                    const __mmask8 mv = moved & _mm512_cmplt_epu64_mask(lane, valid_lanes);
                                    const __m512i bin = _mm512_add_epi64(
                                        _mm512_min_epi64(_mm512_max_epi64(d, _mm512_set1_epi64(-code_error_histogram::range - 1)),
                                                         _mm512_set1_epi64(code_error_histogram::range + 1)),
                                        _mm512_set1_epi64(code_error_histogram::range + 1));
                                    const __m512i hidx =
                                        _mm512_add_epi64(_mm512_mullo_epi64(kk, _mm512_set1_epi64(code_error_histogram::bins)), bin);
                                    _mm512_storeu_si512(ap_hist.data() + n_hist, _mm512_maskz_compress_epi64(mv, hidx));
                                    n_hist += static_cast<std::size_t>(__builtin_popcount(mv));
                                    // saturated(code, top, count, fs): code on a rail, 0 < count < fs.
                                    const __mmask8 inner = _mm512_cmpgt_epi64_mask(count, zero) & _mm512_cmplt_epi64_mask(count, fsk) & mv;
                                    const __mmask8 sq = (_mm512_cmpeq_epi64_mask(q, zero) | _mm512_cmpeq_epi64_mask(q, top_v)) & inner;
                                    const __mmask8 sb = (_mm512_cmpeq_epi64_mask(base, zero) | _mm512_cmpeq_epi64_mask(base, top_v)) & inner;
                                    sat_delta = _mm512_mask_add_epi64(sat_delta, sq, sat_delta, one);
                                    sat_delta = _mm512_mask_sub_epi64(sat_delta, sb, sat_delta, one);
                                    continue;
                                }
                                _mm512_storeu_si512(mv_w + nmoved, _mm512_maskz_compress_epi64(moved, where));
                                _mm512_storeu_si512(mv_q + nmoved, _mm512_maskz_compress_epi64(moved, q));
                                _mm512_storeu_si512(mv_b + nmoved, _mm512_maskz_compress_epi64(moved, base));
                                _mm512_storeu_si512(mv_c + nmoved, _mm512_maskz_compress_epi64(moved, count));
                                nmoved += static_cast<std::size_t>(__builtin_popcount(moved));
                            }
                            if (arith) {
                                std::int64_t* const accf = &acc[0][0];
                                for (std::size_t e0 = 0; e0 < n_ap; ++e0) accf[ap_idx[e0]] += ap_val[e0];
                                for (std::size_t e0 = 0; e0 < n_hist; ++e0) ++errs[ap_hist[e0]];
                                saturations += static_cast<std::uint64_t>(_mm512_reduce_add_epi64(sat_delta));
                                continue;
                            }
                            const conversion_table& tab = pr.tables[sl.table];
                            for (std::size_t e0 = 0; e0 < nmoved; ++e0) {
                                const std::size_t k = static_cast<std::size_t>(mv_w[e0]) / lanes,
                                                  lane = static_cast<std::size_t>(mv_w[e0]) % lanes;
                                const std::int64_t qa = mv_q[e0], ba = mv_b[e0], ca = mv_c[e0];
                                const cycle_info& cy = pr.cycles[k];
                                acc[cy.acc][lane] += cy.sign * (qa - ba) * (std::int64_t{1} << cy.shift);
                                if (lane < nvalid) {
                                    saturations += saturated(qa, pr.top, ca, cy.fs);
                                    saturations -= saturated(ba, pr.top, ca, cy.fs);
                                    const std::int64_t ideal = tab.arithmetic() ? ba : ideal_code(ca, cy.fs, pr.top);
                                    std::uint64_t* e = errs + k * code_error_histogram::bins;
                                    if (ba != ideal) --e[static_cast<std::size_t>(code_error_histogram::bin(ba - ideal))];
                                    if (qa != ideal) ++e[static_cast<std::size_t>(code_error_histogram::bin(qa - ideal))];
                                }
                            }
                        }
                        sum = zero;
                        for (std::size_t k = 0; k < pr.acc_scale.size(); ++k)
                            sum = _mm512_add_epi64(sum, _mm512_mullo_epi64(_mm512_load_si512(acc[k]), _mm512_set1_epi64(pr.acc_scale[k])));
                    }
                    _mm512_store_si512(lane_tmp.data(), sum);
                    // The first tile writes the output (run() does not zero it for this kernel).
                    if (n == 0)
                        for (std::size_t l = 0; l < nvalid; ++l) c.out[(b * lanes + l) * pr.outputs + o] = lane_tmp[l];
                    else
                        for (std::size_t l = 0; l < nvalid; ++l) c.out[(b * lanes + l) * pr.outputs + o] += lane_tmp[l];
                }
            }
        }
    }
    cnt.saturations += saturations;
}

// This copy's kernel for the tile's plane width in words.
void kernel_words(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs) {
    switch (c.pr->words) {
    case 1: return kernel_t<1>(c, b0, b1, cnt, errs);
    case 2: return kernel_t<2>(c, b0, b1, cnt, errs);
    case 3: return kernel_t<3>(c, b0, b1, cnt, errs);
    case 4: return kernel_t<4>(c, b0, b1, cnt, errs);
    default: return kernel_t<0>(c, b0, b1, cnt, errs);
    }
}

}  // namespace

#if ACIM_KERNEL_VBMI2
void kernel_avx512_vbmi2(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs) {
    kernel_words(c, b0, b1, cnt, errs);
}
#else
void kernel_avx512(const run_ctx& c, std::size_t b0, std::size_t b1, engine_counters& cnt, std::uint64_t* errs) {
    static const bool has_vbmi2 = __builtin_cpu_supports("avx512vbmi2");
    if (has_vbmi2 && !c.no_vbmi2) return kernel_avx512_vbmi2(c, b0, b1, cnt, errs);
    kernel_words(c, b0, b1, cnt, errs);
}

bool pack_avx512(const run_ctx& c, std::uint64_t* xplanes, std::size_t b0, std::size_t b1) {
    const prepared& pr = *c.pr;
    const int xbit = pr.params.xbit;
    if (xbit > 8) return false;
    const std::size_t W = pr.words;
    const std::size_t xb = static_cast<std::size_t>(xbit);
    for (std::size_t n = 0; n < pr.tiles.size(); ++n) {
        const row_tile& t = pr.tiles[n];
        for (std::size_t b = b0; b < b1; ++b) {
            std::uint64_t* blk = xplanes + (n * c.blocks + b) * xb * W * lanes;
            for (std::size_t l = 0; l < lanes; ++l) {
                const std::size_t v = b * lanes + l;
                if (v >= c.vectors) {
                    for (std::size_t q = 0; q < xb * W; ++q) blk[q * lanes + l] = 0;
                    continue;
                }
                const std::int32_t* row = c.x + v * pr.rows;
                for (std::size_t k = 0; k < W; ++k) {
                    const std::size_t r0 = t.begin + 64 * k;
                    const std::size_t avail = r0 < t.end ? std::min<std::size_t>(64, t.end - r0) : 0;
                    __m512i bytes = _mm512_setzero_si512();
                    for (std::size_t q = 0; q < 4; ++q) {
                        const std::size_t have = avail > 16 * q ? std::min<std::size_t>(16, avail - 16 * q) : 0;
                        if (have == 0) break;
                        const auto m = static_cast<__mmask16>((1u << have) - 1u);  // have <= 16
                        const __m512i d = _mm512_maskz_loadu_epi32(m, row + r0 + 16 * q);
                        const __m128i b8 = _mm512_cvtepi32_epi8(d);
                        switch (q) {
                        case 0: bytes = _mm512_inserti32x4(bytes, b8, 0); break;
                        case 1: bytes = _mm512_inserti32x4(bytes, b8, 1); break;
                        case 2: bytes = _mm512_inserti32x4(bytes, b8, 2); break;
                        default: bytes = _mm512_inserti32x4(bytes, b8, 3); break;
                        }
                    }
                    for (std::size_t p = 0; p < xb; ++p) {
                        const __m512i sh = _mm512_slli_epi16(bytes, static_cast<int>(7 - p));
                        blk[(p * W + k) * lanes + l] = _mm512_movepi8_mask(sh);
                    }
                }
            }
        }
    }
    return true;
}

#endif  // ACIM_KERNEL_VBMI2

}  // namespace acim::core::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
