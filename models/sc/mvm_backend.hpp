// The step "compute one batch" of the macro, behind one interface: weights, tiling, inputs and
// noise key in; exact output numerators and event counters out. Two implementations, selected by
// macro_config::backend: the core engine (`engine_backend`, here) and the frame chain of sub-block
// modules (`frame_chain_backend`, sc/frame_chain_backend.hpp), so that acim_macro's bus side,
// timing and registers stay as they are. Plain C++: no SystemC types.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>
#include <acim/sc/macro_config.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace acim::sc {

struct mvm_job {
    core::cim_params params;
    const std::int32_t* weights = nullptr;  // [outputs][rows] codes
    std::size_t outputs = 0;
    std::size_t rows = 0;
    std::vector<core::row_tile> tiles;
    std::uint64_t weights_version = 0;      // changes whenever the weight codes change
    const std::int32_t* inputs = nullptr;   // [vectors][rows] codes
    std::size_t vectors = 0;
    bool inputs_checked = false;            // every input code is known to lie in the XBIT range
    std::uint64_t first_vector = 0;         // global index of inputs' first vector
    core::stream_key key;                   // params.adc_arch is the ADC architecture (ADC_KIND)
};

struct mvm_result {
    std::vector<std::int64_t> numerators;  // [vectors][outputs]
    std::int64_t denominator = 0;
    core::engine_counters counters;         // of this batch only
    core::code_error_histogram code_errors;  // of this batch; empty when the backend does not
                                             // collect them (the frame chain)
    std::uint64_t cycles = 0;               // clocks START..DONE as the backend timed the batch;
                                            // 0 when it does not time (the macro uses macro_cost)
    std::vector<std::uint64_t> active_rows;  // wordline drive events per activation cycle, if the
                                             // backend counted them (run_shape::active_rows)
};

// Every field of two settings is equal (backends rebuild their tables when not).
bool same_params(const core::cim_params& a, const core::cim_params& b);

class mvm_backend {
public:
    virtual ~mvm_backend() = default;
    // Throws core::parameter_error (naming the field) or core::data_error for an invalid job.
    virtual void compute(const mvm_job& job, mvm_result& out) = 0;
};

// The core's mvm_engine. It keeps the engine (its conversion tables) while the parameters stay
// the same, and the loaded weights while their version, shape and tiling stay the same.
class engine_backend final : public mvm_backend {
public:
    explicit engine_backend(core::engine_options opt);
    void compute(const mvm_job& job, mvm_result& out) override;

private:
    core::engine_options m_opt;
    std::unique_ptr<core::mvm_engine> m_engine;
    core::cim_params m_params;
    bool m_loaded = false;
    std::uint64_t m_version = 0;
    std::size_t m_outputs = 0;
    std::size_t m_rows = 0;
    std::vector<core::row_tile> m_tiles;
};

}  // namespace acim::sc
