// Quantisation of float tensors to the integer codes an ACiM macro stores and drives
// (SEMANTICS.md §1). All arithmetic is float32 with round-half-to-even, exactly as ASiM/PyTorch
// computes it, so codes match bit for bit: s = fl32(max + 1e-7), q = rhe(fl32(clamp(x/s,0,1) * Q)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace acim::core {

// Where an activation scale comes from (SEMANTICS B9).
enum class scale_mode {
    given,      // a static scale stored in the model (our default)
    per_image,  // dynamic: max over each item
    per_batch,  // dynamic: max over the whole batch (ASiM)
};

// Largest code magnitude: 2^(bits-1) - 1 signed, 2^bits - 1 unsigned.
std::int32_t quant_max(int bits, bool is_signed);

// ASiM scales: fl32(max|x| + 1e-7) for signed, fl32(max(x) + 1e-7) for unsigned (plain max).
float dynamic_scale(const float* x, std::size_t n, bool is_signed);

// One value. Signed: sgn(x) * rhe(fl32(clamp(|x|/s, 0, 1) * Q)); unsigned: rhe(fl32(clamp(x/s,0,1)*Q)).
std::int32_t quantize_value(float x, float scale, int bits, bool is_signed);
void quantize(const float* x, std::size_t n, float scale, int bits, bool is_signed, std::int32_t* out);

// Weights [outputs][per_output]: symmetric signed, per tensor or per output channel.
// Returns one scale, or one per output channel.
std::vector<float> quantize_weights(const float* w, std::size_t outputs, std::size_t per_output,
                                    int bits, bool per_channel, std::int32_t* out);

// Activations [items][per_item]. With scale_mode::given, `given_scale` is used for every item.
// Returns one scale per item (repeated for per_batch and given).
std::vector<float> quantize_activations(const float* x, std::size_t items, std::size_t per_item,
                                        int bits, bool is_signed, scale_mode mode,
                                        float given_scale, std::int32_t* out);

// y = acc * s_w * s_x / (Qw * Qx), the de-quantisation of an integer-domain result.
double dequant_factor(float s_w, float s_x, int wbit, int xbit, bool signed_act);

}  // namespace acim::core
