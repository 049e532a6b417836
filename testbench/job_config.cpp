#include "job_config.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace acim::testbench {

namespace {

[[noreturn]] void bad(const std::string& name, const std::string& value, const std::string& why) {
    throw std::invalid_argument("parameter " + name + " = '" + value + "': " + why);
}

template <class T>
T parse_number(const std::string& name, const std::string& v) {
    std::istringstream is(v);
    T x{};
    is >> x;
    if (!is || !is.eof()) bad(name, v, "not a number");
    return x;
}

bool parse_bool(const std::string& name, const std::string& v) {
    if (v == "true" || v == "1" || v == "on") return true;
    if (v == "false" || v == "0" || v == "off") return false;
    bad(name, v, "expected true or false");
}

template <class T>
param num(const std::string& name, const std::string& unit, const std::string& desc, T& ref) {
    return {name, unit, desc, [name, &ref](const std::string& v) { ref = parse_number<T>(name, v); },
            [&ref] { return core::to_text(ref); }};
}

param flag(const std::string& name, const std::string& desc, bool& ref) {
    return {name, "bool", desc, [name, &ref](const std::string& v) { ref = parse_bool(name, v); },
            [&ref] { return std::string(ref ? "true" : "false"); }};
}

}  // namespace

std::vector<param> job_params(job_config& cfg) {
    auto& m = cfg.backend.macro;
    auto& b = cfg.backend;
    std::vector<param> p;
    p.push_back(num("macro.row_parallelism", "rows", "rows summed per analog operation (ASiM nrow); ADC full scale", m.row_parallelism));
    p.push_back(num("macro.adc_bits", "bits", "ADC resolution", m.adc_bits));
    p.push_back(num("macro.act_enc", "bits", "activation bits driven per cycle (1 = bit-serial)", m.act_enc));
    p.push_back(num("macro.sigma_rand", "% FS", "random analog noise per conversion", m.sigma_rand));
    p.push_back(num("macro.sigma_nl", "% FS", "count-dependent noise, divided by sqrt(v*nrow+1)", m.sigma_nl));
    p.push_back(num("macro.hybrid_levels", "levels", "HCiM: anti-diagonals from the MSB corner computed digitally", m.hybrid_levels));
    p.push_back({"macro.digital_mode", "exact|adc", "HCiM digital cycles: exact count, or ASiM's ADC-quantised",
                 [&m](const std::string& v) {
                     if (v == "exact") m.digital = core::digital_mode::exact;
                     else if (v == "adc") m.digital = core::digital_mode::adc;
                     else bad("macro.digital_mode", v, "expected exact or adc");
                 },
                 [&m] { return std::string(m.digital == core::digital_mode::exact ? "exact" : "adc"); }});
    p.push_back(num("macro.voting_levels", "levels", "anti-diagonals whose conversion is repeated and voted", m.voting_levels));
    p.push_back(num("macro.voting_samples", "samples", "conversions per voted cycle (S)", m.voting_samples));
    p.push_back({"macro.vote_rule", "mode|median", "vote: smallest most frequent code (ASiM) or lower median",
                 [&m](const std::string& v) {
                     if (v == "mode") m.vote = core::vote_rule::mode_min;
                     else if (v == "median") m.vote = core::vote_rule::median;
                     else bad("macro.vote_rule", v, "expected mode or median");
                 },
                 [&m] { return std::string(m.vote == core::vote_rule::mode_min ? "mode" : "median"); }});
    p.push_back(num("macro.gain_compression", "1/count", "current-domain gain compression alpha: c/(1+alpha c)", m.gain_compression));
    p.push_back(num("macro.cell_sigma", "% cell", "current-domain static cell variation", m.cell_sigma));
    p.push_back({"macro.adc_arch", "ideal|sar|flash", "ADC architecture for the static-mismatch models (docs/models.md)",
                 [&m](const std::string& v) {
                     if (v == "ideal") m.adc_arch = core::adc_architecture::ideal;
                     else if (v == "sar") m.adc_arch = core::adc_architecture::sar;
                     else if (v == "flash") m.adc_arch = core::adc_architecture::flash;
                     else bad("macro.adc_arch", v, "expected ideal, sar or flash");
                 },
                 [&m] { return std::string(core::to_string(m.adc_arch)); }});
    p.push_back(num("macro.adcs", "ADCs", "ADCs shared by the columns: column c converts on ADC c mod adcs (0: one per column)", m.adcs));
    p.push_back(num("macro.sigma_col_gain", "%", "static column gain mismatch: v' = (1 + g_c) v + o_c, g_c ~ N(0, sigma)", m.sigma_col_gain));
    p.push_back(num("macro.sigma_col_offset", "% FS", "static column offset mismatch o_c", m.sigma_col_offset));
    p.push_back(num("macro.sigma_cmp_offset", "% FS", "static comparator offset per ADC (sar, flash)", m.sigma_cmp_offset));
    p.push_back(num("macro.sigma_sar_cap", "% unit cap", "SAR unit-capacitor mismatch: bit b weighs 2^b (1 + eps_b), eps_b ~ N(0, sigma^2/2^b)", m.sigma_sar_cap));
    p.push_back(num("macro.sigma_flash_th", "% FS", "flash per-comparator threshold spread", m.sigma_flash_th));
    p.push_back(flag("macro.cell_redraw", "redraw cell variation every call (ASiM) instead of freezing it per die", m.cell_redraw));
    p.push_back({"mapping.tiling", "dense|channel", "conv row tiling: dense rows, or ASiM's whole-channel groups",
                 [&b](const std::string& v) {
                     if (v == "dense") b.channel_tiling = false;
                     else if (v == "channel") b.channel_tiling = true;
                     else bad("mapping.tiling", v, "expected dense or channel");
                 },
                 [&b] { return std::string(b.channel_tiling ? "channel" : "dense"); }});
    p.push_back(flag("mapping.asim_drop", "with channel tiling, drop trailing groups as ASiM does (bug B1)", b.asim_drop));
    p.push_back({"mapping.digital_layers", "list", "comma-separated MAC layer indices computed digitally (exact)",
                 [&b](const std::string& v) {
                     b.digital_layers.clear();
                     std::istringstream is(v);
                     std::string item;
                     while (std::getline(is, item, ','))
                         if (!item.empty()) b.digital_layers.insert(parse_number<std::size_t>("mapping.digital_layers", item));
                 },
                 [&b] {
                     std::string s;
                     for (auto k : b.digital_layers) s += (s.empty() ? "" : ",") + core::to_text(k);
                     return s;
                 }});
    p.push_back(num("run.die", "id", "die instance: static mismatch is frozen per die", b.die));
    p.push_back(num("run.batch", "images", "images per forward batch (results do not depend on it)", cfg.batch));
    return p;
}

void apply_override(std::vector<param>& params, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("override '" + assignment + "' is not name=value");
    const std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
    for (auto& p : params)
        if (p.name == name) return p.set(value);
    throw std::invalid_argument("unknown parameter '" + name + "' (acim config --dump lists them)");
}

void apply_json_file(std::vector<param>& params, const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::invalid_argument("config file '" + path + "' cannot be opened");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument("config file '" + path + "': " + e.what());
    }
    std::function<void(const nlohmann::json&, const std::string&)> walk = [&](const nlohmann::json& n,
                                                                             const std::string& prefix) {
        if (!n.is_object()) throw std::invalid_argument("config file '" + path + "': top level must be an object");
        for (const auto& [k, v] : n.items()) {
            const std::string name = prefix.empty() ? k : prefix + "." + k;
            if (v.is_object()) walk(v, name);
            else apply_override(params, name + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
        }
    };
    walk(j, "");
}

std::string dump(const std::vector<param>& params) {
    std::ostringstream os;
    for (const auto& p : params)
        os << p.name << " = " << p.get() << "  [" << p.unit << "]  " << p.description << "\n";
    return os.str();
}

}  // namespace acim::testbench
