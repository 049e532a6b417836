// Per-cycle code-error histograms of mvm_engine (code_error_histogram): every ADC conversion's
// code minus the ideal code of its count, per cycle (i, j). The histogram must equal one built
// independently from the observability sink's events, on both kernels and any thread count, add up
// over batch splits, hold exactly the ADC conversions, and be all-zero error for a lossless macro.
#include <acim/core/adc.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/error.hpp>
#include <acim/core/layer.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace acim::core;

namespace {

struct hist_sink final : conversion_sink {
    code_error_histogram h;
    std::int64_t top = 255;
    digital_mode digital = digital_mode::exact;
    void on_conversion(const conversion_event& e) override {
        const bool adc = e.kind == cycle_kind::analog || e.kind == cycle_kind::voted ||
                         (e.kind == cycle_kind::digital && digital == digital_mode::adc);
        if (!adc) return;
        const std::int64_t err = e.code - ideal_code(e.ideal, e.full_scale, top);
        ++h.counts[static_cast<std::size_t>((e.i * h.act_cycles + e.j) * code_error_histogram::bins +
                                            code_error_histogram::bin(err))];
    }
};

struct setup {
    std::string name;
    cim_params p;
    std::size_t outputs = 5, rows = 150;
};

std::vector<setup> setups() {
    std::vector<setup> s;
    auto add = [&](const std::string& n, auto f) {
        setup x;
        x.name = n;
        x.p.row_parallelism = 64;
        x.p.adc_bits = 6;
        f(x.p);
        s.push_back(x);
    };
    add("noise", [](cim_params& p) { p.sigma_rand = 1.5; });
    add("noise_nl_bit_parallel", [](cim_params& p) {
        p.sigma_rand = 0.5;
        p.sigma_nl = 3.0;
        p.act_enc = 2;
    });
    add("voting_hcim_adc_mode", [](cim_params& p) {
        p.sigma_rand = 2.0;
        p.hybrid_levels = 2;
        p.digital = digital_mode::adc;
        p.voting_levels = 2;
        p.voting_samples = 3;
    });
    add("gain_compression", [](cim_params& p) {
        p.sigma_rand = 0.5;
        p.gain_compression = 0.004;
    });
    add("mismatch_sar", [](cim_params& p) {
        p.sigma_rand = 0.5;
        p.adc_arch = adc_architecture::sar;
        p.adcs = 4;
        p.sigma_cmp_offset = 0.8;
        p.sigma_sar_cap = 2.0;
        p.sigma_col_offset = 0.3;
    });
    add("mismatch_noise_free_flash", [](cim_params& p) {
        p.adc_arch = adc_architecture::flash;
        p.sigma_flash_th = 0.6;
    });
    add("lossless", [](cim_params& p) {
        p.row_parallelism = 255;
        p.adc_bits = 8;
    });
    return s;
}

struct data {
    std::vector<std::int32_t> w, x;
};

data make(const setup& s, std::size_t vectors, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    data d;
    d.w.resize(s.outputs * s.rows);
    d.x.resize(vectors * s.rows);
    for (auto& v : d.w) v = static_cast<std::int32_t>(g() % 256) - 128;
    for (auto& v : d.x) v = static_cast<std::int32_t>(g() % 256);
    return d;
}

code_error_histogram run(const setup& s, const data& d, engine_options opt, conversion_sink* sink,
                         std::size_t split = 0) {
    mvm_engine e(s.p, opt);
    e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, static_cast<std::size_t>(s.p.row_parallelism)));
    const std::size_t vectors = d.x.size() / s.rows;
    std::vector<std::int64_t> out(vectors * s.outputs);
    stream_key key;
    key.seed = 99;
    if (split == 0) {
        e.run(d.x.data(), vectors, 0, key, out.data(), sink);
    } else {
        for (std::size_t v0 = 0; v0 < vectors; v0 += split) {
            const std::size_t n = std::min(split, vectors - v0);
            e.run(d.x.data() + v0 * s.rows, n, v0, key, out.data() + v0 * s.outputs, sink);
        }
    }
    return e.code_errors();
}

}  // namespace

TEST(CodeErrors, EqualTheSinkReferenceOnEveryKernelAndThreadCount) {
    for (const setup& s : setups()) {
        const std::size_t vectors = 45;
        const data d = make(s, vectors, 7);
        hist_sink ref;
        ref.top = s.p.adc_top();
        ref.digital = s.p.digital;
        const cycle_plan plan(s.p);
        ref.h.reset(plan.weight_cycles(), plan.act_cycles());
        const code_error_histogram with_sink = run(s, d, {1, kernel_isa::portable}, &ref);
        ASSERT_EQ(with_sink, ref.h) << s.name;
        for (const kernel_isa isa : {kernel_isa::portable, kernel_isa::avx512}) {
            if (isa == kernel_isa::avx512 && !cpu_has_avx512_kernel()) continue;
            for (const int threads : {1, 2})
                EXPECT_EQ(run(s, d, {threads, isa}, nullptr), ref.h)
                    << s.name << (isa == kernel_isa::avx512 ? " avx512" : " portable") << " t" << threads;
            EXPECT_EQ(run(s, d, {1, isa}, nullptr, 13), ref.h) << s.name << " split 13";
        }
        // Each ADC cycle holds one entry per vector, output and tile; others hold none.
        const std::uint64_t per = vectors * s.outputs * dense_tiling(s.rows, static_cast<std::size_t>(s.p.row_parallelism)).size();
        std::uint64_t wrong = 0;
        for (int i = 0; i < plan.weight_cycles(); ++i)
            for (int j = 0; j < plan.act_cycles(); ++j) {
                const cycle_kind k = plan.kind(i, j);
                const bool adc = k != cycle_kind::digital || s.p.digital == digital_mode::adc;
                EXPECT_EQ(ref.h.total(i, j), adc ? per : 0u) << s.name << " cycle " << i << "," << j;
                wrong += ref.h.wrong(i, j);
            }
        if (s.name == "lossless") EXPECT_EQ(wrong, 0u);
        else EXPECT_GT(wrong, 0u) << s.name;
    }
}

TEST(CodeErrors, ResetAndArithmetic) {
    const setup s = setups()[0];
    const data d = make(s, 20, 3);
    mvm_engine e(s.p);
    e.load_weights(d.w.data(), s.outputs, s.rows, dense_tiling(s.rows, 64));
    std::vector<std::int64_t> out(20 * s.outputs);
    e.run(d.x.data(), 20, 0, {}, out.data());
    const code_error_histogram one = e.code_errors();
    e.run(d.x.data(), 20, 0, {}, out.data());
    const code_error_histogram two = e.code_errors();
    EXPECT_EQ(two - one, one);  // the same vectors and keys again: the same errors
    e.reset_counters();
    EXPECT_TRUE(e.code_errors().empty());
    EXPECT_EQ(code_error_histogram::bin(-100), 0);
    EXPECT_EQ(code_error_histogram::bin(0), code_error_histogram::range + 1);
    EXPECT_EQ(code_error_histogram::bin(100), code_error_histogram::bins - 1);
    EXPECT_EQ(code_error_histogram::error_of(code_error_histogram::bin(-3)), -3);
    code_error_histogram other;
    other.reset(2, 2);
    code_error_histogram sum = one;
    EXPECT_THROW(sum += other, parameter_error);
}
