#include "run_job.hpp"

#include "data/idx.hpp"
#include "graph/core_backend.hpp"
#include "onnx/import.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

// The default workload, compiled in from workloads/models/cnn_w8a8.onnx (cmake/embed_file.cmake).
extern const unsigned char acim_default_model[];
extern const std::size_t acim_default_model_size;

namespace acim::testbench {

namespace fs = std::filesystem;
using namespace acim::workloads;

std::string default_model_path() { return std::string(ACIM_SOURCE_DIR) + "/workloads/models/cnn_w8a8.onnx"; }

network load_model(const std::string& path) {
    if (!path.empty()) return load_onnx(path);
    const std::string bytes(reinterpret_cast<const char*>(acim_default_model), acim_default_model_size);
    return parse_onnx(bytes, "cnn_w8a8.onnx (embedded)");
}

namespace {

// Writes `text` to `path` through a temporary file and a rename: never a half-written report.
void write_atomic(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw std::runtime_error("cannot write " + tmp.string());
        f << text;
        f.flush();
        if (!f) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, path);
}

double metadata_double(const network& net, const char* key) {
    const auto it = net.metadata.find(key);
    if (it == net.metadata.end()) return NAN;
    try {
        return std::stod(it->second);
    } catch (const std::exception&) {
        return NAN;
    }
}

std::string pct(double a) {
    if (std::isnan(a)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, "%.2f %%", 100.0 * a);
    return b;
}

}  // namespace

