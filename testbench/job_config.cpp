#include <acim/testbench/job_config.hpp>

#include <acim/core/error.hpp>
#include <acim/testbench/presets.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <stdexcept>

namespace acim::testbench {

namespace fs = std::filesystem;
using core::param_source;

job_config job_config::shipped() {
    job_config c;
    c.backend.macro.sigma_rand = 0.1;
    c.backend.threads = 2;
    c.backend.seed = 1;
    c.backend.macro.adc_arch = core::adc_architecture::sar;
    c.backend.macro.adcs = 64;
    c.backend.digital_layers = {0};  // 9 rows of conv1 against a 255-row full scale: ASiM keeps it digital
    return c;
}

job_params::job_params(job_config& cfg, run_options& opt) : m_cfg(cfg) {
    core::param_tree::scope macro(m_tree, "macro."), mapping(m_tree, "mapping."), hw(m_tree, "hw."),
        trace(m_tree, "trace."), run(m_tree, "run."), ptq(m_tree, "ptq.");
    cfg.backend.macro.declare(macro);
    macro.number("sigma_lsb", cfg.sigma_lsb, "LSB",
                 "when written: random noise in LSB of the ADC, sets macro.sigma_rand = sigma_lsb * 100 / (2^adc_bits - 1)",
                 0.0);
    workloads::declare(mapping, run, cfg.backend);
    cfg.hw.declare(hw, trace);
    run.text("model", opt.model, "file", "ONNX model: quantised (QCDQ), or float and quantised at load with ptq.* (\"\": the shipped W8A8 CNN)");
    run.text("data", opt.data_dir, "folder", "folder with the t10k-* (and for PTQ train-*) IDX files (\"\": Debian's Fashion-MNIST)");
    static_cast<core::number_param<std::size_t>&>(
        run.number("limit", opt.limit, "images", "use the first N test images", std::size_t{1}))
        .zero_means("all");
    run.number("batch", cfg.batch, "images", "images per forward batch (results do not depend on it)", std::size_t{1},
               std::size_t{1} << 20);
    run.choice("path", cfg.path,
               "tlm: through acim_macro instances on a TLM bus (cycles, energy); core: the same pieces on the core engines "
               "directly (identical accuracy numbers, no cycles or energy)",
               {{"tlm", run_path::tlm}, {"core", run_path::core}});
    workloads::declare(ptq, cfg.ptq);
    m_tree.attach(cfg.journal);
}

void job_params::assign(const std::string& assignment, param_source src) { m_tree.assign(assignment, src); }

void job_params::apply_preset(const std::string& name) {
    const preset& p = find_preset(name);
    if (!m_cfg.preset.empty()) {
        if (m_cfg.preset == name) return;
        throw std::invalid_argument("preset '" + name + "': preset '" + m_cfg.preset +
                                    "' is already applied (one preset per job; override single values with -p)");
    }
    apply_json(p.params, "preset '" + name + "'", param_source::preset);
    m_cfg.preset = name;
}

void job_params::apply_json(const nlohmann::json& j, const std::string& origin, param_source src) {
    if (!j.is_object()) throw std::invalid_argument(origin + ": the top level must be a JSON object");
    if (j.contains("preset")) {
        if (!j["preset"].is_string())
            throw std::invalid_argument(origin + ": preset = " + j["preset"].dump() + ": give a preset name (acim presets lists them)");
        try {
            apply_preset(j["preset"].get<std::string>());
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(origin + ": " + e.what());
        }
    }
    static const char* const run_keys[] = {"model", "data", "seed", "limit", "threads", "batch"};
    std::function<void(const nlohmann::json&, const std::string&)> walk = [&](const nlohmann::json& n,
                                                                             const std::string& prefix) {
        for (const auto& [k, v] : n.items()) {
            if (prefix.empty() && k == "preset") continue;  // applied above
            std::string name = prefix.empty() ? k : prefix + "." + k;
            if (prefix.empty())
                for (const char* r : run_keys)
                    if (k == r) name = std::string("run.") + r;
            if (v.is_object()) {
                walk(v, name);
                continue;
            }
            std::string text;
            if (v.is_string()) {
                text = v.get<std::string>();
            } else if (v.is_array()) {
                for (const auto& e : v) {
                    if (!e.is_number_unsigned())
                        throw std::invalid_argument(origin + ": " + name + " = " + v.dump() +
                                                    ": list items must be non-negative integers");
                    text += (text.empty() ? "" : ",") + e.dump();
                }
            } else if (v.is_null()) {
                throw std::invalid_argument(origin + ": " + name + " = null: give a value");
            } else {
                text = v.dump();
            }
            try {
                m_tree.set(name, text, src);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(origin + ": " + e.what());
            }
        }
    };
    walk(j, "");
}

void job_params::apply_json_file(const std::string& path, param_source src) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw std::invalid_argument("config file '" + path + "' is a directory, not a JSON file");
    std::ifstream f(path);
    if (!f) throw std::invalid_argument("config file '" + path + "' cannot be opened");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument("config file '" + path + "': " + e.what());
    }
    apply_json(j, "config file '" + path + "'", src);
}

