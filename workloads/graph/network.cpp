#include <acim/workloads/graph/network.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>

namespace acim::workloads {

namespace {

std::size_t product(const std::vector<std::size_t>& s) {
    return std::accumulate(s.begin(), s.end(), std::size_t{1}, std::multiplies<>());
}

// Marks per-thread work storage as held while a call uses it; a reentrant call (a backend that
// yields inside mac() may let another forward() run on this thread) takes `spare` instead.
template <class T>
class holding {
public:
    holding(T& kept, T& spare) : m_x(kept.busy ? spare : kept) { m_x.busy = true; }
    ~holding() { m_x.busy = false; }
    holding(const holding&) = delete;
    holding& operator=(const holding&) = delete;
    T& get() { return m_x; }

private:
    T& m_x;
};

// fn(begin, end) over [0, n) on the pool's threads (or here), in parts of at least `grain`.
template <class Fn>
void host_for(core::thread_pool* pool, std::size_t n, std::size_t grain, Fn&& fn) {
    if (!pool || n < 2 * grain) {
        if (n) fn(std::size_t{0}, n);
        return;
    }
    pool->parallel_for(n, [&](int, std::size_t b, std::size_t e) { fn(b, e); });
}

// Activation codes of one MAC layer's input. The clones let the compiler inline the rounding and
// vectorise the loop (the results are the same on every clone: IEEE float32, round to nearest even).
// Returns false if some x[k] is not finite (its code is then meaningless; the caller reports it).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) bool quantize_input(
    const mac_layer& l, const float* x, std::size_t n, std::int32_t* out) {
    const float qx = static_cast<float>(l.signed_act ? (1 << (l.xbit - 1)) - 1 : (1 << l.xbit) - 1);
    bool finite = true;
    if (l.quant == act_quant::asim && !l.signed_act) {
        const float s = l.s_x;
        for (std::size_t k = 0; k < n; ++k) {
            const bool ok = std::isfinite(x[k]);
            finite = finite && ok;
            const float v = ok ? x[k] : 0.0f;  // never converts a NaN (reported below)
            out[k] = static_cast<std::int32_t>(std::nearbyint(std::min(std::max(v / s, 0.0f), 1.0f) * qx));
        }
    } else {
        for (std::size_t k = 0; k < n; ++k) {
            const float v = x[k];
            finite = finite && std::isfinite(v);
            if (!finite) break;
            if (l.quant == act_quant::asim) {
                const auto m = static_cast<std::int32_t>(std::nearbyint(std::clamp(std::fabs(v) / l.s_x, 0.0f, 1.0f) * qx));
                out[k] = v > 0.0f ? m : (v < 0.0f ? -m : 0);
            } else {
                const float q = std::nearbyint(v / l.x_step) + static_cast<float>(l.x_zero_point);
                out[k] = static_cast<std::int32_t>(std::clamp(q, static_cast<float>(l.x_qmin), static_cast<float>(l.x_qmax)));
            }
        }
    }
    return finite;
}

// out[b][o][px] of vectors v = b * pixels + px in [v0, v1) from num[v][o] / den (float64, once
// rounded to float32; x / 1.0 == x exactly, so the division only where there is a denominator).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void dequantise(
    const mac_layer& l, const std::int64_t* num, std::int64_t den, double dd, std::size_t pixels, std::size_t v0,
    std::size_t v1, float* out) {
    const std::size_t O = l.outputs;
    const double zp = static_cast<double>(l.x_zero_point);
    for (std::size_t v = v0; v < v1; ++v) {
        const std::size_t b = v / pixels, px = v % pixels;
        for (std::size_t o = 0; o < O; ++o) {
            double acc = den == 1 ? static_cast<double>(num[v * O + o]) : static_cast<double>(num[v * O + o]) / dd;
            if (l.x_zero_point != 0) acc -= zp * static_cast<double>(l.w_row_sum[o]);
            out[(b * O + o) * pixels + px] = static_cast<float>(acc * l.dequant[o] + l.bias[o]);
        }
    }
}

