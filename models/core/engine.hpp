// The matrix-vector engine of one ACiM layer: every output of every input vector is computed
// conversion by conversion, as an SRAM charge-domain macro does it. For each row tile, weight bit
// i and activation cycle j, the bitline count c = popcount(weight plane AND activation plane) is
// converted (ideal ADC, noise, HCiM digital unit, majority vote, current-domain effects) and
// shift-added. This is the kernel-free core that the SystemC modules and the workload driver call.
//
// Results are exact rationals: output = numerator / denominator(), where the denominator is the
// ADC's top code L (L' = 2^(adc-1) - 1 for weight-full-bit-parallel). Every contribution
// sign * code * FS * 2^shift / L is an integer multiple of 1/L, so nothing is rounded.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace acim::core {

// One conversion as the observability sink sees it.
struct conversion_event {
    std::uint64_t vector = 0;  // global vector index (first_vector + local index)
    std::uint32_t output = 0;  // output channel
    std::uint32_t tile = 0;    // row tile
    int i = 0;                 // weight bit (0 for full_bp)
    int j = 0;                 // activation cycle (0 for full_bp)
    cycle_kind kind = cycle_kind::analog;
    std::int64_t ideal = 0;       // ideal count (2^t-weighted for bit-parallel; tile dot product for full_bp)
    std::int64_t full_scale = 0;  // FS of the cycle in counts
    std::int32_t code = 0;        // ADC code; the exact count for exact digital cycles
    double error_lsb = 0.0;       // code - ideal * L / FS
    bool saturated = false;       // code 0 or L although 0 < ideal < FS
};

class conversion_sink {
public:
    virtual ~conversion_sink() = default;
    virtual void on_conversion(const conversion_event& e) = 0;
};

struct engine_counters {
    std::uint64_t conversions = 0;      // cycle evaluations: vectors x outputs x tiles x P x Q
    std::uint64_t analog = 0;           // single-sample analog cycles
    std::uint64_t digital = 0;          // HCiM digital cycles
    std::uint64_t voted = 0;            // majority-voted cycles
    std::uint64_t adc_conversions = 0;  // ADC operations, S per voted cycle, digital in adc mode
    std::uint64_t saturations = 0;      // ADC codes 0 or L while 0 < ideal < FS
    engine_counters& operator+=(const engine_counters& o);
    engine_counters operator-(const engine_counters& o) const;
    bool operator==(const engine_counters& o) const;
};

// Per-cycle histograms of ADC code errors in LSB: for every conversion that passes an ADC
// (analog, voted after its vote, digital cycles in digital_mode::adc), err = code - ideal_code(count),
// the code an ideal, noise-free, mismatch-free ADC gives for the exact bitline count. Noise, static
// mismatch, gain compression and cell variation all show up here; quantisation itself does not.
// Cycles that pass no ADC (exact HCiM digital cycles) have empty histograms.
struct code_error_histogram {
    static constexpr int range = 8;              // bins for err = -range .. +range ...
    static constexpr int bins = 2 * range + 3;   // ... plus one tail bin on each side
    int weight_cycles = 0, act_cycles = 0;       // P, Q
    std::vector<std::uint64_t> counts;           // [(i * Q + j) * bins + bin(err)]

    static int bin(std::int64_t err) {
        return err < -range ? 0 : err > range ? bins - 1 : static_cast<int>(err) + range + 1;
    }
    // Error of bin b (the tails report -range-1 and range+1).
    static int error_of(int b) { return b - range - 1; }
    bool empty() const { return counts.empty(); }
    void reset(int P, int Q);
    std::uint64_t at(int i, int j, int b) const {
        return counts[static_cast<std::size_t>((i * act_cycles + j) * bins + b)];
    }
    std::uint64_t total(int i, int j) const;       // conversions of cycle (i, j)
    std::uint64_t wrong(int i, int j) const;       // of them with err != 0
    // Adds `o` (same grid, or empty); an empty histogram takes o's grid.
    code_error_histogram& operator+=(const code_error_histogram& o);
    code_error_histogram operator-(const code_error_histogram& before) const;
    bool operator==(const code_error_histogram& o) const;
};

// avx512_base: the AVX-512 kernel without its AVX512-VBMI2 copy (the A8 dot-product path), as on
// CPUs that lack VBMI2; for tests and benchmarks.
enum class kernel_isa { automatic, portable, avx512, avx512_base };

struct engine_options {
    int threads = 1;
    kernel_isa isa = kernel_isa::automatic;
};

// True when this CPU can run the AVX-512 (VPOPCNTDQ) kernel.
bool cpu_has_avx512_kernel();

class mvm_engine {
public:
    explicit mvm_engine(const cim_params& p, engine_options opt = {});
    ~mvm_engine();
    mvm_engine(const mvm_engine&) = delete;
    mvm_engine& operator=(const mvm_engine&) = delete;

    // Stores weights [outputs][rows] (codes in the wbit two's-complement range) cut into `tiles`:
    // sorted, non-overlapping row ranges inside [0, rows), each at most row_parallelism rows.
    // Rows outside every tile contribute nothing (ASiM's dropped conv channels).
    void load_weights(const std::int32_t* w, std::size_t outputs, std::size_t rows,
                      std::vector<row_tile> tiles);

    // Computes out[v][o] = numerator of output o for input vector v of x [vectors][rows].
    // `first_vector` is the global index of x's first vector: noise is keyed by it, so any split
    // of a batch into calls gives the same numbers. With a sink, every conversion is reported
    // (single-threaded, portable kernel, identical results).
    // `inputs_checked`: the caller has already checked every code against the activation range
    // (the macro decodes and checks its input buffer), so run() does not scan them again.
    void run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector,
             const stream_key& key, std::int64_t* out, conversion_sink* sink = nullptr, bool inputs_checked = false);

    std::int64_t denominator() const;
    const cim_params& params() const;
    const cycle_plan& plan() const;
    std::size_t outputs() const;
    std::size_t rows() const;
    const std::vector<row_tile>& tiles() const;
    bool uses_avx512() const;  // the kernel that run() uses without a sink

    const engine_counters& counters() const;
    // Code errors of every run since the last reset_counters() (struct code_error_histogram).
    const code_error_histogram& code_errors() const;
    void reset_counters();

private:
    struct impl;
    std::unique_ptr<impl> m;
};

}  // namespace acim::core
