// The configuration of an `acim run`: the job's own settings (model, data, limit, seed, threads,
// batch, path, die), the macro settings, the macro instances' hardware, the mapping and PTQ. Each
// parameter is declared once by the code that owns its value (cim_params, macro_config,
// backend_config, ptq_config, and the job here) into one core::param_tree, which JSON files
// (`--config`), presets and `-p name=value` write into, with the provenance of every value.
// `acim config --dump` prints the tree; `--dump --json` writes a file that --config reads back.
#pragma once

#include <acim/core/param_tree.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/workloads/graph/core_backend.hpp>
#include <acim/workloads/graph/ptq.hpp>

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace acim::testbench {

// Where the MAC layers run.
enum class run_path {
    tlm,   // the workload driver streams them through acim_macro instances on a TLM bus (default)
    core,  // the same pieces on the core engines directly: bit-identical numbers, no cycles/energy
};

struct run_options {
    std::string model;       // run.model: ONNX file ("" = the embedded default CNN)
    std::string data_dir;    // run.data: directory holding t10k-*-ubyte(.gz) (and train-* for PTQ)
    std::size_t limit = 0;   // run.limit: first N test images (0 = all)
    std::string out_dir;     // --out: report.json and the CSVs go here (optional)
    std::string trace;       // --trace window "FIRST[:COUNT][@MACRO]" (docs/tracing.md); "" = off
    bool progress = true;
    std::vector<std::string> command_line;  // argv, recorded in report.json
};

struct job_config {
    workloads::backend_config backend;
    sc::macro_config hw;        // every macro instance: geometry, timing, energy (its ADC kind and
                                // count come from backend.macro.adc_arch/adcs)
    run_path path = run_path::tlm;
    std::size_t batch = 256;    // images per forward batch
    workloads::ptq_config ptq;  // post-training quantisation of float models (docs/ptq.md)
    double sigma_lsb = 0.0;     // macro.sigma_lsb: noise in LSB of the ADC; when written, it sets
                                // macro.sigma_rand = sigma_lsb * 100 / (2^adc_bits - 1)
    core::param_journal journal;  // which values were written, from where
    std::string preset;           // the silicon preset applied (docs/presets.md), "" for none

    bool ptq_given() const { return journal.any("ptq."); }
    // The shipped `acim run` defaults, the one place they are written: ASiM's W8A8 macro (nrow 255,
    // 8-bit ADC) with 0.1 % noise, 64 SAR ADCs (4:1 column mux), 2 threads, seed 1, and the first
    // conv digital as ASiM keeps it.
    static job_config shipped();
};

// The parameter tree of one job, bound to cfg and opt (both must outlive it). Every successful set
// is recorded in cfg.journal.
class job_params {
public:
    job_params(job_config& cfg, run_options& opt);
    core::param_tree& tree() { return m_tree; }
    const core::param_tree& tree() const { return m_tree; }

    // `name=value` from the command line (-p).
    void assign(const std::string& assignment, core::param_source src = core::param_source::command_line);
    // The silicon preset `name` (testbench/presets.hpp), its values with the source `preset`: apply
    // it before any file or -p value (precedence default < preset < file < -p). One preset per job;
    // throws std::invalid_argument for an unknown name (listing the valid ones) or a second preset.
    void apply_preset(const std::string& name);
    // Every leaf of a JSON object (nested objects give dotted names; lists may be JSON arrays).
    // Top-level model, data, seed, limit, threads and batch stand for run.<key>; a top-level
    // "preset": NAME applies that preset first (unless the same one is already applied).
    void apply_json(const nlohmann::json& j, const std::string& origin, core::param_source src);
    void apply_json_file(const std::string& path, core::param_source src = core::param_source::file);
    // name = value [unit] (source; default; range) description.
    std::string dump() const;
    // The effective tree as nested JSON that apply_json reads back to the same configuration.
    nlohmann::json to_json() const;
    // Flat {name: value text} of every parameter, and {name: source} of the written ones.
    nlohmann::json values() const;
    nlohmann::json sources() const;

private:
    core::param_tree m_tree;
    job_config& m_cfg;
};

// Settings derived from others once every source has been applied (macro.sigma_lsb), checked:
// throws parameter_error naming the documented parameter.
void resolve_derived(job_config& cfg);

}  // namespace acim::testbench
