#include <acim/testbench/run_job.hpp>

#include <acim/workloads/data/idx.hpp>
#include <acim/workloads/graph/core_backend.hpp>
#include <acim/workloads/mapping/mapping.hpp>
#include <acim/workloads/graph/ptq.hpp>
#include <acim/workloads/onnx/import.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/testbench/tlm_backend.hpp>
#include <acim/vp/platform.hpp>

#include <acim/testbench/files.hpp>
#include <acim/version.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

// The default workload, compiled in from workloads/models/cnn_w8a8.onnx (cmake/embed_file.cmake).
extern const unsigned char acim_default_model[];
extern const std::size_t acim_default_model_size;

namespace acim::testbench {

namespace fs = std::filesystem;
using namespace acim::workloads;
using acim::report_schema_version;
using acim::version_string;
using acim::git_commit;

std::string default_model_path() { return std::string(ACIM_SOURCE_DIR) + "/workloads/models/cnn_w8a8.onnx"; }

network load_model(const std::string& path) {
    if (!path.empty()) return load_onnx(path);
    const std::string bytes(reinterpret_cast<const char*>(acim_default_model), acim_default_model_size);
    return parse_onnx(bytes, "cnn_w8a8.onnx (embedded)");
}

namespace {

// --out is usable before any work starts: a folder (created if missing) in which files can be
// created, and whose report paths are not folders.
void check_out_dir(const std::string& dir) {
    if (dir.empty()) return;
    std::error_code ec;
    const fs::path d(dir);
    if (fs::exists(d, ec) && !fs::is_directory(d, ec))
        throw std::invalid_argument("--out '" + dir + "' is a file, not a folder");
    fs::create_directories(d, ec);
    if (ec) throw std::invalid_argument("--out '" + dir + "' cannot be created: " + ec.message());
    for (const char* f : {"report.json", "layers.csv", "code_errors.csv"})
        if (fs::is_directory(d / f, ec))
            throw std::invalid_argument("--out '" + dir + "': " + f + " is a folder and cannot be written");
    const fs::path probe = d / (".acim_write_test." + std::to_string(::getpid()));
    {
        std::ofstream f(probe, std::ios::binary | std::ios::trunc);
        if (!f) throw std::invalid_argument("--out '" + dir + "' is not writable");
    }
    fs::remove(probe, ec);
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return b;
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

// Conversions with a nonzero code error, and with |error| >= 2, summed over the cycles.
struct error_summary {
    std::uint64_t conversions = 0, wrong = 0, wrong2 = 0;
    double wrong_pct() const { return conversions ? 100.0 * static_cast<double>(wrong) / static_cast<double>(conversions) : 0.0; }
};

error_summary summarise(const core::code_error_histogram& h) {
    error_summary s;
    using H = core::code_error_histogram;
    for (int i = 0; i < h.weight_cycles; ++i)
        for (int j = 0; j < h.act_cycles; ++j)
            for (int b = 0; b < H::bins; ++b) {
                const std::uint64_t n = h.at(i, j, b);
                s.conversions += n;
                if (b != H::bin(0)) s.wrong += n;
                if (std::abs(H::error_of(b)) >= 2) s.wrong2 += n;
            }
    return s;
}

// %.6g, as the CSV has always written numbers.
std::string g6(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

// One CSV row; a field holding a comma, quote or newline is quoted (RFC 4180).
std::string join_csv(const std::vector<std::string>& fields) {
    std::string row;
    for (std::size_t k = 0; k < fields.size(); ++k) {
        const std::string& f = fields[k];
        if (k) row += ',';
        if (f.find_first_of(",\"\n") == std::string::npos) {
            row += f;
        } else {
            row += '"';
            for (char ch : f) row += ch == '"' ? std::string("\"\"") : std::string(1, ch);
            row += '"';
        }
    }
    return row + "\n";
}

std::string pct(double a) {
    if (std::isnan(a)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, "%.2f %%", 100.0 * a);
    return b;
}

}  // namespace

namespace {

struct tally {
    std::size_t correct_ideal = 0, correct_acim = 0, correct_float = 0, flips = 0;
    double t_acim = 0.0;  // seconds in the ACiM forward passes
    // confusion[label * classes + prediction] of the ACiM predictions; per-class ideal hits.
    std::vector<std::size_t> confusion, ideal_hits, images_of;
};

// The images [0, n) in batches through the ideal integer model and the ACiM backend. With a pool,
// the ideal pass of a batch runs as background tasks of eight images in the workers' idle time
// while the ACiM pass runs here (exact integer arithmetic: nothing depends on where it runs).
// With `float_pass`, the float network too (on the host), for the accuracy a PTQ model lost.
void evaluate(const network& net, const image_set& data, std::size_t n, std::size_t batch, ideal_backend& ideal,
              mac_backend& acim, bool progress, bool float_pass, core::thread_pool* pool, tally& t) {
    const std::size_t classes = net.output_size();
    const bool tty = progress && isatty(fileno(stderr));
    t.confusion.assign(classes * classes, 0);
    t.ideal_hits.assign(classes, 0);
    t.images_of.assign(classes, 0);
    std::vector<float> x;
    std::vector<int> pi;
    ideal.prepare(net);  // the tasks share its weight caches
    for (std::size_t b0 = 0; b0 < n; b0 += batch) {
        const std::size_t bn = std::min(batch, n - b0);
        const std::size_t in = net.input_size();
        x.resize(bn * in);
        for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(data.pixels[b0 * in + k]) / 255.0f;
        pi.assign(bn, 0);
        constexpr std::size_t per_task = 8;
        const auto ideal_part = [&, b0, bn](std::size_t i0) {
            const std::size_t m = std::min(per_task, bn - i0);
            const auto p = predictions(forward(net, x.data() + i0 * in, m, ideal, b0 + i0), classes);
            std::copy(p.begin(), p.end(), pi.begin() + static_cast<std::ptrdiff_t>(i0));
        };
        if (pool)
            for (std::size_t i0 = 0; i0 < bn; i0 += per_task) pool->post([&ideal_part, i0] { ideal_part(i0); });
        std::vector<int> pa;
        try {
            if (!pool)
                for (std::size_t i0 = 0; i0 < bn; i0 += per_task) ideal_part(i0);
            if (float_pass) {
                const auto pf = predictions(forward_float(net, x.data(), bn), classes);
                for (std::size_t k = 0; k < bn; ++k) t.correct_float += pf[k] == data.labels[b0 + k];
            }
            const auto ta = std::chrono::steady_clock::now();
            pa = predictions(forward(net, x.data(), bn, acim, b0), classes);
            t.t_acim += std::chrono::duration<double>(std::chrono::steady_clock::now() - ta).count();
        } catch (...) {
            if (pool) {
                try {
                    pool->wait_background();  // the tasks use x and pi
                } catch (...) {
                }
            }
            throw;
        }
        if (pool) pool->wait_background();
        for (std::size_t k = 0; k < bn; ++k) {
            t.correct_ideal += pi[k] == data.labels[b0 + k];
            t.correct_acim += pa[k] == data.labels[b0 + k];
            t.flips += pi[k] != pa[k];
            const std::size_t label = data.labels[b0 + k];
            if (label < classes && pa[k] >= 0 && static_cast<std::size_t>(pa[k]) < classes) {
                ++t.confusion[label * classes + static_cast<std::size_t>(pa[k])];
                ++t.images_of[label];
                t.ideal_hits[label] += pi[k] == data.labels[b0 + k];
            }
        }
        if (tty) {
            const int width = 30;
            const auto done = static_cast<int>(static_cast<double>(width) * static_cast<double>(b0 + bn) / static_cast<double>(n));
            std::fprintf(stderr, "\r  [%.*s%*s] %zu / %zu images", done, "==============================",
                         width - done, "", b0 + bn, n);
        } else if (progress && ((b0 / batch) % 10 == 9 || b0 + bn == n)) {
            std::fprintf(stderr, "  %zu / %zu images\n", b0 + bn, n);
        }
    }
    if (tty) std::fprintf(stderr, "\n");
}

struct trace_window {
    std::uint64_t first = 0, runs = 1;
    std::size_t macro = 0;
};

// "FIRST[:COUNT][@MACRO]"; throws std::invalid_argument naming --trace and the text.
trace_window parse_trace(const std::string& text) {
    const auto fail = [&](const std::string& why) {
        throw std::invalid_argument("--trace '" + text + "': " + why + " (expected FIRST[:COUNT][@MACRO], e.g. 0:2@1)");
    };
    const auto number = [&](const std::string& s, const char* what) {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) fail(std::string(what) + " is not a number");
        try {
            return static_cast<std::uint64_t>(std::stoull(s));
        } catch (const std::exception&) {
            fail(std::string(what) + " is out of range");
        }
        return std::uint64_t{0};
    };
    trace_window w;
    std::string runs = text;
    const auto at = text.find('@');
    if (at != std::string::npos) {
        w.macro = static_cast<std::size_t>(number(text.substr(at + 1), "MACRO"));
        runs = text.substr(0, at);
    }
    const auto colon = runs.find(':');
    w.first = number(runs.substr(0, colon), "FIRST");
    if (colon != std::string::npos) w.runs = number(runs.substr(colon + 1), "COUNT");
    if (w.runs == 0) fail("COUNT must be >= 1");
    return w;
}

// Base address of physical macro m on the workload platform's bus.
std::uint64_t macro_base(std::size_t m) { return 0x4000'0000ULL + 0x80'0000ULL * m; }

}  // namespace

int run_job(const run_options& opt_in, const job_config& cfg_in) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto started = std::chrono::system_clock::now();
    job_config cfg = cfg_in;
    run_options opt = opt_in;
    const job_params params(cfg, opt);  // this run's tree, with the provenance recorded in cfg.journal
    const core::param_tree& tree = params.tree();
    // Validate before work: derived settings, keys that would have no effect, the output folder.
    resolve_derived(cfg);
    if (cfg.path == run_path::core) {
        tree.reject_set("hw.", "run.path = core has no macros (use run.path = tlm)");
        tree.reject_set("trace.", "run.path = core has no macros to trace");
    }
    if (opt.trace.empty()) tree.reject_set("trace.", "no --trace window is given");
    tree.validate("macro.", [&] { cfg.backend.macro.validate(); });
    check_out_dir(opt.out_dir);
    // Both paths compute with the settings the macro registers can hold (noise in 1e-4 %), so
    // run.path never changes a number.
    cfg.backend.macro = vp::acim_driver::register_values(cfg.backend.macro);
    cfg.backend.geometry = {cfg.hw.rows, cfg.hw.cols};
    cfg.hw.threads = cfg.backend.threads;
    // One ADC setting for physics and cost: macro.adc_arch / macro.adcs (0 = one ADC per column).
    const sc::adc_kind adc_kind = cfg.backend.macro.adc_arch;  // one ADC setting for physics and cost
    cfg.hw.adcs = cfg.backend.macro.adcs > 0 ? static_cast<std::uint32_t>(cfg.backend.macro.adcs) : cfg.hw.cols;
    tree.validate("hw.", [&] { cfg.hw.validate(); });

