// What every block of the macro's frame chain shares: a frame link to serve, a latency per vector
// for each activation cycle (from macro_cost, set per run), statistics of the frames it served,
// an optional monitor that sees each frame as it leaves the block (tracing hooks, tests), and
// debug reports. The blocks themselves (wordline_driver, sram_array, adc_bank, hcim_digital_unit,
// shift_add, controller) add their socket pair and own their kernel-free core.
#pragma once

#include <acim/sc/macro_config.hpp>
#include <acim/tlm/frame_protocol.hpp>

#include <systemc>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace acim::sc {

// Sees every frame a block has finished, with the annotated delay after the block's latency.
class frame_monitor {
public:
    virtual ~frame_monitor() = default;
    virtual void on_frame(const sc_core::sc_module& block, const acim::tlm::frame_payload& f,
                          const sc_core::sc_time& delay) = 0;
};

struct block_stats {
    std::uint64_t frames = 0;       // frames served
    std::uint64_t vectors = 0;      // sum of the frames' vector counts
    std::uint64_t busy_clocks = 0;  // latency the block annotated, in macro clocks
    std::uint64_t events = 0;       // the block's energy events (see each block)
};

class frame_block : public sc_core::sc_module {
public:
    frame_block(const sc_core::sc_module_name& name, const macro_config& cfg);

    const block_stats& stats() const { return m_stats; }
    void reset_stats() { m_stats = {}; }
    void set_monitor(frame_monitor* m) { m_monitor = m; }
    frame_monitor* monitor() const { return m_monitor; }
    // Clocks per vector that this block adds in activation cycle j (docs/timing.md), per run.
    void set_cycle_clocks(std::vector<std::uint64_t> clocks) { m_cycle_clocks = std::move(clocks); }
    const std::vector<std::uint64_t>& cycle_clocks() const { return m_cycle_clocks; }

protected:
    // True if the frame is still travelling and the block is configured; fails the frame otherwise.
    bool accept(acim::tlm::frame_payload& f, bool configured);
    // Runs the block's work; a core exception fails the frame (the controller raises it).
    template <class F>
    bool guarded(acim::tlm::frame_payload& f, F&& work) {
        try {
            work();
            return true;
        } catch (const std::exception& e) {
            f.fail(std::string(name()) + ": " + e.what());
            return false;
        }
    }
    // vectors * clocks(j) as time, added to stats.busy_clocks.
    sc_core::sc_time latency(const acim::tlm::frame_payload& f);
    sc_core::sc_time clocks(std::uint64_t n) const { return sc_core::sc_time::from_value(n * m_clock_value); }
    // Statistics, the monitor and a debug report for a finished frame.
    void served(const acim::tlm::frame_payload& f, const sc_core::sc_time& delay);

    macro_config m_cfg;
    block_stats m_stats;

private:
    sc_dt::uint64 m_clock_value = 0;  // one macro clock in time-resolution units
    std::vector<std::uint64_t> m_cycle_clocks;
    frame_monitor* m_monitor = nullptr;
};

}  // namespace acim::sc
