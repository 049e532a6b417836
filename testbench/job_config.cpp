#include "job_config.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <type_traits>
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
    auto& q = cfg.ptq;
    const auto ptq_int = [&cfg](const std::string& name, const std::string& unit, const std::string& desc, auto& ref,
                                long long lo, long long hi) {
        using T = std::remove_reference_t<decltype(ref)>;
        return param{name, unit, desc,
                     [name, &ref, &cfg, lo, hi](const std::string& v) {
                         const auto x = parse_number<long long>(name, v);
                         if (x < lo || x > hi)
                             bad(name, v, "must lie in " + core::to_text(lo) + ".." + core::to_text(hi));
                         ref = static_cast<T>(x);
                         cfg.ptq_given = true;
                     },
                     [&ref] { return core::to_text(ref); }};
    };
    p.push_back(ptq_int("ptq.wbit", "bits", "float models only: weight bits of post-training quantisation (per tensor, ASiM rule)", q.wbit, 2, 16));
    p.push_back(ptq_int("ptq.xbit", "bits", "float models only: activation bits of post-training quantisation", q.xbit, 1, 16));
    p.push_back(ptq_int("ptq.calibration_images", "images",
                        "float models only: the first N Fashion-MNIST training images (never test images) calibrate the activation ranges",
                        q.calibration_images, 1, 1000000));
    p.push_back({"ptq.method", "max|percentile", "float models only: calibration statistic of |x| per layer input: max, or ptq.percentile",
                 [&q, &cfg](const std::string& v) {
                     if (v == "max") q.method = workloads::calibration_method::max;
                     else if (v == "percentile") q.method = workloads::calibration_method::percentile;
                     else bad("ptq.method", v, "expected max or percentile");
                     cfg.ptq_given = true;
                 },
                 [&q] { return std::string(workloads::to_string(q.method)); }});
    p.push_back({"ptq.percentile", "%", "float models only: nearest-rank percentile of |x| used with ptq.method = percentile",
                 [&q, &cfg](const std::string& v) {
                     const auto x = parse_number<double>("ptq.percentile", v);
                     if (!(x > 0.0 && x <= 100.0)) bad("ptq.percentile", v, "must lie in (0, 100]");
                     q.percentile = x;
                     cfg.ptq_given = true;
                 },
                 [&q] { return core::to_text(q.percentile); }});
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
