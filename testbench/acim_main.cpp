// `acim`: the project's command-line entry point.
//   acim [run]        a quantised ONNX network on Fashion-MNIST through the bit-true ACiM core
//   acim config --dump the effective configuration tree
//   acim presets      the silicon presets and their sources (docs/presets.md)
//   acim demo         the core on a random quantised layer, for several macro configurations
#include <acim/core/engine.hpp>
#include <acim/core/error.hpp>
#include <acim/core/quantizer.hpp>
#include <acim/testbench/inspect.hpp>
#include <acim/testbench/presets.hpp>
#include <acim/testbench/run_job.hpp>
#include <acim/version.hpp>
#include <acim/testbench/sweep/sweep_main.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <systemc>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

struct demo_options {
    std::size_t inputs = 1024;
    std::size_t outputs = 64;
    std::size_t vectors = 4096;
    int threads = 2;
    std::uint64_t seed = 1;
};

struct variant {
    std::string name;
    cim_params p;
};

int run_demo(const demo_options& o) {
    std::mt19937_64 gen(o.seed);
    std::normal_distribution<float> wdist(0.0f, 0.05f);
    std::uniform_real_distribution<float> xdist(0.0f, 1.0f);
    std::vector<float> wf(o.outputs * o.inputs), xf(o.vectors * o.inputs);
    for (float& v : wf) v = wdist(gen);
    for (float& v : xf) v = xdist(gen) * xdist(gen);  // post-ReLU-like, skewed to small values

    cim_params base;  // W8A8, nrow 255, 8-bit ADC: ASiM's default macro
    std::vector<std::int32_t> w(wf.size()), x(xf.size());
    quantize_weights(wf.data(), o.outputs, o.inputs, base.wbit, false, w.data());
    quantize_activations(xf.data(), o.vectors, o.inputs, base.xbit, false, scale_mode::per_batch, 0.0f, x.data());

    // Ideal integer result.
    std::vector<std::int64_t> ideal(o.vectors * o.outputs);
    for (std::size_t v = 0; v < o.vectors; ++v)
        for (std::size_t k = 0; k < o.outputs; ++k) {
            std::int64_t d = 0;
            for (std::size_t r = 0; r < o.inputs; ++r)
                d += static_cast<std::int64_t>(w[k * o.inputs + r]) * x[v * o.inputs + r];
            ideal[v * o.outputs + k] = d;
        }

    std::vector<variant> vs;
    vs.push_back({"lossless (nrow 255, ADC 8b)", base});
    cim_params lossy = base;
    lossy.row_parallelism = 256;
    vs.push_back({"nrow 256 (lossy ADC)", lossy});
    cim_params noisy = base;
    noisy.sigma_rand = 100.0 / 255.0;  // 1 LSB
    vs.push_back({"noise 1 LSB", noisy});
    cim_params hcim = noisy;
    hcim.hybrid_levels = 4;
    vs.push_back({"noise 1 LSB + HCiM Lh=4", hcim});
    cim_params vote = noisy;
    vote.voting_levels = 4;
    vote.voting_samples = 5;
    vs.push_back({"noise 1 LSB + vote Lv=4 S=5", vote});
    cim_params par = noisy;
    par.act_enc = 2;
    vs.push_back({"noise 1 LSB, 2-bit DAC", par});

    std::printf("acim demo: random linear layer %zu -> %zu, %zu vectors, W%dA%d, %d threads, seed %llu\n\n",
                o.inputs, o.outputs, o.vectors, base.wbit, base.xbit, o.threads,
                static_cast<unsigned long long>(o.seed));
    std::printf("%-30s %12s %12s %12s %10s %14s %12s   %s\n", "configuration", "mean |err|", "max |err|", "SQNR dB",
                "sat", "conversions", "conv/s", "vector 0, outputs 0-3");
    std::printf("%-30s %12s %12s %12s %10s %14s %12s   %lld %lld %lld %lld\n", "ideal integer result", "", "", "", "", "",
                "", static_cast<long long>(ideal[0]), static_cast<long long>(ideal[1 % o.outputs]),
                static_cast<long long>(ideal[2 % o.outputs]), static_cast<long long>(ideal[3 % o.outputs]));
    std::vector<std::int64_t> out(o.vectors * o.outputs);
    double sig = 0.0;
    for (std::int64_t d : ideal) sig += static_cast<double>(d) * static_cast<double>(d);
    for (const variant& var : vs) {
        mvm_engine e(var.p, {o.threads, kernel_isa::automatic});
        e.load_weights(w.data(), o.outputs, o.inputs, dense_tiling(o.inputs, var.p.row_parallelism));
        stream_key key;
        key.seed = o.seed;
        const auto t0 = std::chrono::steady_clock::now();
        e.run(x.data(), o.vectors, 0, key, out.data());
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double sum = 0.0, mx = 0.0, noise = 0.0;
        for (std::size_t k = 0; k < out.size(); ++k) {
            const double err = static_cast<double>(out[k]) / static_cast<double>(e.denominator()) -
                               static_cast<double>(ideal[k]);
            sum += std::fabs(err);
            mx = std::max(mx, std::fabs(err));
            noise += err * err;
        }
        const engine_counters& c = e.counters();
        const auto val = [&](std::size_t k) {
            return static_cast<double>(out[k % o.outputs]) / static_cast<double>(e.denominator());
        };
        std::printf("%-30s %12.3f %12.3f %12.2f %10llu %14llu %12.3g   %.1f %.1f %.1f %.1f\n", var.name.c_str(),
                    sum / static_cast<double>(out.size()), mx,
                    noise > 0.0 ? 10.0 * std::log10(sig / noise) : std::numeric_limits<double>::infinity(),
                    static_cast<unsigned long long>(c.saturations), static_cast<unsigned long long>(c.conversions),
                    static_cast<double>(c.conversions) / dt, val(0), val(1), val(2), val(3));
    }
    std::printf("\nErrors are in integer MAC units (ideal result = sum of w_int * x_int).\n");
    return 0;
}

}  // namespace

