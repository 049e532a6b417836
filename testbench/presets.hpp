// Silicon-anchored presets (docs/presets.md): published SRAM CiM macros as plain data, one JSON
// file each under presets/, compiled into the binary. A preset names its source (paper, table or
// figure, operating point), sets parameters of the job's tree (macro.*, hw.*) with the source
// `preset`, and carries the published reference figures the regression tests compare against.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace acim::testbench {

struct preset {
    std::string name;      // e.g. "jia_jssc2020_65nm" (the file presets/<name>.json)
    std::string title;     // one line: authors, venue, node, what
    std::string source;    // paper, table/figure, operating point
    nlohmann::json params;     // nested {"macro": {...}, "hw": {...}}: what the preset sets
    nlohmann::json reference;  // the published figures and their conditions (docs/presets.md)
    nlohmann::json document;   // the whole file
};

// Every preset, sorted by name. Parsed once; a malformed file is a build defect and throws
// std::logic_error naming it.
const std::vector<preset>& presets();
// The preset `name`; throws std::invalid_argument listing the valid names.
const preset& find_preset(const std::string& name);
// "a, b, c".
std::string preset_names();

}  // namespace acim::testbench
