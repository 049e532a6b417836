// What the modular TLM path costs over the fused core. The same batch (255 rows x 32 outputs, W8A8
// unsigned, nrow 255, 8-bit SAR ADC, 1024 vectors) runs
//   (a) engine:    mvm_engine::run, one call;
//   (b) frame_ops: core::frame_pipeline::run, the frame operations called directly (no SystemC);
//   (b2) chain:    the six SystemC blocks and their frame sockets without the bus:
//                  frame_chain_backend::compute on the same job (what sockets and modules cost);
//   (c) macro:     acim_macro through its bus: inputs into the input buffer (DMI), START, the
//                  interrupt, outputs out of the output buffer (DMI); backend = frames pushes every
//                  frame through the six SystemC blocks and their frame sockets (frame_vectors > 0);
//                  backend = fused (frame_vectors 0) shows the cost of the bus side alone.
// Modes: 0 bit-serial, 1 bit-parallel (act_enc 2), 2 majority voting (4 levels, S = 5), 3 HCiM
// (3 digital levels); noise 1 = sigma_rand 0.1 % of full scale. One host thread everywhere.
// Counter conv_per_s: conversions (vector x column x activation cycle) per second. The macros are
// elaborated once; each iteration of (c) is one sc_start() that runs the firmware loop for one
// batch and pauses.
#include <acim/core/engine.hpp>
#include <acim/core/frame_ops.hpp>
#include <acim/sc/acim_macro.hpp>
#include <acim/sc/frame_chain_backend.hpp>
#include <acim/tlm/buffer_layout.hpp>
#include <acim/tlm/register_table.hpp>

#include "bench_tile.hpp"

#include <benchmark/benchmark.h>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

using acim::bench::data;
using acim::bench::outputs;
using acim::bench::rows;
using acim::bench::vectors;

core::cim_params params(int mode, bool noise) {
    core::cim_params p;  // W8A8 unsigned, bit-serial, nrow 255, 8-bit ADC
    p.sigma_rand = noise ? 0.1 : 0.0;
    if (mode == 1) p.act_enc = 2;
    if (mode == 2) {
        p.voting_levels = 4;
        p.voting_samples = 5;
    }
    if (mode == 3) p.hybrid_levels = 3;
    return p;
}

core::stream_key key() {
    core::stream_key k;
    k.seed = 7;
    return k;
}

std::uint64_t conversions(int mode) {
    const core::cycle_plan plan(params(mode, false));
    return vectors * outputs * static_cast<std::uint64_t>(plan.weight_cycles() * plan.act_cycles());
}

void set_rate(benchmark::State& st, int mode) {
    st.counters["conv_per_s"] =
        benchmark::Counter(static_cast<double>(conversions(mode)) * static_cast<double>(st.iterations()),
                           benchmark::Counter::kIsRate);
}

// The (mode, noise) pairs measured, and the frame sizes per mode.
const std::vector<std::pair<int, int>> settings = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 1}, {3, 1}};
std::vector<int> frame_sizes(int mode) { return mode == 0 ? std::vector<int>{64, 256, 1024} : std::vector<int>{256}; }

