#include <acim/core/quantizer.hpp>

#include <acim/core/error.hpp>

#include <algorithm>
#include <cmath>

namespace acim::core {

std::int32_t quant_max(int bits, bool is_signed) {
    check_range("bits", bits, is_signed ? 2 : 1, 30);
    return is_signed ? (std::int32_t{1} << (bits - 1)) - 1 : (std::int32_t{1} << bits) - 1;
}

float dynamic_scale(const float* x, std::size_t n, bool is_signed) {
    if (n == 0) throw data_error("dynamic_scale: empty tensor");
    float m = is_signed ? std::fabs(x[0]) : x[0];
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isfinite(x[k])) throw data_error("tensor[" + to_text(k) + "] = " + to_text(x[k]) + " is not finite");
        m = std::max(m, is_signed ? std::fabs(x[k]) : x[k]);
    }
    return m + 1e-7f;  // float32 addition: the epsilon vanishes once max >= 2
}

std::int32_t quantize_value(float x, float scale, int bits, bool is_signed) {
    std::int32_t r = 0;
    quantize(&x, 1, scale, bits, is_signed, &r);
    return r;
}

void quantize(const float* x, std::size_t n, float scale, int bits, bool is_signed, std::int32_t* out) {
    if (!std::isfinite(scale) || scale == 0.0f) throw_parameter("scale", scale, "must be finite and non-zero");
    const float q = static_cast<float>(quant_max(bits, is_signed));
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isfinite(x[k])) throw data_error("tensor[" + to_text(k) + "] = " + to_text(x[k]) + " is not finite");
        if (is_signed) {
            const float a = std::clamp(std::fabs(x[k]) / scale, 0.0f, 1.0f);
            const auto m = static_cast<std::int32_t>(std::nearbyint(a * q));
            out[k] = x[k] > 0.0f ? m : (x[k] < 0.0f ? -m : 0);
        } else {
            out[k] = static_cast<std::int32_t>(std::nearbyint(std::clamp(x[k] / scale, 0.0f, 1.0f) * q));
        }
    }
}

std::vector<float> quantize_weights(const float* w, std::size_t outputs, std::size_t per_output,
                                    int bits, bool per_channel, std::int32_t* out) {
    if (outputs == 0 || per_output == 0)
        throw data_error("quantize_weights: empty weight tensor (" + to_text(outputs) + " x " +
                         to_text(per_output) + ")");
    std::vector<float> scales;
    if (per_channel) {
        for (std::size_t o = 0; o < outputs; ++o) {
            const float* row = w + o * per_output;
            scales.push_back(dynamic_scale(row, per_output, true));
            quantize(row, per_output, scales.back(), bits, true, out + o * per_output);
        }
    } else {
        scales.push_back(dynamic_scale(w, outputs * per_output, true));
        quantize(w, outputs * per_output, scales.back(), bits, true, out);
    }
    return scales;
}

std::vector<float> quantize_activations(const float* x, std::size_t items, std::size_t per_item,
                                        int bits, bool is_signed, scale_mode mode,
                                        float given_scale, std::int32_t* out) {
    if (items == 0 || per_item == 0)
        throw data_error("quantize_activations: empty activation tensor");
    std::vector<float> scales(items, given_scale);
    if (mode == scale_mode::per_batch) {
        std::fill(scales.begin(), scales.end(), dynamic_scale(x, items * per_item, is_signed));
    } else if (mode == scale_mode::per_image) {
        for (std::size_t b = 0; b < items; ++b) scales[b] = dynamic_scale(x + b * per_item, per_item, is_signed);
    }
    for (std::size_t b = 0; b < items; ++b)
        quantize(x + b * per_item, per_item, scales[b], bits, is_signed, out + b * per_item);
    return scales;
}

double dequant_factor(float s_w, float s_x, int wbit, int xbit, bool signed_act) {
    return static_cast<double>(s_w) * static_cast<double>(s_x) /
           (static_cast<double>(quant_max(wbit, true)) * static_cast<double>(quant_max(xbit, signed_act)));
}

}  // namespace acim::core
