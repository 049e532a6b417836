// The physical parameters of one ACiM macro instance: its SRAM geometry, ADC count and input buffer
// depth, the latencies of its wordline drivers, bitlines, ADCs and HCiM digital unit in clocks of
// the macro clock, and the energy of each event in femtojoules. Latency and energy formulas that
// use them are in docs/timing.md. Plain C++: no SystemC types.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/param_tree.hpp>

#include <cstdint>
#include <string>

namespace acim::sc {

// ADC architecture: the one enumeration of core::cim_params (its register encoding, ADC_KIND, is
// the enumerator's value: acim::tlm::adc_kind_*).
using adc_kind = core::adc_architecture;
using core::to_string;

// How START computes a batch. Both are bit-identical and report the same cycles and energy.
enum class compute_backend : std::uint8_t {
    fused = 0,   // the core's mvm_engine, one call per batch (fastest)
    frames = 1,  // the frame chain: controller -> wordline_driver -> sram_array -> adc_bank ->
                 // hcim_digital_unit -> shift_add, SystemC modules joined by frame sockets
};
const char* to_string(compute_backend b);

struct macro_config {
    // Geometry.
    std::uint32_t rows = 256;         // SRAM rows (wordlines), 1..65535 (TILE holds 16-bit rows)
    std::uint32_t cols = 256;         // SRAM columns (bitlines), a multiple of 8
    std::uint32_t adcs = 64;          // ADCs; column c converts on ADC c mod adcs (1..cols)
    std::uint32_t input_depth = 256;  // D: input vectors the input buffer holds
    int threads = 1;                  // host threads of the compute engine; never changes results
    compute_backend backend = compute_backend::fused;  // see compute_backend
    std::uint32_t frame_vectors = 64;  // vectors per frame on the frame chain (1..input_depth is
                                       // useful): simulation granularity, never changes results or timing

    // Timing, in clocks of the macro clock.
    std::uint64_t clock_period_ps = 1000;       // ps: the macro clock (1 GHz)
    std::uint32_t start_cycles = 4;             // clocks per run: configuration latch and first decode
    std::uint32_t dac_settle_cycles = 2;        // clocks per activation cycle: wordline/DAC settling
    std::uint32_t bitline_cycles = 1;           // clocks per activation cycle: bitline evaluation
    std::uint32_t adc_sample_cycles = 0;        // clocks per conversion before the first decision
    std::uint32_t digital_lanes = 64;           // columns the HCiM digital unit evaluates per pass
    std::uint32_t digital_pass_cycles = 1;      // clocks per pass of the HCiM digital unit
    std::uint32_t drain_cycles = 2;             // clocks per run: shift-add pipeline drain
    std::uint32_t reg_access_cycles = 1;        // clocks per register access
    std::uint32_t buffer_bytes_per_cycle = 8;   // bytes per clock of the buffer port (bus reads/writes)
    std::uint32_t weight_bytes_per_cycle = 32;  // bytes per clock of the SRAM write port

    // Energy per event, in fJ.
    double e_wordline_fj = 2.0;            // per active row per activation cycle (DAC + wordline drive)
    double e_bitline_fj = 5.0;             // per analog column evaluation
    double e_sar_bit_fj = 12.0;            // per bit decided by a SAR conversion
    double e_flash_comparator_fj = 4.0;    // per comparator of a flash conversion (2^bits - 1 of them)
    double e_ideal_conversion_fj = 100.0;  // per conversion of the ideal ADC
    double e_shift_add_fj = 1.0;           // per cycle result accumulated by the shift-add
    double e_digital_bitop_fj = 0.05;      // per 1-bit AND + popcount in the HCiM digital unit
    double e_sram_write_bit_fj = 1.0;      // per bit written to the weight SRAM
    double e_buffer_byte_fj = 0.5;         // per byte the macro reads from the input buffer or
                                           // writes to the output buffer
    double e_cycle_fixed_fj = 0.0;         // per activation cycle that uses the array, per vector and
                                           // row tile: control, clocking, references (docs/presets.md)

    // Supply (docs/presets.md). Every energy above is given at vdd_nominal_v; at vdd_v the macro
    // uses E * (vdd_v / vdd_nominal_v)^energy_vdd_exp and a clock period of
    // clock_period_ps * (delay_vdd_const + (1 - delay_vdd_const) * (vdd_nominal_v / vdd_v)^delay_vdd_exp).
    // At vdd_v = vdd_nominal_v (the default) nothing is scaled.
    double vdd_v = 0.9;             // V: the operating supply
    double vdd_nominal_v = 0.9;     // V: the supply the energies and the clock period are given at
    double energy_vdd_exp = 2.0;    // energy ~ V^alpha
    double delay_vdd_exp = 1.0;     // delay ~ c + (1 - c) (V0/V)^k: k
    double delay_vdd_const = 0.0;   // c: the part of the delay that does not scale with the supply

    // Area per component, in um^2 (docs/presets.md): the macro area is their sum, see macro_area().
    double area_cell_um2 = 0.3;          // per SRAM bit cell (rows x cols), with its compute capacitor
    double area_adc_um2 = 2000.0;        // per ADC
    double area_row_driver_um2 = 10.0;   // per row: wordline driver / input DAC
    double area_shift_add_um2 = 60.0;    // per column: shift-add accumulator share
    double area_digital_um2 = 5000.0;    // the HCiM digital unit (counted when macro.hybrid_levels > 0)
    double area_buffer_byte_um2 = 1.0;   // per byte of the input and output buffers
    double area_fixed_um2 = 0.0;         // control, references, periphery not counted above

    // Cycle-stepped trace mode (docs/tracing.md). Runs trace_first_run .. trace_first_run +
    // trace_runs - 1, counted from 0 over the STARTs the macro accepted since elaboration, are
    // computed on the frame chain and their first trace_vectors vectors are stepped activation
    // cycle by activation cycle on traced signals; every other run takes the fast path. Results,
    // counters and timing never depend on it. trace_runs = 0: no trace signals are elaborated.
    std::uint64_t trace_first_run = 0;  // runs: index of the first traced START
    std::uint64_t trace_runs = 0;       // runs: traced STARTs (0: trace mode off)
    std::uint32_t trace_vectors = 4;    // vectors: the first ones of each traced run are stepped
    std::uint32_t trace_columns = 8;    // columns: per-column signals of columns 0 .. trace_columns-1
    std::uint32_t trace_outputs = 2;    // outputs: accumulator signals of outputs 0 .. trace_outputs-1
    std::string trace_file;             // VCD path the macro writes itself ("" : attach a trace file
                                        // with acim_macro::trace instead); ".vcd" is appended if missing

    // Throws core::parameter_error naming the first invalid field.
    void validate() const;
    // The energy and delay factors of the supply law at vdd_v (1 at the nominal supply).
    double energy_scale() const;
    double delay_scale() const;
    // This configuration at its supply: every energy times energy_scale(), the clock period times
    // delay_scale() (rounded to whole ps, at least 1), and vdd_nominal_v = vdd_v. The identity at the
    // nominal supply.
    macro_config at_supply() const;
    // Declares the instance parameters under `hw` and the trace-window parameters under `trace`,
    // bound to this object. Not declared: adcs and threads (set from macro.adcs and run.threads),
    // the trace run window and file (from --trace).
    void declare(core::param_tree::scope& hw, core::param_tree::scope& trace);
};

}  // namespace acim::sc