// (a) args: mode, noise
void bm_engine(benchmark::State& st) {
    const int mode = static_cast<int>(st.range(0));
    const core::cim_params p = params(mode, st.range(1) != 0);
    core::mvm_engine e(p, {1, core::kernel_isa::automatic});
    e.load_weights(data().w.data(), outputs, rows, core::dense_tiling(rows, p.row_parallelism));
    std::vector<std::int64_t> out(vectors * outputs);
    for (auto _ : st) {
        e.run(data().x.data(), vectors, 0, key(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    set_rate(st, mode);
    st.SetLabel(e.uses_avx512() ? "avx512" : "portable");
}
// Least time of the repetitions: on a shared machine the least disturbed run.
double least(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

BENCHMARK(bm_engine)
    ->ArgNames({"mode", "noise"})
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (const auto& [mode, noise] : settings) b->Args({mode, noise});
    })
    ->ComputeStatistics("min", least)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// (b) args: mode, noise, frame_vectors
void bm_frame_ops(benchmark::State& st) {
    const int mode = static_cast<int>(st.range(0));
    const core::cim_params p = params(mode, st.range(1) != 0);
    core::frame_pipeline fp(p, data().w.data(), outputs, rows, core::dense_tiling(rows, p.row_parallelism),
                            static_cast<std::size_t>(st.range(2)));
    std::vector<std::int64_t> out(vectors * outputs);
    for (auto _ : st) {
        fp.run(data().x.data(), vectors, 0, key(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    set_rate(st, mode);
    st.SetLabel(fp.plan().avx512() ? "avx512" : "portable");
}
BENCHMARK(bm_frame_ops)
    ->ArgNames({"mode", "noise", "frame_vectors"})
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (const auto& [mode, noise] : settings)
            for (const int fv : frame_sizes(mode)) b->Args({mode, noise, fv});
    })
    ->ComputeStatistics("min", least)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// (c) A firmware-like driver: programs the layer once, then per activation runs one batch.
class driver : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<driver> bus_out;
    sc_core::sc_in<bool> irq_in;
    sc_core::sc_event go;
    int mode = 0;
    bool noise = false;
    std::vector<std::int64_t> out;

    SC_HAS_PROCESS(driver);
    explicit driver(const sc_core::sc_module_name& name) : sc_module(name), bus_out("bus_out"), irq_in("irq_in") {
        SC_THREAD(run);
    }

private:
    void access(::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len) {
        ::tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        bus_out->b_transport(gp, delay);
        if (gp.get_response_status() != ::tlm::TLM_OK_RESPONSE)
            throw std::runtime_error("bus error at " + std::to_string(addr));
        wait(delay);
    }
    void wr(std::uint32_t off, std::uint32_t v) {
        unsigned char b[4];
        for (unsigned k = 0; k < 4; ++k) b[k] = static_cast<unsigned char>(v >> (8 * k));
        access(::tlm::TLM_WRITE_COMMAND, regmap::addr::reg_base + off, b, 4);
    }
    unsigned char* dmi(std::uint64_t addr, ::tlm::tlm_command cmd) {
        ::tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        ::tlm::tlm_dmi d;
        if (!bus_out->get_direct_mem_ptr(gp, d)) throw std::runtime_error("no DMI at " + std::to_string(addr));
        return d.get_dmi_ptr();
    }
    // The layer registers of a (mode, noise) setting.
    void configure(const core::cim_params& p) {
        namespace R = regmap::reg;
        auto u = [](int v) { return static_cast<std::uint32_t>(v); };
        for (const auto& [off, v] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                 {R::wbit, u(p.wbit)}, {R::xbit, u(p.xbit)}, {R::signed_act, 0}, {R::act_enc, u(p.act_enc)},
                 {R::adc_kind, regmap::adc_kind_sar}, {R::adc_bits, u(p.adc_bits)}, {R::row_par, u(p.row_parallelism)},
                 {R::hybrid_levels, u(p.hybrid_levels)}, {R::voting_levels, u(p.voting_levels)},
                 {R::voting_samples, u(p.voting_samples)},
                 {R::sigma_rand, static_cast<std::uint32_t>(std::llround(p.sigma_rand * regmap::sigma_lsb_per_pct))},
                 {R::seed_lo, 7}, {R::seed_hi, 0}, {R::rows_used, rows}, {R::outputs, outputs}, {R::batch, vectors},
                 {R::tile_mode, regmap::tile_mode_dense}})
            wr(off, v);
    }
    void run() {
        namespace R = regmap::reg;
        const core::cim_params p = params(0, false);
        configure(p);
        int configured = 0;  // mode * 2 + noise of the registers
        std::vector<unsigned char> sram(256 * 256 / 8, 0);
        regmap::pack_weights(data().w.data(), outputs, rows, p.wbit, 256, sram.data());
        access(::tlm::TLM_WRITE_COMMAND, regmap::addr::weight_base, sram.data(), static_cast<unsigned>(sram.size()));
        std::vector<unsigned char> xin(vectors * rows);
        regmap::encode_inputs(data().x.data(), xin.size(), p.xbit, xin.data());
        out.resize(vectors * outputs);
        for (;;) {
            wait(go);
            if (configured != mode * 2 + (noise ? 1 : 0)) {
                configure(params(mode, noise));
                configured = mode * 2 + (noise ? 1 : 0);
            }
            // DMI pointers are fetched per batch: START invalidates them.
            std::memcpy(dmi(regmap::addr::input_base, ::tlm::TLM_WRITE_COMMAND), xin.data(), xin.size());
            wr(R::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable);
            if (!irq_in.read()) wait(irq_in.posedge_event());
            regmap::decode_outputs(dmi(regmap::addr::output_base, ::tlm::TLM_READ_COMMAND), out.size(), out.data());
            wr(R::irq_status, regmap::irq_done);
            sc_core::sc_pause();
        }
    }
};

// Hosts a frame chain outside any macro (its blocks become children of this module).
class chain_host : public sc_core::sc_module {
public:
    chain_host(const sc_core::sc_module_name& name, const sc::macro_config& cfg)
        : sc_module(name), chain(std::make_unique<sc::frame_chain_backend>(cfg)) {}
    std::unique_ptr<sc::frame_chain_backend> chain;
};

struct platform {
    std::vector<std::unique_ptr<chain_host>> chains;  // frame sizes of chain_frame_sizes()
    std::vector<std::unique_ptr<sc::acim_macro>> macros;
    std::vector<std::unique_ptr<driver>> drivers;
    std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> irqs;

    // [0]: fused; [1..]: frames with the frame sizes of macro_frame_sizes().
    static std::vector<std::uint32_t> macro_frame_sizes() { return {64, 256, 1024}; }
    static std::vector<std::uint32_t> chain_frame_sizes() { return {64, 256}; }
    platform() {
        for (const std::uint32_t fv : chain_frame_sizes()) {
            sc::macro_config cfg;
            cfg.input_depth = vectors;
            cfg.frame_vectors = fv;
            chains.push_back(std::make_unique<chain_host>(("chain" + std::to_string(fv)).c_str(), cfg));
        }
        for (std::size_t k = 0; k <= macro_frame_sizes().size(); ++k) {
            sc::macro_config cfg;
            cfg.rows = 256;
            cfg.cols = 256;
            cfg.input_depth = vectors;
            cfg.threads = 1;
            cfg.backend = k == 0 ? sc::compute_backend::fused : sc::compute_backend::frames;
            if (k > 0) cfg.frame_vectors = macro_frame_sizes()[k - 1];
            const std::string n = k == 0 ? "fused" : "frames" + std::to_string(cfg.frame_vectors);
            macros.push_back(std::make_unique<sc::acim_macro>(("macro_" + n).c_str(), cfg));
            drivers.push_back(std::make_unique<driver>(("cpu_" + n).c_str()));
            irqs.push_back(std::make_unique<sc_core::sc_signal<bool>>(("irq_" + n).c_str()));
            drivers.back()->bus_out.bind(macros.back()->bus_in);
            macros.back()->irq_out(*irqs.back());
            drivers.back()->irq_in(*irqs.back());
        }
        sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate; the drivers program their macros
        sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
    }
    // One batch on macro k.
    void batch(std::size_t k, int mode, bool noise) {
        drivers[k]->mode = mode;
        drivers[k]->noise = noise;
        drivers[k]->go.notify(sc_core::SC_ZERO_TIME);
        sc_core::sc_start();
    }
};
platform& vp() {
    static platform p;
    return p;
}

const std::vector<std::int64_t>& engine_outputs(int mode, bool noise) {
    static std::vector<std::int64_t> out[8];
    std::vector<std::int64_t>& o = out[mode * 2 + (noise ? 1 : 0)];
    if (o.empty()) {
        const core::cim_params p = params(mode, noise);
        core::mvm_engine e(p);
        e.load_weights(data().w.data(), outputs, rows, core::dense_tiling(rows, p.row_parallelism));
        o.resize(vectors * outputs);
        e.run(data().x.data(), vectors, 0, key(), o.data());
    }
    return o;
}

// (b2) args: mode, noise, frame_vectors
void bm_chain(benchmark::State& st) {
    const int mode = static_cast<int>(st.range(0));
    const bool noise = st.range(1) != 0;
    platform& v = vp();
    std::size_t k = 0;
    const auto sizes = platform::chain_frame_sizes();
    for (std::size_t s = 0; s < sizes.size(); ++s)
        if (static_cast<std::int64_t>(sizes[s]) == st.range(2)) k = s;
    sc::mvm_job job;
    job.params = params(mode, noise);
    job.weights = data().w.data();
    job.outputs = outputs;
    job.rows = rows;
    job.tiles = core::dense_tiling(rows, job.params.row_parallelism);
    job.weights_version = 1;
    job.inputs = data().x.data();
    job.vectors = vectors;
    job.key = key();
    sc::mvm_result out;
    v.chains[k]->chain->compute(job, out);  // warm-up: plan and tables
    if (out.numerators != engine_outputs(mode, noise)) {
        st.SkipWithError("the chain's outputs differ from mvm_engine's");
        return;
    }
    for (auto _ : st) {
        v.chains[k]->chain->compute(job, out);
        benchmark::DoNotOptimize(out.numerators.data());
    }
    set_rate(st, mode);
}
BENCHMARK(bm_chain)
    ->ArgNames({"mode", "noise", "frame_vectors"})
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (const auto& [mode, noise] : settings)
            for (const int fv : frame_sizes(mode))
                if (fv != 1024) b->Args({mode, noise, fv});
    })
    ->ComputeStatistics("min", least)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// (c) args: mode, noise, frame_vectors (0 = the fused backend)
void bm_macro(benchmark::State& st) {
    const int mode = static_cast<int>(st.range(0));
    const bool noise = st.range(1) != 0;
    std::size_t k = 0;
    const auto sizes = platform::macro_frame_sizes();
    for (std::size_t s = 0; s < sizes.size(); ++s)
        if (static_cast<std::int64_t>(sizes[s]) == st.range(2)) k = s + 1;
    platform& v = vp();
    v.batch(k, mode, noise);  // warm-up: the backend builds its tables for this setting
    if (v.drivers[k]->out != engine_outputs(mode, noise)) {
        st.SkipWithError("the macro's outputs differ from mvm_engine's");
        return;
    }
    for (auto _ : st) {
        v.batch(k, mode, noise);
        benchmark::DoNotOptimize(v.drivers[k]->out.data());
    }
    set_rate(st, mode);
    st.SetLabel(k == 0 ? "fused backend" : "frames backend");
}
BENCHMARK(bm_macro)
    ->ArgNames({"mode", "noise", "frame_vectors"})
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (const auto& [mode, noise] : settings) {
            b->Args({mode, noise, 0});
            for (const int fv : frame_sizes(mode)) b->Args({mode, noise, fv});
        }
    })
    ->ComputeStatistics("min", least)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int sc_main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