    const std::string model_path = opt.model.empty() ? std::string("cnn_w8a8.onnx (embedded)") : opt.model;
    network net = load_model(opt.model);
    const std::string model_sha = opt.model.empty() ? sha256_hex(std::string(reinterpret_cast<const char*>(acim_default_model),
                                                                              acim_default_model_size))
                                                    : sha256_file(opt.model);
    if (cfg.batch == 0) throw core::parameter_error("run.batch", "0", "must be >= 1");
    const bool ptq = net.needs_ptq();
    if (!ptq && cfg.ptq_given())
        throw std::invalid_argument("ptq.* parameters apply to float models only; " + model_path +
                                    " is already quantised");
    const auto files = opt.data_dir.empty() ? fashion_mnist_test_files() : fashion_mnist_test_files(opt.data_dir);
    const image_set data = read_image_set(files.images, files.labels, static_cast<unsigned>(net.output_size()));
    if (data.rows * data.cols != net.input_size())
        throw std::invalid_argument("data images have " + std::to_string(data.rows * data.cols) +
                                    " pixels, the model expects " + std::to_string(net.input_size()));
    if (data.count == 0) throw std::invalid_argument("data set " + files.images + " holds no images");
    if (opt.limit > data.count)
        throw core::parameter_error("run.limit", "'" + core::to_text(opt.limit) + "'",
                                    "the data set " + files.images + " has only " + core::to_text(data.count) + " images");
    const std::size_t n = opt.limit ? opt.limit : data.count;
    // Lossy by design: the ADC cannot represent every count of one cycle (SEMANTICS.md §5).
    {
        const auto& mp = cfg.backend.macro;
        const double levels = static_cast<double>(mp.row_parallelism) * static_cast<double>((1 << mp.act_enc) - 1) + 1.0;
        if (std::log2(levels) > static_cast<double>(mp.adc_bits))
            std::fprintf(stderr,
                         "acim: warning: macro.adc_bits = %d < log2(row_parallelism x (2^act_enc - 1) + 1) = %.2f: the ADC "
                         "is lossy by design\n",
                         mp.adc_bits, std::log2(levels));
    }
    // A float model is quantised here, calibrated on the first N *training* images (docs/ptq.md).
    std::vector<ptq_layer_info> ptq_info;
    double t_ptq = 0.0;
    if (ptq) {
        const auto tp = std::chrono::steady_clock::now();
        const auto tf = opt.data_dir.empty() ? fashion_mnist_train_files() : fashion_mnist_train_files(opt.data_dir);
        const image_set train = read_image_set(tf.images, tf.labels, static_cast<unsigned>(net.output_size()));
        const std::size_t nc = cfg.ptq.calibration_images;
        if (nc > train.count)
            throw std::invalid_argument("parameter ptq.calibration_images = '" + std::to_string(nc) +
                                        "': the training set " + tf.images + " has only " +
                                        std::to_string(train.count) + " images");
        if (train.rows * train.cols != net.input_size())
            throw std::invalid_argument("training images have " + std::to_string(train.rows * train.cols) +
                                        " pixels, the model expects " + std::to_string(net.input_size()));
        std::vector<float> cal(nc * net.input_size());
        for (std::size_t k = 0; k < cal.size(); ++k) cal[k] = static_cast<float>(train.pixels[k]) / 255.0f;
        ptq_info = quantise_ptq(net, cfg.ptq, cal.data(), nc);
        t_ptq = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp).count();
    }

