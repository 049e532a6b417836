// acim_macro: one SRAM charge-domain analog compute-in-memory macro as a memory-mapped TLM-2.0
// peripheral. Physically it is a rows x cols SRAM whose columns hold weight bit-planes, wordline
// DACs that drive input activations bit-serially or as multi-level slices, ADCs shared by the
// bitlines through a column mux, an HCiM digital unit for the MSB cycles, a shift-add backend, an
// input vector buffer D vectors deep and an output buffer. Firmware programs it through the
// register map of tlm/register_table.hpp (docs/register_map.md): it loads the weight SRAM and the
// input buffer, writes START, and gets DONE plus `irq_out` after the latency of docs/timing.md.
//
// Loosely timed: b_transport annotates its access latency and never waits. START computes the
// whole batch at once through the compute backend and schedules the completion; STATUS, outputs
// and counters change at the completion time, as seen by the local time of each access. The
// backend (macro_config::backend) is the fused core engine, or the frame chain of sub-block
// modules elaborated as children of the macro (controller, wordline_driver, sram_array, adc_bank,
// hcim_digital_unit, shift_add; docs/frame_chain.md); both are bit-identical and give the same
// cycles and energy.
//
// Trace mode (macro_config::trace_runs, docs/tracing.md): a window of runs is computed on the
// frame chain (elaborated for it when the backend is fused) and stepped cycle by cycle on traced
// signals by the child `trace` (macro_tracer); results and timing are those of the fast path.
#pragma once

#include <acim/sc/macro_config.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/sc/mvm_backend.hpp>
#include <acim/tlm/buffer_layout.hpp>
#include <acim/tlm/register_bank.hpp>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace acim::sc {

class frame_chain_backend;
class macro_tracer;  // sc/macro_tracer.hpp

class acim_macro : public sc_core::sc_module {
public:
    // Bus slave: registers and the weight, input and output windows (acim::tlm::addr), at two
    // bus widths. Bind the socket whose BUSWIDTH is the initiator's: bus_in (32) or bus_in64 (64),
    // or bus_socket<W>() in a platform templated on its width. Both serve the same registers and
    // memories with the same bus rules (docs/integration.md, "Bus width"); at least one must be bound.
    template <unsigned int W>
    using target_socket = tlm_utils::simple_target_socket_optional<acim_macro, W>;
    target_socket<32> bus_in;
    target_socket<64> bus_in64;
    template <unsigned int W>
    target_socket<W>& bus_socket() {
        static_assert(W == 32 || W == 64, "acim_macro has target sockets of 32 and 64 bits");
        if constexpr (W == 32) {
            return bus_in;
        } else {
            return bus_in64;
        }
    }
    // Level interrupt: CTRL.IRQ_ENABLE and (IRQ_STATUS != 0).
    sc_core::sc_out<bool> irq_out;

    SC_HAS_PROCESS(acim_macro);
    acim_macro(const sc_core::sc_module_name& name, const macro_config& cfg);
    ~acim_macro() override;

    const macro_config& config() const { return m_cfg; }
    const acim::tlm::window_sizes& windows() const { return m_sizes; }
    // Cost of the most recent accepted run (cycles and energy by event class).
    const run_cost& last_run_cost() const { return m_run_cost; }
    // Observability (no register, no simulated time): the per-cycle ADC code-error histograms of
    // the runs completed since elaboration, soft reset or CTRL.CLEAR_COUNTERS, as the counters;
    // a run on another cycle grid (WBIT, XBIT, ACT_ENC, signedness) starts them anew. Collected by
    // the fused backend; empty with backend = frames.
    const core::code_error_histogram& code_errors() const { return m_code_errors; }
    // Completion time of the current or most recent run.
    sc_core::sc_time done_time() const { return m_done_time; }

    // Trace mode: registers the trace signals with `tf` under the VCD scope `scope` (default: this
    // macro's name). Elaboration only; requires macro_config::trace_runs > 0. With
    // macro_config::trace_file set, the macro has already attached its own VCD (scope "acim_macro").
    void trace(sc_core::sc_trace_file* tf, const std::string& scope = "");
    // The trace module, null when trace mode is off.
    const macro_tracer* tracer() const { return m_tracer.get(); }
    // Accepted STARTs since elaboration: the run index of the trace window.
    std::uint64_t runs_started() const { return m_runs_started; }