void run_mac(const network& net, const graph_node& nd, const std::vector<float>& in, std::size_t batch,
             mac_backend& backend, std::vector<float>& out) {
    const mac_layer& l = net.layers[nd.layer];
    const std::size_t in_size = product(net.shapes[static_cast<std::size_t>(nd.inputs[0])]);
    // Work buffers kept across calls, per thread, backend and layer: no page faults or zeroing of
    // fresh allocations, and a layer's x and num stay valid until that layer runs again with the
    // same backend (a backend may compare them later, e.g. reference_meter::measure_later). The
    // buffers of the three most recent backends are kept. A backend that yields inside mac() (the
    // TLM driver waits in a SystemC thread) may let another forward() run on this thread: a
    // reentrant call gets buffers of its own.
    struct buffers {
        std::vector<std::int32_t> codes, vecs;
        std::vector<std::int64_t> num;
        bool busy = false;
    };
    struct per_backend {
        const mac_backend* backend = nullptr;
        std::uint64_t used = 0;  // last use, for replacement
        std::vector<buffers> layers;
    };
    thread_local std::array<per_backend, 3> kept_sets;
    thread_local std::uint64_t uses = 0;
    per_backend* set = nullptr;
    for (per_backend& p : kept_sets)
        if (p.backend == &backend) set = &p;
    if (!set) {  // the least recently used set whose buffers nobody holds
        for (per_backend& p : kept_sets) {
            const bool held = std::any_of(p.layers.begin(), p.layers.end(), [](const buffers& b) { return b.busy; });
            if (!held && (!set || p.used < set->used)) set = &p;
        }
    }
    per_backend scratch;
    if (!set) set = &scratch;  // every set held (deep reentrancy): temporary buffers
    if (set->backend != &backend) {
        set->backend = &backend;
        set->layers.clear();
    }
    set->used = ++uses;
    if (set->layers.size() < net.layers.size()) set->layers.resize(net.layers.size());
    buffers fresh;
    holding<buffers> hold(set->layers[nd.layer], fresh);
    buffers& bf = hold.get();
    // Grow-only: a smaller last batch does not shrink (and later re-zero) the buffers.
    const auto room = [](auto& v, std::size_t n) {
        if (v.size() < n) v.resize(n);
        return v.data();
    };
    core::thread_pool* const hp = backend.host_pool();
    const std::size_t ncodes = batch * in_size;
    std::int32_t* const codes = room(bf.codes, ncodes);
    std::atomic<bool> finite{true};
    host_for(hp, ncodes, 4096, [&](std::size_t b, std::size_t e) {
        if (!quantize_input(l, in.data() + b, e - b, codes + b)) finite = false;
    });
    if (!finite)
        for (std::size_t k = 0; k < ncodes; ++k)
            if (!std::isfinite(in[k])) throw model_error(l.name, "input activation " + std::to_string(k) + " is not finite");
    std::size_t pixels = 1;
    const std::int32_t* x = codes;
    if (l.conv) {
        pixels = l.geom.pixels();
        std::int32_t* const vecs = room(bf.vecs, batch * pixels * l.rows);
        const std::size_t img = in_size, per = pixels * l.rows;
        host_for(hp, batch, 4, [&](std::size_t b, std::size_t e) {
            core::im2col(codes + b * img, e - b, l.geom, vecs + b * per);
        });
        x = vecs;
    }
    const std::size_t vectors = batch * pixels;
    std::int64_t* const num = room(bf.num, vectors * l.outputs);
    std::int64_t den = 1;
    backend.mac(nd.layer, l, x, vectors, num, den);
    out.resize(batch * l.outputs * pixels);
    const double dd = static_cast<double>(den);
    host_for(hp, vectors, 1024, [&](std::size_t v0, std::size_t v1) {
        dequantise(l, num, den, dd, pixels, v0, v1, out.data());
    });
}

