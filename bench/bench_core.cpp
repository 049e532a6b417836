// Conversion throughput of the bit-true core on a realistic macro tile: 255 rows used, 256 columns
// (32 outputs x W8), a batch of 1024 A8 vectors. One "conversion" is one (vector, column, cycle)
// bitline evaluation, the architecture's unit of work. Counters: conv_per_s is the rate,
// vs_target the rate over the target (2e9/s noise off, 1e9/s noise on).
#include <acim/core/engine.hpp>

#include "bench_tile.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

using namespace acim::core;

namespace {

using acim::bench::data;
using acim::bench::outputs;
using acim::bench::rows;
using acim::bench::vectors;

// args: act_enc, noise (0/1), threads, isa (0 auto, 1 portable), nrow, voting samples
void bm_tile(benchmark::State& st) {
    cim_params p;
    p.act_enc = static_cast<int>(st.range(0));
    p.sigma_rand = st.range(1) ? 0.1 : 0.0;
    p.row_parallelism = static_cast<int>(st.range(4));
    if (st.range(5) > 1) {
        p.voting_levels = 4;
        p.voting_samples = static_cast<int>(st.range(5));
    }
    engine_options opt{static_cast<int>(st.range(2)), st.range(3) ? kernel_isa::portable : kernel_isa::automatic};
    mvm_engine e(p, opt);
    e.load_weights(data().w.data(), outputs, rows, dense_tiling(rows, p.row_parallelism));
    std::vector<std::int64_t> out(vectors * outputs);
    stream_key key;
    key.seed = 7;
    std::uint64_t first = 0;
    for (auto _ : st) {
        e.run(data().x.data(), vectors, first, key, out.data());
        first += vectors;  // fresh noise every iteration
        benchmark::DoNotOptimize(out.data());
    }
    const double conv = static_cast<double>(e.counters().conversions);
    st.counters["conv_per_s"] = benchmark::Counter(conv, benchmark::Counter::kIsRate);
    st.counters["vs_target"] = benchmark::Counter(conv / (st.range(1) ? 1e9 : 2e9), benchmark::Counter::kIsRate);
    st.SetLabel(std::string(e.uses_avx512() ? "avx512" : "portable") + " " + p.describe());
}

void args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"enc", "noise", "threads", "portable", "nrow", "S"});
    for (int enc : {1, 2})
        for (int noise : {0, 1})
            for (int th : {1, 2}) b->Args({enc, noise, th, 0, 255, 1});
    b->Args({1, 0, 2, 0, 256, 1});  // lossy ADC: every conversion goes through the code table
    b->Args({1, 1, 2, 0, 255, 5});  // majority voting on 4 levels, S = 5
    b->Args({1, 0, 1, 1, 255, 1});  // portable kernel
    b->Args({1, 1, 1, 1, 255, 1});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(bm_tile)->Apply(args);

// The hot layers of the e2e workload (bench/results/e2e.md), one macro START each: 256 vectors of
// the shipped CNN's conv1 (9 rows x 16 outputs) or conv2 (144 rows x 32 outputs), W8A8,
// bit-serial, nrow 255, 8-bit ADC, sigma 0.1 %, activations half zeros as after ReLU.
// args: rows, outputs, threads
void bm_start(benchmark::State& st) {
    const auto r = static_cast<std::size_t>(st.range(0)), o = static_cast<std::size_t>(st.range(1));
    constexpr std::size_t n = 256;
    std::mt19937_64 g(43);
    std::vector<std::int32_t> w(o * r), x(n * r);
    for (auto& v : w) v = static_cast<std::int32_t>(g() % 255) - 127;
    for (auto& v : x) v = g() % 2 ? static_cast<std::int32_t>(g() % 256) : 0;
    cim_params p;
    p.sigma_rand = 0.1;
    mvm_engine e(p, engine_options{static_cast<int>(st.range(2))});
    e.load_weights(w.data(), o, r, dense_tiling(r, p.row_parallelism));
    std::vector<std::int64_t> out(n * o);
    stream_key key;
    key.seed = 7;
    std::uint64_t first = 0;
    for (auto _ : st) {
        e.run(x.data(), n, first, key, out.data());
        first += n;
        benchmark::DoNotOptimize(out.data());
    }
    st.counters["conv_per_s"] = benchmark::Counter(static_cast<double>(e.counters().conversions), benchmark::Counter::kIsRate);
}
BENCHMARK(bm_start)
    ->ArgNames({"rows", "outputs", "threads"})
    ->Args({9, 16, 1})
    ->Args({9, 16, 2})
    ->Args({144, 32, 1})
    ->Args({144, 32, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
