// A quantised DNN as the accelerator sees it: the conv/linear layers whose multiply-accumulates
// run on ACiM macros (integer weight codes, bit widths, static activation scales), and the digital
// host operations between them (bias, BN, ReLU/PACT clip, pooling, flatten, residual add), which
// run in float32 on the host. `forward` evaluates a batch through any MAC backend: the ideal
// integer model, the bit-true core, or the TLM macro.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <acim/core/layer.hpp>
#include <acim/core/thread_pool.hpp>

#include <memory>

namespace acim::workloads {

// An unsupported, inconsistent or malformed model. Names the node and its op where there is one.
class model_error : public std::runtime_error {
public:
    model_error(const std::string& where, const std::string& what)
        : std::runtime_error(where.empty() ? what : where + ": " + what) {}
};

// How an activation becomes integer codes before a MAC layer.
enum class act_quant {
    asim,  // x_int = rhe(fl32(clamp(fl32(x / s_x), 0, 1) * Qx)), s_x = fl32(step * Qx) (acim-qcdq-1)
    onnx,  // x_q = saturate(rhe(x / step) + zero_point), the ONNX QuantizeLinear semantics
};

// A Conv or Gemm/MatMul whose weights and input are quantised: its MACs run on the macro.
struct mac_layer {
    std::string name;          // ONNX node name (or its output tensor)
    std::string op;            // "Conv", "Gemm" or "MatMul"
    bool conv = false;
    core::conv_shape geom;     // conv geometry (conv only)
    std::size_t outputs = 0;   // output channels / features
    std::size_t rows = 0;      // reduction length: C*k*k or in_features
    int wbit = 8;
    int xbit = 8;
    bool signed_act = false;
    act_quant quant = act_quant::onnx;
    float x_step = 1.0f;       // ONNX scale of the activation quantiser
    float s_x = 1.0f;          // ASiM range (asim mode)
    std::int32_t x_zero_point = 0;
    std::int32_t x_qmin = 0, x_qmax = 255;
    std::vector<std::int32_t> w_int;   // [outputs][rows]
    std::vector<double> dequant;       // [outputs]: y = acc * dequant[o] + bias (BN scale folded in)
    std::vector<double> bias;          // [outputs], BN folded in
    std::vector<std::int64_t> w_row_sum;  // [outputs]: sum of w_int, for the zero-point correction
    // Float models (post-training quantisation at load, docs/ptq.md):
    std::vector<float> w_float;        // [outputs][rows] float weights; empty for QCDQ models
    std::vector<double> bn_scale;      // [outputs] folded BN scale (1 without BN): float y = (w_float.x) * bn_scale + bias
    bool needs_ptq = false;            // float layer not yet quantised: w_int, wbit, xbit, s_x are unset
    float s_w = 0.0f;                  // ASiM weight range of a PTQ layer (SEMANTICS §1.1)
    // A group of a grouped/depthwise Conv: group `group` of `groups`, imported as its own MAC layer
    // (its own row block on the macro; the macro cells this leaves idle: mapping's utilisation).
    std::size_t group = 0, groups = 1;
};

enum class host_op {
    mac, relu, clip, maxpool, avgpool, global_avgpool, flatten, add, affine,
    unary,        // element-wise function `fn` (alpha, beta its parameters)
    binary,       // element-wise `bfn` of two tensors or a tensor and a constant, broadcast by index maps
    softmax,      // over the trailing block of `inner` elements
    reduce_mean,  // mean over the trailing block of `inner` elements
    layernorm,    // (x - mean) / sqrt(var + alpha) * scale + shift over the trailing block of `inner`
    gather,       // data movement (Transpose, Slice, Gather, Concat): out[k] = inputs' per-sample data[index[k]]
};

// Element-wise functions of host_op::unary, in float32 as ONNX defines them.
enum class unary_fn { sigmoid, tanh, erf, gelu, gelu_tanh, leaky_relu, hard_sigmoid, hard_swish, sqrt, pow, exp, neg };
enum class binary_fn { add, sub, mul, div };

// One step of the graph: reads tensors `inputs`, writes tensor `output`.
struct graph_node {
    host_op op = host_op::relu;
    std::string name;         // ONNX node name, for messages
    std::vector<int> inputs;  // tensor ids
    int output = -1;
    std::size_t layer = 0;    // mac: index into network::layers
    float lo = 0.0f, hi = 0.0f;              // clip bounds
    std::size_t kernel = 1, stride = 1, pad = 0;  // pooling (square)
    std::vector<float> scale, shift;         // affine (per channel): y = x * scale[c] + shift[c]; layernorm: per
                                             // element of the trailing block (empty: 1 and 0)
    unary_fn fn = unary_fn::sigmoid;         // unary
    binary_fn bfn = binary_fn::add;          // binary
    float alpha = 0.0f, beta = 0.0f;         // unary parameters; layernorm epsilon (alpha)
    std::size_t inner = 1;                   // softmax, reduce_mean, layernorm: trailing block length
    // binary: per-sample output element k reads a[index[k]] and b[index2[k]]; b is inputs[1] or, with one
    // input, the constant `konst` (konst_left: the constant is the left operand).
    // gather: out[k] = the inputs' per-sample data, concatenated in input order, at index[k].
    std::vector<std::uint32_t> index, index2;
    std::vector<float> konst;
    bool konst_left = false;
};

struct network {
    std::vector<mac_layer> layers;
    std::vector<graph_node> nodes;           // topological order
    std::vector<std::vector<std::size_t>> shapes;  // per tensor, without the batch dimension
    int input = -1;                          // tensor id of the image input
    int output = -1;                         // tensor id of the logits
    std::map<std::string, std::string> metadata;

