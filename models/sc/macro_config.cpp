#include <acim/sc/macro_config.hpp>

#include <acim/core/error.hpp>
#include <acim/tlm/buffer_layout.hpp>
#include <acim/tlm/register_table.hpp>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

namespace acim::sc {

const char* to_string(compute_backend b) {
    switch (b) {
    case compute_backend::fused: return "fused";
    case compute_backend::frames: return "frames";
    }
    return "?";
}

namespace {
void check_energy(const char* name, double v) {
    if (!std::isfinite(v) || v < 0.0) core::throw_parameter(name, v, "must be a finite energy >= 0 fJ");
}
void check_span(const char* name, std::size_t size, std::uint64_t span) {
    if (size > span)
        core::throw_parameter(name, size, "window exceeds its " + core::to_text(span) + "-byte span of the address map");
}
}  // namespace

void macro_config::declare(core::param_tree::scope& h, core::param_tree::scope& t) {
    h.number("rows", rows, "rows", "SRAM rows (wordlines) per macro: the longest row chunk of a layer", 1u, 65535u);
    h.number("cols", cols, "columns", "SRAM columns (bitlines) per macro, a multiple of 8: outputs x WBIT per load", 8u, 1u << 20);
    h.number("input_depth", input_depth, "vectors", "input buffer depth D: vectors per START", 1u, 1u << 20);
    h.choice("backend", backend, "macro compute: fused core engine, or the frame chain of sub-block modules",
             {{"fused", compute_backend::fused}, {"frames", compute_backend::frames}});
    h.number("frame_vectors", frame_vectors, "vectors", "vectors per frame on the frame chain (simulation granularity only)", 1u, 1u << 20);
    h.number("clock_period_ps", clock_period_ps, "ps", "macro clock period", std::uint64_t{1}, std::uint64_t{1000000000});
    h.number("start_cycles", start_cycles, "clocks", "per run: configuration latch and first decode");
    h.number("dac_settle_cycles", dac_settle_cycles, "clocks", "per activation cycle: wordline/DAC settling");
    h.number("bitline_cycles", bitline_cycles, "clocks", "per activation cycle: bitline evaluation");
    h.number("adc_sample_cycles", adc_sample_cycles, "clocks", "per conversion before the first decision");
    h.number("digital_lanes", digital_lanes, "columns", "columns the HCiM digital unit evaluates per pass", 1u, 1u << 20);
    h.number("digital_pass_cycles", digital_pass_cycles, "clocks", "per pass of the HCiM digital unit", 1u, 1u << 20);
    h.number("drain_cycles", drain_cycles, "clocks", "per run: shift-add pipeline drain");
    h.number("reg_access_cycles", reg_access_cycles, "clocks", "per register access");
    h.number("buffer_bytes_per_cycle", buffer_bytes_per_cycle, "bytes/clock", "buffer port bandwidth", 1u, 1u << 20);
    h.number("weight_bytes_per_cycle", weight_bytes_per_cycle, "bytes/clock", "SRAM write port bandwidth", 1u, 1u << 20);
    h.number("e_wordline_fj", e_wordline_fj, "fJ", "per active row per activation cycle (DAC + wordline)", 0.0);
    h.number("e_bitline_fj", e_bitline_fj, "fJ", "per analog column evaluation", 0.0);
    h.number("e_sar_bit_fj", e_sar_bit_fj, "fJ", "per bit decided by a SAR conversion", 0.0);
    h.number("e_flash_comparator_fj", e_flash_comparator_fj, "fJ", "per comparator of a flash conversion", 0.0);
    h.number("e_ideal_conversion_fj", e_ideal_conversion_fj, "fJ", "per conversion of the ideal ADC", 0.0);
    h.number("e_shift_add_fj", e_shift_add_fj, "fJ", "per cycle result accumulated by the shift-add", 0.0);
    h.number("e_digital_bitop_fj", e_digital_bitop_fj, "fJ", "per 1-bit AND + popcount in the HCiM digital unit", 0.0);
    h.number("e_sram_write_bit_fj", e_sram_write_bit_fj, "fJ", "per bit written to the weight SRAM", 0.0);
    h.number("e_buffer_byte_fj", e_buffer_byte_fj, "fJ", "per byte moved through the input/output buffers", 0.0);
    h.number("e_cycle_fixed_fj", e_cycle_fixed_fj, "fJ", "per activation cycle using the array (per vector and row tile): control, clocking, references", 0.0);
    h.number("vdd_v", vdd_v, "V", "operating supply: energies scale as (vdd_v/vdd_nominal_v)^energy_vdd_exp, the clock period by the delay law", 0.0, 10.0);
    h.number("vdd_nominal_v", vdd_nominal_v, "V", "supply at which the hw.e_* energies and hw.clock_period_ps are given", 0.0, 10.0);
    h.number("energy_vdd_exp", energy_vdd_exp, "1", "energy supply exponent alpha: E ~ V^alpha", 0.0, 10.0);
    h.number("delay_vdd_exp", delay_vdd_exp, "1", "delay supply exponent k: delay ~ c + (1 - c) (V0/V)^k", 0.0, 10.0);
    h.number("delay_vdd_const", delay_vdd_const, "1", "delay law constant c: the part of the delay that does not scale with the supply", 0.0, 1.0);
    h.number("area_cell_um2", area_cell_um2, "um^2", "per SRAM bit cell (rows x cols), with its compute capacitor", 0.0);
    h.number("area_adc_um2", area_adc_um2, "um^2", "per ADC", 0.0);
    h.number("area_row_driver_um2", area_row_driver_um2, "um^2", "per row: wordline driver / input DAC", 0.0);
    h.number("area_shift_add_um2", area_shift_add_um2, "um^2", "per column: shift-add accumulator share", 0.0);
    h.number("area_digital_um2", area_digital_um2, "um^2", "HCiM digital unit (counted when macro.hybrid_levels > 0)", 0.0);
    h.number("area_buffer_byte_um2", area_buffer_byte_um2, "um^2", "per byte of the input and output buffers", 0.0);
    h.number("area_fixed_um2", area_fixed_um2, "um^2", "control, references and periphery not counted by the other hw.area_*", 0.0);
    t.number("vectors", trace_vectors, "vectors", "with --trace: vectors of each traced START stepped cycle by cycle", 1u, 1u << 20)
        .set_field("trace_vectors");
    t.number("columns", trace_columns, "columns", "with --trace: columns with per-column signals (0..N-1)", 0u, 4096u)
        .set_field("trace_columns");
    t.number("outputs", trace_outputs, "outputs", "with --trace: outputs with accumulator signals (0..N-1)", 0u, 4096u)
        .set_field("trace_outputs");
}

void macro_config::validate() const {
    core::check_range<std::uint32_t>("rows", rows, 1, 65535);
    core::check_range<std::uint32_t>("cols", cols, 8, 1u << 20);
    if (cols % 8 != 0) core::throw_parameter("cols", cols, "must be a multiple of 8 (whole bytes per SRAM row)");
    core::check_range<std::uint32_t>("adcs", adcs, 1, cols);
    core::check_range<std::uint32_t>("input_depth", input_depth, 1, 1u << 20);
    core::check_range("threads", threads, 1, 1024);
    if (backend != compute_backend::fused && backend != compute_backend::frames)
        core::throw_parameter("backend", static_cast<int>(backend), "must be fused (0) or frames (1)");
    core::check_range<std::uint32_t>("frame_vectors", frame_vectors, 1, 1u << 20);
    core::check_range<std::uint64_t>("clock_period_ps", clock_period_ps, 1, 1000000000);
    core::check_range<std::uint32_t>("digital_lanes", digital_lanes, 1, 1u << 20);
    core::check_range<std::uint32_t>("digital_pass_cycles", digital_pass_cycles, 1, 1u << 20);
    core::check_range<std::uint32_t>("buffer_bytes_per_cycle", buffer_bytes_per_cycle, 1, 1u << 20);
    core::check_range<std::uint32_t>("weight_bytes_per_cycle", weight_bytes_per_cycle, 1, 1u << 20);
    core::check_range<std::uint32_t>("trace_vectors", trace_vectors, 1, 1u << 20);
    core::check_range<std::uint32_t>("trace_columns", trace_columns, 0, 4096);
    core::check_range<std::uint32_t>("trace_outputs", trace_outputs, 0, 4096);
    if (!trace_file.empty() && trace_runs == 0)
        core::throw_parameter("trace_file", trace_file, "names a VCD but trace_runs = 0 traces no run");
    check_energy("e_wordline_fj", e_wordline_fj);
    check_energy("e_bitline_fj", e_bitline_fj);
    check_energy("e_sar_bit_fj", e_sar_bit_fj);
    check_energy("e_flash_comparator_fj", e_flash_comparator_fj);
    check_energy("e_ideal_conversion_fj", e_ideal_conversion_fj);
    check_energy("e_shift_add_fj", e_shift_add_fj);
    check_energy("e_digital_bitop_fj", e_digital_bitop_fj);
    check_energy("e_sram_write_bit_fj", e_sram_write_bit_fj);
    check_energy("e_buffer_byte_fj", e_buffer_byte_fj);
    check_energy("e_cycle_fixed_fj", e_cycle_fixed_fj);
    const auto positive = [](const char* name, double v, double hi) {
        if (!std::isfinite(v) || v <= 0.0 || v > hi)
            core::throw_parameter(name, v, "must lie in (0, " + core::to_text(hi) + "]");
    };
    positive("vdd_v", vdd_v, 10.0);
    positive("vdd_nominal_v", vdd_nominal_v, 10.0);
    for (const auto& [name, v, hi] : {std::tuple<const char*, double, double>{"energy_vdd_exp", energy_vdd_exp, 10.0},
                                      {"delay_vdd_exp", delay_vdd_exp, 10.0},
                                      {"delay_vdd_const", delay_vdd_const, 1.0}})
        if (!std::isfinite(v) || v < 0.0 || v > hi)
            core::throw_parameter(name, v, "must lie in [0, " + core::to_text(hi) + "]");
    for (const auto& [name, v] : {std::pair<const char*, double>{"area_cell_um2", area_cell_um2},
                                  {"area_adc_um2", area_adc_um2},
                                  {"area_row_driver_um2", area_row_driver_um2},
                                  {"area_shift_add_um2", area_shift_add_um2},
                                  {"area_digital_um2", area_digital_um2},
                                  {"area_buffer_byte_um2", area_buffer_byte_um2},
                                  {"area_fixed_um2", area_fixed_um2}})
        if (!std::isfinite(v) || v < 0.0) core::throw_parameter(name, v, "must be a finite area >= 0 um^2");
    const double scaled_ps = static_cast<double>(clock_period_ps) * delay_scale();
    if (scaled_ps > 1e9)
        core::throw_parameter("vdd_v", vdd_v, "scales the clock period to " + core::to_text(scaled_ps) + " ps (> 1e9)");
    const tlm::window_sizes w = tlm::buffer_sizes(rows, cols, input_depth);
    check_span("rows * cols / 8 (weight SRAM)", w.weight, tlm::addr::weight_span);
    check_span("input_depth * rows * 2 (input buffer)", w.input, tlm::addr::input_span);
    check_span("input_depth * cols / 2 * 8 (output buffer)", w.output, tlm::addr::output_span);
}

double macro_config::energy_scale() const {
    if (vdd_v == vdd_nominal_v) return 1.0;
    return std::pow(vdd_v / vdd_nominal_v, energy_vdd_exp);
}

double macro_config::delay_scale() const {
    if (vdd_v == vdd_nominal_v) return 1.0;
    return delay_vdd_const + (1.0 - delay_vdd_const) * std::pow(vdd_nominal_v / vdd_v, delay_vdd_exp);
}

macro_config macro_config::at_supply() const {
    macro_config c = *this;
    if (vdd_v == vdd_nominal_v) return c;
    const double e = energy_scale();
    for (double* x : {&c.e_wordline_fj, &c.e_bitline_fj, &c.e_sar_bit_fj, &c.e_flash_comparator_fj,
                      &c.e_ideal_conversion_fj, &c.e_shift_add_fj, &c.e_digital_bitop_fj, &c.e_sram_write_bit_fj,
                      &c.e_buffer_byte_fj, &c.e_cycle_fixed_fj})
        *x *= e;
    const double ps = std::round(static_cast<double>(clock_period_ps) * delay_scale());
    c.clock_period_ps = static_cast<std::uint64_t>(std::max(1.0, ps));
    c.vdd_nominal_v = vdd_v;
    return c;
}

}  // namespace acim::sc
