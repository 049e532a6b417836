// Conversion throughput of the bit-true core on a realistic macro tile: 255 rows used, 256 columns
// (32 outputs x W8), a batch of 1024 A8 vectors. One "conversion" is one (vector, column, cycle)
// bitline evaluation, the architecture's unit of work. Counters: conv_per_s is the rate,
// vs_target the rate over the target (2e9/s noise off, 1e9/s noise on).
#include "core/engine.hpp"

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

}  // namespace

BENCHMARK_MAIN();
