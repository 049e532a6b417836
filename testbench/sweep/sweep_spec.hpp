// A sweep specification (docs/sweeps.md) and the plan it expands to. The spec is a JSON file with a
// base configuration (the `acim run` parameters, nested or dotted, plus model, data, limit,
// threads, seed), axes over any parameter or the model (each a grid dimension, or a zipped group of
// equally long lists), and the seeds and dies every point repeats at. The plan is the list of
// child runs: one `acim run` per point, seed and die, each with a stable id, the SHA-256 of its
// effective configuration in canonical JSON, so that a restarted sweep recognises its finished runs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace acim::testbench::sweep {

// One child run: a point of the grid at one seed and die.
struct sweep_run {
    std::size_t point = 0;                          // index of the point (seed and die excluded)
    std::string id;                                 // 16 hex digits of the SHA-256 of `canonical`
    std::string canonical;                          // canonical JSON of the effective configuration
    std::vector<std::string> axis_values;           // text of each plan axis column, in order
    std::string model;                              // "" = the binary's default model
    std::string data;                               // "" = the binary's default data directory
    std::optional<std::size_t> limit;               // first N test images
    std::uint64_t seed = 1;
    std::uint64_t die = 0;
    std::map<std::string, std::string> params;      // -p name=value (run.die included)
    // `acim run` arguments without --out and --threads (decided when the run starts).
    std::vector<std::string> args() const;
};

struct sweep_plan {
    std::vector<std::string> columns;  // axis columns: each axis key, then seed and die
    std::vector<sweep_run> runs;       // point-major, then seed, then die
    std::size_t points = 0;
    std::optional<int> threads;        // base "threads", if the spec sets it
    double images_per_run = 0.0;       // for Slurm bundling (limit, or 10000 when unset)

    nlohmann::json to_json() const;
    static sweep_plan from_json(const nlohmann::json& j);
};

// Parses and expands `spec_path`; throws std::invalid_argument naming the entry on any error
// (malformed JSON, a wrong type, an unknown key, an empty axis, zipped lists of different lengths,
// two points with the same effective configuration). `known_params` are the parameter names the
// child binary accepts (`acim config --dump`).
sweep_plan expand_spec(const std::string& spec_path, const std::set<std::string>& known_params);

// A JSON value as the text `-p name=value` takes (arrays comma-joined); throws naming `where`.
std::string value_text(const nlohmann::json& v, const std::string& where);

}  // namespace acim::testbench::sweep
