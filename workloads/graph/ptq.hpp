// Post-training quantisation (PTQ) of a float model at load: what a compiler for an ACiM macro does
// when it gets a network trained without quantisation. Weights are quantised per tensor by ASiM's
// rule (SEMANTICS §1.1); the activation range s_x of every MAC layer's input is fixed once from a
// few calibration images run through the float network (a static scale, decision B9, as hardware
// needs it), instead of ASiM's dynamic per-batch max. The result is the same `network` a QCDQ model
// imports to (act_quant::asim), so every backend runs it unchanged. docs/ptq.md has the rules and
// how well they work.
#pragma once

#include <acim/core/param_tree.hpp>

#include <acim/workloads/graph/network.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace acim::workloads {

// The calibration statistic of |x| over all elements of a layer's input on the calibration set.
enum class calibration_method {
    max,         // the largest value: ASiM's max rule with the calibration set as one batch
    percentile,  // the nearest-rank percentile: outliers above it saturate at the top code
};

const char* to_string(calibration_method m);

struct ptq_config {
    int wbit = 8;                       // weight bits, 2..16
    int xbit = 8;                       // activation bits, 1..16 (2..16 for a signed input)
    std::size_t calibration_images = 1000;  // used by the caller to pick the calibration set
    calibration_method method = calibration_method::max;
    double percentile = 99.99;          // percent, (0, 100], for calibration_method::percentile
};

// Declares ptq.* under s's prefix, bound to cfg (float models only: docs/ptq.md).
void declare(core::param_tree::scope& s, ptq_config& cfg);

// What quantisation chose for one layer, for reports.
struct ptq_layer_info {
    std::string name;
    bool signed_act = false;
    float s_w = 0.0f;           // fl32(max|W| + 1e-7)
    float s_x = 0.0f;           // fl32(statistic + 1e-7)
    float input_min = 0.0f;     // over the calibration set
    float input_max = 0.0f;
    double clipped_fraction = 0.0;  // calibration input elements with |x| above the statistic
};

// Quantises every float MAC layer of `net` in place, calibrating on `images` inputs of
// net.input_size() floats each. A layer input is unsigned when it is non-negative by construction
// (Relu; Clip with min >= 0; pooling, flatten or Add of such tensors) or, for the graph input, when
// every calibration value is >= 0; otherwise it is signed. Deterministic: the result depends only on
// the calibration data, not on batching. Throws std::invalid_argument for a bad configuration and
// model_error (naming the layer) when a layer cannot be quantised.
std::vector<ptq_layer_info> quantise_ptq(network& net, const ptq_config& cfg, const float* calibration,
                                         std::size_t images);

}  // namespace acim::workloads