    static constexpr const char* msg_type = "acim/macro";

private:
    enum class window { registers, weights, inputs, outputs, none };
    struct decoded_address {
        window win = window::none;
        std::uint64_t base = 0;    // window base address
        std::uint64_t offset = 0;  // address - base
        std::uint64_t size = 0;    // bytes backed by the window
    };
    struct run_fault;  // a START that cannot run: error code, ERROR_ADDR and message

    // Bus callbacks.
    void b_transport(::tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned transport_dbg(::tlm::tlm_generic_payload& gp);
    bool get_direct_mem_ptr(::tlm::tlm_generic_payload& gp, ::tlm::tlm_dmi& dmi);

    // The only writer of irq_out; runs at completion and whenever the interrupt level may change.
    void update_irq();

    decoded_address decode(std::uint64_t address) const;
    unsigned char* memory(window w);
    void register_access(::tlm::tlm_generic_payload& gp, std::uint64_t offset, const sc_core::sc_time& t,
                         sc_core::sc_time& latency);
    // The side effects of register writes (START, SOFT_RESET, W1C, busy rule, DMI invalidation) as
    // callbacks on the register bank's registers.
    void bind_register_callbacks();
    void buffer_access(::tlm::tlm_generic_payload& gp, const decoded_address& d, const sc_core::sc_time& t,
                       sc_core::sc_time& latency);
    ::tlm::tlm_response_status write_ctrl(std::uint32_t data, const sc_core::sc_time& t,
                                          const sc_core::sc_time& t_start);

    // Completes a run whose completion time has been reached at local time t.
    void sync(const sc_core::sc_time& t);
    void start(const sc_core::sc_time& t, const sc_core::sc_time& t_start);
    void prepare_run(mvm_job& job);
    void complete();
    void soft_reset(const sc_core::sc_time& t);
    void clear_counters();
    void flag_error(acim::tlm::error_code code, std::uint64_t where, const sc_core::sc_time& t);
    void schedule_irq_update(const sc_core::sc_time& t);
    bool irq_level() const;
    void invalidate_dmi();
    void end_of_elaboration() override;  // checks that a bus socket is bound
    void end_of_simulation() override;
    void close_trace_file();
    std::uint32_t instance_value(const acim::tlm::register_info& r) const;
    void add_energy(double fj);
    sc_core::sc_time clocks(std::uint64_t n) const;

    macro_config m_cfg;
    macro_cost m_cost;
    acim::tlm::window_sizes m_sizes;
    acim::tlm::register_bank m_bank;
    std::vector<unsigned char> m_weights;  // the SRAM bit array (tlm/buffer_layout.hpp)
    std::vector<unsigned char> m_inputs;
    std::vector<unsigned char> m_outputs;
    std::unique_ptr<mvm_backend> m_backend;
    std::unique_ptr<frame_chain_backend> m_trace_chain;  // trace mode on a fused macro
    frame_chain_backend* m_chain = nullptr;              // the chain traced runs take
    std::unique_ptr<macro_tracer> m_tracer;
    sc_core::sc_trace_file* m_trace_file = nullptr;      // owned: opened from trace_file
    std::uint64_t m_runs_started = 0;

    std::uint64_t m_weights_version = 0;  // bumped by every write into the weight window
    std::vector<std::int32_t> m_wcodes;   // decoded weights, valid for the key below
    std::uint64_t m_wcodes_version = ~std::uint64_t{0};
    int m_wcodes_wbit = 0;
    std::size_t m_wcodes_outputs = 0;
    std::size_t m_wcodes_rows = 0;
    std::vector<std::int32_t> m_xcodes;   // decoded inputs of the current run

    bool m_running = false;
    sc_core::sc_time m_done_time;  // completion time of the current or last run
    mvm_result m_staged;           // results of the running batch, committed at completion
    run_cost m_run_cost;
    double m_energy_fj = 0.0;      // cumulative, unrounded
    core::code_error_histogram m_code_errors;
    sc_core::sc_time m_irq_hold_until;  // IRQ_STATUS.DONE set early is not signalled before this
    sc_core::sc_event m_done_event;
    sc_core::sc_event m_irq_event;
};

}  // namespace acim::sc