    for (std::size_t k : cfg.backend.digital_layers)
        if (k >= net.layers.size())
            throw std::invalid_argument("parameter mapping.digital_layers: layer " + std::to_string(k) +
                                        " does not exist (the model has " + std::to_string(net.layers.size()) +
                                        " MAC layers)");
    for (const mac_layer& l : net.layers) tree.validate("macro.", [&] { layer_params(l, cfg.backend.macro).validate(); });
    const network_map map = map_network(net, cfg.backend.macro, mapping_of(cfg.backend));

    ideal_backend ideal(1);  // exact integer dot products, the ideal integer model (background tasks)
    const std::shared_ptr<core::thread_pool> pool =
        cfg.backend.threads > 1 ? core::thread_pool::shared(cfg.backend.threads) : nullptr;

    tally t;
    std::vector<layer_stats> stats;
    std::vector<layer_cost> costs;
    std::uint64_t reloads = 0;
    double sim_seconds = 0.0;
    std::string trace_path;
    if (cfg.path == run_path::core) {
        if (!opt.trace.empty())
            throw std::invalid_argument("--trace needs run.path = tlm: the core path has no macros to trace");
        core_backend acim(net, cfg.backend);
        evaluate(net, data, n, cfg.batch, ideal, acim, opt.progress, ptq, pool.get(), t);
        stats = acim.stats();
    } else {
        vp::platform_config pc;
        pc.macros.clear();
        pc.cpu.stop_when_done = false;  // the simulation ends when the firmware has nothing left to do
        for (std::size_t m = 0; m < map.macros; ++m) pc.macros.push_back({cfg.hw, macro_base(m)});
        if (!opt.trace.empty()) {
            const trace_window w = parse_trace(opt.trace);
            if (w.macro >= map.macros)
                throw std::invalid_argument("--trace '" + opt.trace + "': macro " + std::to_string(w.macro) +
                                            " does not exist (this mapping uses " + std::to_string(map.macros) +
                                            " macros: 0.." + std::to_string(map.macros - 1) + ")");
            sc::macro_config& mc = pc.macros[w.macro].config;
            mc.trace_first_run = w.first;
            mc.trace_runs = w.runs;
            trace_path = opt.out_dir.empty() ? std::string("acim_trace.vcd") : (fs::path(opt.out_dir) / "trace.vcd").string();
            if (!opt.out_dir.empty()) fs::create_directories(opt.out_dir);
            mc.trace_file = trace_path;
            mc.validate();
        }
        vp::platform plat("workload", pc);
        std::exception_ptr failure;
        plat.cpu.load([&](vp::cpu& cpu) {
            try {
                std::vector<std::uint64_t> bases;
                std::vector<unsigned> irqs;
                for (std::size_t m = 0; m < map.macros; ++m) {
                    bases.push_back(plat.macro_base(m));
                    irqs.push_back(plat.macro_irq(m));
                }
                std::vector<const sc::acim_macro*> handles;
                for (std::size_t m = 0; m < map.macros; ++m) handles.push_back(&plat.macro[m]);
                tlm_backend acim(net, cfg.backend, map, cpu, bases, irqs, handles);
                evaluate(net, data, n, cfg.batch, ideal, acim, opt.progress, ptq, pool.get(), t);
                stats = acim.stats();
                costs = acim.costs();
                reloads = acim.weight_reloads();
                cpu.sync();
                sim_seconds = cpu.local_time().to_seconds();
            } catch (...) {
                failure = std::current_exception();
            }
        });
        sc_core::sc_start();
        if (failure) std::rethrow_exception(failure);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t correct_ideal = t.correct_ideal, correct_acim = t.correct_acim, flips = t.flips;
    const std::size_t correct_float = t.correct_float;
    const double t_acim = t.t_acim;

    const double acc_recorded = metadata_double(net, "acim.float_accuracy");
    // PTQ models: the float network evaluated here on the same images; otherwise the recorded value.
    const double acc_float = ptq ? static_cast<double>(correct_float) / static_cast<double>(n) : acc_recorded;
    const double acc_ideal = static_cast<double>(correct_ideal) / static_cast<double>(n);
    const double acc_acim = static_cast<double>(correct_acim) / static_cast<double>(n);
    std::uint64_t conversions = 0;
    for (const auto& s : stats) conversions += s.counters.conversions;

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
    if (ptq) {
        char pc[32] = "";
        if (cfg.ptq.method == calibration_method::percentile) std::snprintf(pc, sizeof pc, " %g %%", cfg.ptq.percentile);
        std::printf("  PTQ        W%dA%d, activation ranges from the first %zu training images, %s%s (%.2f s)\n",
                    cfg.ptq.wbit, cfg.ptq.xbit, cfg.ptq.calibration_images, to_string(cfg.ptq.method), pc, t_ptq);
        for (const auto& li : ptq_info)
            std::printf("             %-10s %s  s_w %.6g  s_x %.6g  calibration max %.6g  clipped %.4f %%\n",
                        li.name.c_str(), li.signed_act ? "signed  " : "unsigned", static_cast<double>(li.s_w),
                        static_cast<double>(li.s_x), static_cast<double>(li.input_max), 100.0 * li.clipped_fraction);
    }
    std::printf("  accuracy   float (%s) %s   ideal integer %s   ACiM %s   flips vs ideal %zu\n",
                ptq ? "host" : "recorded", pct(acc_float).c_str(), pct(acc_ideal).c_str(), pct(acc_acim).c_str(),
                flips);
    std::printf("  %-3s %-8s %-6s %6s %7s %14s %12s %9s %11s %8s %9s %14s %12s\n", "#", "layer", "op", "rows", "outputs",
                "conversions", "saturations", "SQNR dB", "max |err|", "exact %", "code err%", "macro cycles", "energy nJ");
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        const auto& l = net.layers[k];
        const auto& s = stats[k];
        const layer_cost c = k < costs.size() ? costs[k] : layer_cost{};
        const error_summary es = summarise(s.code_errors);
        char coded[16] = "-";
        if (!s.code_errors.empty()) std::snprintf(coded, sizeof coded, "%.3f", es.wrong_pct());
        std::printf("  %-3zu %-8s %-6s %6zu %7zu %14llu %12llu %9.2f %11.1f %8.2f %9s %14llu %12.1f%s\n", k, l.name.c_str(),
                    l.op.c_str(), l.rows, l.outputs, static_cast<unsigned long long>(s.counters.conversions),
                    static_cast<unsigned long long>(s.counters.saturations), s.sqnr_db(), s.max_abs_error,
                    s.outputs ? 100.0 * static_cast<double>(s.exact) / static_cast<double>(s.outputs) : 0.0, coded,
                    static_cast<unsigned long long>(c.macro_cycles), static_cast<double>(c.energy_fj) * 1e-6,
                    cfg.backend.digital_layers.count(k) ? "  (digital)" : "");
    }
    // Hardware totals (TLM path): macro clocks, energy, simulated time, TOPS/W of the ACiM layers.
    std::uint64_t total_cycles = 0, total_energy_fj = 0, total_macs = 0, total_starts = 0, total_loads = 0;
    for (const auto& c : costs) {
        total_cycles += c.macro_cycles;
        total_energy_fj += c.energy_fj;
        total_macs += c.macs;
        total_starts += c.starts;
        total_loads += c.weight_loads;
    }
    const auto tops_per_w = [](std::uint64_t macs, std::uint64_t fj) {
        return fj ? 2.0 * static_cast<double>(macs) / static_cast<double>(fj) * 1e3 : 0.0;  // 2 ops per MAC
    };
    // Area (hw.area_*), at the supply the macros run at (hw.vdd_v): per macro, in total, and one
    // macro's steady-state figures at full utilisation with the bits of the first ACiM layer.
    const sc::macro_config hw_at_vdd = cfg.hw.at_supply();
    const sc::area_breakdown macro_area = sc::macro_area(hw_at_vdd, cfg.backend.macro.hybrid_levels > 0);
    const double macro_mm2 = macro_area.total() * 1e-6, total_mm2 = macro_mm2 * static_cast<double>(map.macros);
    const double achieved_tops = sim_seconds > 0.0 ? 2.0 * static_cast<double>(total_macs) / sim_seconds * 1e-12 : 0.0;
    const auto per_mm2 = [](double tops, double mm2) { return mm2 > 0.0 ? tops / mm2 : 0.0; };
    bool have_peak = false;
    sc::peak_figures peak;
    core::cim_params peak_params;
    if (cfg.path == run_path::tlm) {
        for (std::size_t k = 0; k < net.layers.size() && !have_peak; ++k) {
            if (cfg.backend.digital_layers.count(k)) continue;
            peak_params = layer_params(net.layers[k], cfg.backend.macro);
            // No full-utilisation figure when the columns do not hold whole weights; checked here
            // rather than thrown, since a throw after the simulation trips ASan's stack handling
            // of the SystemC coroutine stacks (a false stack-use-after-scope in sigaltstack).
            if (peak_params.wbit < 1 || hw_at_vdd.cols % static_cast<std::uint32_t>(peak_params.wbit) != 0) break;
            try {
                peak = sc::macro_peak(hw_at_vdd, peak_params, adc_kind);
                have_peak = true;
            } catch (const core::parameter_error&) {
                break;  // e.g. columns not a multiple of the layer's wbit: no full-utilisation figure
            }
        }
    }
    if (cfg.path == run_path::tlm) {
        std::printf("  hardware   %zu macro(s) %ux%u, %s ADC, %.3g GHz: %llu macro cycles, %.4g uJ (%.4g nJ/image), "
                    "%.3g TOPS/W, simulated %.4g ms (%.0f images/s), %llu STARTs, %llu weight loads (%llu reloads)\n",
                    map.macros, cfg.hw.rows, cfg.hw.cols, sc::to_string(adc_kind), 1e3 / static_cast<double>(hw_at_vdd.clock_period_ps),
                    static_cast<unsigned long long>(total_cycles), static_cast<double>(total_energy_fj) * 1e-9,
                    static_cast<double>(total_energy_fj) * 1e-6 / static_cast<double>(n), tops_per_w(total_macs, total_energy_fj),
                    sim_seconds * 1e3, static_cast<double>(n) / sim_seconds, static_cast<unsigned long long>(total_starts),
                    static_cast<unsigned long long>(total_loads), static_cast<unsigned long long>(reloads));
        std::printf("  area       %zu macro(s) x %.4g mm^2 = %.4g mm^2 (%s): %.3g TOPS, %.3g TOPS/mm^2 over the simulated time\n",
                    map.macros, macro_mm2, total_mm2, cfg.preset.empty() ? "hw.area_*" : cfg.preset.c_str(), achieved_tops,
                    per_mm2(achieved_tops, total_mm2));
        if (have_peak)
            std::printf("  peak       one macro, W%dA%d, full utilisation, %.3g V: %.4g TOPS, %.4g TOPS/W, %.4g TOPS/mm^2 "
                        "(steady state, no I/O; docs/presets.md)\n",
                        peak_params.wbit, peak_params.xbit, cfg.hw.vdd_v, peak.tops(), peak.tops_per_w(), peak.tops_per_mm2());
    } else {
        std::printf("  hardware   run.path = core: no cycles or energy (use run.path = tlm)\n");
    }
    if (!trace_path.empty())
        std::printf("  trace      %s (open with: gtkwave %s traces/acim_macro.gtkw)\n", trace_path.c_str(), trace_path.c_str());
    std::printf("  speed      %.0f images/s, %.3g conversions/s (ACiM pass %.2f s), wall %.2f s\n",
                static_cast<double>(n) / t_acim, static_cast<double>(conversions) / t_acim, t_acim, wall);

