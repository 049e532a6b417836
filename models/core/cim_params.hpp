// Conversion settings of one layer on an SRAM charge-domain ACiM macro, and the cycle grid they
// imply. A "cycle" (i, j) is one analog column operation: stored weight bit-plane i against
// activation cycle j (one activation bit in bit-serial drive, an e-bit slice with a multi-level DAC
// in bit-parallel drive). Every cycle is classed as analog, voted (majority of repeated
// conversions) or digital (the hybrid-CiM MSB unit), exactly as in SEMANTICS.md §§4-8.
#pragma once

#include <acim/core/param_tree.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace acim::core {

// What a hybrid-CiM digital cycle computes (SEMANTICS B6).
enum class digital_mode {
    exact,  // default: the digital unit counts exactly, no ADC
    adc,    // ASiM: noise skipped, but the count still passes the ADC
};

// How a majority vote over S codes resolves ties (SEMANTICS §8.1, B13).
enum class vote_rule {
    mode_min,  // ASiM/torch.mode: the smallest of the most frequent codes
    median,    // lower median of the S codes
};

// ADC architecture, for the static-mismatch models (docs/models.md). With every mismatch sigma
// at 0 all three have the ideal transfer rhe(clamp(v, 0, 1) * L) of SEMANTICS.md §5.
enum class adc_architecture : std::uint8_t {
    ideal = 0,  // no converter mismatch (column gain/offset still apply)
    sar = 1,    // binary search over a binary-weighted capacitor DAC: capacitor DNL, comparator offset
    flash = 2,  // L comparators against a reference ladder: threshold spread, shared offset
};
const char* to_string(adc_architecture a);

struct cim_params {
    int wbit = 8;                 // weight bits (two's complement, MSB negative)
    int xbit = 8;                 // activation bits
    bool signed_act = false;      // signed activations (two's complement)
    int act_enc = 1;              // activation bits driven per cycle; 1 = bit-serial
    int row_parallelism = 255;    // rows summed per analog operation (ASiM nrow); ADC full scale
    int adc_bits = 8;
    int hybrid_levels = 0;        // HCiM: anti-diagonals from the MSB corner computed digitally
    digital_mode digital = digital_mode::exact;
    int voting_levels = 0;        // anti-diagonals whose conversion is repeated and voted
    int voting_samples = 1;       // S
    vote_rule vote = vote_rule::mode_min;
    double sigma_rand = 0.0;      // random noise, % of the cycle full scale
    double sigma_nl = 0.0;        // count-dependent noise, % of FS, divided by sqrt(v*nrow + 1)
    double gain_compression = 0.0;  // current-domain alpha, 1/count: c' = c / (1 + alpha c)
    double cell_sigma = 0.0;      // current-domain cell variation, % of one cell
    bool cell_redraw = false;     // ASiM: redraw cell variation every call (default: frozen per die)
    bool weight_bit_parallel = false;  // one signed conversion of the exact tile dot product

    // Static mismatch, frozen per (seed, die, macro) and keyed by physical column / ADC
    // (docs/models.md). All 0 = off: ASiM's behaviour, bit-identical to the model without them.
    adc_architecture adc_arch = adc_architecture::ideal;
    int adcs = 0;                   // ADCs sharing the columns: column c converts on ADC c mod adcs (0: one per column)
    double sigma_col_gain = 0.0;    // column gain error, % : v' = (1 + g_c) v + o_c
    double sigma_col_offset = 0.0;  // column offset, % of full scale
    double sigma_cmp_offset = 0.0;  // comparator offset per ADC (SAR, flash), % of full scale
    double sigma_sar_cap = 0.0;     // SAR unit-capacitor mismatch, % of one unit capacitor
    double sigma_flash_th = 0.0;    // flash per-comparator threshold spread, % of full scale

    // Throws parameter_error naming the first invalid field.
    void validate() const;
    std::string describe() const;
    // Declares the settings a macro applies to every layer (not wbit, xbit, signed_act: they come
    // from each layer) under s's prefix, bound to this object (docs/run.md lists them).
    void declare(param_tree::scope& s);

    // Any static mismatch configured.
    bool mismatch() const {
        return sigma_col_gain > 0.0 || sigma_col_offset > 0.0 || sigma_cmp_offset > 0.0 || sigma_sar_cap > 0.0 ||
               sigma_flash_th > 0.0;
    }

    // Derived quantities.
    std::int64_t adc_top() const { return (std::int64_t{1} << adc_bits) - 1; }               // L
    std::int64_t signed_adc_top() const { return (std::int64_t{1} << (adc_bits - 1)) - 1; }  // L'
};

enum class cycle_kind : std::uint8_t { analog, voted, digital, full_bp };
const char* to_string(cycle_kind k);

// One activation cycle j: which activation bits it drives.
struct act_cycle {
    int lo = 0;            // lowest activation bit of the group
    int width = 1;         // bits in the group (e_j)
    bool sign = false;     // the separate 1-bit sign cycle of signed activations
    std::int64_t fs = 0;   // full scale in counts: (2^width - 1) * nrow
};

// The full P x Q cycle grid of a configuration.
class cycle_plan {
public:
    explicit cycle_plan(const cim_params& p);

    int weight_cycles() const { return m_p; }            // P = wbit
    int act_cycles() const { return static_cast<int>(m_act.size()); }  // Q = T
    const act_cycle& act(int j) const { return m_act[static_cast<std::size_t>(j)]; }
    cycle_kind kind(int i, int j) const { return m_kind[index(i, j)]; }
    // -1 where the product of bit i and cycle j carries a negative weight.
    int sign(int i, int j) const { return m_sign[index(i, j)]; }
    int shift(int i, int j) const { return i + act(j).lo; }
    // Level of a cycle, 1 = the MSB x MSB corner.
    int level(int i, int j) const { return m_p + act_cycles() - 1 - (i + j); }
    int count(cycle_kind k) const;

private:
    std::size_t index(int i, int j) const {
        return static_cast<std::size_t>(i) * m_act.size() + static_cast<std::size_t>(j);
    }
    int m_p;
    std::vector<act_cycle> m_act;
    std::vector<cycle_kind> m_kind;
    std::vector<int> m_sign;
};

}  // namespace acim::core
