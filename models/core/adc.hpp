// The conversion of one bitline sum: normalise the count by the cycle full scale, add the analog
// noise of SEMANTICS.md §5, clamp, and quantise with an L = 2^adc - 1 code ADC (round half even).
//
// A conversion's code depends only on its ideal count and the configuration, so noise is sampled
// exactly in distribution from a per-count table with one 63-bit uniform u: the code is the smallest
// k with u < T_c[k], T_c[k] = round(2^63 * P(code <= k | c)). This inverse-CDF coupling is monotone
// in u, so the same random stream gives comparable codes across configurations. Two shortcuts
// find k fast: u inside [fast_lo, fast_hi), where every count yields its noise-free code (most
// draws at small noise), and a guide table indexed by the top bits of u. The top byte of u alone
// settles the fast range for the bytes in [fast_byte_lo, fast_byte_hi), which lets the kernels
// draw u's low bits only for the other conversions (detail::temporal_u63).
#pragma once

#include <acim/core/cim_params.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace acim::core {

// rhe(c * L / fs) computed exactly in integers (SEMANTICS §5.4). Requires 0 <= c <= fs.
std::int64_t ideal_code(std::int64_t c, std::int64_t fs, std::int64_t top);

// Standard deviation, in normalised units, of the analog value v in [0,1] before clamping:
// sqrt((sr/100)^2 + (snl/100)^2 / (v * nrow + 1)).
double noise_sigma(double v, double sigma_rand_pct, double sigma_nl_pct, int nrow);

// Gain compression of the current domain (SEMANTICS §8.2): c / (1 + alpha c), counts >= 0.
double compress(double c, double alpha);

// Direct sampling: rhe(clamp(v + sigma * Phi^-1(u), 0, 1) * top) for a 63-bit uniform u.
std::int32_t sample_direct(double v, double sigma, std::int64_t top, std::uint64_t u63);

// Lower inverse of Phi for a 63-bit uniform.
double gaussian_from_u63(std::uint64_t u63);

// Bounds of gaussian_from_u63 over the 2^55 uniforms of one top byte b = u63 >> 55: every such u
// gives a value in [lo[b], hi[b]] (the values at the bucket's two ends, widened by 10^-12 relative
// so that the bracket holds even if the quantile were not monotone to the last ulp). Kernels that
// sample directly decide a code from the byte alone when both ends give the same code (every
// transfer they apply is monotone in the Gaussian value), and draw u's low bits and evaluate the
// quantile only for the rest.
struct gaussian_byte_bounds {
    double lo[256];
    double hi[256];
};
const gaussian_byte_bounds& gaussian_bounds();

// A static (per-die) mismatch transfer, docs/models.md: the column's analog value becomes
// v' = (1 + gain) v + offset, noise is added to v', the result is clamped to [0, 1], and the code
// is the number of the ADC's effective decision thresholds E_1 <= ... <= E_L that it reaches
// (x >= E_k). The ideal ADC has E_k = (k - 1/2) / L.
struct static_transfer {
    double gain = 0.0;    // g_c
    double offset = 0.0;  // o_c, normalised units (fraction of full scale)
    std::shared_ptr<const std::vector<double>> thresholds;  // E_1..E_L, sorted, normalised units
    // Cap on the guide-table entries of a noisy table (0: the default). Layers with a table per
    // column use small guides so that their tables stay in cache.
    std::size_t max_guide_entries = 0;

    // Code of a clamped analog value x in [0, 1].
    std::int32_t code(double x) const;
    // The column's value v' before noise and clamping.
    double apply(double v) const { return (1.0 + gain) * v + offset; }
};

// Settings shared by every conversion table of one configuration.
struct adc_model {
    std::int64_t top = 255;   // L
    int nrow = 255;           // row parallelism: the 1-bit full scale
    double sigma_rand = 0.0;  // %
    double sigma_nl = 0.0;    // %
    double alpha = 0.0;       // gain compression, 1/count

    // The model of a layer's settings, with L = top (p.adc_top(), or p.signed_adc_top() for
    // weight-full-bit-parallel): the one place where cim_params becomes an adc_model.
    static adc_model of(const cim_params& p, std::int64_t top);
    static adc_model of(const cim_params& p) { return of(p, p.adc_top()); }
};

