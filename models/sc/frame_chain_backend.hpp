// The macro's compute step as the chain of sub-block modules: controller -> wordline_driver ->
// sram_array -> adc_bank -> hcim_digital_unit -> shift_add, joined by frame sockets
// (tlm/frame_protocol.hpp). Selected by macro_config::backend = frames. Numerators and counters
// equal engine_backend's bit for bit; the run's clocks are the controller's annotated delay, the
// sum of every block's latency (docs/timing.md), which equals macro_cost::run_cycles.
#pragma once

#include <acim/sc/adc_bank.hpp>
#include <acim/sc/controller.hpp>
#include <acim/sc/hcim_digital_unit.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/sc/mvm_backend.hpp>
#include <acim/sc/shift_add.hpp>
#include <acim/sc/sram_array.hpp>
#include <acim/sc/wordline_driver.hpp>

#include <memory>
#include <vector>

namespace acim::sc {

class frame_chain_backend final : public mvm_backend {
public:
    // Elaborates the blocks as children of the module under construction (acim_macro) and binds
    // their frame sockets; call it from that module's constructor.
    explicit frame_chain_backend(const macro_config& cfg);
    ~frame_chain_backend() override;

    void compute(const mvm_job& job, mvm_result& out) override;

    controller& sequencer() { return *m_controller; }
    wordline_driver& wordlines() { return *m_wordline; }
    sram_array& array() { return *m_array; }
    adc_bank& adcs() { return *m_adc; }
    hcim_digital_unit& digital_unit() { return *m_digital; }
    shift_add& backend_adder() { return *m_shift_add; }
    // The layer of the latest compute() (null before the first).
    const std::shared_ptr<const core::frame_plan>& plan() const { return m_plan; }
    // The blocks in frame order, controller first.
    std::vector<frame_block*> blocks();

private:
    void configure(const mvm_job& job);
    void set_timing(const mvm_job& job);

    macro_config m_cfg;
    macro_cost m_cost;
    sc_core::sc_time m_clock;
    std::unique_ptr<controller> m_controller;
    std::unique_ptr<wordline_driver> m_wordline;
    std::unique_ptr<sram_array> m_array;
    std::unique_ptr<adc_bank> m_adc;
    std::unique_ptr<hcim_digital_unit> m_digital;
    std::unique_ptr<shift_add> m_shift_add;

    // The configured layer and its weights.
    std::shared_ptr<const core::frame_plan> m_plan;
    bool m_loaded = false;
    std::uint64_t m_version = 0;
};

}  // namespace acim::sc
