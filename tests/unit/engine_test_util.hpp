// Helpers shared by the engine unit tests: kernel/thread variants as a gtest parameter and a
// one-call wrapper around mvm_engine.
#pragma once

#include <acim/core/engine.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace acim::test {

struct kernel_variant {
    core::kernel_isa isa = core::kernel_isa::portable;
    int threads = 1;
};

inline std::string variant_name(const ::testing::TestParamInfo<kernel_variant>& info) {
    return std::string(info.param.isa == core::kernel_isa::avx512 ? "avx512" : "portable") + "_t" +
           std::to_string(info.param.threads);
}

inline std::vector<kernel_variant> all_variants() {
    return {{core::kernel_isa::portable, 1}, {core::kernel_isa::portable, 2},
            {core::kernel_isa::avx512, 1}, {core::kernel_isa::avx512, 2}};
}

// Fixture base: skips AVX-512 variants on CPUs without the kernel.
class variant_test : public ::testing::TestWithParam<kernel_variant> {
protected:
    void SetUp() override {
        if (GetParam().isa == core::kernel_isa::avx512 && !core::cpu_has_avx512_kernel())
            GTEST_SKIP() << "CPU lacks AVX-512 VPOPCNTDQ";
    }
    core::engine_options options() const { return {GetParam().threads, GetParam().isa}; }
};

struct engine_result {
    std::vector<std::int64_t> num;  // [vectors][outputs]
    std::int64_t den = 0;
    core::engine_counters counters;
    bool avx512 = false;
};

inline engine_result run_engine(const core::cim_params& p, core::engine_options opt,
                                const std::vector<std::int32_t>& w, std::size_t outputs, std::size_t rows,
                                const std::vector<core::row_tile>& tiles, const std::vector<std::int32_t>& x,
                                const core::stream_key& key = {}, core::conversion_sink* sink = nullptr) {
    core::mvm_engine e(p, opt);
    e.load_weights(w.data(), outputs, rows, tiles);
    const std::size_t vectors = x.size() / rows;
    engine_result r;
    r.num.assign(vectors * outputs, -0x7777);
    e.run(x.data(), vectors, 0, key, r.num.data(), sink);
    r.den = e.denominator();
    r.counters = e.counters();
    r.avx512 = e.uses_avx512();
    return r;
}

// Repeats one vector `n` times.
inline std::vector<std::int32_t> repeat(const std::vector<std::int32_t>& v, std::size_t n) {
    std::vector<std::int32_t> out;
    for (std::size_t k = 0; k < n; ++k) out.insert(out.end(), v.begin(), v.end());
    return out;
}

}  // namespace acim::test
