// IDX (MNIST-format) data sets: the test images a workload classifies. An IDX file is a big-endian
// header (two zero bytes, a data-type byte, a dimension count, then one 32-bit size per dimension)
// followed by the raw elements; Debian's dataset-fashion-mnist ships them gzip-compressed. Only
// unsigned-byte files (type 0x08) are read, plain or gzip (detected by content, not by name).
// Every defect — unreadable, corrupt or truncated gzip, wrong magic, truncated or oversized data,
// images and labels that disagree — throws idx_error naming the file and the problem; nothing is
// ever read past the end of the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace acim::workloads {

// What is wrong with a file, for callers and tests that must tell problems apart.
enum class idx_fault {
    io,                // cannot open or read the file
    compression,       // corrupt gzip stream (bad header, data or checksum)
    truncated,         // the file (or gzip stream) ends before the declared data
    bad_magic,         // the first two bytes are not zero, or no dimensions
    unsupported_type,  // a data type other than unsigned byte (0x08)
    bad_shape,         // a dimension of the wrong count or size for the request
    trailing_data,     // bytes after the declared data
    count_mismatch,    // images and labels disagree in count
    bad_label,         // a label outside [0, num_classes)
    too_large,         // more data than the reader's limit
};

const char* to_string(idx_fault f) noexcept;

class idx_error : public std::runtime_error {
public:
    idx_error(std::string file, idx_fault fault, const std::string& detail);
    const std::string& file() const noexcept { return m_file; }
    idx_fault fault() const noexcept { return m_fault; }

private:
    std::string m_file;
    idx_fault m_fault;
};

// One unsigned-byte IDX tensor: dims[0] x dims[1] x ..., row-major.
struct idx_array {
    std::vector<std::uint32_t> dims;
    std::vector<std::uint8_t> data;
};

// Largest accepted payload (decompressed), a guard against gzip bombs and absurd headers.
inline constexpr std::size_t idx_default_max_bytes = std::size_t{1} << 30;

// Reads a whole IDX file, plain or gzip. Throws idx_error.
idx_array read_idx(const std::string& path, std::size_t max_bytes = idx_default_max_bytes);

// Parses an IDX image already in memory (decompressed); `name` labels errors.
idx_array parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                    std::size_t max_bytes = idx_default_max_bytes);

// Images uint8 [count][rows][cols] with their labels.
struct image_set {
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols, row-major
    std::vector<std::uint8_t> labels;  // count

    const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * rows * cols; }
};

// Reads a 3-D image file and a 1-D label file of the same count. With num_classes > 0 every
// label must be below it.
image_set read_image_set(const std::string& images_path, const std::string& labels_path,
                         unsigned num_classes = 0);

struct dataset_files {
    std::string images;
    std::string labels;
};

// Where Debian's dataset-fashion-mnist installs its IDX files.
std::string debian_fashion_mnist_dir();
// The 10 000-image Fashion-MNIST test set (t10k-*-idx*-ubyte.gz) in `dir`.
dataset_files fashion_mnist_test_files(const std::string& dir = debian_fashion_mnist_dir());
dataset_files fashion_mnist_train_files(const std::string& dir = debian_fashion_mnist_dir());

}  // namespace acim::workloads
