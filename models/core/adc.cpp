#include <acim/core/adc.hpp>

#include <acim/core/error.hpp>
#include <acim/core/rng.hpp>

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>

namespace acim::core {

std::int64_t ideal_code(std::int64_t c, std::int64_t fs, std::int64_t top) {
    const std::int64_t num = c * top;
    const std::int64_t qf = num / fs;
    const std::int64_t rem2 = 2 * (num % fs);
    if (rem2 > fs) return qf + 1;
    if (rem2 == fs) return qf + (qf & 1);
    return qf;
}

double noise_sigma(double v, double sigma_rand_pct, double sigma_nl_pct, int nrow) {
    const double r = sigma_rand_pct / 100.0;
    const double n = sigma_nl_pct / 100.0;
    return std::sqrt(r * r + n * n / (v * nrow + 1.0));
}

double compress(double c, double alpha) {
    c = std::max(c, 0.0);
    return alpha > 0.0 ? c / (1.0 + alpha * c) : c;
}

double gaussian_from_u63(std::uint64_t u63) {
    static const boost::math::normal_distribution<double> unit;
    return boost::math::quantile(unit, to_unit_open(u63 << 1));
}

const gaussian_byte_bounds& gaussian_bounds() {
    static const gaussian_byte_bounds b = [] {
        gaussian_byte_bounds t{};
        for (std::uint64_t k = 0; k < 256; ++k) {
            const double lo = gaussian_from_u63(k << 55);
            const double hi = gaussian_from_u63(((k + 1) << 55) - 1);
            t.lo[k] = lo - 1e-12 * (1.0 + std::fabs(lo));
            t.hi[k] = hi + 1e-12 * (1.0 + std::fabs(hi));
        }
        return t;
    }();
    return b;
}

adc_model adc_model::of(const cim_params& p, std::int64_t top) {
    adc_model m;
    m.top = top;
    m.nrow = p.row_parallelism;
    m.sigma_rand = p.sigma_rand;
    m.sigma_nl = p.sigma_nl;
    m.alpha = p.gain_compression;
    return m;
}

std::int32_t sample_direct(double v, double sigma, std::int64_t top, std::uint64_t u63) {
    const double x = std::clamp(v + sigma * gaussian_from_u63(u63), 0.0, 1.0);
    return static_cast<std::int32_t>(std::nearbyint(x * static_cast<double>(top)));
}

namespace {
// Tail probabilities below 2^-63 cannot be hit by a 63-bit uniform: 10 sigma is beyond that.
constexpr double window_sigmas = 10.0;
// Guide tables above this many entries shrink their bucket count.
constexpr std::size_t max_guide_entries = std::size_t{1} << 20;
// Tables with a wider code window than this sample directly.
constexpr std::size_t max_window = 4096;
// Threshold tables above this many entries (128 MiB) sample directly.
constexpr std::size_t max_threshold_entries = std::size_t{1} << 24;

std::uint64_t threshold(double x) {  // round(2^63 * Phi(x)), accurate in both tails
    static const boost::math::normal_distribution<double> unit;
    if (x <= 0.0) return static_cast<std::uint64_t>(std::llround(std::ldexp(boost::math::cdf(unit, x), 63)));
    const double q = boost::math::cdf(boost::math::complement(unit, x));
    return conversion_table::u_end - static_cast<std::uint64_t>(std::llround(std::ldexp(q, 63)));
}
// The same in double precision through std::erfc: about 20 times cheaper than Boost's
// long-double path and accurate to a few ulps in both tails. Mismatched tables (one per column or
// ADC, so many more of them) use it; the tables of the unmismatched model keep threshold().
std::uint64_t threshold_erfc(double x) {
    constexpr double inv_sqrt2 = 0.70710678118654752440;
    if (x <= 0.0) return static_cast<std::uint64_t>(std::llround(std::ldexp(0.5 * std::erfc(-x * inv_sqrt2), 63)));
    const double q = 0.5 * std::erfc(x * inv_sqrt2);
    return conversion_table::u_end - static_cast<std::uint64_t>(std::llround(std::ldexp(q, 63)));
}
}  // namespace

std::int32_t static_transfer::code(double x) const {
    const std::vector<double>& e = *thresholds;
    return static_cast<std::int32_t>(std::upper_bound(e.begin(), e.end(), x) - e.begin());
}

conversion_table::conversion_table(std::int64_t fs, const adc_model& m, bool noisy, const static_transfer* mm)
    : m_fs(fs), m_model(m) {
    if (fs < 1) throw_parameter("full_scale", fs, "must be >= 1");
    if (mm != nullptr) {
        if (!mm->thresholds || mm->thresholds->size() != static_cast<std::size_t>(m.top))
            throw_parameter("thresholds", mm->thresholds ? mm->thresholds->size() : 0, "a static transfer needs L thresholds");
        m_mismatch = std::make_shared<const static_transfer>(*mm);
    }
    m_ratio = static_cast<double>(m.top) / static_cast<double>(fs);
    m_mult = m.top % fs == 0 && !mm ? m.top / fs : 0;
    const auto n = static_cast<std::size_t>(fs) + 1;
    m_codes.resize(n);
    bool linear = m.alpha == 0.0 && !mm;
    for (std::int64_t c = 0; c <= fs; ++c) {
        std::int64_t q = 0;
        if (mm) q = mm->code(std::clamp(mm->apply(analog_value(c)), 0.0, 1.0));
        else if (m.alpha == 0.0) q = ideal_code(c, fs, m.top);
        else q = static_cast<std::int64_t>(std::nearbyint(analog_value(c) * static_cast<double>(m.top)));
        m_codes[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(q);
        linear = linear && q * fs == c * m.top;
    }
    m_noisy = noisy && (m.sigma_rand > 0.0 || m.sigma_nl > 0.0);
    m_linear = linear && !m_noisy;
    if (!m_noisy) return;

    // Code window [lo, hi] per count; every code outside it has probability below 2^-63.
    const double top = static_cast<double>(m.top);
    std::vector<std::int64_t> lo(n), hi(n);
    m_sigma.resize(n);
    std::size_t width = 1;
    for (std::size_t c = 0; c < n; ++c) {
        const double v = analog_value(static_cast<std::int64_t>(c));
        const double s = noise_sigma(v, m.sigma_rand, m.sigma_nl, m.nrow);
        m_sigma[c] = s;
        if (mm) {  // codes reachable from v' +- 10 sigma
            const double vm = mm->apply(v);
            lo[c] = std::clamp<std::int64_t>(mm->code(vm - window_sigmas * s) - 1, 0, m.top);
            hi[c] = std::clamp<std::int64_t>(mm->code(vm + window_sigmas * s) + 1, 0, m.top);
        } else {
            lo[c] = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((v - window_sigmas * s) * top)) - 1, 0, m.top);
            hi[c] = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil((v + window_sigmas * s) * top)) + 1, 0, m.top);
        }
        width = std::max(width, static_cast<std::size_t>(hi[c] - lo[c] + 1));
    }
    if (width > max_window || n * width > max_threshold_entries || m.top > 0xFFFF) {
        m_direct = true;
        return;
    }
    m_stride = width;
    m_thr.assign(n * m_stride, u_end);
    for (std::size_t c = 0; c < n; ++c) {
        const double v = analog_value(static_cast<std::int64_t>(c));
        std::uint64_t* t = &m_thr[c * m_stride];
        std::uint64_t prev = 0;
        for (std::int64_t k = lo[c]; k < hi[c]; ++k) {  // T[hi] stays the sentinel
            std::uint64_t tk = 0;
            if (mm) {
                // P(code <= k) = P(clamp(x, 0, 1) < E_(k+1)), x ~ N(v', sigma^2).
                const double e = (*mm->thresholds)[static_cast<std::size_t>(k)];
                tk = e <= 0.0 ? 0 : e > 1.0 ? u_end : threshold_erfc((e - mm->apply(v)) / m_sigma[c]);
            } else {
                tk = threshold(((static_cast<double>(k) + 0.5) / top - v) / m_sigma[c]);
            }
            tk = std::max(tk, prev);
            t[k - lo[c]] = prev = tk;
        }
    }
    // [fast_lo, fast_hi): the u range in which every count gets its noise-free code.
    m_fast_lo = 0;
    m_fast_hi = u_end;
    for (std::size_t c = 0; c < n; ++c) {
        const std::uint64_t* t = &m_thr[c * m_stride];
        const std::int64_t rel = m_codes[c] - lo[c];
        m_fast_lo = std::max(m_fast_lo, rel > 0 ? t[rel - 1] : 0);
        m_fast_hi = std::min(m_fast_hi, t[rel]);
    }
    if (m_fast_hi < m_fast_lo) m_fast_hi = m_fast_lo;  // empty fast range
    constexpr std::uint64_t bucket = std::uint64_t{1} << 55;
    m_fast_byte_lo = static_cast<unsigned>((m_fast_lo + bucket - 1) / bucket);
    m_fast_byte_hi = std::max(m_fast_byte_lo, static_cast<unsigned>(m_fast_hi / bucket));
    m_guide_bits = 8;
    const std::size_t max_guide = mm && mm->max_guide_entries ? mm->max_guide_entries : max_guide_entries;
    while (m_guide_bits > 0 && (n << m_guide_bits) > max_guide) --m_guide_bits;
    const std::size_t buckets = std::size_t{1} << m_guide_bits;
    const int shift = 63 - m_guide_bits;
    m_guide.resize(n * buckets);
    for (std::size_t c = 0; c < n; ++c) {
        const std::uint64_t* t = &m_thr[c * m_stride];
        std::size_t rel = 0;
        for (std::size_t b = 0; b < buckets; ++b) {
            const std::uint64_t first = static_cast<std::uint64_t>(b) << shift;
            const std::uint64_t last = first + ((std::uint64_t{1} << shift) - 1);
            while (first >= t[rel]) ++rel;
            const bool impure = last >= t[rel];
            m_guide[c * buckets + b] = static_cast<std::uint32_t>(lo[c] + static_cast<std::int64_t>(rel)) |
                                       static_cast<std::uint32_t>(rel << 16) | (impure ? impure_flag : 0u);
        }
    }
}

