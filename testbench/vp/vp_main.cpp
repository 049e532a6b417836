// `acim_vp`: the example virtual platform running a random W8A8 linear layer split across two ACiM
// macros. The firmware on the CPU reads input batches from main memory, streams them through both
// macros (column tiles: each macro holds half of the output channels; or row tiles: each holds
// half of the reduction and the firmware adds the partial sums), waits for their interrupts and
// writes the results back to main memory. The host then compares them with the core engine called
// directly, and prints simulated time, cycles and energy as the macros' registers report them.
#include <acim/vp/acim_driver.hpp>
#include <acim/vp/platform.hpp>

#include <acim/core/engine.hpp>
#include <acim/tlm/register_table.hpp>

#include <CLI/CLI.hpp>
#include <systemc>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace acim;

struct options {
    std::size_t rows = 256;      // reduction length (in_features)
    std::size_t outputs = 64;    // output channels
    std::size_t vectors = 1024;  // input vectors, streamed in batches of `depth`
    std::uint32_t depth = 256;   // input buffer depth of each macro
    double sigma = 0.5;          // random conversion noise, % of full scale
    std::string split = "columns";
    double quantum_ns = 1000.0;
    double router_ns = 2.0;
    bool no_dmi = false;
    bool polling = false;
    std::uint64_t seed = 1;
    std::string trace;              // VCD of macro_0's trace mode ("" : off)
    std::uint64_t trace_first_run = 0;
    std::uint64_t trace_runs = 1;
    std::uint32_t trace_vectors = 4;
};

// One macro's share of the layer.
struct tile {
    vp::layer_config layer;
    std::vector<std::int32_t> w;  // [outputs][rows] of the tile
    std::size_t out_first = 0;    // column split: first output channel
    std::size_t row_first = 0;    // row split: first reduction row
};

std::vector<tile> split_layer(const options& o, const core::cim_params& p, const std::vector<std::int32_t>& w) {
    std::vector<tile> t(2);
    for (std::size_t m = 0; m < 2; ++m) {
        vp::layer_config& l = t[m].layer;
        l.params = p;
        l.key.seed = o.seed;
        l.key.die = 0;
        l.key.macro = 0;  // one logical macro: the split reproduces the unsplit layer (column split)
        l.key.layer = 1;
        if (o.split == "columns") {
            const std::size_t first = m * (o.outputs / 2), last = m == 0 ? o.outputs / 2 : o.outputs;
            l.rows = o.rows;
            l.outputs = last - first;
            l.key.column_base = static_cast<std::uint32_t>(first * static_cast<std::size_t>(p.wbit));
            t[m].out_first = first;
            for (std::size_t k = first; k < last; ++k)
                t[m].w.insert(t[m].w.end(), w.begin() + static_cast<std::ptrdiff_t>(k * o.rows),
                              w.begin() + static_cast<std::ptrdiff_t>((k + 1) * o.rows));
        } else {
            const std::size_t first = m * (o.rows / 2), last = m == 0 ? o.rows / 2 : o.rows;
            l.rows = last - first;
            l.outputs = o.outputs;
            l.key.macro = static_cast<std::uint32_t>(m);  // partial sums: each macro its own noise
            t[m].row_first = first;
            for (std::size_t k = 0; k < o.outputs; ++k)
                t[m].w.insert(t[m].w.end(), w.begin() + static_cast<std::ptrdiff_t>(k * o.rows + first),
                              w.begin() + static_cast<std::ptrdiff_t>(k * o.rows + last));
        }
    }
    return t;
}

// The rows of x[v][rows] that tile `t` reduces over.
std::vector<std::int32_t> tile_inputs(const options& o, const tile& t, const std::int32_t* x, std::size_t vectors) {
    std::vector<std::int32_t> xt(vectors * t.layer.rows);
    for (std::size_t v = 0; v < vectors; ++v)
        std::copy_n(x + v * o.rows + t.row_first, t.layer.rows, xt.begin() + static_cast<std::ptrdiff_t>(v * t.layer.rows));
    return xt;
}

// Adds (row split) or places (column split) a tile's numerators into y[v][outputs].
void merge(const options& o, const tile& t, const std::vector<std::int64_t>& yt, std::size_t vectors, std::int64_t* y) {
    for (std::size_t v = 0; v < vectors; ++v)
        for (std::size_t k = 0; k < t.layer.outputs; ++k) y[v * o.outputs + t.out_first + k] += yt[v * t.layer.outputs + k];
}

