// The step "compute one batch" of the macro, behind one interface: weights, tiling, inputs and
// noise key in; exact output numerators and event counters out. Today it is the core engine
// (`engine_backend`); the frame chain of sub-block modules (wordline driver, SRAM array, ADC bank,
// shift-add, HCiM digital unit) will implement the same interface, so that acim_macro's bus side,
// timing and registers stay as they are. Plain C++: no SystemC types.
#pragma once

#include "core/cim_params.hpp"
#include "core/engine.hpp"
#include "core/layer.hpp"
#include "core/rng.hpp"

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
    std::uint64_t first_vector = 0;         // global index of inputs' first vector
    core::stream_key key;
};

struct mvm_result {
    std::vector<std::int64_t> numerators;  // [vectors][outputs]
    std::int64_t denominator = 0;
    core::engine_counters counters;         // of this batch only
};

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
