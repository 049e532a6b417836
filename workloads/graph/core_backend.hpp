// The bit-true ACiM core as the MAC backend of a workload: one mvm_engine per layer piece
// (mapping/mapping.hpp), configured from the model's bit widths and a macro configuration, with
// noise keyed by the global vector index (image index x output pixels + pixel) so results do not
// depend on batch size or threads. It also measures each layer's error against the ideal integer
// result on the same inputs.
#pragma once

#include <acim/core/engine.hpp>
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/mapping/mapping.hpp>

#include <memory>
#include <set>
#include <vector>

namespace acim::workloads {

struct layer_stats {
    std::uint64_t outputs = 0;        // MAC outputs compared
    double signal = 0.0;              // sum of ideal^2
    double noise = 0.0;               // sum of (acim - ideal)^2
    double max_abs_error = 0.0;
    std::uint64_t exact = 0;          // outputs equal to the ideal value
    acim::core::engine_counters counters;
    acim::core::code_error_histogram code_errors;  // per cycle (i, j): ADC code - ideal code
    double sqnr_db() const;
};

struct backend_config {
    acim::core::cim_params macro;     // wbit/xbit are taken from each layer
    bool channel_tiling = false;      // ASiM's whole-channel conv tiles instead of dense tiles
    bool asim_drop = false;           // with channel tiling: ASiM's dropped trailing groups (B1)
    std::set<std::size_t> digital_layers;  // layers computed exactly on the host
    macro_geometry geometry;          // SRAM of one macro: how layers are cut into pieces
    std::size_t macros = 0;           // physical macros (0 = one per piece, weight stationary)
    int threads = 1;
    std::uint64_t seed = 0;
    std::uint32_t die = 0;
    bool measure = true;              // compare every layer with the ideal integer result
};

// Declares mapping.* (tiling, digital layers, macros) under `mapping` and the run's seed, threads
// and die under `run`, bound to cfg; cfg.macro is declared by cim_params::declare.
void declare(core::param_tree::scope& mapping, core::param_tree::scope& run, backend_config& cfg);

mapping_options mapping_of(const backend_config& cfg);
// The macro settings `p` as layer `l` uses them: its WBIT, XBIT and signedness (a signed layer
// whose ACT_ENC would cover the sign falls back to bit-serial).
acim::core::cim_params layer_params(const mac_layer& l, acim::core::cim_params p);

// The ideal integer result of every layer (exact integer dot products, ideal_backend) and the
// error statistics of a backend's numerators against it.
class reference_meter {
public:
    reference_meter(const network& net, int threads);
    // Exact numerators of layer `layer` (digital layers use this too).
    void exact(std::size_t layer, const std::int32_t* x, std::size_t vectors, std::int64_t* num, std::int64_t& den);
    // Adds the comparison of num / den with the ideal result to `st`.
    void measure(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                 const std::int64_t* num, std::int64_t den, layer_stats& st);
    // The same as a background task of `pool` (single-threaded, in the pool's queue order): x and
    // num must stay valid, and st untouched by others, until pool.wait_background() returns. One
    // pending measurement per layer at a time.
    void measure_later(core::thread_pool& pool, std::size_t layer, const mac_layer& l, const std::int32_t* x,
                       std::size_t vectors, const std::int64_t* num, std::int64_t den, layer_stats& st);

private:
    void compare(const std::int64_t* ref, std::size_t count, const std::int64_t* num, std::int64_t den,
                 layer_stats& st) const;
    const network& m_net;
    ideal_backend m_ideal;
    std::vector<std::int64_t> m_ref;
    ideal_backend m_later;                        // single-threaded, caches built up front
    std::vector<std::vector<std::int64_t>> m_refs;  // per layer, for measure_later
};

// The layers cut into macro pieces (mapping/mapping.hpp), each piece on its own engine with the
// piece's stream key: bit-identical to the same mapping through the TLM macros.
class core_backend : public mac_backend {
public:
    core_backend(const network& net, backend_config cfg);
    void begin_batch(std::size_t first_item, std::size_t items) override;
    void mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
             std::int64_t* num, std::int64_t& den) override;
    core::thread_pool* host_pool() override { return m_host.get(); }

    const std::vector<layer_stats>& stats() const { return m_stats; }
    const backend_config& config() const { return m_cfg; }
    const network_map& map() const { return m_map; }

private:
    backend_config m_cfg;
    network_map m_map;
    std::vector<std::vector<std::unique_ptr<acim::core::mvm_engine>>> m_engines;  // [layer][piece]
    std::vector<layer_stats> m_stats;
    std::size_t m_first_item = 0, m_items = 1;
    std::unique_ptr<reference_meter> m_meter;
    std::shared_ptr<core::thread_pool> m_host;  // the shared pool of cfg.threads, or null
    ideal_backend m_ideal;
    std::vector<std::int32_t> m_xs;
    std::vector<std::int64_t> m_part;
};

}  // namespace acim::workloads
