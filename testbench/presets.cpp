#include <acim/testbench/presets.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>

struct acim_preset_file {
    const char* name;
    const char* text;
};
extern const acim_preset_file acim_preset_files[];
extern const std::size_t acim_preset_file_count;

namespace acim::testbench {

namespace {

preset parse(const acim_preset_file& f) {
    const std::string file = std::string("presets/") + f.name;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(f.text);
    } catch (const nlohmann::json::exception& e) {
        throw std::logic_error(file + ": " + e.what());
    }
    preset p;
    const auto text = [&](const char* key) {
        if (!j.contains(key) || !j[key].is_string()) throw std::logic_error(file + ": needs a string \"" + key + "\"");
        return j[key].get<std::string>();
    };
    p.name = text("name");
    p.title = text("title");
    p.source = text("source");
    if (file != "presets/" + p.name + ".json") throw std::logic_error(file + ": \"name\" must be the file name, " + p.name);
    if (!j.contains("params") || !j["params"].is_object()) throw std::logic_error(file + ": needs an object \"params\"");
    p.params = j["params"];
    p.reference = j.value("reference", nlohmann::json::object());
    p.document = j;
    return p;
}

}  // namespace

const std::vector<preset>& presets() {
    static const std::vector<preset> all = [] {
        std::vector<preset> v;
        for (std::size_t k = 0; k < acim_preset_file_count; ++k) v.push_back(parse(acim_preset_files[k]));
        std::sort(v.begin(), v.end(), [](const preset& a, const preset& b) { return a.name < b.name; });
        return v;
    }();
    return all;
}

std::string preset_names() {
    std::string s;
    for (const preset& p : presets()) s += (s.empty() ? "" : ", ") + p.name;
    return s;
}

const preset& find_preset(const std::string& name) {
    for (const preset& p : presets())
        if (p.name == name) return p;
    throw std::invalid_argument("unknown preset '" + name + "'; valid presets: " + preset_names() +
                                " (acim presets lists them)");
}

}  // namespace acim::testbench