int run_job(const run_options& opt, const job_config& cfg) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string model_path = opt.model.empty() ? std::string("cnn_w8a8.onnx (embedded)") : opt.model;
    const network net = load_model(opt.model);
    const auto files = opt.data_dir.empty() ? fashion_mnist_test_files() : fashion_mnist_test_files(opt.data_dir);
    const image_set data = read_image_set(files.images, files.labels, static_cast<unsigned>(net.output_size()));
    if (data.rows * data.cols != net.input_size())
        throw std::invalid_argument("data images have " + std::to_string(data.rows * data.cols) +
                                    " pixels, the model expects " + std::to_string(net.input_size()));
    const std::size_t n = opt.limit ? std::min(opt.limit, data.count) : data.count;
    if (cfg.batch == 0) throw std::invalid_argument("parameter run.batch = 0: must be >= 1");

    core_backend acim(net, cfg.backend);
    backend_config exact_cfg = cfg.backend;
    exact_cfg.macro = exact_config();
    exact_cfg.digital_layers.clear();
    exact_cfg.channel_tiling = false;
    exact_cfg.measure = false;
    core_backend ideal(net, exact_cfg);

    const std::size_t classes = net.output_size();
    std::size_t correct_ideal = 0, correct_acim = 0, flips = 0;
    const bool tty = opt.progress && isatty(fileno(stderr));
    double t_acim = 0.0;
    std::vector<float> x;
    for (std::size_t b0 = 0; b0 < n; b0 += cfg.batch) {
        const std::size_t bn = std::min(cfg.batch, n - b0);
        x.resize(bn * net.input_size());
        for (std::size_t k = 0; k < x.size(); ++k)
            x[k] = static_cast<float>(data.pixels[b0 * net.input_size() + k]) / 255.0f;
        const auto pi = predictions(forward(net, x.data(), bn, ideal, b0), classes);
        const auto ta = std::chrono::steady_clock::now();
        const auto pa = predictions(forward(net, x.data(), bn, acim, b0), classes);
        t_acim += std::chrono::duration<double>(std::chrono::steady_clock::now() - ta).count();
        for (std::size_t k = 0; k < bn; ++k) {
            correct_ideal += pi[k] == data.labels[b0 + k];
            correct_acim += pa[k] == data.labels[b0 + k];
            flips += pi[k] != pa[k];
        }
        if (tty) std::fprintf(stderr, "\r  %zu / %zu images", b0 + bn, n);
        else if (opt.progress && ((b0 / cfg.batch) % 10 == 9 || b0 + bn == n))
            std::fprintf(stderr, "  %zu / %zu images\n", b0 + bn, n);
    }
    if (tty) std::fprintf(stderr, "\n");
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const double acc_float = metadata_double(net, "acim.float_accuracy");
    const double acc_ideal = static_cast<double>(correct_ideal) / static_cast<double>(n);
    const double acc_acim = static_cast<double>(correct_acim) / static_cast<double>(n);
    std::uint64_t conversions = 0;
    for (const auto& s : acim.stats()) conversions += s.counters.conversions;

    const auto& m = cfg.backend.macro;
    std::printf("acim run: %s, %zu images, macro nrow %d, ADC %d b, act_enc %d, sigma_rand %g %%, sigma_nl %g %%, "
                "HCiM %d, vote %d x %d\n",
                fs::path(model_path).filename().c_str(), n, m.row_parallelism, m.adc_bits, m.act_enc, m.sigma_rand,
                m.sigma_nl, m.hybrid_levels, m.voting_levels, m.voting_samples);
    if (m.mismatch())
        std::printf("  mismatch   die %u, ADC %s x %d (0: one per column), column gain %g %%, offset %g %%, "
                    "comparator %g %%, SAR cap %g %%, flash %g %% (docs/models.md)\n",
                    static_cast<unsigned>(cfg.backend.die), core::to_string(m.adc_arch), m.adcs, m.sigma_col_gain,
                    m.sigma_col_offset, m.sigma_cmp_offset, m.sigma_sar_cap, m.sigma_flash_th);
    std::printf("  accuracy   float (recorded) %s   ideal integer %s   ACiM %s   flips vs ideal %zu\n",
                pct(acc_float).c_str(), pct(acc_ideal).c_str(), pct(acc_acim).c_str(), flips);
    std::printf("  %-3s %-8s %-6s %6s %7s %14s %12s %9s %11s %8s\n", "#", "layer", "op", "rows", "outputs",
                "conversions", "saturations", "SQNR dB", "max |err|", "exact %");
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        const auto& l = net.layers[k];
        const auto& s = acim.stats()[k];
        std::printf("  %-3zu %-8s %-6s %6zu %7zu %14llu %12llu %9.2f %11.1f %8.2f%s\n", k, l.name.c_str(), l.op.c_str(),
                    l.rows, l.outputs, static_cast<unsigned long long>(s.counters.conversions),
                    static_cast<unsigned long long>(s.counters.saturations), s.sqnr_db(), s.max_abs_error,
                    s.outputs ? 100.0 * static_cast<double>(s.exact) / static_cast<double>(s.outputs) : 0.0,
                    cfg.backend.digital_layers.count(k) ? "  (digital)" : "");
    }
    std::printf("  speed      %.0f images/s, %.3g conversions/s (ACiM pass %.2f s), wall %.2f s\n",
                static_cast<double>(n) / t_acim, static_cast<double>(conversions) / t_acim, t_acim, wall);

    if (!opt.out_dir.empty()) {
        fs::create_directories(opt.out_dir);
        nlohmann::json r;
        r["model"] = model_path;
        r["images"] = n;
        r["accuracy"] = {{"float_recorded", std::isnan(acc_float) ? nlohmann::json() : nlohmann::json(acc_float)},
                         {"ideal_integer", acc_ideal},
                         {"acim", acc_acim}};
        r["prediction_flips_vs_ideal"] = flips;
        r["speed"] = {{"acim_seconds", t_acim},
                      {"wall_seconds", wall},
                      {"images_per_second", static_cast<double>(n) / t_acim},
                      {"conversions_per_second", static_cast<double>(conversions) / t_acim}};
        job_config copy = cfg;
        nlohmann::json conf;
        for (const auto& p : job_params(copy)) conf[p.name] = p.get();
        r["config"] = conf;
        std::string csv = "layer,name,op,rows,outputs,digital,conversions,analog,digital_cycles,voted,adc_conversions,"
                          "saturations,sqnr_db,max_abs_error,exact_fraction\n";
        for (std::size_t k = 0; k < net.layers.size(); ++k) {
            const auto& l = net.layers[k];
            const auto& s = acim.stats()[k];
            const double exact = s.outputs ? static_cast<double>(s.exact) / static_cast<double>(s.outputs) : 0.0;
            nlohmann::json lj = {{"name", l.name},
                                 {"op", l.op},
                                 {"rows", l.rows},
                                 {"outputs", l.outputs},
                                 {"wbit", l.wbit},
                                 {"xbit", l.xbit},
                                 {"digital", cfg.backend.digital_layers.count(k) > 0},
                                 {"conversions", s.counters.conversions},
                                 {"saturations", s.counters.saturations},
                                 {"sqnr_db", std::isinf(s.sqnr_db()) ? nlohmann::json("inf") : nlohmann::json(s.sqnr_db())},
                                 {"max_abs_error", s.max_abs_error},
                                 {"exact_fraction", exact}};
            r["layers"].push_back(lj);
            char line[512];
            std::snprintf(line, sizeof line, "%zu,%s,%s,%zu,%zu,%d,%llu,%llu,%llu,%llu,%llu,%llu,%.6g,%.6g,%.6g\n", k,
                          l.name.c_str(), l.op.c_str(), l.rows, l.outputs, cfg.backend.digital_layers.count(k) ? 1 : 0,
                          static_cast<unsigned long long>(s.counters.conversions),
                          static_cast<unsigned long long>(s.counters.analog),
                          static_cast<unsigned long long>(s.counters.digital),
                          static_cast<unsigned long long>(s.counters.voted),
                          static_cast<unsigned long long>(s.counters.adc_conversions),
                          static_cast<unsigned long long>(s.counters.saturations), s.sqnr_db(), s.max_abs_error, exact);
            csv += line;
        }
        write_atomic(fs::path(opt.out_dir) / "report.json", r.dump(2) + "\n");
        write_atomic(fs::path(opt.out_dir) / "layers.csv", csv);
        std::printf("  wrote %s/report.json and layers.csv\n", opt.out_dir.c_str());
    }
    return 0;
}

}  // namespace acim::testbench
