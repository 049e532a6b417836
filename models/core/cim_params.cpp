#include <acim/core/cim_params.hpp>

#include <acim/core/error.hpp>

#include <cmath>
#include <sstream>

namespace acim::core {

namespace {
void check_sigma(const char* name, double v) {
    if (!std::isfinite(v) || v < 0.0) throw_parameter(name, v, "must be a finite value >= 0");
}
}  // namespace

void cim_params::declare(param_tree::scope& s) {
    s.number("row_parallelism", row_parallelism, "rows", "rows summed per analog operation (ASiM nrow); ADC full scale", 1, 1 << 16);
    s.number("adc_bits", adc_bits, "bits", "ADC resolution", 1, 16);
    s.number("act_enc", act_enc, "bits", "activation bits driven per cycle (1 = bit-serial)", 1, 12);
    s.number("sigma_rand", sigma_rand, "% FS", "random analog noise per conversion", 0.0);
    s.number("sigma_nl", sigma_nl, "% FS", "count-dependent noise, divided by sqrt(v*nrow+1)", 0.0);
    s.number("hybrid_levels", hybrid_levels, "levels", "HCiM: anti-diagonals from the MSB corner computed digitally", 0, 64);
    s.choice("digital_mode", digital, "HCiM digital cycles: exact count, or ASiM's ADC-quantised",
             {{"exact", digital_mode::exact}, {"adc", digital_mode::adc}})
        .set_field("digital");
    s.number("voting_levels", voting_levels, "levels", "anti-diagonals whose conversion is repeated and voted", 0, 64);
    s.number("voting_samples", voting_samples, "samples", "conversions per voted cycle (S)", 1, 255);
    s.choice("vote_rule", vote, "vote: smallest most frequent code (ASiM) or lower median",
             {{"mode", vote_rule::mode_min}, {"median", vote_rule::median}})
        .set_field("vote");
    s.number("gain_compression", gain_compression, "1/count", "current-domain gain compression alpha: c/(1+alpha c)", 0.0);
    s.number("cell_sigma", cell_sigma, "% cell", "current-domain static cell variation", 0.0);
    s.flag("cell_redraw", cell_redraw, "redraw cell variation every call (ASiM) instead of freezing it per die");
    s.choice("adc_arch", adc_arch,
             "ADC architecture: timing and energy (SAR: one clock per bit), and its static-mismatch model (docs/models.md)",
             {{"ideal", adc_architecture::ideal}, {"sar", adc_architecture::sar}, {"flash", adc_architecture::flash}});
    s.number("adcs", adcs, "ADCs",
             "ADCs per macro: column c converts on ADC c mod adcs (0: one per column); sets the column-mux latency and the mismatch sharing",
             0, 1 << 24);
    s.number("sigma_col_gain", sigma_col_gain, "%", "static column gain mismatch: v' = (1 + g_c) v + o_c, g_c ~ N(0, sigma)", 0.0);
    s.number("sigma_col_offset", sigma_col_offset, "% FS", "static column offset mismatch o_c", 0.0);
    s.number("sigma_cmp_offset", sigma_cmp_offset, "% FS", "static comparator offset per ADC (sar, flash)", 0.0);
    s.number("sigma_sar_cap", sigma_sar_cap, "% unit cap", "SAR unit-capacitor mismatch: bit b weighs 2^b (1 + eps_b), eps_b ~ N(0, sigma^2/2^b)", 0.0);
    s.number("sigma_flash_th", sigma_flash_th, "% FS", "flash per-comparator threshold spread", 0.0);
}

void cim_params::validate() const {
    check_range("wbit", wbit, 2, 16);
    check_range("xbit", xbit, signed_act ? 2 : 1, 16);
    check_range("row_parallelism", row_parallelism, 1, 1 << 16);
    check_range("adc_bits", adc_bits, 1, 16);
    if (signed_act) {
        if (act_enc < 1 || act_enc >= xbit)
            throw_parameter("act_enc", act_enc,
                            "signed activations need 1 <= act_enc < xbit = " + to_text(xbit) +
                                " (the sign bit has its own cycle)");
    } else if (act_enc < 1 || act_enc > xbit) {
        throw_parameter("act_enc", act_enc, "must lie in [1, xbit = " + to_text(xbit) + "]");
    }
    if (act_enc > 12) throw_parameter("act_enc", act_enc, "multi-level DAC limited to 12 bits");
    check_sigma("sigma_rand", sigma_rand);
    check_sigma("sigma_nl", sigma_nl);
    check_sigma("gain_compression", gain_compression);
    check_sigma("cell_sigma", cell_sigma);
    check_sigma("sigma_col_gain", sigma_col_gain);
    check_sigma("sigma_col_offset", sigma_col_offset);
    check_sigma("sigma_cmp_offset", sigma_cmp_offset);
    check_sigma("sigma_sar_cap", sigma_sar_cap);
    check_sigma("sigma_flash_th", sigma_flash_th);
    if (adc_arch != adc_architecture::ideal && adc_arch != adc_architecture::sar && adc_arch != adc_architecture::flash)
        throw_parameter("adc_arch", static_cast<int>(adc_arch), "must be ideal (0), sar (1) or flash (2)");
    check_range("adcs", adcs, 0, 1 << 24);
    // A converter mismatch the configured architecture does not have would be silently ignored.
    if (sigma_sar_cap > 0.0 && adc_arch != adc_architecture::sar)
        throw_parameter("sigma_sar_cap", sigma_sar_cap, "capacitor mismatch needs adc_arch = sar");
    if (sigma_flash_th > 0.0 && adc_arch != adc_architecture::flash)
        throw_parameter("sigma_flash_th", sigma_flash_th, "threshold spread needs adc_arch = flash");
    if (sigma_cmp_offset > 0.0 && adc_arch == adc_architecture::ideal)
        throw_parameter("sigma_cmp_offset", sigma_cmp_offset, "the ideal ADC has no comparator (use sar or flash)");

    if (weight_bit_parallel) {
        if (adc_bits < 2) throw_parameter("adc_bits", adc_bits, "a signed ADC needs at least 2 bits");
        if (hybrid_levels != 0)
            throw_parameter("hybrid_levels", hybrid_levels, "not available with weight_bit_parallel");
        if (voting_levels != 0)
            throw_parameter("voting_levels", voting_levels, "not available with weight_bit_parallel");
        if (sigma_nl != 0.0)
            throw_parameter("sigma_nl", sigma_nl, "weight_bit_parallel models the random term only");
        if (gain_compression != 0.0)
            throw_parameter("gain_compression", gain_compression,
                            "not available with weight_bit_parallel");
        if (cell_sigma != 0.0)
            throw_parameter("cell_sigma", cell_sigma, "not available with weight_bit_parallel");
        if (mismatch()) {
            const char* f = sigma_col_gain > 0.0     ? "sigma_col_gain"
                            : sigma_col_offset > 0.0 ? "sigma_col_offset"
                            : sigma_cmp_offset > 0.0 ? "sigma_cmp_offset"
                            : sigma_sar_cap > 0.0    ? "sigma_sar_cap"
                                                     : "sigma_flash_th";
            throw_parameter(f, "> 0", "static mismatch is not modelled for the signed weight_bit_parallel ADC");
        }
        return;
    }
    const int q = signed_act ? (xbit - 1 + act_enc - 1) / act_enc + 1 : (xbit + act_enc - 1) / act_enc;
    const int levels = wbit + q - 1;
    check_range("hybrid_levels", hybrid_levels, 0, levels);
    check_range("voting_levels", voting_levels, 0, levels);
    check_range("voting_samples", voting_samples, 1, 255);
    const std::int64_t fs = ((std::int64_t{1} << act_enc) - 1) * row_parallelism;
    if (fs > (std::int64_t{1} << 24))
        throw_parameter("act_enc", act_enc,
                        "cycle full scale (2^act_enc - 1) * row_parallelism = " + to_text(fs) +
                            " exceeds 2^24 counts");
}

std::string cim_params::describe() const {
    std::ostringstream os;
    os << "W" << wbit << "A" << xbit << (signed_act ? "s" : "u") << " enc=" << act_enc
       << " nrow=" << row_parallelism << " adc=" << adc_bits << " Lh=" << hybrid_levels
       << (digital == digital_mode::exact ? "(exact)" : "(adc)") << " Lv=" << voting_levels
       << " S=" << voting_samples << (vote == vote_rule::mode_min ? "(mode)" : "(median)")
       << " sr=" << sigma_rand << "% snl=" << sigma_nl << "% alpha=" << gain_compression
       << " cell=" << cell_sigma << "%" << (cell_redraw ? "(redraw)" : "")
       << (weight_bit_parallel ? " weight-bp" : "") << " adc_arch=" << to_string(adc_arch);
    if (mismatch())
        os << " mismatch(adcs=" << adcs << " gain=" << sigma_col_gain << "% off=" << sigma_col_offset
           << "% cmp=" << sigma_cmp_offset << "% cap=" << sigma_sar_cap << "% th=" << sigma_flash_th << "%)";
    return os.str();
}

const char* to_string(adc_architecture a) {
    switch (a) {
    case adc_architecture::ideal: return "ideal";
    case adc_architecture::sar: return "sar";
    case adc_architecture::flash: return "flash";
    }
    return "?";
}

const char* to_string(cycle_kind k) {
    switch (k) {
    case cycle_kind::analog: return "analog";
    case cycle_kind::voted: return "voted";
    case cycle_kind::digital: return "digital";
    case cycle_kind::full_bp: return "full_bp";
    }
    return "?";
}

cycle_plan::cycle_plan(const cim_params& p) : m_p(p.wbit) {
    p.validate();
    const int e = p.act_enc;
    const std::int64_t nrow = p.row_parallelism;
    auto group = [&](int lo, int width) {
        m_act.push_back(act_cycle{lo, width, false, ((std::int64_t{1} << width) - 1) * nrow});
    };
    const int mag = p.signed_act ? p.xbit - 1 : p.xbit;  // bits grouped into e-bit slices
    const int t = (mag + e - 1) / e;
    const int r = mag % e;
    for (int j = 0; j < t; ++j) group(j * e, (j == t - 1 && r != 0) ? r : e);
    if (p.signed_act) m_act.push_back(act_cycle{p.xbit - 1, 1, true, nrow});

    const int q = act_cycles();
    m_kind.resize(static_cast<std::size_t>(m_p * q));
    m_sign.resize(m_kind.size());
    for (int i = 0; i < m_p; ++i) {
        for (int j = 0; j < q; ++j) {
            const int lvl = level(i, j);
            cycle_kind k = cycle_kind::analog;
            if (p.weight_bit_parallel) k = cycle_kind::full_bp;
            else if (lvl <= p.hybrid_levels) k = cycle_kind::digital;
            else if (lvl <= p.voting_levels) k = cycle_kind::voted;
            m_kind[index(i, j)] = k;
            const bool neg = (i == m_p - 1) != act(j).sign;
            m_sign[index(i, j)] = neg ? -1 : 1;
        }
    }
}

int cycle_plan::count(cycle_kind k) const {
    int n = 0;
    for (cycle_kind x : m_kind) n += (x == k);
    return n;
}

}  // namespace acim::core
