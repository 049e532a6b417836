#include <acim/testbench/job_config.hpp>

#include <acim/core/error.hpp>

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
    p.push_back({"macro.adc_arch", "ideal|sar|flash", "ADC architecture: timing and energy (SAR: one clock per bit), and its static-mismatch model (docs/models.md)",
                 [&m](const std::string& v) {
                     if (v == "ideal") m.adc_arch = core::adc_architecture::ideal;
                     else if (v == "sar") m.adc_arch = core::adc_architecture::sar;
                     else if (v == "flash") m.adc_arch = core::adc_architecture::flash;
                     else bad("macro.adc_arch", v, "expected ideal, sar or flash");
                 },
                 [&m] { return std::string(core::to_string(m.adc_arch)); }});
    p.push_back(num("macro.adcs", "ADCs", "ADCs per macro: column c converts on ADC c mod adcs (0: one per column); sets the column-mux latency and the mismatch sharing", m.adcs));
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
    p.push_back(num("mapping.macros", "macros",
                    "physical macros; 0 = one per layer piece (weights written once), else pieces share "
                    "macros round-robin and reload their weights",
                    b.macros));
    auto& h = cfg.hw;
    p.push_back(num("hw.rows", "rows", "SRAM rows (wordlines) per macro: the longest row chunk of a layer", h.rows));
    p.push_back(num("hw.cols", "columns", "SRAM columns (bitlines) per macro, a multiple of 8: outputs x WBIT per load", h.cols));
    p.push_back(num("hw.input_depth", "vectors", "input buffer depth D: vectors per START", h.input_depth));
    p.push_back({"hw.backend", "fused|frames", "macro compute: fused core engine, or the frame chain of sub-block modules",
                 [&h](const std::string& v) {
                     if (v == "fused") h.backend = sc::compute_backend::fused;
                     else if (v == "frames") h.backend = sc::compute_backend::frames;
                     else bad("hw.backend", v, "expected fused or frames");
                 },
                 [&h] { return std::string(sc::to_string(h.backend)); }});
    p.push_back(num("hw.clock_period_ps", "ps", "macro clock period", h.clock_period_ps));
    p.push_back(num("hw.start_cycles", "clocks", "per run: configuration latch and first decode", h.start_cycles));
    p.push_back(num("hw.dac_settle_cycles", "clocks", "per activation cycle: wordline/DAC settling", h.dac_settle_cycles));
    p.push_back(num("hw.bitline_cycles", "clocks", "per activation cycle: bitline evaluation", h.bitline_cycles));
    p.push_back(num("hw.adc_sample_cycles", "clocks", "per conversion before the first decision", h.adc_sample_cycles));
    p.push_back(num("hw.digital_lanes", "columns", "columns the HCiM digital unit evaluates per pass", h.digital_lanes));
    p.push_back(num("hw.digital_pass_cycles", "clocks", "per pass of the HCiM digital unit", h.digital_pass_cycles));
    p.push_back(num("hw.drain_cycles", "clocks", "per run: shift-add pipeline drain", h.drain_cycles));
    p.push_back(num("hw.buffer_bytes_per_cycle", "bytes/clock", "buffer port bandwidth", h.buffer_bytes_per_cycle));
    p.push_back(num("hw.weight_bytes_per_cycle", "bytes/clock", "SRAM write port bandwidth", h.weight_bytes_per_cycle));
    p.push_back(num("hw.e_wordline_fj", "fJ", "per active row per activation cycle (DAC + wordline)", h.e_wordline_fj));
    p.push_back(num("hw.e_bitline_fj", "fJ", "per analog column evaluation", h.e_bitline_fj));
    p.push_back(num("hw.e_sar_bit_fj", "fJ", "per bit decided by a SAR conversion", h.e_sar_bit_fj));
    p.push_back(num("hw.e_flash_comparator_fj", "fJ", "per comparator of a flash conversion", h.e_flash_comparator_fj));
    p.push_back(num("hw.e_ideal_conversion_fj", "fJ", "per conversion of the ideal ADC", h.e_ideal_conversion_fj));
    p.push_back(num("hw.e_shift_add_fj", "fJ", "per cycle result accumulated by the shift-add", h.e_shift_add_fj));
    p.push_back(num("hw.e_digital_bitop_fj", "fJ", "per 1-bit AND + popcount in the HCiM digital unit", h.e_digital_bitop_fj));
    p.push_back(num("hw.e_sram_write_bit_fj", "fJ", "per bit written to the weight SRAM", h.e_sram_write_bit_fj));
    p.push_back(num("hw.e_buffer_byte_fj", "fJ", "per byte moved through the input/output buffers", h.e_buffer_byte_fj));
    p.push_back(num("trace.vectors", "vectors", "with --trace: vectors of each traced START stepped cycle by cycle", h.trace_vectors));
    p.push_back(num("trace.columns", "columns", "with --trace: columns with per-column signals (0..N-1)", h.trace_columns));
    p.push_back(num("trace.outputs", "outputs", "with --trace: outputs with accumulator signals (0..N-1)", h.trace_outputs));
    p.push_back({"run.path", "tlm|core",
                 "tlm: through acim_macro instances on a TLM bus (cycles, energy); core: the same pieces on the "
                 "core engines directly (identical accuracy numbers, no cycles or energy)",
                 [&cfg](const std::string& v) {
                     if (v == "tlm") cfg.path = run_path::tlm;
                     else if (v == "core") cfg.path = run_path::core;
                     else bad("run.path", v, "expected tlm or core");
                 },
                 [&cfg] { return std::string(cfg.path == run_path::tlm ? "tlm" : "core"); }});
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
