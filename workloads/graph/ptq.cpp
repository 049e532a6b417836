#include <acim/workloads/graph/ptq.hpp>

#include <acim/core/quantizer.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace acim::workloads {

const char* to_string(calibration_method m) { return m == calibration_method::max ? "max" : "percentile"; }

void declare(core::param_tree::scope& s, ptq_config& c) {
    s.number("wbit", c.wbit, "bits", "float models only: weight bits of post-training quantisation (per tensor, ASiM rule)", 2, 16);
    s.number("xbit", c.xbit, "bits", "float models only: activation bits of post-training quantisation", 1, 16);
    s.number("calibration_images", c.calibration_images, "images",
             "float models only: the first N Fashion-MNIST training images (never test images) calibrate the activation ranges",
             std::size_t{1}, std::size_t{1000000});
    s.choice("method", c.method, "float models only: calibration statistic of |x| per layer input: max, or ptq.percentile",
             {{"max", calibration_method::max}, {"percentile", calibration_method::percentile}});
    static_cast<core::number_param<double>&>(
        s.number("percentile", c.percentile, "%", "float models only: nearest-rank percentile of |x| used with ptq.method = percentile",
                 0.0, 100.0))
        .exclude_low();
}

namespace {

// The k-th largest of a stream of values, exactly, holding O(k) of them.
class top_k {
public:
    explicit top_k(std::size_t k) : m_k(std::max<std::size_t>(k, 1)) {}
    void add(float v) {
        if (m_full && v <= m_floor) return;  // cannot enter the top k
        m_buf.push_back(v);
        if (m_buf.size() >= 2 * m_k + 4096) compact();
    }
    // The k-th largest value, and how many values are strictly larger.
    float value(std::size_t& above) {
        compact();
        if (m_buf.empty()) return 0.0f;
        above = static_cast<std::size_t>(std::count_if(m_buf.begin(), m_buf.end(), [&](float v) { return v > m_floor; }));
        return m_floor;
    }

private:
    void compact() {
        if (m_buf.size() >= m_k) {
            std::nth_element(m_buf.begin(), m_buf.begin() + static_cast<std::ptrdiff_t>(m_k - 1), m_buf.end(),
                             std::greater<>());
            m_buf.resize(m_k);
            m_floor = m_buf[m_k - 1];
            m_full = true;
        } else if (!m_buf.empty()) {
            m_floor = *std::min_element(m_buf.begin(), m_buf.end());
        }
    }
    std::size_t m_k;
    std::vector<float> m_buf;
    float m_floor = 0.0f;
    bool m_full = false;
};

// Tensors that are >= 0 by construction of the graph.
std::vector<bool> non_negative(const network& net, bool input_non_negative) {
    std::vector<bool> nn(net.shapes.size(), false);
    nn[static_cast<std::size_t>(net.input)] = input_non_negative;
    for (const graph_node& nd : net.nodes) {
        const bool in = nn[static_cast<std::size_t>(nd.inputs[0])];
        bool out = false;
        switch (nd.op) {
        case host_op::relu: out = true; break;
        case host_op::clip: out = nd.lo >= 0.0f || (in && nd.hi >= 0.0f); break;
        case host_op::maxpool:
        case host_op::avgpool:
        case host_op::global_avgpool:
        case host_op::flatten: out = in; break;
        case host_op::add: out = in && nn[static_cast<std::size_t>(nd.inputs[1])]; break;
        case host_op::affine:
            out = in && std::all_of(nd.scale.begin(), nd.scale.end(), [](float s) { return s >= 0.0f; }) &&
                  std::all_of(nd.shift.begin(), nd.shift.end(), [](float s) { return s >= 0.0f; });
            break;
        case host_op::unary:
            out = nd.fn == unary_fn::sigmoid || nd.fn == unary_fn::hard_sigmoid || nd.fn == unary_fn::sqrt ||
                  nd.fn == unary_fn::exp || (nd.fn == unary_fn::pow && nd.alpha == 2.0f);
            break;
        case host_op::softmax: out = true; break;
        case host_op::reduce_mean: out = in; break;
        case host_op::gather:
            out = std::all_of(nd.inputs.begin(), nd.inputs.end(), [&](int id) { return nn[static_cast<std::size_t>(id)]; });
            break;
        case host_op::binary:
        case host_op::layernorm:
        case host_op::mac: out = false; break;
        }
        nn[static_cast<std::size_t>(nd.output)] = out;
    }
    return nn;
}

}  // namespace

