// macro_tracer: the cycle-stepped trace mode of acim_macro (docs/tracing.md). Physically it is
// what a logic analyser on the macro would show: the sequencer's position (vector, row tile,
// activation cycle, driven wordlines), each traced column's bitline as the ADC sees it (analog
// value, ideal count, code, error in LSB, analog/voted/digital), the shift-add accumulators, and
// the decision bits of ADC 0 clock by clock.
//
// The macro stays loosely timed. A traced run is computed at START on the frame chain, like any
// frames run; this module watches the frames leave the shift-add (frame_monitor) and records the
// first trace_vectors vectors. Its SC_THREAD then drives the signals at the absolute time of each
// step (run start + start_cycles + the offsets of docs/timing.md, vector by vector, tile by tile,
// cycle by cycle; the initiator may be ahead of the kernel, so it waits for each step). The
// signals are sc_signals registered with an sc_trace_file at elaboration; nothing here changes
// the run's results, counters or timing.
#pragma once

#include <acim/sc/frame_block.hpp>
#include <acim/sc/frame_chain_backend.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/sc/mvm_backend.hpp>

#include <systemc>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace acim::sc {

class macro_tracer : public sc_core::sc_module, private frame_monitor {
public:
    // Cycle kind flag of a column (signal colK.kind).
    enum kind_flag : int { flag_analog = 0, flag_voted = 1, flag_digital = 2, flag_idle = 3 };

    SC_HAS_PROCESS(macro_tracer);
    // `chain` computes the traced runs; its shift-add is watched while one runs.
    macro_tracer(const sc_core::sc_module_name& name, const macro_config& cfg, frame_chain_backend& chain);
    ~macro_tracer() override;

    // Registers every signal with `tf` under the VCD scope `scope` (dots nest scopes). Elaboration only.
    void trace(sc_core::sc_trace_file* tf, const std::string& scope);
    // Whether the run with this index (accepted STARTs since elaboration, from 0) is traced.
    bool in_window(std::uint64_t run) const;

    // A traced run: call before chain.compute(job); frames are recorded while it runs.
    void begin_run(std::uint64_t run, const mvm_job& job);
    // The run was accepted and starts at absolute time t_start: its steps are scheduled.
    void commit(const sc_core::sc_time& t_start);
    // The run failed: nothing recorded is shown.
    void abort();
    // Soft reset at local time t: drops every step from t on and ends the stepping at t.
    void cancel(const sc_core::sc_time& t);

    // Steps shown so far (tests).
    std::uint64_t steps_shown() const { return m_steps_shown; }

    static constexpr const char* msg_type = "acim/trace";

private:
    struct column_value {
        double analog = 0.0;
        std::int32_t count = 0, code = 0, err = 0;
        int kind = flag_idle;
    };
    struct conversion {  // one conversion of ADC 0
        int column = 0, sample = 0;
        std::int32_t code = 0;
    };
    struct step {  // one (vector, tile, activation cycle)
        std::uint64_t vector = 0, tile = 0;
        int j = 0;
        std::uint32_t active_rows = 0;
        std::vector<column_value> cols;
        std::vector<std::int64_t> acc;
        std::vector<conversion> adc0;
    };
    struct run_record;
    struct action {
        enum class what : std::uint8_t { run_begin, step, adc_start, adc_bit, adc_idle, run_end } kind;
        sc_core::sc_time at;
        std::shared_ptr<const run_record> run;
        std::size_t index = 0;  // step
        int a = 0, b = 0;       // adc_start: conversion; adc_bit: conversion, bit
    };

    void on_frame(const sc_core::sc_module& block, const acim::tlm::frame_payload& f,
                  const sc_core::sc_time& delay) override;
    void drive();
    void apply(const action& a);
    sc_core::sc_time clocks(std::uint64_t n) const;

    macro_config m_cfg;
    macro_cost m_cost;
    frame_chain_backend& m_chain;
    frame_monitor* m_forward = nullptr;  // the shift-add's monitor before a traced run

    std::shared_ptr<run_record> m_recording;
    std::deque<action> m_actions;
    sc_core::sc_event m_wake;
    std::uint64_t m_steps_shown = 0;
    int m_conversions = 0;  // ADC 0 conversions shown in the current run

    // Sequencer.
    sc_core::sc_signal<bool> m_stepping;
    sc_core::sc_signal<int> m_run, m_vector, m_tile, m_cycle, m_act_lo, m_act_width, m_active_rows;
    // Per traced column.
    sc_core::sc_vector<sc_core::sc_signal<int>> m_col_output, m_col_bit, m_col_kind, m_col_count, m_col_code, m_col_err;
    sc_core::sc_vector<sc_core::sc_signal<double>> m_col_analog;
    // Per traced output.
    sc_core::sc_vector<sc_core::sc_signal<sc_dt::int64>> m_acc;
    // ADC 0.
    sc_core::sc_signal<int> m_adc_conversion, m_adc_column, m_adc_sample, m_adc_bit, m_adc_sar, m_adc_code;
    sc_core::sc_signal<bool> m_adc_decision;
};

}  // namespace acim::sc
