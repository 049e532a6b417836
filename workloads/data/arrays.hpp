// Labelled sample sets beyond Fashion-MNIST's 28 x 28 IDX files: IDX images of any shape, NumPy
// .npy arrays and .npz archives (a zip of .npy members, stored or deflated, read with zlib), and
// the CIFAR-10/100 binary batches. Every reader returns a sample_set of float values — unsigned
// byte data scaled by 1/255 as the shipped models expect, float data as stored — and integer
// labels, and throws data_set_error naming the file and the problem. Every size read from a file
// goes through checked arithmetic (core/checked.hpp); nothing is read past the end of the data.
// normalise() applies an optional per-channel mean/std (the data.mean / data.std parameters), and
// check_sample_shape() is the clear error for a set that does not fit the model's input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace acim::workloads {

class data_set_error : public std::runtime_error {
public:
    data_set_error(const std::string& file, const std::string& what)
        : std::runtime_error("data file '" + file + "': " + what) {}
};

struct sample_set {
    std::size_t count = 0;
    std::vector<std::size_t> item_shape;  // one sample, e.g. [C, H, W] or [features]
    std::vector<float> values;            // count x item elements, row-major
    std::vector<std::int64_t> labels;     // count

    std::size_t item_size() const;
    const float* item(std::size_t i) const { return values.data() + i * item_size(); }
};

// One NumPy array: its shape and its elements converted to double (exact for every integer type
// up to 32 bits and for float32/float64). `byte_data` tells unsigned-byte arrays (scaled by 1/255
// as samples).
struct npy_array {
    std::vector<std::size_t> shape;
    std::vector<double> values;
    bool byte_data = false;
};

inline constexpr std::size_t data_default_max_bytes = std::size_t{1} << 31;

npy_array parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                    std::size_t max_bytes = data_default_max_bytes);
npy_array read_npy(const std::string& path, std::size_t max_bytes = data_default_max_bytes);
// The member `<key>.npy` of an .npz archive (stored or deflated zip entries; no ZIP64).
npy_array read_npz_member(const std::string& path, const std::string& key, std::size_t max_bytes = data_default_max_bytes);

// Samples [count, ...] and labels [count] from two .npy files, or from one .npz with the members
// `images_key` and `labels_key`. Labels must be integers; num_classes > 0 bounds them.
sample_set read_npy_set(const std::string& images, const std::string& labels, unsigned num_classes = 0);
sample_set read_npz_set(const std::string& path, const std::string& images_key = "x", const std::string& labels_key = "y",
                        unsigned num_classes = 0);
// IDX images of any rank >= 2 ([count, ...], unsigned byte, plain or gzip) with a 1-D label file.
sample_set read_idx_set(const std::string& images, const std::string& labels, unsigned num_classes = 0);
// CIFAR-10 (1 label byte + 3072 pixel bytes per record) or CIFAR-100 (coarse and fine label bytes,
// the fine label is used) binary batches; samples [3, 32, 32].
sample_set read_cifar_set(const std::string& path, int classes /* 10 or 100 */);

// x = (x - mean[c]) / std[c] over channel c = the first axis of each sample. mean and std hold one
// value (every channel) or one per channel; std must be > 0 and every value finite.
void normalise(sample_set& s, const std::vector<double>& mean, const std::vector<double>& std_dev);

// Throws data_set_error unless each sample has `model_input` elements in that shape (a model's
// [features] input also accepts any sample of as many elements).
void check_sample_shape(const sample_set& s, const std::vector<std::size_t>& model_input, const std::string& file);

}  // namespace acim::workloads
