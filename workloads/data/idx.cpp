#include <acim/workloads/data/idx.hpp>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sstream>

namespace acim::workloads {

namespace {

std::string hex(unsigned v, int width) {
    std::ostringstream os;
    os << "0x" << std::hex;
    os.width(width);
    os.fill('0');
    os << v;
    return os.str();
}

const char* type_name(unsigned t) {
    switch (t) {
        case 0x08: return "unsigned byte";
        case 0x09: return "signed byte";
        case 0x0B: return "int16";
        case 0x0C: return "int32";
        case 0x0D: return "float32";
        case 0x0E: return "float64";
        default: return "unknown";
    }
}

std::string shape_text(const std::vector<std::uint32_t>& dims) {
    std::string s;
    for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? " x " : "") + std::to_string(dims[k]);
    return s;
}

// Longest header: 4 bytes of magic and 255 dimensions of 4 bytes.
constexpr std::size_t max_header = 4 + 4 * 255;

// zlib's message without the "<path>: " prefix that gzerror adds.
std::string zlib_message(gzFile f, const std::string& path, int* code) {
    std::string m = gzerror(f, code);
    if (m.compare(0, path.size() + 2, path + ": ") == 0) m.erase(0, path.size() + 2);
    return m;
}

// The file's bytes, gunzipped when it is a gzip stream (zlib's transparent mode reads plain files).
std::vector<std::uint8_t> read_bytes(const std::string& path, std::size_t max_bytes) {
    errno = 0;
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr)
        throw idx_error(path, idx_fault::io, errno ? std::strerror(errno) : "cannot open (out of memory)");
    struct closer {
        gzFile f;
        ~closer() { gzclose(f); }
    } close_at_exit{f};

    const std::size_t limit = max_bytes > std::numeric_limits<std::size_t>::max() - max_header
                                  ? std::numeric_limits<std::size_t>::max()
                                  : max_bytes + max_header;
    std::vector<std::uint8_t> buf;
    for (;;) {
        const std::size_t old = buf.size();
        if (old > limit)
            throw idx_error(path, idx_fault::too_large,
                            "more than " + std::to_string(max_bytes) + " data bytes (reader limit)");
        // Reads grow with the data (64 KiB, doubling, at most 1 MiB at a time): a small file does
        // not clear megabytes it never uses.
        const auto chunk = static_cast<unsigned>(std::clamp<std::size_t>(old, std::size_t{1} << 16, std::size_t{1} << 20));
        buf.resize(old + chunk);
        errno = 0;
        const int n = gzread(f, buf.data() + old, chunk);
        if (n < 0) {
            int code = Z_OK;
            const std::string msg = zlib_message(f, path, &code);
            if (code == Z_ERRNO)
                throw idx_error(path, idx_fault::io, errno ? std::strerror(errno) : "read error");
            if (code == Z_BUF_ERROR)
                throw idx_error(path, idx_fault::truncated, "gzip stream ends early: " + msg);
            throw idx_error(path, idx_fault::compression, "corrupt gzip stream: " + msg);
        }
        buf.resize(old + static_cast<std::size_t>(n));
        if (n == 0) break;
    }
    int code = Z_OK;
    const std::string msg = zlib_message(f, path, &code);
    if (code == Z_BUF_ERROR)
        throw idx_error(path, idx_fault::truncated, "gzip stream ends early: " + msg);
    if (code != Z_OK)
        throw idx_error(path, idx_fault::compression, "corrupt gzip stream: " + msg);
    return buf;
}

}  // namespace

const char* to_string(idx_fault f) noexcept {
    switch (f) {
        case idx_fault::io: return "I/O error";
        case idx_fault::compression: return "corrupt compression";
        case idx_fault::truncated: return "truncated";
        case idx_fault::bad_magic: return "bad magic";
        case idx_fault::unsupported_type: return "unsupported data type";
        case idx_fault::bad_shape: return "bad shape";
        case idx_fault::trailing_data: return "trailing data";
        case idx_fault::count_mismatch: return "inconsistent count";
        case idx_fault::bad_label: return "bad label";
        case idx_fault::too_large: return "too large";
    }
    return "unknown";
}

idx_error::idx_error(std::string file, idx_fault fault, const std::string& detail)
    : std::runtime_error("IDX file '" + file + "': " + to_string(fault) + ": " + detail),
      m_file(std::move(file)), m_fault(fault) {}