std::vector<unsigned char> to_bytes(const std::vector<std::int32_t>& x) {
    std::vector<unsigned char> b(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) b[k] = static_cast<unsigned char>(x[k]);  // 8-bit unsigned codes
    return b;
}

int run(const options& o) {
    core::cim_params p;  // W8A8, bit-serial, 8-bit SAR ADC, nrow 255
    p.adc_arch = core::adc_architecture::sar;  // ADC_KIND
    p.sigma_rand = o.sigma;
    p = vp::acim_driver::register_values(p);

    std::mt19937_64 gen(o.seed);
    std::uniform_int_distribution<std::int32_t> wd(-128, 127), xd(0, 255);
    std::bernoulli_distribution relu_zero(0.4);
    std::vector<std::int32_t> w(o.outputs * o.rows), x(o.vectors * o.rows);
    for (auto& v : w) v = wd(gen);
    for (auto& v : x) v = relu_zero(gen) ? 0 : xd(gen);
    const std::vector<tile> tiles = split_layer(o, p, w);

    vp::platform_config pc;
    pc.cpu.quantum_ps = static_cast<std::uint64_t>(o.quantum_ns * 1000.0);
    pc.cpu.use_dmi = !o.no_dmi;
    pc.router.latency_ps = static_cast<std::uint64_t>(o.router_ns * 1000.0);
    for (std::size_t m = 0; m < 2; ++m) {
        sc::macro_config& mc = pc.macros[m].config;
        mc.rows = std::max<std::uint32_t>(256, static_cast<std::uint32_t>(tiles[m].layer.rows));
        mc.cols = std::max<std::uint32_t>(256, static_cast<std::uint32_t>((tiles[m].layer.outputs * 8 + 7) / 8 * 8));
        mc.input_depth = o.depth;
        mc.threads = 1;
    }
    if (!o.trace.empty()) {  // macro_0 steps its first traced runs cycle by cycle into a VCD
        sc::macro_config& mc = pc.macros[0].config;
        mc.trace_file = o.trace;
        mc.trace_first_run = o.trace_first_run;
        mc.trace_runs = o.trace_runs;
        mc.trace_vectors = o.trace_vectors;
    }
    const std::uint64_t x_at = 0x0010'0000, y_at = 0x0080'0000;  // tensors in main memory
    if (y_at + o.vectors * o.outputs * 8 > pc.memory.size || x_at + x.size() > y_at) {
        std::fprintf(stderr, "acim_vp: the tensors do not fit the 16 MiB main memory; use fewer vectors\n");
        return 2;
    }

    vp::platform plat("vp", pc);
    std::vector<vp::macro_counters> counters(2);
    sc_core::sc_time t_compute_start, t_compute_end;
    plat.cpu.load([&](vp::cpu& cpu) {
        // Loader: the input tensor is in main memory before the firmware runs (functional access).
        std::vector<unsigned char> xb = to_bytes(x);
        cpu.debug(::tlm::TLM_WRITE_COMMAND, x_at, xb.data(), static_cast<unsigned>(xb.size()));

        // Firmware.
        const vp::driver_options dopt{o.polling ? vp::completion::polling : vp::completion::interrupt, 0};
        std::vector<vp::acim_driver> macro;
        for (std::size_t m = 0; m < 2; ++m) macro.emplace_back(cpu, plat.macro_base(m), plat.macro_irq(m), dopt);
        for (std::size_t m = 0; m < 2; ++m) {
            macro[m].configure(tiles[m].layer);
            macro[m].load_weights(tiles[m].w.data());
        }
        cpu.sync();
        t_compute_start = cpu.local_time();
        const std::size_t depth = macro[0].info().depth;
        std::vector<unsigned char> xbatch;
        std::vector<std::int32_t> xv;
        std::vector<std::vector<std::int64_t>> yt(2);
        std::vector<std::int64_t> y;
        for (std::size_t first = 0; first < o.vectors; first += depth) {
            const std::size_t n = std::min(depth, o.vectors - first);
            xbatch.resize(n * o.rows);
            cpu.read_block(x_at + first * o.rows, xbatch.data(), xbatch.size());
            xv.assign(xbatch.begin(), xbatch.end());
            for (std::size_t m = 0; m < 2; ++m) {  // both macros compute at once
                const std::vector<std::int32_t> xt = tile_inputs(o, tiles[m], xv.data(), n);
                macro[m].submit(xt.data(), n, first);
            }
            y.assign(n * o.outputs, 0);
            for (std::size_t m = 0; m < 2; ++m) {
                yt[m].resize(n * tiles[m].layer.outputs);
                macro[m].collect(yt[m].data());
                merge(o, tiles[m], yt[m], n, y.data());
            }
            std::vector<unsigned char> yb(y.size() * 8);
            for (std::size_t k = 0; k < y.size(); ++k)
                for (std::size_t b = 0; b < 8; ++b)
                    yb[k * 8 + b] = static_cast<unsigned char>((static_cast<std::uint64_t>(y[k]) >> (8 * b)) & 0xFFu);
            cpu.write_block(y_at + first * o.outputs * 8, yb.data(), yb.size());
        }
        cpu.sync();
        t_compute_end = cpu.local_time();
        for (std::size_t m = 0; m < 2; ++m) counters[m] = macro[m].read_counters();
    });

    std::printf("acim_vp: W8A8 linear layer %zu -> %zu, %zu vectors, sigma_rand %.4g %%, split by %s over 2 macros\n",
                o.rows, o.outputs, o.vectors, p.sigma_rand, o.split.c_str());
    std::printf("address map (router latency %.3g ns, quantum %.4g ns, DMI %s, completion by %s):\n%s", o.router_ns,
                o.quantum_ns, o.no_dmi ? "off" : "on", o.polling ? "polling" : "interrupt", plat.bus.describe().c_str());

    if (!o.trace.empty())
        std::printf("trace: macro_0 runs %llu..%llu, %u vectors each, to %s (gtkwave %s traces/acim_macro.gtkw)\n",
                    static_cast<unsigned long long>(o.trace_first_run),
                    static_cast<unsigned long long>(o.trace_first_run + o.trace_runs - 1), o.trace_vectors,
                    o.trace.c_str(), o.trace.c_str());

    const auto wall0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (!plat.cpu.finished() || plat.cpu.failed()) {
        std::fprintf(stderr, "acim_vp: firmware did not complete: %s\n", plat.cpu.failure().c_str());
        return 1;
    }

    // Results from main memory, as the host would fetch them.
    std::vector<unsigned char> yb(o.vectors * o.outputs * 8);
    plat.cpu.debug(::tlm::TLM_READ_COMMAND, y_at, yb.data(), static_cast<unsigned>(yb.size()));
    std::vector<std::int64_t> got(o.vectors * o.outputs);
    for (std::size_t k = 0; k < got.size(); ++k) {
        std::uint64_t u = 0;
        for (int b = 7; b >= 0; --b) u = u << 8 | yb[k * 8 + static_cast<std::size_t>(b)];
        got[k] = static_cast<std::int64_t>(u);
    }

    // The core engine called directly on each tile, merged the same way.
    std::vector<std::int64_t> ref(o.vectors * o.outputs, 0);
    std::int64_t den = 0;
    for (const tile& t : tiles) {
        core::mvm_engine e(p);
        e.load_weights(t.w.data(), t.layer.outputs, t.layer.rows, core::dense_tiling(t.layer.rows, p.row_parallelism));
        const std::vector<std::int32_t> xt = tile_inputs(o, t, x.data(), o.vectors);
        std::vector<std::int64_t> yt(o.vectors * t.layer.outputs);
        e.run(xt.data(), o.vectors, 0, t.layer.key, yt.data());
        merge(o, t, yt, o.vectors, ref.data());
        den = e.denominator();
    }
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < got.size(); ++k) mismatches += got[k] != ref[k];

    std::printf("\n  v  o   platform (num/%lld)   core engine   ideal integer\n", static_cast<long long>(den));
    for (std::size_t k = 0; k < std::min<std::size_t>(8, o.outputs); ++k) {
        const std::size_t v = k % o.vectors, out = k * std::max<std::size_t>(1, o.outputs / 8) % o.outputs;
        std::int64_t ideal = 0;
        for (std::size_t r = 0; r < o.rows; ++r) ideal += std::int64_t{w[out * o.rows + r]} * x[v * o.rows + r];
        const std::size_t i = v * o.outputs + out;
        std::printf("%3zu %2zu   %18.3f   %11.3f   %13lld\n", v, out, static_cast<double>(got[i]) / static_cast<double>(den),
                    static_cast<double>(ref[i]) / static_cast<double>(den), static_cast<long long>(ideal));
    }
    std::printf("\nbit-identical to the core engine: %s (%zu of %zu numerators differ)\n", mismatches == 0 ? "yes" : "NO",
                mismatches, got.size());

    const double t_ns = (t_compute_end - t_compute_start).to_seconds() * 1e9;
    double energy_pj = 0.0;
    std::printf("simulated: %.3f us total, %.3f us streaming the batches\n", sc_core::sc_time_stamp().to_seconds() * 1e6,
                t_ns / 1e3);
    for (std::size_t m = 0; m < 2; ++m) {
        const vp::macro_counters& c = counters[m];
        std::printf("macro_%zu: %u runs, %llu cycles, %llu conversions, %llu saturations, %.3f nJ\n", m, c.runs,
                    static_cast<unsigned long long>(c.cycles), static_cast<unsigned long long>(c.conversions),
                    static_cast<unsigned long long>(c.saturations), static_cast<double>(c.energy_fj) * 1e-6);
        energy_pj += static_cast<double>(c.energy_fj) * 1e-3;
    }
    const double ops = 2.0 * static_cast<double>(o.rows * o.outputs * o.vectors);
    std::printf("layer: %.3f nJ incl. weight writes, %.2f TOPS/W, %.3f TOPS while streaming\n", energy_pj * 1e-3,
                ops / (energy_pj * 1e-12) / 1e12, ops / (t_ns * 1e-9) / 1e12);
    std::printf("host: %.3f s wall, %.1f vectors/s; cpu: %llu bus accesses, %llu DMI copies, %llu DMI invalidations\n", wall,
                static_cast<double>(o.vectors) / wall, static_cast<unsigned long long>(plat.cpu.stats().bus_accesses),
                static_cast<unsigned long long>(plat.cpu.stats().dmi_accesses),
                static_cast<unsigned long long>(plat.cpu.stats().invalidations));
    return mismatches == 0 ? 0 : 1;
}

}  // namespace