std::vector<ptq_layer_info> quantise_ptq(network& net, const ptq_config& cfg, const float* calibration,
                                         std::size_t images) {
    if (cfg.wbit < 2 || cfg.wbit > 16) throw std::invalid_argument("ptq: wbit = " + std::to_string(cfg.wbit) + " must lie in 2..16");
    if (cfg.xbit < 1 || cfg.xbit > 16) throw std::invalid_argument("ptq: xbit = " + std::to_string(cfg.xbit) + " must lie in 1..16");
    if (!(cfg.percentile > 0.0 && cfg.percentile <= 100.0))
        throw std::invalid_argument("ptq: percentile = " + std::to_string(cfg.percentile) + " must lie in (0, 100]");
    if (images == 0 || calibration == nullptr) throw std::invalid_argument("ptq: no calibration images");
    if (!net.needs_ptq()) throw model_error("", "post-training quantisation needs a float model; this one is quantised");
    for (const auto& l : net.layers)
        if (!l.needs_ptq) throw model_error(l.name, "is already quantised in a float model");

    // Calibration: the float network, every MAC layer's input observed.
    const std::size_t in_size = net.input_size();
    float input_min = std::numeric_limits<float>::infinity();
    for (std::size_t k = 0; k < images * in_size; ++k) input_min = std::min(input_min, calibration[k]);
    const std::vector<bool> nonneg = non_negative(net, input_min >= 0.0f);

    const double p = cfg.method == calibration_method::max ? 100.0 : cfg.percentile;
    std::vector<top_k> tops;
    std::vector<ptq_layer_info> info(net.layers.size());
    std::vector<std::size_t> totals(net.layers.size(), 0);
    for (const graph_node& nd : net.nodes) {
        if (nd.op != host_op::mac) continue;
        std::size_t per = 1;
        for (auto d : net.shapes[static_cast<std::size_t>(nd.inputs[0])]) per *= d;
        const std::size_t total = per * images;
        totals[nd.layer] = total;
        // Nearest rank: the smallest value with at least p % of the elements at or below it.
        auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(total) - 1e-9));
        rank = std::clamp<std::size_t>(rank, 1, total);
        if (tops.size() <= nd.layer) tops.resize(nd.layer + 1, top_k(1));
        tops[nd.layer] = top_k(total - rank + 1);
        info[nd.layer].name = net.layers[nd.layer].name;
        info[nd.layer].signed_act = !nonneg[static_cast<std::size_t>(nd.inputs[0])];
        info[nd.layer].input_min = std::numeric_limits<float>::infinity();
        info[nd.layer].input_max = -std::numeric_limits<float>::infinity();
    }
    const std::size_t batch = 100;
    for (std::size_t b0 = 0; b0 < images; b0 += batch) {
        const std::size_t bn = std::min(batch, images - b0);
        forward_float(net, calibration + b0 * in_size, bn, [&](std::size_t layer, const float* x, std::size_t n) {
            ptq_layer_info& li = info[layer];
            top_k& t = tops[layer];
            for (std::size_t k = 0; k < n; ++k) {
                if (!std::isfinite(x[k]))
                    throw model_error(li.name, "calibration input " + std::to_string(k) + " is not finite");
                li.input_min = std::min(li.input_min, x[k]);
                li.input_max = std::max(li.input_max, x[k]);
                t.add(std::fabs(x[k]));
            }
        });
    }

    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        mac_layer& l = net.layers[k];
        ptq_layer_info& li = info[k];
        if (totals[k] == 0) throw model_error(l.name, "is not reached by the graph");
        if (li.signed_act && cfg.xbit < 2)
            throw model_error(l.name, "has a signed input (not after Relu/Clip), which needs xbit >= 2, not " +
                                          std::to_string(cfg.xbit));
        std::size_t above = 0;
        const float stat = tops[k].value(above);
        li.clipped_fraction = static_cast<double>(above) / static_cast<double>(totals[k]);
        li.s_x = stat + 1e-7f;  // ASiM's epsilon, in float32 (SEMANTICS §1.2)
        l.w_int.assign(l.w_float.size(), 0);
        li.s_w = core::quantize_weights(l.w_float.data(), l.outputs, l.rows, cfg.wbit, false, l.w_int.data())[0];

        l.wbit = cfg.wbit;
        l.xbit = cfg.xbit;
        l.signed_act = li.signed_act;
        l.quant = act_quant::asim;
        l.s_x = li.s_x;
        l.s_w = li.s_w;
        const std::int32_t qx = core::quant_max(cfg.xbit, li.signed_act);
        l.x_step = li.s_x / static_cast<float>(qx);
        l.x_zero_point = 0;
        l.x_qmin = li.signed_act ? -qx : 0;
        l.x_qmax = qx;
        const double f = core::dequant_factor(li.s_w, li.s_x, cfg.wbit, cfg.xbit, li.signed_act);
        for (std::size_t o = 0; o < l.outputs; ++o) l.dequant[o] = f * l.bn_scale[o];
        l.w_row_sum.assign(l.outputs, 0);
        for (std::size_t o = 0; o < l.outputs; ++o)
            for (std::size_t r = 0; r < l.rows; ++r) l.w_row_sum[o] += l.w_int[o * l.rows + r];
        l.needs_ptq = false;
    }
    net.metadata["acim.ptq"] = "wbit " + std::to_string(cfg.wbit) + ", xbit " + std::to_string(cfg.xbit) + ", " +
                               std::to_string(images) + " calibration images, " + to_string(cfg.method) +
                               (cfg.method == calibration_method::percentile ? " " + std::to_string(cfg.percentile) : "");
    return info;
}

}  // namespace acim::workloads