// The transfer of every integer count 0..fs of cycles with full scale fs.
class conversion_table {
public:
    // noisy = false builds the noise-free transfer even when the model has noise (HCiM digital
    // cycles in ASiM mode). With a static transfer the table holds that column's mismatched
    // transfer (same layout, same sampling: P(code <= k | c) = Phi((E_(k+1) - v'(c)) / sigma(c))).
    conversion_table(std::int64_t fs, const adc_model& m, bool noisy, const static_transfer* mismatch = nullptr);

    std::int64_t full_scale() const { return m_fs; }
    std::int64_t top() const { return m_model.top; }
    bool noisy() const { return m_noisy; }
    // Deterministic and equal to c * L / fs for every count: no lookup needed.
    bool linear() const { return m_linear; }
    // Noisy tables too wide for the guide/threshold layout sample with sample_direct instead.
    bool direct() const { return m_direct; }

    // Pre-noise analog value of count c, in [0, 1].
    double analog_value(std::int64_t c) const;
    // Noise-free code of count c.
    std::int32_t code(std::int64_t c) const { return m_codes[static_cast<std::size_t>(c)]; }
    // Noisy code of count c for a 63-bit uniform u (the deterministic code if not noisy).
    std::int32_t sample(std::int64_t c, std::uint64_t u63) const;
    // Mismatched tables only: the code of a real analog value a in [0, 1] (cell variation), with
    // noise sigma (0: noise-free) sampled directly from u63.
    std::int32_t convert_value(double a, double sigma, std::uint64_t u63) const;
    bool mismatched() const { return m_mismatch != nullptr; }
    // Mismatched tables only: the column's value v' = (1 + g) a + o before noise, and the code of
    // a value x (clamped to [0, 1] here). convert_value(a, s, u) = transfer_code(transfer(a) + s g(u)).
    double transfer(double a) const { return m_mismatch->apply(a); }
    std::int32_t transfer_code(double x) const;

    // Raw layout for vectorised kernels.
    const std::int32_t* codes() const { return m_codes.data(); }
    // The noise-free code equals ideal_code(c, fs, L) (no gain compression): kernels may compute it.
    bool arithmetic() const { return m_model.alpha == 0.0 && !m_mismatch; }
    std::int64_t code_mult() const { return m_mult; }  // L/fs when fs divides L, else 0
    double code_ratio() const { return m_ratio; }  // L/fs
    std::uint64_t fast_lo() const { return m_fast_lo; }
    std::uint64_t fast_hi() const { return m_fast_hi; }
    // Top bytes b = u >> 55 whose whole bucket [b 2^55, (b + 1) 2^55) lies in [fast_lo, fast_hi):
    // b in [fast_byte_lo, fast_byte_hi) decides the noise-free code without the low 55 bits of u.
    unsigned fast_byte_lo() const { return m_fast_byte_lo; }
    unsigned fast_byte_hi() const { return m_fast_byte_hi; }
    const std::uint32_t* guide() const { return m_guide.data(); }
    int guide_bits() const { return m_guide_bits; }
    const std::uint64_t* thresholds() const { return m_thr.data(); }
    std::size_t stride() const { return m_stride; }

    static constexpr std::uint32_t impure_flag = 0x80000000u;
    static constexpr std::uint64_t u_end = std::uint64_t{1} << 63;  // sentinel threshold

private:
    std::int64_t m_fs;
    adc_model m_model;
    double m_ratio = 0.0;
    std::int64_t m_mult = 0;
    bool m_noisy = false;
    bool m_linear = false;
    bool m_direct = false;
    std::vector<std::int32_t> m_codes;     // noise-free code per count
    std::vector<double> m_sigma;           // noise sigma per count (direct sampling)
    int m_guide_bits = 0;
    std::size_t m_stride = 0;              // threshold entries per count
    std::vector<std::uint32_t> m_guide;    // [count][bucket]: code | rel << 16 | impure
    std::vector<std::uint64_t> m_thr;      // [count][rel]: T of code lo_c + rel
    std::uint64_t m_fast_lo = 0;           // u in [fast_lo, fast_hi): the noise-free code
    std::uint64_t m_fast_hi = 0;
    unsigned m_fast_byte_lo = 0;           // empty unless noisy and sampled through the thresholds
    unsigned m_fast_byte_hi = 0;
    std::shared_ptr<const static_transfer> m_mismatch;  // null: the ideal ADC of SEMANTICS §5
};

// Majority vote over n >= 1 codes (SEMANTICS §8.1): the smallest most frequent code, or the lower
// median. Reorders `codes`.
std::int32_t vote(std::int32_t* codes, int n, bool median);

}  // namespace acim::core
