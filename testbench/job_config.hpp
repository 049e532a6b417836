// The configuration tree of an `acim run`: every parameter has a dotted name, a unit, a default
// and a description. It loads from JSON (nested objects) and from `-p name=value` overrides;
// an unknown name or a value that does not parse is an error naming both. `acim config --dump`
// prints the effective tree.
#pragma once

#include <acim/workloads/graph/core_backend.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/workloads/graph/ptq.hpp>

#include <functional>
#include <string>
#include <vector>

namespace acim::testbench {

// Where the MAC layers run.
enum class run_path {
    tlm,   // the workload driver streams them through acim_macro instances on a TLM bus (default)
    core,  // the same pieces on the core engines directly: bit-identical numbers, no cycles/energy
};

struct job_config {
    workloads::backend_config backend;
    sc::macro_config hw;                 // every macro instance: geometry, timing, energy (its
                                         // ADC kind and count come from backend.macro.adc_arch/adcs)
    run_path path = run_path::tlm;
    std::size_t batch = 256;  // images per forward batch
    workloads::ptq_config ptq;  // post-training quantisation of float models (docs/ptq.md)
    bool ptq_given = false;     // a ptq.* key was set: an error for an already quantised model
};

struct param {
    std::string name;
    std::string unit;
    std::string description;
    std::function<void(const std::string&)> set;
    std::function<std::string()> get;
};

// The parameters of `cfg`, bound by reference.
std::vector<param> job_params(job_config& cfg);

// Applies `name=value`; throws std::invalid_argument naming the key and value.
void apply_override(std::vector<param>& params, const std::string& assignment);
// Applies every leaf of a JSON file; throws std::invalid_argument on unknown keys or bad values.
void apply_json_file(std::vector<param>& params, const std::string& path);
// The effective tree as text: name = value [unit]  description.
std::string dump(const std::vector<param>& params);

}  // namespace acim::testbench