    if (!opt.out_dir.empty()) {
        fs::create_directories(opt.out_dir);
        nlohmann::json r;
        r["schema_version"] = report_schema_version;
        r["tool"] = {{"name", "acim-tlm"}, {"version", version_string()}, {"git_commit", git_commit()}};
        r["model"] = model_path;
        r["run"] = {{"seed", cfg.backend.seed},
                    {"die", cfg.backend.die},
                    {"threads", cfg.backend.threads},
                    {"batch", cfg.batch},
                    {"limit", opt.limit},
                    {"model", model_path},
                    {"model_sha256", model_sha},
                    {"data", {{"images", files.images},
                              {"images_sha256", sha256_file(files.images)},
                              {"labels", files.labels},
                              {"labels_sha256", sha256_file(files.labels)}}},
                    {"command_line", opt.command_line},
                    {"start_time", utc_text(started)},
                    {"wall_seconds", wall}};
        r["images"] = n;
        r["accuracy"] = {{"float_recorded", std::isnan(acc_recorded) ? nlohmann::json() : nlohmann::json(acc_recorded)},
                         {"ideal_integer", acc_ideal},
                         {"acim", acc_acim}};
        if (ptq) {
            r["accuracy"]["float_host"] = acc_float;
            nlohmann::json pj = {{"wbit", cfg.ptq.wbit},
                                 {"xbit", cfg.ptq.xbit},
                                 {"calibration_images", cfg.ptq.calibration_images},
                                 {"calibration_set", "first images of the training set"},
                                 {"method", to_string(cfg.ptq.method)},
                                 {"percentile", cfg.ptq.percentile},
                                 {"seconds", t_ptq}};
            for (const auto& li : ptq_info)
                pj["layers"].push_back({{"name", li.name},
                                        {"signed_act", li.signed_act},
                                        {"s_w", li.s_w},
                                        {"s_x", li.s_x},
                                        {"calibration_min", li.input_min},
                                        {"calibration_max", li.input_max},
                                        {"clipped_fraction", li.clipped_fraction}});
            r["ptq"] = pj;
        }
        r["prediction_flips_vs_ideal"] = flips;
        // Per class: images, ideal-integer and ACiM accuracy; the ACiM confusion matrix
        // (row = label, column = ACiM prediction).
        {
            const std::size_t classes = t.images_of.size();
            nlohmann::json pc = nlohmann::json::array(), cm = nlohmann::json::array();
            for (std::size_t c = 0; c < classes; ++c) {
                const std::size_t count = t.images_of[c];
                const auto frac = [count](std::size_t hits) {
                    return count ? nlohmann::json(static_cast<double>(hits) / static_cast<double>(count)) : nlohmann::json();
                };
                pc.push_back({{"class", c},
                              {"images", count},
                              {"ideal_integer", frac(t.ideal_hits[c])},
                              {"acim", frac(t.confusion[c * classes + c])}});
                cm.push_back(std::vector<std::size_t>(t.confusion.begin() + static_cast<std::ptrdiff_t>(c * classes),
                                                      t.confusion.begin() + static_cast<std::ptrdiff_t>((c + 1) * classes)));
            }
            r["per_class"] = pc;
            r["confusion_matrix"] = cm;
        }
        r["path"] = cfg.path == run_path::tlm ? "tlm" : "core";
        if (!trace_path.empty()) r["trace"] = trace_path;
        for (const auto& layer_pieces : map.layers)
            for (const layer_piece& pc : layer_pieces)
                r["mapping"].push_back({{"layer", pc.layer},
                                        {"rows", {pc.row_begin, pc.row_end}},
                                        {"tiles", pc.tiles.size()},
                                        {"tile_base", pc.tile_base},
                                        {"outputs", {pc.out_begin, pc.out_end}},
                                        {"macro", pc.macro}});
        if (cfg.path == run_path::tlm)
            r["hardware"] = {{"macros", map.macros},
                             {"macro_rows", cfg.hw.rows},
                             {"macro_cols", cfg.hw.cols},
                             {"adc_kind", sc::to_string(adc_kind)},
                             {"clock_period_ps", cfg.hw.clock_period_ps},
                             {"weight_stationary", map.stationary},
                             {"macro_cycles", total_cycles},
                             {"energy_fj", total_energy_fj},
                             {"energy_per_image_nj", static_cast<double>(total_energy_fj) * 1e-6 / static_cast<double>(n)},
                             {"macs", total_macs},
                             {"tops_per_watt", tops_per_w(total_macs, total_energy_fj)},
                             {"simulated_seconds", sim_seconds},
                             {"simulated_images_per_second", static_cast<double>(n) / sim_seconds},
                             {"starts", total_starts},
                             {"weight_loads", total_loads},
                             {"weight_reloads", reloads}};
        if (cfg.path == run_path::tlm) {
            nlohmann::json& h = r["hardware"];
            h["vdd_v"] = cfg.hw.vdd_v;
            h["clock_period_ps_at_vdd"] = hw_at_vdd.clock_period_ps;
            h["macro_area_um2"] = {{"cells", macro_area.cells},         {"adcs", macro_area.adcs},
                                   {"drivers", macro_area.drivers},     {"shift_add", macro_area.shift_add},
                                   {"digital", macro_area.digital},     {"buffers", macro_area.buffers},
                                   {"fixed", macro_area.fixed},         {"total", macro_area.total()}};
            h["macro_area_mm2"] = macro_mm2;
            h["area_mm2"] = total_mm2;
            h["tops"] = achieved_tops;
            h["tops_per_mm2"] = per_mm2(achieved_tops, total_mm2);
            if (have_peak)
                h["macro_peak"] = {{"wbit", peak_params.wbit},
                                   {"xbit", peak_params.xbit},
                                   {"act_enc", peak_params.act_enc},
                                   {"tops", peak.tops()},
                                   {"tops_per_w", peak.tops_per_w()},
                                   {"tops_per_mm2", peak.tops_per_mm2()},
                                   {"energy_per_vector_fj", peak.energy.total() - peak.energy.buffer},
                                   {"seconds_per_vector", peak.seconds}};
        }
        if (!cfg.preset.empty()) r["preset"] = cfg.preset;
        r["speed"] = {{"acim_seconds", t_acim},
                      {"wall_seconds", wall},
                      {"images_per_second", static_cast<double>(n) / t_acim},
                      {"conversions_per_second", static_cast<double>(conversions) / t_acim}};
        r["config"] = params.values();
        r["config_sources"] = params.sources();
        std::string errors_csv = "layer,name,i,j,conversions,nonzero";
        for (int b = 0; b < core::code_error_histogram::bins; ++b) {
            const int e = core::code_error_histogram::error_of(b);
            errors_csv += b == 0 ? ",err_le_" + std::to_string(e)
                          : b == core::code_error_histogram::bins - 1 ? ",err_ge_" + std::to_string(e)
                                                                      : ",err_" + std::to_string(e);
        }
        errors_csv += "\n";
        std::string csv = "layer,name,op,rows,outputs,digital,conversions,analog,digital_cycles,voted,adc_conversions,"
                          "saturations,sqnr_db,max_abs_error,exact_fraction,pieces,macro_cycles,energy_fj,macs,"
                          "tops_per_watt,starts,weight_loads,simulated_seconds\n";
        for (std::size_t k = 0; k < net.layers.size(); ++k) {
            const auto& l = net.layers[k];
            const auto& s = stats[k];
            const double exact = s.outputs ? static_cast<double>(s.exact) / static_cast<double>(s.outputs) : 0.0;
            nlohmann::json lj = {{"name", l.name},
                                 {"op", l.op},
                                 {"rows", l.rows},
                                 {"outputs", l.outputs},
                                 {"wbit", l.wbit},
                                 {"xbit", l.xbit},
                                 {"digital", cfg.backend.digital_layers.count(k) > 0},
                                 {"conversions", s.counters.conversions},
                                 {"analog", s.counters.analog},
                                 {"digital_cycles", s.counters.digital},
                                 {"voted", s.counters.voted},
                                 {"adc_conversions", s.counters.adc_conversions},
                                 {"saturations", s.counters.saturations},
                                 {"sqnr_db", std::isfinite(s.sqnr_db()) ? nlohmann::json(s.sqnr_db()) : nlohmann::json()},
                                 {"max_abs_error", s.max_abs_error},
                                 {"exact_fraction", exact},
                                 {"pieces", map.layers[k].size()}};
            if (!s.code_errors.empty()) {
                // Per-cycle histograms of ADC code - ideal code (LSB); bins -R-1 (tail) .. R+1 (tail).
                using H = core::code_error_histogram;
                const error_summary es = summarise(s.code_errors);
                nlohmann::json ce = {{"errors", nlohmann::json::array()},
                                     {"conversions", es.conversions},
                                     {"nonzero", es.wrong},
                                     {"abs_at_least_2", es.wrong2}};
                for (int b = 0; b < H::bins; ++b) ce["errors"].push_back(H::error_of(b));
                std::vector<std::uint64_t> all(H::bins, 0);
                for (int i = 0; i < s.code_errors.weight_cycles; ++i)
                    for (int j = 0; j < s.code_errors.act_cycles; ++j) {
                        if (s.code_errors.total(i, j) == 0) continue;
                        nlohmann::json counts = nlohmann::json::array();
                        for (int b = 0; b < H::bins; ++b) {
                            counts.push_back(s.code_errors.at(i, j, b));
                            all[static_cast<std::size_t>(b)] += s.code_errors.at(i, j, b);
                        }
                        ce["cycles"].push_back({{"i", i}, {"j", j}, {"counts", counts}});
                        std::string row = std::to_string(k) + "," + l.name + "," + std::to_string(i) + "," +
                                          std::to_string(j) + "," + std::to_string(s.code_errors.total(i, j)) + "," +
                                          std::to_string(s.code_errors.wrong(i, j));
                        for (int b = 0; b < H::bins; ++b) row += "," + std::to_string(s.code_errors.at(i, j, b));
                        errors_csv += row + "\n";
                    }
                ce["all_cycles"] = all;
                lj["code_errors"] = ce;
            }
            const layer_cost c = k < costs.size() ? costs[k] : layer_cost{};
            if (cfg.path == run_path::tlm)
                lj["hardware"] = {{"macro_cycles", c.macro_cycles},
                                  {"energy_fj", c.energy_fj},
                                  {"macs", c.macs},
                                  {"tops_per_watt", tops_per_w(c.macs, c.energy_fj)},
                                  {"starts", c.starts},
                                  {"weight_loads", c.weight_loads},
                                  {"weight_bytes", c.weight_bytes},
                                  {"simulated_seconds", c.elapsed.to_seconds()}};
            r["layers"].push_back(lj);
            const auto u = [](std::uint64_t v) { return std::to_string(v); };
            csv += join_csv({std::to_string(k), l.name, l.op, std::to_string(l.rows), std::to_string(l.outputs),
                             cfg.backend.digital_layers.count(k) ? "1" : "0", u(s.counters.conversions),
                             u(s.counters.analog), u(s.counters.digital), u(s.counters.voted),
                             u(s.counters.adc_conversions), u(s.counters.saturations), g6(s.sqnr_db()),
                             g6(s.max_abs_error), g6(exact), std::to_string(map.layers[k].size()), u(c.macro_cycles),
                             u(c.energy_fj), u(c.macs), g6(tops_per_w(c.macs, c.energy_fj)), u(c.starts),
                             u(c.weight_loads), g6(c.elapsed.to_seconds())});
        }
        write_atomic(fs::path(opt.out_dir) / "report.json", r.dump(2) + "\n");
        write_atomic(fs::path(opt.out_dir) / "layers.csv", csv);
        write_atomic(fs::path(opt.out_dir) / "code_errors.csv", errors_csv);
        std::printf("  wrote %s/report.json, layers.csv and code_errors.csv\n", opt.out_dir.c_str());
    }
    return 0;
}

}  // namespace acim::testbench