// Max pooling of one plane without padding, each window wholly inside (the usual 2x2/2 or 3x3/s).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void max_plane(
    const float* src, std::size_t w, std::size_t oh, std::size_t ow, std::size_t k, std::size_t stride, float* dst) {
    for (std::size_t y = 0; y < oh; ++y)
        for (std::size_t x = 0; x < ow; ++x) {
            const float* p = src + y * stride * w + x * stride;
            float best = -std::numeric_limits<float>::infinity();
            for (std::size_t ky = 0; ky < k; ++ky)
                for (std::size_t kx = 0; kx < k; ++kx) best = std::max(best, p[ky * w + kx]);
            dst[y * ow + x] = best;
        }
}

void pool(const graph_node& nd, const std::vector<std::size_t>& is, const std::vector<std::size_t>& os,
          const std::vector<float>& in, std::size_t batch, bool max, std::vector<float>& out, core::thread_pool* hp) {
    const std::size_t c = is[0], h = is[1], w = is[2], oh = os[1], ow = os[2];
    out.resize(batch * c * oh * ow);
    // No padding and every window inside: the plain max loop.
    const bool inside = nd.pad == 0 && (oh - 1) * nd.stride + nd.kernel <= h && (ow - 1) * nd.stride + nd.kernel <= w;
    host_for(hp, batch * c, 64, [&](std::size_t b0, std::size_t b1) {
        for (std::size_t b = b0; b < b1; ++b) {
            const float* src = in.data() + b * h * w;
            if (max && inside) {
                max_plane(src, w, oh, ow, nd.kernel, nd.stride, out.data() + b * oh * ow);
                continue;
            }
            for (std::size_t y = 0; y < oh; ++y) {
                for (std::size_t x = 0; x < ow; ++x) {
                    double sum = 0.0;
                    float best = -std::numeric_limits<float>::infinity();
                    std::size_t count = 0;
                    for (std::size_t ky = 0; ky < nd.kernel; ++ky) {
                        const std::size_t iy = y * nd.stride + ky;
                        if (iy < nd.pad || iy - nd.pad >= h) continue;
                        for (std::size_t kx = 0; kx < nd.kernel; ++kx) {
                            const std::size_t ix = x * nd.stride + kx;
                            if (ix < nd.pad || ix - nd.pad >= w) continue;
                            const float v = src[(iy - nd.pad) * w + ix - nd.pad];
                            best = std::max(best, v);
                            sum += static_cast<double>(v);
                            ++count;
                        }
                    }
                    out[(b * oh + y) * ow + x] = max ? best : static_cast<float>(sum / static_cast<double>(count));
                }
            }
        }
    });
}

}  // namespace

std::size_t network::input_size() const { return product(shapes.at(static_cast<std::size_t>(input))); }
std::size_t network::output_size() const { return product(shapes.at(static_cast<std::size_t>(output))); }

ideal_backend::ideal_backend(int threads) {
    if (threads > 1) m_pool = core::thread_pool::shared(threads);
}

ideal_backend::~ideal_backend() = default;