idx_array parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name, std::size_t max_bytes) {
    if (size < 4)
        throw idx_error(name, idx_fault::truncated,
                        "the 4-byte magic number is incomplete (" + std::to_string(size) + " bytes)");
    const unsigned magic = (unsigned{bytes[0]} << 24) | (unsigned{bytes[1]} << 16) | (unsigned{bytes[2]} << 8) |
                           unsigned{bytes[3]};
    if (bytes[0] != 0 || bytes[1] != 0)
        throw idx_error(name, idx_fault::bad_magic,
                        "magic " + hex(magic, 8) + " does not start with two zero bytes (not an IDX file)");
    if (bytes[2] != 0x08)
        throw idx_error(name, idx_fault::unsupported_type,
                        "data type " + hex(bytes[2], 2) + " (" + type_name(bytes[2]) +
                            "); only unsigned byte (0x08) is read");
    const std::size_t ndim = bytes[3];
    if (ndim == 0) throw idx_error(name, idx_fault::bad_magic, "magic " + hex(magic, 8) + " declares no dimensions");
    const std::size_t header = 4 + 4 * ndim;
    if (size < header)
        throw idx_error(name, idx_fault::truncated,
                        "header of " + std::to_string(ndim) + " dimensions needs " + std::to_string(header) +
                            " bytes, the file has " + std::to_string(size));
    idx_array a;
    std::size_t count = 1;
    bool overflow = false;
    for (std::size_t k = 0; k < ndim; ++k) {
        const std::uint8_t* p = bytes + 4 + 4 * k;
        const std::uint32_t d = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
        a.dims.push_back(d);
        if (d != 0 && count > max_bytes / d) overflow = true;
        else count *= d;
    }
    if (overflow || count > max_bytes)
        throw idx_error(name, idx_fault::too_large,
                        "shape " + shape_text(a.dims) + " exceeds the reader limit of " +
                            std::to_string(max_bytes) + " bytes");
    const std::size_t payload = size - header;
    if (payload < count)
        throw idx_error(name, idx_fault::truncated,
                        "shape " + shape_text(a.dims) + " declares " + std::to_string(count) +
                            " data bytes, the file has " + std::to_string(payload));
    if (payload > count)
        throw idx_error(name, idx_fault::trailing_data,
                        std::to_string(payload - count) + " bytes after the " + std::to_string(count) +
                            " data bytes of shape " + shape_text(a.dims));
    a.data.assign(bytes + header, bytes + header + count);
    return a;
}

idx_array read_idx(const std::string& path, std::size_t max_bytes) {
    const std::vector<std::uint8_t> bytes = read_bytes(path, max_bytes);
    return parse_idx(bytes.data(), bytes.size(), path, max_bytes);
}

image_set read_image_set(const std::string& images_path, const std::string& labels_path, unsigned num_classes) {
    idx_array img = read_idx(images_path);
    if (img.dims.size() != 3)
        throw idx_error(images_path, idx_fault::bad_shape,
                        "an image file is 3-D [count][rows][cols], this one is " + shape_text(img.dims));
    // An empty set would run to a null accuracy; say so before any work starts.
    if (img.dims[0] == 0) throw idx_error(images_path, idx_fault::bad_shape, "the file holds no images (shape " + shape_text(img.dims) + ")");
    if (img.dims[1] == 0 || img.dims[2] == 0)
        throw idx_error(images_path, idx_fault::bad_shape, "empty images of shape " + shape_text(img.dims));
    idx_array lab = read_idx(labels_path);
    if (lab.dims.size() != 1)
        throw idx_error(labels_path, idx_fault::bad_shape,
                        "a label file is 1-D [count], this one is " + shape_text(lab.dims));
    if (lab.dims[0] != img.dims[0])
        throw idx_error(labels_path, idx_fault::count_mismatch,
                        std::to_string(lab.dims[0]) + " labels for the " + std::to_string(img.dims[0]) +
                            " images of '" + images_path + "'");
    if (num_classes > 0) {
        for (std::size_t i = 0; i < lab.data.size(); ++i)
            if (lab.data[i] >= num_classes)
                throw idx_error(labels_path, idx_fault::bad_label,
                                "label[" + std::to_string(i) + "] = " + std::to_string(lab.data[i]) +
                                    " is not below " + std::to_string(num_classes) + " classes");
    }
    image_set s;
    s.count = img.dims[0];
    s.rows = img.dims[1];
    s.cols = img.dims[2];
    s.pixels = std::move(img.data);
    s.labels = std::move(lab.data);
    return s;
}

std::string debian_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

dataset_files fashion_mnist_test_files(const std::string& dir) {
    return {dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz"};
}

dataset_files fashion_mnist_train_files(const std::string& dir) {
    return {dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz"};
}

}  // namespace acim::workloads