double conversion_table::analog_value(std::int64_t c) const {
    return std::clamp(compress(static_cast<double>(c), m_model.alpha) / static_cast<double>(m_fs), 0.0, 1.0);
}

std::int32_t conversion_table::sample(std::int64_t c, std::uint64_t u63) const {
    const auto ci = static_cast<std::size_t>(c);
    if (!m_noisy) return m_codes[ci];
    if (m_direct) {
        if (m_mismatch) return convert_value(analog_value(c), m_sigma[ci], u63);
        return sample_direct(analog_value(c), m_sigma[ci], m_model.top, u63);
    }
    if (u63 >= m_fast_lo && u63 < m_fast_hi) return m_codes[ci];
    const std::uint32_t g = m_guide[(ci << m_guide_bits) + (u63 >> (63 - m_guide_bits))];
    auto code = static_cast<std::int32_t>(g & 0xFFFFu);
    if (g & impure_flag) {
        const std::uint64_t* t = &m_thr[ci * m_stride];
        std::size_t rel = (g >> 16) & 0x7FFFu;
        while (u63 >= t[rel]) {
            ++rel;
            ++code;
        }
    }
    return code;
}

std::int32_t conversion_table::convert_value(double a, double sigma, std::uint64_t u63) const {
    if (!m_mismatch) throw data_error("conversion_table::convert_value: not a mismatched table");
    double x = m_mismatch->apply(a);
    if (sigma > 0.0) x += sigma * gaussian_from_u63(u63);
    return transfer_code(x);
}

std::int32_t conversion_table::transfer_code(double x) const { return m_mismatch->code(std::clamp(x, 0.0, 1.0)); }

std::int32_t vote(std::int32_t* codes, int n, bool median) {
    std::sort(codes, codes + n);
    if (median) return codes[(n - 1) / 2];
    // Sorted: the first run of maximal length holds the smallest most frequent code.
    std::int32_t best = codes[0];
    int best_len = 0;
    for (int a = 0; a < n;) {
        int b = a;
        while (b < n && codes[b] == codes[a]) ++b;
        if (b - a > best_len) {
            best_len = b - a;
            best = codes[a];
        }
        a = b;
    }
    return best;
}

}  // namespace acim::core