int sc_main(int argc, char** argv) {
    options o;
    CLI::App app{"acim_vp: example virtual platform, a W8A8 linear layer split across two ACiM macros"};
    app.add_option("--rows", o.rows, "Input features (reduction length)")->check(CLI::Range(2, 1 << 15));
    app.add_option("--outputs", o.outputs, "Output channels")->check(CLI::Range(2, 1 << 12));
    app.add_option("--vectors", o.vectors, "Input vectors")->check(CLI::Range(1, 1 << 16));
    app.add_option("--depth", o.depth, "Input buffer depth of each macro (vectors per batch)")->check(CLI::Range(1, 4096));
    app.add_option("--sigma", o.sigma, "Random conversion noise, % of full scale")->check(CLI::Range(0.0, 100.0));
    app.add_option("--split", o.split, "Tile the layer over the two macros by output columns or by input rows")
        ->check(CLI::IsMember({"columns", "rows"}));
    app.add_option("--quantum-ns", o.quantum_ns, "Global quantum of the CPU (0: no temporal decoupling)")
        ->check(CLI::Range(0.0, 1e9));
    app.add_option("--router-ns", o.router_ns, "Router decode latency")->check(CLI::Range(0.0, 1e6));
    app.add_flag("--no-dmi", o.no_dmi, "Copy blocks through b_transport only");
    app.add_flag("--polling", o.polling, "Poll STATUS instead of waiting for the interrupt");
    app.add_option("--seed", o.seed, "Random seed of the layer and of the noise");
    app.add_option("--trace", o.trace, "Write macro_0's cycle-stepped trace to this VCD (docs/tracing.md)");
    app.add_option("--trace-first-run", o.trace_first_run, "First traced run (START) of macro_0, from 0");
    app.add_option("--trace-runs", o.trace_runs, "Traced runs")->check(CLI::Range(1, 1 << 20));
    app.add_option("--trace-vectors", o.trace_vectors, "Vectors stepped per traced run")->check(CLI::Range(1, 1 << 20));
    CLI11_PARSE(app, argc, argv);
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "acim_vp: %s\n", e.what());
        return 1;
    }
}