namespace {

// num[v][o] = sum_r x[v][r] * wt[r][o] of outputs [o0, o0 + min(16 B, outputs - o0)) for vectors
// [v0, v1), 32-bit sums (the caller rules out overflow). wt rows are `stride` (a multiple of 16,
// zero padded) apart. Each nonzero activation adds one scaled weight row to sums held in registers,
// so zeros (common after ReLU) cost nothing.
template <std::size_t B>
__attribute__((always_inline)) inline void dot16_block(const std::int32_t* x, const std::int16_t* wt, std::size_t rows, std::size_t stride,
                        std::size_t outputs, std::size_t o0, std::size_t v0, std::size_t v1, std::int64_t* num) {
    const std::size_t n = std::min(16 * B, outputs - o0);
    for (std::size_t v = v0; v < v1; ++v) {
        std::int32_t acc[16 * B] = {};
        const std::int32_t* xv = x + v * rows;
        for (std::size_t r = 0; r < rows; ++r) {
            const std::int32_t a = xv[r];
            if (a == 0) continue;
            const std::int16_t* w = wt + r * stride + o0;
            for (std::size_t o = 0; o < 16 * B; ++o) acc[o] += a * static_cast<std::int32_t>(w[o]);
        }
        std::int64_t* nv = num + v * outputs + o0;
        for (std::size_t o = 0; o < n; ++o) nv[o] = acc[o];
    }
}

// The clones let the compiler use the widest vectors the CPU has.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void dot16(
    const std::int32_t* x, const std::int16_t* wt, std::size_t rows, std::size_t stride, std::size_t outputs,
    std::size_t v0, std::size_t v1, std::int64_t* num) {
    for (std::size_t o0 = 0; o0 < outputs; o0 += 64) {
        switch (std::min<std::size_t>(4, (outputs - o0 + 15) / 16)) {
        case 1: dot16_block<1>(x, wt, rows, stride, outputs, o0, v0, v1, num); break;
        case 2: dot16_block<2>(x, wt, rows, stride, outputs, o0, v0, v1, num); break;
        case 3: dot16_block<3>(x, wt, rows, stride, outputs, o0, v0, v1, num); break;
        default: dot16_block<4>(x, wt, rows, stride, outputs, o0, v0, v1, num); break;
        }
    }
}

#if defined(__x86_64__)
// dot16 with AVX-512BW: two rows per 16-bit multiply-add (w2: [row pair][stride][2], zero
// padded), branch-free, sums held in registers. Same sums as dot16 (the caller rules out overflow).
__attribute__((target("avx512f,avx512bw"))) void dot16_pairs(const std::int32_t* x, const std::int16_t* w2,
                                                            std::size_t rows, std::size_t stride, std::size_t outputs,
                                                            std::size_t v0, std::size_t v1, std::int64_t* num) {
    const std::size_t pairs = (rows + 1) / 2;
    alignas(64) std::int32_t tmp[64];
    for (std::size_t o0 = 0; o0 < stride; o0 += 64) {
        const std::size_t nb = std::min<std::size_t>(4, (stride - o0) / 16);
        const std::size_t oe = std::min(outputs, o0 + 16 * nb);
        for (std::size_t v = v0; v < v1; ++v) {
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            const std::int32_t* xv = x + v * rows;
            for (std::size_t q = 0; q < pairs; ++q) {
                const auto lo = static_cast<std::uint16_t>(xv[2 * q]);
                const auto hi = 2 * q + 1 < rows ? static_cast<std::uint16_t>(xv[2 * q + 1]) : std::uint16_t{0};
                const __m512i a = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(lo) | static_cast<std::uint32_t>(hi) << 16));
                const std::int16_t* wr = w2 + (q * stride + o0) * 2;
                s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a, _mm512_loadu_si512(wr)));
                if (nb > 1) s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 32)));
                if (nb > 2) s2 = _mm512_add_epi32(s2, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 64)));
                if (nb > 3) s3 = _mm512_add_epi32(s3, _mm512_madd_epi16(a, _mm512_loadu_si512(wr + 96)));
            }
            _mm512_store_si512(tmp, s0);
            _mm512_store_si512(tmp + 16, s1);
            _mm512_store_si512(tmp + 32, s2);
            _mm512_store_si512(tmp + 48, s3);
            std::int64_t* nv = num + v * outputs;
            for (std::size_t o = o0; o < oe; ++o) nv[o] = tmp[o - o0];
        }
    }
}

bool cpu_has_avx512bw() {
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    return has;
}
#else
void dot16_pairs(const std::int32_t*, const std::int16_t*, std::size_t, std::size_t, std::size_t, std::size_t,
                 std::size_t, std::int64_t*) {}