    std::size_t input_size() const;
    std::size_t output_size() const;
    // A float model whose MAC layers still wait for post-training quantisation (graph/ptq.hpp).
    bool needs_ptq() const;
};

// The multiply-accumulate of one MAC layer for `vectors` input vectors x [vectors][rows] of
// unsigned (or signed) codes: num[v][o] / den = sum_r w_int[o][r] * x[v][r] as the macro computes it.
class mac_backend {
public:
    virtual ~mac_backend() = default;
    // Called by forward() before a batch: items [first_item, first_item + items) of the data set.
    // Backends key their noise by the global vector index, so results do not depend on batching.
    virtual void begin_batch(std::size_t first_item, std::size_t items) {
        (void)first_item;
        (void)items;
    }
    virtual void mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
                     std::int64_t* num, std::int64_t& den) = 0;
    // Host threads for forward()'s digital steps (element-wise, so results never depend on them);
    // null: the calling thread alone.
    virtual core::thread_pool* host_pool() { return nullptr; }
};

// Exact integer dot products: the ideal integer model.
class ideal_backend : public mac_backend {
public:
    explicit ideal_backend(int threads = 1);  // host threads over the vectors; never changes a result
    ~ideal_backend() override;
    void mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors,
             std::int64_t* num, std::int64_t& den) override;
    core::thread_pool* host_pool() override { return m_pool.get(); }
    // Builds the per-layer weight caches now, so that several threads may then call mac() at once.
    void prepare(const network& net);

private:
    // Weights of a layer as [row][output] 16-bit numbers, rows `stride` apart (empty if some
    // |w| >= 2^15), cached per layer.
    struct transposed {
        std::vector<std::int32_t> source;  // the weights it was made from
        std::int64_t wmax = 0;
        std::size_t stride = 0;  // outputs rounded up to 16
        std::vector<std::int16_t> w;
        std::vector<std::int16_t> w2;  // [row pair][stride][2] for 16-bit multiply-add
    };
    const transposed& transposed16(const mac_layer& l);
    std::shared_ptr<core::thread_pool> m_pool;
    std::map<const mac_layer*, transposed> m_wt;
};

// Evaluates `batch` inputs (each network::input_size() floats) and returns the logits
// [batch][output_size()] as float32. Every digital step is float32 as in docs/workload_format.md §3.
std::vector<float> forward(const network& net, const float* input, std::size_t batch, mac_backend& backend,
                           std::size_t first_item = 0);

// The float network: MAC layers as float32 conv/matmul of the float input with w_float (float32
// accumulation in row order), then * bn_scale + bias; host ops as in forward(). Needs w_float (a
// float model, before or after PTQ). `observe(layer, x, n)` sees every MAC layer's float input
// tensor of the batch (n = batch * input size), e.g. for calibration.
using mac_input_observer = std::function<void(std::size_t layer, const float* x, std::size_t n)>;
std::vector<float> forward_float(const network& net, const float* input, std::size_t batch,
                                 const mac_input_observer& observe = {});

// First index of the largest value in each row of `logits` [batch][classes].
std::vector<int> predictions(const std::vector<float>& logits, std::size_t classes);

}  // namespace acim::workloads