// libsystemc's main() calls sc_main(); `acim run` elaborates the workload platform once. The
// SystemC banner is noise in a command-line tool's output.
namespace {
const bool quiet_systemc = [] { return setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "DISABLE", 0) == 0; }();

// The run allocates and frees the same work buffers for every batch and START: keep freed memory
// in the heap (no trimming back to the kernel, no per-buffer mmap) so that it is reused instead
// of page-faulted and zeroed again. Peak memory stays what the run needs at once.
const bool heap_kept = [] {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    return true;
}();
}  // namespace

int sc_main(int argc, char** argv) {
    (void)quiet_systemc;
    (void)heap_kept;
    // acim sweep / acim plot: their own command line (testbench/sweep/sweep_main.cpp)
    if (acim::testbench::sweep::is_sweep_command(argc, argv)) return acim::testbench::sweep::sweep_command(argc, argv);
    CLI::App app{"acim: SystemC/TLM-2.0 model of an SRAM analog compute-in-memory accelerator"};
    app.require_subcommand(0, 1);

    // acim run (also the default with no subcommand). Every setting goes through the job's
    // parameter tree (testbench/job_config.hpp): the shipped defaults, then --config, then -p and
    // the flags below, in that order of precedence.
    acim::testbench::run_options ro;
    acim::testbench::job_config jc = acim::testbench::job_config::shipped();
    std::string config_file, preset_name;
    std::vector<std::string> overrides;
    std::vector<std::pair<std::string, std::string>> flags;  // (run.<key>, value) from --model etc.
    const auto flag_to = [&flags](const char* key) {
        return [&flags, key](const std::string& v) { flags.emplace_back(key, v); };
    };
    auto* run = app.add_subcommand("run", "Run a quantised ONNX network on Fashion-MNIST through the TLM macros (default)");
    for (CLI::App* a : {static_cast<CLI::App*>(&app), run}) {
        a->add_option_function<std::string>("--model", flag_to("run.model"), "ONNX model: quantised (QCDQ), or float, then quantised at load with the ptq.* parameters (default: the shipped W8A8 CNN) = -p run.model=");
        a->add_option_function<std::string>("--data", flag_to("run.data"), "Directory with the t10k-* test (and, for PTQ calibration, train-*) IDX files (default: Debian's) = -p run.data=");
        a->add_option_function<std::string>("--limit", flag_to("run.limit"), "Use the first N test images (default: all) = -p run.limit=");
        a->add_option("--config", config_file, "JSON configuration file (acim config --dump --json writes one)");
        a->add_option("--preset", preset_name, "Silicon preset (acim presets lists them; docs/presets.md): below --config and -p in precedence");
        a->add_option("-p,--param", overrides, "Parameter override name=value (see acim config --dump)");
        a->add_option_function<std::string>("--threads", flag_to("run.threads"), "Worker threads = -p run.threads=");
        a->add_option_function<std::string>("--seed", flag_to("run.seed"), "Random seed = -p run.seed=");
        a->add_option("--out", ro.out_dir, "Write report.json and layers.csv to this directory");
        a->add_option("--trace", ro.trace,
                      "Cycle-stepped VCD of STARTs FIRST..FIRST+COUNT-1 (default COUNT 1) of macro MACRO (default 0): "
                      "FIRST[:COUNT][@MACRO]; written to OUT/trace.vcd (or ./acim_trace.vcd), view with "
                      "traces/acim_macro.gtkw");
    }
    run->fallthrough();

    auto* config = app.add_subcommand("config", "Print the effective configuration tree");
    bool do_dump = false, as_json = false;
    config->add_flag("--dump", do_dump, "Print every parameter with its value, unit, source and description");
    config->add_flag("--json", as_json, "With --dump: a JSON file that --config reads back to the same configuration");
    config->fallthrough();

    auto* presets_cmd = app.add_subcommand("presets", "List the silicon presets (docs/presets.md) with their sources");
    std::string show_preset;
    presets_cmd->add_option("--show", show_preset, "Print one preset's file: parameters, published figures, gaps");

    demo_options o;
    auto* demo = app.add_subcommand("demo", "Run the bit-true core on a random quantised layer");
    demo->add_option("--inputs", o.inputs, "Layer input features (reduction rows)")->check(CLI::Range(1, 1 << 20));
    demo->add_option("--outputs", o.outputs, "Layer outputs")->check(CLI::Range(1, 1 << 16));
    demo->add_option("--vectors", o.vectors, "Input vectors")->check(CLI::Range(1, 1 << 24));
    demo->add_option("--threads", o.threads, "Worker threads")->check(CLI::Range(1, 256));
    demo->add_option("--seed", o.seed, "Random seed");
    app.set_version_flag("--version", std::string("acim ") + acim::version_string() + " (" + acim::git_commit() + ")");
    acim::testbench::inspect_options io;  // acim inspect (testbench/inspect.hpp)
    auto* inspect = app.add_subcommand("inspect", "Show how each node of a model runs (ACiM layer, host op or blocker) and its mapping");
    inspect->add_option("--model", io.model, "ONNX model")->required();
    inspect->add_flag("--json", io.json, "Print JSON");
    CLI11_PARSE(app, argc, argv);
    try {
        if (*inspect) return acim::testbench::run_inspect(io);
        if (*presets_cmd) {
            if (!show_preset.empty()) {
                std::printf("%s\n", acim::testbench::find_preset(show_preset).document.dump(2).c_str());
                return 0;
            }
            for (const auto& p : acim::testbench::presets())
                std::printf("%s\n    %s\n    source: %s\n", p.name.c_str(), p.title.c_str(), p.source.c_str());
            return 0;
        }
        if (*demo) return run_demo(o);
        for (int k = 0; k < argc; ++k) ro.command_line.emplace_back(argv[k]);
        acim::testbench::job_params params(jc, ro);
        if (!preset_name.empty()) params.apply_preset(preset_name);
        if (!config_file.empty()) params.apply_json_file(config_file);
        for (const auto& ov : overrides) params.assign(ov);
        for (const auto& [key, value] : flags) params.tree().set(key, value, acim::core::param_source::command_line);
        if (*config) {
            if (as_json) std::printf("%s\n", params.to_json().dump(2).c_str());
            else std::fputs(params.dump().c_str(), stdout);
            return 0;
        }
        return acim::testbench::run_job(ro, jc);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "acim: error: %s\n", e.what());
        return 2;
    }
}
