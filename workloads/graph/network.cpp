#include "graph/network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace acim::workloads {

namespace {

std::size_t product(const std::vector<std::size_t>& s) {
    return std::accumulate(s.begin(), s.end(), std::size_t{1}, std::multiplies<>());
}

// Activation codes of one MAC layer's input.
void quantize_input(const mac_layer& l, const float* x, std::size_t n, std::int32_t* out) {
    const float qx = static_cast<float>(l.signed_act ? (1 << (l.xbit - 1)) - 1 : (1 << l.xbit) - 1);
    for (std::size_t k = 0; k < n; ++k) {
        const float v = x[k];
        if (!std::isfinite(v))
            throw model_error(l.name, "input activation " + std::to_string(k) + " is not finite");
        if (l.quant == act_quant::asim) {
            if (l.signed_act) {
                const auto m = static_cast<std::int32_t>(std::nearbyint(std::clamp(std::fabs(v) / l.s_x, 0.0f, 1.0f) * qx));
                out[k] = v > 0.0f ? m : (v < 0.0f ? -m : 0);
            } else {
                out[k] = static_cast<std::int32_t>(std::nearbyint(std::clamp(v / l.s_x, 0.0f, 1.0f) * qx));
            }
        } else {
            const float q = std::nearbyint(v / l.x_step) + static_cast<float>(l.x_zero_point);
            out[k] = static_cast<std::int32_t>(std::clamp(q, static_cast<float>(l.x_qmin), static_cast<float>(l.x_qmax)));
        }
    }
}

void run_mac(const network& net, const graph_node& nd, const std::vector<float>& in, std::size_t batch,
             mac_backend& backend, std::vector<float>& out) {
    const mac_layer& l = net.layers[nd.layer];
    const std::size_t in_size = product(net.shapes[static_cast<std::size_t>(nd.inputs[0])]);
    std::vector<std::int32_t> codes(batch * in_size);
    quantize_input(l, in.data(), codes.size(), codes.data());
    std::size_t pixels = 1;
    std::vector<std::int32_t> vecs;
    const std::int32_t* x = codes.data();
    if (l.conv) {
        pixels = l.geom.pixels();
        vecs.resize(batch * pixels * l.rows);
        core::im2col(codes.data(), batch, l.geom, vecs.data());
        x = vecs.data();
    }
    const std::size_t vectors = batch * pixels;
    std::vector<std::int64_t> num(vectors * l.outputs);
    std::int64_t den = 1;
    backend.mac(nd.layer, l, x, vectors, num.data(), den);
    out.resize(batch * l.outputs * pixels);
    const double dd = static_cast<double>(den);
    for (std::size_t v = 0; v < vectors; ++v) {
        const std::size_t b = v / pixels, px = v % pixels;
        for (std::size_t o = 0; o < l.outputs; ++o) {
            double acc = static_cast<double>(num[v * l.outputs + o]) / dd;
            if (l.x_zero_point != 0) acc -= static_cast<double>(l.x_zero_point) * static_cast<double>(l.w_row_sum[o]);
            out[(b * l.outputs + o) * pixels + px] = static_cast<float>(acc * l.dequant[o] + l.bias[o]);
        }
    }
}

void pool(const graph_node& nd, const std::vector<std::size_t>& is, const std::vector<std::size_t>& os,
          const std::vector<float>& in, std::size_t batch, bool max, std::vector<float>& out) {
    const std::size_t c = is[0], h = is[1], w = is[2], oh = os[1], ow = os[2];
    out.assign(batch * c * oh * ow, 0.0f);
    for (std::size_t b = 0; b < batch * c; ++b) {
        const float* src = in.data() + b * h * w;
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
}

}  // namespace

std::size_t network::input_size() const { return product(shapes.at(static_cast<std::size_t>(input))); }
std::size_t network::output_size() const { return product(shapes.at(static_cast<std::size_t>(output))); }

ideal_backend::ideal_backend(int threads) {
    if (threads > 1) m_pool = std::make_unique<core::thread_pool>(threads);
}

ideal_backend::~ideal_backend() = default;

void ideal_backend::mac(std::size_t, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                        std::int64_t* num, std::int64_t& den) {
    den = 1;
    // 16-bit operands with 32-bit sums vectorise to multiply-add; use them when nothing can overflow.
    std::int64_t wmax = 0, xmax = 0;
    for (std::int32_t w : l.w_int) wmax = std::max<std::int64_t>(wmax, std::abs(w));
    for (std::size_t k = 0; k < vectors * l.rows; ++k) xmax = std::max<std::int64_t>(xmax, std::abs(x[k]));
    if (wmax < (1 << 15) && xmax < (1 << 15) && wmax * xmax * static_cast<std::int64_t>(l.rows) < (std::int64_t{1} << 31)) {
        const std::vector<std::int16_t> w16(l.w_int.begin(), l.w_int.end());
        auto part = [&](int, std::size_t v0, std::size_t v1) {
            std::vector<std::int16_t> x16(l.rows);
            for (std::size_t v = v0; v < v1; ++v) {
                for (std::size_t r = 0; r < l.rows; ++r) x16[r] = static_cast<std::int16_t>(x[v * l.rows + r]);
                for (std::size_t o = 0; o < l.outputs; ++o) {
                    const std::int16_t* wo = w16.data() + o * l.rows;
                    std::int32_t acc = 0;
                    for (std::size_t r = 0; r < l.rows; ++r) acc += static_cast<std::int32_t>(wo[r]) * x16[r];
                    num[v * l.outputs + o] = acc;
                }
            }
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

// The graph walk shared by forward() and forward_float(); `mac` computes one MAC node.
template <class Mac>
std::vector<float> walk(const network& net, const float* input, std::size_t batch, Mac&& mac) {
    std::vector<std::vector<float>> t(net.shapes.size());
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
        case host_op::maxpool: pool(nd, is, os, in, batch, true, out); break;
        case host_op::avgpool: pool(nd, is, os, in, batch, false, out); break;
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
    });
}

std::vector<float> forward_float(const network& net, const float* input, std::size_t batch,
                                 const mac_input_observer& observe) {
    return walk(net, input, batch, [&](const graph_node& nd, const std::vector<float>& in, std::vector<float>& out) {
        if (observe) observe(nd.layer, in.data(), in.size());
        float_mac(net.layers[nd.layer], in, batch, out);
    });
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