std::string job_params::dump() const { return m_tree.dump(); }

namespace {
// macro.sigma_lsb and macro.sigma_rand say the same thing: a dump carries the one that was written.
bool dumped(const core::param_tree& t, const core::param_base& p) {
    const bool lsb = t.find("macro.sigma_lsb")->is_set();
    if (p.name() == "macro.sigma_lsb") return lsb;
    if (p.name() == "macro.sigma_rand") return !lsb;
    return true;
}
}  // namespace

nlohmann::json job_params::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    if (!m_cfg.preset.empty()) j["preset"] = m_cfg.preset;  // reading back applies it, then every value
    for (const auto& p : m_tree.params()) {
        if (!dumped(m_tree, *p)) continue;
        nlohmann::json v;
        const std::string t = p->text();
        using K = core::param_base::kind;
        switch (p->type()) {
        case K::integer:
            if (!t.empty() && t[0] == '-') v = std::stoll(t);
            else if (!t.empty() && t[0] >= '0' && t[0] <= '9') v = std::stoull(t);
            else v = t;  // a named value such as "all"
            break;
        case K::real: v = std::stod(t); break;
        case K::boolean: v = t == "true"; break;
        case K::list: {
            v = nlohmann::json::array();
            std::size_t b = 0;
            while (b < t.size()) {
                const auto e = t.find(',', b);
                v.push_back(std::stoull(t.substr(b, e - b)));
                b = e == std::string::npos ? t.size() : e + 1;
            }
            break;
        }
        default: v = t;
        }
        j[nlohmann::json::json_pointer("/" + [&] {
            std::string s = p->name();
            for (char& c : s)
                if (c == '.') c = '/';
            return s;
        }())] = v;
    }
    return j;
}

nlohmann::json job_params::values() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& p : m_tree.params()) j[p->name()] = p->text();
    return j;
}

nlohmann::json job_params::sources() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& p : m_tree.params())
        if (p->is_set()) j[p->name()] = core::to_string(p->source());
    return j;
}

void resolve_derived(job_config& cfg) {
    if (!cfg.journal.has("macro.sigma_lsb")) return;
    if (cfg.journal.has("macro.sigma_rand"))
        throw core::parameter_error("macro.sigma_lsb", "'" + cfg.journal.written.at("macro.sigma_lsb").second + "'",
                                    "macro.sigma_rand is written too: give the noise once, in % FS or in LSB");
    const int bits = cfg.backend.macro.adc_bits;
    if (bits < 1 || bits > 16) return;  // macro.adc_bits itself is reported by validation
    cfg.backend.macro.sigma_rand = cfg.sigma_lsb * 100.0 / static_cast<double>((std::int64_t{1} << bits) - 1);
}

}  // namespace acim::testbench
