// Latency and energy of the macro's operations, from the per-event parameters of macro_config.
// A run is sequenced vector by vector, row tile by row tile, activation cycle by activation cycle;
// each activation cycle drives the wordlines, evaluates the bitlines of every used column at once
// and converts them on the shared ADCs, while the HCiM digital unit computes the digital columns in
// parallel. The formulas are documented in docs/timing.md; this is their only implementation.
// Plain C++: no SystemC types.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>
#include <acim/sc/macro_config.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace acim::sc {

// Energy of a run, by event class, in fJ.
struct energy_breakdown {
    double wordline = 0.0;   // DAC + wordline drive of active rows
    double bitline = 0.0;    // analog column evaluations
    double adc = 0.0;        // conversions
    double shift_add = 0.0;  // accumulated cycle results
    double digital = 0.0;    // HCiM digital unit bit operations
    double buffer = 0.0;     // input buffer reads and output buffer writes
    double fixed = 0.0;      // fixed energy per activation cycle (hw.e_cycle_fixed_fj)
    double total() const { return wordline + bitline + adc + shift_add + digital + buffer + fixed; }
};

// What a run's cost depends on.
struct run_shape {
    const core::cim_params* params = nullptr;
    const core::cycle_plan* plan = nullptr;
    adc_kind adc = adc_kind::sar;
    std::size_t outputs = 0;
    std::size_t rows = 0;  // rows used: the length of each input vector
    const std::vector<core::row_tile>* tiles = nullptr;
    std::size_t vectors = 0;
    const std::int32_t* inputs = nullptr;  // [vectors][rows], for the active-row counts
    // Active rows per activation cycle j as the wordline drivers counted them (the frame chain),
    // for the cycles with an analog or voted column; null: counted here from `inputs`.
    const std::vector<std::uint64_t>* active_rows = nullptr;
};

// Clocks of one activation cycle for one vector and one row tile, by block: the analog path
// (wordline/DAC settle, bitline evaluation, conversions on the busiest ADC; all 0 when no column of
// the cycle uses an ADC) and the HCiM digital unit, which runs in parallel with it.
struct cycle_clocks {
    std::uint64_t dac = 0;
    std::uint64_t bitline = 0;
    std::uint64_t adc = 0;
    std::uint64_t digital = 0;
    std::uint64_t analog() const { return dac + bitline + adc; }
    std::uint64_t total() const { return analog() > digital ? analog() : digital; }  // T_j
};

struct run_cost {
    std::uint64_t cycles = 0;  // macro clocks from START to DONE
    energy_breakdown energy;
};

// Area of one macro by component, in um^2 (hw.area_*; docs/presets.md).
struct area_breakdown {
    double cells = 0.0;       // rows x cols bit cells
    double adcs = 0.0;        // ADCs
    double drivers = 0.0;     // row drivers / input DACs
    double shift_add = 0.0;   // shift-add accumulators, per column
    double digital = 0.0;     // HCiM digital unit (when used)
    double buffers = 0.0;     // input and output buffers
    double fixed = 0.0;       // control and periphery
    double total() const { return cells + adcs + drivers + shift_add + digital + buffers + fixed; }
};
// `hcim`: the macro has an HCiM digital unit (macro.hybrid_levels > 0).
area_breakdown macro_area(const macro_config& cfg, bool hcim);

// Steady-state figures of one macro computing at full utilisation: the rows of the macro's whole
// tiles of row_parallelism rows (all rows if fewer), every column (cols / wbit outputs), every
// input code at its maximum (all
// rows active in every activation cycle), through the core engine's counters and macro_cost;
// start-up and drain clocks excluded. Energies at `cfg` as given (call at_supply() first).
struct peak_figures {
    double macs = 0.0;          // per vector: rows x outputs
    double seconds = 0.0;       // per vector
    energy_breakdown energy;    // per vector, fJ
    double area_um2 = 0.0;
    double tops() const { return 2.0 * macs / seconds * 1e-12; }
    // TOPS/W counting the given energy classes (default: all but the buffers, i.e. no I/O).
    double tops_per_w(double energy_fj) const { return 2.0 * macs / energy_fj * 1e3; }
    double tops_per_w() const { return tops_per_w(energy.total() - energy.buffer); }
    double tops_per_mm2() const { return tops() / (area_um2 * 1e-6); }
};
// p: the macro settings with the bits to evaluate at (wbit, xbit, act_enc, ...); p.adcs is ignored
// (cfg.adcs counts). Throws core::parameter_error for invalid settings.
peak_figures macro_peak(const macro_config& cfg, const core::cim_params& p, adc_kind adc);

class macro_cost {
public:
    explicit macro_cost(const macro_config& cfg);

    // Clocks of one ADC conversion: SAR adc_bits, flash and ideal 1, plus adc_sample_cycles.
    std::uint64_t conversion_clocks(adc_kind k, int adc_bits) const;
    // Energy of one conversion.
    double conversion_energy(adc_kind k, int adc_bits) const;
    // Clocks of activation cycle j for one vector and one row tile: T_j = max(A_j, D_j).
    std::uint64_t activation_cycle_clocks(const run_shape& s, int j) const;
    // The same, by block (the frame chain annotates each part at its block).
    cycle_clocks activation_cycle_parts(const run_shape& s, int j) const;
    // Clocks from START to DONE: start + vectors * tiles * sum_j T_j + drain.
    std::uint64_t run_cycles(const run_shape& s) const;
    // Energy of a run; `counters` are the engine's counters of that run.
    energy_breakdown run_energy(const run_shape& s, const core::engine_counters& counters) const;
    run_cost run(const run_shape& s, const core::engine_counters& counters) const;

    // Bus-side costs, in clocks, and the energy of weight writes.
    std::uint64_t register_access_clocks() const { return m_cfg.reg_access_cycles; }
    std::uint64_t buffer_access_clocks(std::size_t bytes) const;
    std::uint64_t weight_write_clocks(std::size_t bytes) const;
    double weight_write_energy(std::size_t bytes) const;

private:
    macro_config m_cfg;
};

}  // namespace acim::sc