bool cpu_has_avx512bw() { return false; }
#endif

// max |x[k]| over k < n.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) std::int64_t max_abs(const std::int32_t* x,
                                                                                                   std::size_t n) {
    std::int64_t m = 0;
    for (std::size_t k = 0; k < n; ++k) m = std::max(m, std::abs(static_cast<std::int64_t>(x[k])));
    return m;
}

}  // namespace

const ideal_backend::transposed& ideal_backend::transposed16(const mac_layer& l) {
    auto it = m_wt.find(&l);
    if (it != m_wt.end() && it->second.source == l.w_int) return it->second;  // O(weights), small next to the MACs
    std::int64_t wmax = 0;
    for (std::int32_t w : l.w_int) wmax = std::max<std::int64_t>(wmax, std::abs(static_cast<std::int64_t>(w)));
    transposed& t = m_wt[&l];
    t.source = l.w_int;
    t.wmax = wmax;
    t.w.clear();
    if (wmax < (1 << 15)) {
        t.stride = (l.outputs + 15) / 16 * 16;
        t.w.assign(l.rows * t.stride, 0);
        t.w2.assign((l.rows + 1) / 2 * t.stride * 2, 0);
        for (std::size_t o = 0; o < l.outputs; ++o)
            for (std::size_t r = 0; r < l.rows; ++r) {
                const auto w = static_cast<std::int16_t>(l.w_int[o * l.rows + r]);
                t.w[r * t.stride + o] = w;
                t.w2[((r / 2) * t.stride + o) * 2 + r % 2] = w;
            }
    }
    return t;
}

void ideal_backend::prepare(const network& net) {
    for (const mac_layer& l : net.layers) transposed16(l);
}

void ideal_backend::mac(std::size_t, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                        std::int64_t* num, std::int64_t& den) {
    den = 1;
    // Weights transposed to [row][output] as 16-bit numbers: each nonzero activation adds one scaled
    // weight row to 32-bit sums (zero activations, common after ReLU, cost nothing). Used when no
    // sum can overflow; otherwise 64-bit dot products.
    const transposed& t = transposed16(l);
    const std::int64_t xmax = max_abs(x, vectors * l.rows);
    if (!t.w.empty() && xmax < (1 << 15) && t.wmax * xmax * static_cast<std::int64_t>(l.rows) < (std::int64_t{1} << 31)) {
        auto part = [&](int, std::size_t v0, std::size_t v1) {
            if (cpu_has_avx512bw()) dot16_pairs(x, t.w2.data(), l.rows, t.stride, l.outputs, v0, v1, num);
            else dot16(x, t.w.data(), l.rows, t.stride, l.outputs, v0, v1, num);
        };
        if (m_pool && vectors >= 256) m_pool->parallel_for(vectors, part);
        else part(0, 0, vectors);
        return;
    }
    for (std::size_t v = 0; v < vectors; ++v) {
        const std::int32_t* xv = x + v * l.rows;
        for (std::size_t o = 0; o < l.outputs; ++o) {
            const std::int32_t* wo = l.w_int.data() + o * l.rows;
            std::int64_t acc = 0;
            for (std::size_t r = 0; r < l.rows; ++r) acc += static_cast<std::int64_t>(wo[r]) * xv[r];
            num[v * l.outputs + o] = acc;
        }
    }
}

