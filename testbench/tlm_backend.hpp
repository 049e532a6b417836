// The workload driver's MAC backend through the TLM macros: every MAC layer of the network runs on
// acim_macro instances of a virtual platform, programmed by the firmware-style acim_driver over
// the bus (register writes, DMI block copies of weights and inputs, interrupt, output reads), with
// the layers cut into macro pieces by workloads/mapping. The numerators equal core_backend's on the
// same mapping bit for bit; on top it reads each macro's CYCLES and ENERGY_FJ registers and the
// simulated time, so a run reports accuracy, cycles and energy together.
//
// Runs inside the platform CPU's firmware thread (forward() is called from there): the driver's
// interrupt waits suspend that thread.
#pragma once

#include <acim/workloads/graph/core_backend.hpp>
#include <acim/workloads/mapping/mapping.hpp>
#include <acim/sc/acim_macro.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/vp/acim_driver.hpp>
#include <acim/vp/cpu.hpp>

#include <systemc>

#include <cstdint>
#include <memory>
#include <vector>

namespace acim::testbench {

// What the macros spent on one layer.
struct layer_cost {
    std::uint64_t macro_cycles = 0;  // sum over the layer's macros of their busy clocks (CYCLES)
    std::uint64_t energy_fj = 0;     // sum over the layer's macros of ENERGY_FJ
    std::uint64_t starts = 0;        // START commands
    std::uint64_t weight_loads = 0;  // pieces written into a macro's SRAM (first loads and reloads)
    std::uint64_t weight_bytes = 0;  // bytes of those writes
    std::uint64_t macs = 0;          // multiply-accumulates executed on the macros
    sc_core::sc_time elapsed;        // simulated time from the layer's first access to its last
};

class tlm_backend final : public workloads::mac_backend {
public:
    // `bases` and `irq_lines`: where each physical macro of `map` sits on `cpu`'s bus. `macros`
    // (optional, one per physical macro): read through their observability accessor for the
    // code-error histograms, which have no register.
    tlm_backend(const workloads::network& net, const workloads::backend_config& cfg, const workloads::network_map& map,
                vp::cpu& cpu, const std::vector<std::uint64_t>& bases,
                const std::vector<unsigned>& irq_lines, std::vector<const sc::acim_macro*> macros = {});

    void begin_batch(std::size_t first_item, std::size_t items) override;
    void mac(std::size_t layer, const workloads::mac_layer& l, const std::int32_t* x, std::size_t vectors,
             std::int64_t* num, std::int64_t& den) override;
    core::thread_pool* host_pool() override { return m_host.get(); }

    const std::vector<workloads::layer_stats>& stats() const { return m_stats; }
    const std::vector<layer_cost>& costs() const { return m_costs; }
    std::uint64_t weight_reloads() const { return m_reloads; }  // loads beyond each piece's first

private:
    void ensure_loaded(const workloads::mac_layer& l, const workloads::layer_piece& pc);

    workloads::backend_config m_cfg;
    const workloads::network_map& m_map;
    vp::cpu& m_cpu;
    std::vector<std::unique_ptr<vp::acim_driver>> m_drivers;  // per physical macro
    std::vector<const sc::acim_macro*> m_macros;             // per physical macro, or empty
    std::vector<std::size_t> m_resident;                      // piece index held by each macro
    std::vector<bool> m_loaded_once;                          // per piece
    std::vector<workloads::layer_stats> m_stats;
    std::vector<layer_cost> m_costs;
    std::uint64_t m_reloads = 0;
    std::size_t m_first_item = 0, m_items = 1;
    std::unique_ptr<workloads::reference_meter> m_meter;
    std::shared_ptr<core::thread_pool> m_host;  // the shared pool of cfg.threads, or null
    workloads::ideal_backend m_ideal;
    std::vector<std::int32_t> m_xs;
    std::vector<std::vector<std::int64_t>> m_parts;
};

}  // namespace acim::testbench