namespace {

float unary(const graph_node& nd, float x) {
    switch (nd.fn) {
    case unary_fn::sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case unary_fn::tanh: return std::tanh(x);
    case unary_fn::erf: return std::erf(x);
    case unary_fn::gelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case unary_fn::gelu_tanh:
        return 0.5f * x * (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case unary_fn::leaky_relu: return x >= 0.0f ? x : nd.alpha * x;
    case unary_fn::hard_sigmoid: return std::max(0.0f, std::min(1.0f, nd.alpha * x + nd.beta));
    case unary_fn::hard_swish: return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
    case unary_fn::sqrt: return std::sqrt(x);
    case unary_fn::pow: return nd.alpha == 2.0f ? x * x : std::pow(x, nd.alpha);
    case unary_fn::exp: return std::exp(x);
    case unary_fn::neg: return -x;
    }
    return x;
}

float binary(binary_fn f, float a, float b) {
    switch (f) {
    case binary_fn::add: return a + b;
    case binary_fn::sub: return a - b;
    case binary_fn::mul: return a * b;
    case binary_fn::div: return a / b;
    }
    return a;
}

// softmax, reduce_mean and layernorm over trailing blocks of nd.inner elements.
void trailing_block(const graph_node& nd, const std::vector<float>& in, std::vector<float>& out) {
    const std::size_t n = nd.inner, blocks = in.size() / n;
    out.resize(nd.op == host_op::reduce_mean ? blocks : in.size());
    for (std::size_t b = 0; b < blocks; ++b) {
        const float* x = in.data() + b * n;
        if (nd.op == host_op::softmax) {
            const float m = *std::max_element(x, x + n);
            float sum = 0.0f;
            for (std::size_t k = 0; k < n; ++k) sum += (out[b * n + k] = std::exp(x[k] - m));
            for (std::size_t k = 0; k < n; ++k) out[b * n + k] /= sum;
            continue;
        }
        float mean = 0.0f;
        for (std::size_t k = 0; k < n; ++k) mean += x[k];
        mean /= static_cast<float>(n);
        if (nd.op == host_op::reduce_mean) {
            out[b] = mean;
            continue;
        }
        float var = 0.0f;
        for (std::size_t k = 0; k < n; ++k) var += (x[k] - mean) * (x[k] - mean);
        var /= static_cast<float>(n);
        const float inv = 1.0f / std::sqrt(var + nd.alpha);
        for (std::size_t k = 0; k < n; ++k) {
            float y = (x[k] - mean) * inv;
            if (!nd.scale.empty()) y = y * nd.scale[k] + nd.shift[k];
            out[b * n + k] = y;
        }
    }
}

// The graph walk shared by forward() and forward_float(); `mac` computes one MAC node.
template <class Mac>
std::vector<float> walk(const network& net, const float* input, std::size_t batch, Mac&& mac, core::thread_pool* hp) {
    // Tensors kept across calls (per thread), like run_mac's buffers.
    struct tensors {
        std::vector<std::vector<float>> t;
        bool busy = false;
    };
    thread_local tensors kept;
    tensors fresh;
    holding<tensors> hold(kept, fresh);
    std::vector<std::vector<float>>& t = hold.get().t;
    t.resize(net.shapes.size());
    const auto in_id = static_cast<std::size_t>(net.input);
    t[in_id].assign(input, input + batch * net.input_size());
    for (const graph_node& nd : net.nodes) {
        const auto& in = t[static_cast<std::size_t>(nd.inputs[0])];
        auto& out = t[static_cast<std::size_t>(nd.output)];
        const auto& is = net.shapes[static_cast<std::size_t>(nd.inputs[0])];
        const auto& os = net.shapes[static_cast<std::size_t>(nd.output)];
        switch (nd.op) {
        case host_op::mac: mac(nd, in, out); break;
        case host_op::relu:
            out.resize(in.size());
            std::transform(in.begin(), in.end(), out.begin(), [](float v) { return v > 0.0f ? v : 0.0f; });
            break;
        case host_op::clip:
            out.resize(in.size());
            std::transform(in.begin(), in.end(), out.begin(), [&](float v) { return std::min(std::max(v, nd.lo), nd.hi); });
            break;
        case host_op::maxpool: pool(nd, is, os, in, batch, true, out, hp); break;
        case host_op::avgpool: pool(nd, is, os, in, batch, false, out, hp); break;
        case host_op::global_avgpool: {
            const std::size_t c = is[0], hw = is[1] * is[2];
            out.resize(batch * c);
            for (std::size_t k = 0; k < batch * c; ++k) {
                double s = 0.0;
                for (std::size_t p = 0; p < hw; ++p) s += static_cast<double>(in[k * hw + p]);
                out[k] = static_cast<float>(s / static_cast<double>(hw));
            }
            break;
        }
        case host_op::flatten: out = in; break;
        case host_op::add: {
            const auto& in2 = t[static_cast<std::size_t>(nd.inputs[1])];
            out.resize(in.size());
            for (std::size_t k = 0; k < in.size(); ++k) out[k] = in[k] + in2[k];
            break;
        }
        case host_op::unary:
            out.resize(in.size());
            std::transform(in.begin(), in.end(), out.begin(), [&](float v) { return unary(nd, v); });
            break;
        case host_op::binary: {
            const std::size_t n = nd.index.size(), na = product(is);
            const bool two = nd.inputs.size() > 1;
            const auto& in2 = two ? t[static_cast<std::size_t>(nd.inputs[1])] : nd.konst;
            const std::size_t nb = two ? product(net.shapes[static_cast<std::size_t>(nd.inputs[1])]) : 0;
            std::vector<float> r(batch * n);
            for (std::size_t b = 0; b < batch; ++b)
                for (std::size_t k = 0; k < n; ++k) {
                    const float x = in[b * na + nd.index[k]], y = in2[b * nb + nd.index2[k]];
                    r[b * n + k] = nd.konst_left ? binary(nd.bfn, y, x) : binary(nd.bfn, x, y);
                }
            out = std::move(r);
            break;
        }
        case host_op::softmax:
        case host_op::reduce_mean:
        case host_op::layernorm: trailing_block(nd, in, out); break;
        case host_op::gather: {
            std::size_t total = 0;
            std::vector<std::size_t> sizes;
            for (int id : nd.inputs) total += sizes.emplace_back(product(net.shapes[static_cast<std::size_t>(id)]));
            std::vector<float> joined(total), r(batch * nd.index.size());
            for (std::size_t b = 0; b < batch; ++b) {
                std::size_t at = 0;
                for (std::size_t i = 0; i < nd.inputs.size(); ++i) {
                    const auto& src = t[static_cast<std::size_t>(nd.inputs[i])];
                    std::copy(src.begin() + static_cast<std::ptrdiff_t>(b * sizes[i]),
                              src.begin() + static_cast<std::ptrdiff_t>((b + 1) * sizes[i]),
                              joined.begin() + static_cast<std::ptrdiff_t>(at));
                    at += sizes[i];
                }
                for (std::size_t k = 0; k < nd.index.size(); ++k) r[b * nd.index.size() + k] = joined[nd.index[k]];
            }
            out = std::move(r);
            break;
        }
        case host_op::affine: {
            const std::size_t c = is[0], inner = product(is) / c;
            out.resize(in.size());
            for (std::size_t k = 0; k < in.size(); ++k) {
                const std::size_t ch = (k / inner) % c;
                out[k] = in[k] * nd.scale[ch] + nd.shift[ch];
            }
            break;
        }
        }
    }
    return t[static_cast<std::size_t>(net.output)];
}

// One float MAC layer: float32 products summed in row order, then * bn_scale + bias (float64, once
// rounded). Conv runs as [rows][pixels] so that the pixel loop vectorises without reassociation.
void float_mac(const mac_layer& l, const std::vector<float>& in, std::size_t batch, std::vector<float>& out) {
    if (l.w_float.size() != l.outputs * l.rows)
        throw model_error(l.name, "has no float weights (only float ONNX models run in float)");
    if (!l.conv) {
        out.resize(batch * l.outputs);
        for (std::size_t b = 0; b < batch; ++b) {
            const float* x = in.data() + b * l.rows;
            for (std::size_t o = 0; o < l.outputs; ++o) {
                const float* w = l.w_float.data() + o * l.rows;
                float acc = 0.0f;
                for (std::size_t r = 0; r < l.rows; ++r) acc += w[r] * x[r];
                out[b * l.outputs + o] = static_cast<float>(static_cast<double>(acc) * l.bn_scale[o] + l.bias[o]);
            }
        }
        return;
    }
    const auto& g = l.geom;
    const std::size_t px = g.pixels(), oh = g.out_height(), ow = g.out_width(), k = g.kernel;
    std::vector<float> col(l.rows * px), acc(px);
    out.resize(batch * l.outputs * px);
    for (std::size_t b = 0; b < batch; ++b) {
        const float* x = in.data() + b * g.in_channels * g.height * g.width;
        for (std::size_t c = 0; c < g.in_channels; ++c)
            for (std::size_t ky = 0; ky < k; ++ky)
                for (std::size_t kx = 0; kx < k; ++kx) {
                    float* dst = col.data() + ((c * k + ky) * k + kx) * px;
                    for (std::size_t y = 0; y < oh; ++y)
                        for (std::size_t xo = 0; xo < ow; ++xo) {
                            const std::size_t iy = y * g.stride + ky, ix = xo * g.stride + kx;
                            const bool inside = iy >= g.padding && ix >= g.padding && iy - g.padding < g.height &&
                                                ix - g.padding < g.width;
                            dst[y * ow + xo] =
                                inside ? x[(c * g.height + iy - g.padding) * g.width + ix - g.padding] : 0.0f;
                        }
                }
        for (std::size_t o = 0; o < l.outputs; ++o) {
            std::fill(acc.begin(), acc.end(), 0.0f);
            const float* w = l.w_float.data() + o * l.rows;
            for (std::size_t r = 0; r < l.rows; ++r) {
                const float wr = w[r];
                const float* cr = col.data() + r * px;
                for (std::size_t p = 0; p < px; ++p) acc[p] += wr * cr[p];
            }
            float* y = out.data() + (b * l.outputs + o) * px;
            for (std::size_t p = 0; p < px; ++p)
                y[p] = static_cast<float>(static_cast<double>(acc[p]) * l.bn_scale[o] + l.bias[o]);
        }
    }
}

}  // namespace

bool network::needs_ptq() const {
    return std::any_of(layers.begin(), layers.end(), [](const mac_layer& l) { return l.needs_ptq; });
}

std::vector<float> forward(const network& net, const float* input, std::size_t batch, mac_backend& backend,
                           std::size_t first_item) {
    for (const auto& l : net.layers)
        if (l.needs_ptq)
            throw model_error(l.name, "is a float layer: quantise the model first (post-training quantisation, "
                                      "graph/ptq.hpp)");
    backend.begin_batch(first_item, batch);
    return walk(net, input, batch, [&](const graph_node& nd, const std::vector<float>& in, std::vector<float>& out) {
        run_mac(net, nd, in, batch, backend, out);
    }, backend.host_pool());
}

std::vector<float> forward_float(const network& net, const float* input, std::size_t batch,
                                 const mac_input_observer& observe) {
    return walk(net, input, batch, [&](const graph_node& nd, const std::vector<float>& in, std::vector<float>& out) {
        if (observe) observe(nd.layer, in.data(), in.size());
        float_mac(net.layers[nd.layer], in, batch, out);
    }, nullptr);
}

std::vector<int> predictions(const std::vector<float>& logits, std::size_t classes) {
    std::vector<int> p(logits.size() / classes);
    for (std::size_t b = 0; b < p.size(); ++b) {
        const float* row = logits.data() + b * classes;
        p[b] = static_cast<int>(std::max_element(row, row + classes) - row);
    }
    return p;
}

}  // namespace acim::workloads
