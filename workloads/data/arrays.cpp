#include <acim/workloads/data/arrays.hpp>

#include <acim/core/checked.hpp>
#include <acim/workloads/data/idx.hpp>

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

namespace acim::workloads {

namespace {

using bytes = std::vector<std::uint8_t>;

std::string shape_text(const std::vector<std::size_t>& s) {
    std::string t = "[";
    for (std::size_t k = 0; k < s.size(); ++k) t += (k ? ", " : "") + std::to_string(s[k]);
    return t + "]";
}

std::size_t checked(const std::vector<std::size_t>& dims, const std::string& file, const std::string& what) {
    try {
        return core::checked_product(dims.data(), dims.size(), what);
    } catch (const core::data_error& e) {
        throw data_set_error(file, e.what());
    }
}

bytes read_file(const std::string& path, std::size_t max_bytes) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw data_set_error(path, "cannot open the file");
    const std::streamoff end = f.tellg();
    if (end < 0) throw data_set_error(path, "cannot read the file (a directory?)");
    if (static_cast<std::uint64_t>(end) > max_bytes)
        throw data_set_error(path, std::to_string(end) + " bytes exceed the reader limit of " + std::to_string(max_bytes));
    bytes b(static_cast<std::size_t>(end));
    f.seekg(0);
    if (!b.empty() && !f.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size())))
        throw data_set_error(path, "read error");
    return b;
}

std::uint32_t le(const std::uint8_t* p, int n) {
    std::uint32_t v = 0;
    for (int k = n; k-- > 0;) v = (v << 8) | p[k];
    return v;
}

// The value after `'key':` in a .npy header dict.
std::string header_field(const std::string& h, const std::string& key, const std::string& file) {
    const auto at = h.find("'" + key + "'");
    if (at == std::string::npos) throw data_set_error(file, ".npy header has no '" + key + "'");
    auto p = h.find(':', at);
    if (p == std::string::npos) throw data_set_error(file, ".npy header is malformed at '" + key + "'");
    ++p;
    while (p < h.size() && h[p] == ' ') ++p;
    if (p < h.size() && (h[p] == '\'' || h[p] == '"')) {
        const auto q = h.find(h[p], p + 1);
        if (q == std::string::npos) throw data_set_error(file, ".npy header is malformed at '" + key + "'");
        return h.substr(p + 1, q - p - 1);
    }
    if (p < h.size() && h[p] == '(') {
        const auto q = h.find(')', p);
        if (q == std::string::npos) throw data_set_error(file, ".npy header is malformed at '" + key + "'");
        return h.substr(p, q - p + 1);
    }
    auto q = p;
    while (q < h.size() && h[q] != ',' && h[q] != '}') ++q;
    return h.substr(p, q - p);
}

template <class T>
void convert(const std::uint8_t* p, std::size_t n, std::vector<double>& out) {
    out.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        T v;
        std::memcpy(&v, p + k * sizeof(T), sizeof(T));
        out[k] = static_cast<double>(v);
    }
}

std::vector<std::int64_t> labels_of(const npy_array& a, std::size_t count, unsigned num_classes, const std::string& file) {
    if (a.shape.size() != 1) throw data_set_error(file, "labels must be 1-D [count], not " + shape_text(a.shape));
    if (a.shape[0] != count)
        throw data_set_error(file, std::to_string(a.shape[0]) + " labels for " + std::to_string(count) + " samples");
    std::vector<std::int64_t> l(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double v = a.values[i];
        if (v != std::floor(v) || v < 0 || v > 2147483647.0)
            throw data_set_error(file, "label[" + std::to_string(i) + "] = " + std::to_string(v) + " is not a class index");
        if (num_classes > 0 && v >= num_classes)
            throw data_set_error(file, "label[" + std::to_string(i) + "] = " + std::to_string(static_cast<std::int64_t>(v)) +
                                           " is not below " + std::to_string(num_classes) + " classes");
        l[i] = static_cast<std::int64_t>(v);
    }
    return l;
}

sample_set samples_of(const npy_array& a, const std::string& file) {
    if (a.shape.size() < 2) throw data_set_error(file, "samples must be [count, ...] with at least 2 dimensions, not " + shape_text(a.shape));
    sample_set s;
    s.count = a.shape[0];
    if (s.count == 0) throw data_set_error(file, "the file holds no samples (shape " + shape_text(a.shape) + ")");
    s.item_shape.assign(a.shape.begin() + 1, a.shape.end());
    if (checked(s.item_shape, file, "sample elements") == 0) throw data_set_error(file, "empty samples of shape " + shape_text(a.shape));
    s.values.resize(a.values.size());
    for (std::size_t k = 0; k < a.values.size(); ++k) {
        const double v = a.values[k];
        if (!std::isfinite(v)) throw data_set_error(file, "element " + std::to_string(k) + " is non-finite");
        s.values[k] = a.byte_data ? static_cast<float>(v) / 255.0f : static_cast<float>(v);
    }
    return s;
}

}  // namespace

std::size_t sample_set::item_size() const {
    std::size_t n = 1;
    for (std::size_t d : item_shape) n *= d;
    return n;
}

npy_array parse_npy(const std::uint8_t* b, std::size_t size, const std::string& name, std::size_t max_bytes) {
    static const std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (size < 10 || std::memcmp(b, magic, 6) != 0) throw data_set_error(name, "not a .npy file (no \\x93NUMPY magic)");
    const int major = b[6];
    if (major < 1 || major > 3) throw data_set_error(name, ".npy version " + std::to_string(major) + " is not 1, 2 or 3");
    const std::size_t len_bytes = major == 1 ? 2 : 4, start = 8 + len_bytes;
    if (size < start) throw data_set_error(name, "truncated .npy header");
    const std::size_t hlen = le(b + 8, static_cast<int>(len_bytes));
    if (hlen > size - start) throw data_set_error(name, "truncated .npy header (" + std::to_string(hlen) + " bytes declared)");
    const std::string h(reinterpret_cast<const char*>(b + start), hlen);
    const std::string descr = header_field(h, "descr", name);
    const std::string fortran = header_field(h, "fortran_order", name);
    const std::string shp = header_field(h, "shape", name);
    if (fortran.find("False") == std::string::npos) throw data_set_error(name, "fortran_order arrays are not supported");
    npy_array a;
    if (shp.size() < 2 || shp.front() != '(') throw data_set_error(name, "shape '" + shp + "' is not a tuple");
    std::size_t p = 1;
    while (p < shp.size()) {
        while (p < shp.size() && (shp[p] == ' ' || shp[p] == ',')) ++p;
        if (p >= shp.size() || shp[p] == ')') break;
        std::size_t used = 0;
        unsigned long long d = 0;
        try {
            d = std::stoull(shp.substr(p), &used);
        } catch (const std::exception&) {
            throw data_set_error(name, "shape '" + shp + "' holds a non-integer");
        }
        if (shp[p] == '-') throw data_set_error(name, "shape '" + shp + "' holds a negative dimension");
        a.shape.push_back(static_cast<std::size_t>(d));
        p += used;
    }
    if (descr.size() < 3) throw data_set_error(name, "dtype '" + descr + "' is not supported");
    const char order = descr[0], kind = descr[1];
    const std::string width = descr.substr(2);
    if (order == '>' && width != "1") throw data_set_error(name, "big-endian dtype '" + descr + "' is not supported");
    const std::size_t elems = checked(a.shape, name, "array elements");
    std::size_t w = 0;
    try {
        w = std::stoul(width);
    } catch (const std::exception&) {
        throw data_set_error(name, "dtype '" + descr + "' is not supported");
    }
    const std::size_t nbytes = checked({elems, w}, name, "array bytes");
    if (nbytes > max_bytes) throw data_set_error(name, std::to_string(nbytes) + " data bytes exceed the reader limit");
    const std::size_t data = start + hlen;
    if (size - data < nbytes)
        throw data_set_error(name, "truncated: shape " + shape_text(a.shape) + " of " + descr + " needs " + std::to_string(nbytes) +
                                       " data bytes, the file has " + std::to_string(size - data));
    if (size - data > nbytes) throw data_set_error(name, std::to_string(size - data - nbytes) + " bytes after the data");
    const std::uint8_t* d = b + data;
    if (kind == 'u' && w == 1) convert<std::uint8_t>(d, elems, a.values), a.byte_data = true;
    else if (kind == 'i' && w == 1) convert<std::int8_t>(d, elems, a.values);
    else if (kind == 'u' && w == 2) convert<std::uint16_t>(d, elems, a.values);
    else if (kind == 'i' && w == 2) convert<std::int16_t>(d, elems, a.values);
    else if (kind == 'u' && w == 4) convert<std::uint32_t>(d, elems, a.values);
    else if (kind == 'i' && w == 4) convert<std::int32_t>(d, elems, a.values);
    else if (kind == 'i' && w == 8) convert<std::int64_t>(d, elems, a.values);
    else if (kind == 'u' && w == 8) convert<std::uint64_t>(d, elems, a.values);
    else if (kind == 'f' && w == 4) convert<float>(d, elems, a.values);
    else if (kind == 'f' && w == 8) convert<double>(d, elems, a.values);
    else throw data_set_error(name, "dtype '" + descr + "' is not supported (integers, float32, float64)");
    return a;
}

npy_array read_npy(const std::string& path, std::size_t max_bytes) {
    const bytes b = read_file(path, max_bytes + (std::size_t{1} << 16));
    return parse_npy(b.data(), b.size(), path, max_bytes);
}

npy_array read_npz_member(const std::string& path, const std::string& key, std::size_t max_bytes) {
    const bytes z = read_file(path, max_bytes);
    const std::string member = key + ".npy";
    // The end-of-central-directory record: the last 22 bytes, or up to 64 KiB earlier with a comment.
    if (z.size() < 22) throw data_set_error(path, "not a zip (.npz) archive: too short");
    std::size_t eocd = std::string::npos;
    for (std::size_t k = z.size() - 22 + 1; k-- > 0 && z.size() - k <= 22 + 65535;)
        if (le(&z[k], 4) == 0x06054b50u) {
            eocd = k;
            break;
        }
    if (eocd == std::string::npos) throw data_set_error(path, "not a zip (.npz) archive: no end of central directory");
    const std::size_t entries = le(&z[eocd + 10], 2);
    std::size_t at = le(&z[eocd + 16], 4);
    std::vector<std::string> names;
    for (std::size_t e = 0; e < entries; ++e) {
        if (at > z.size() || z.size() - at < 46 || le(&z[at], 4) != 0x02014b50u)
            throw data_set_error(path, "corrupt zip central directory (entry " + std::to_string(e) + ")");
        const std::uint32_t method = le(&z[at + 10], 2), crc = le(&z[at + 16], 4);
        const std::size_t csize = le(&z[at + 20], 4), usize = le(&z[at + 24], 4);
        const std::size_t nlen = le(&z[at + 28], 2), xlen = le(&z[at + 30], 2), clen = le(&z[at + 32], 2);
        const std::size_t local = le(&z[at + 42], 4);
        if (z.size() - at - 46 < nlen) throw data_set_error(path, "corrupt zip central directory (a name)");
        const std::string name(reinterpret_cast<const char*>(&z[at + 46]), nlen);
        at += 46 + nlen + xlen + clen;
        names.push_back(name);
        if (name != member) continue;
        if (csize == 0xFFFFFFFFu || usize == 0xFFFFFFFFu || local == 0xFFFFFFFFu)
            throw data_set_error(path, "member '" + name + "' is a ZIP64 entry (over 4 GiB), not supported");
        if (local > z.size() || z.size() - local < 30 || le(&z[local], 4) != 0x04034b50u)
            throw data_set_error(path, "corrupt local header of '" + name + "'");
        const std::size_t data = local + 30 + le(&z[local + 26], 2) + le(&z[local + 28], 2);
        if (data > z.size() || z.size() - data < csize) throw data_set_error(path, "member '" + name + "' is truncated");
        if (usize > max_bytes) throw data_set_error(path, "member '" + name + "' exceeds the reader limit");
        if (method != 0 && method != 8)
            throw data_set_error(path, "member '" + name + "' uses zip method " + std::to_string(method) + " (only stored and deflate)");
        if (method == 0 && csize != usize) throw data_set_error(path, "stored member '" + name + "' has differing sizes");
        // Deflate expands at most 1032:1: a larger declared size is corrupt, and is refused before
        // the buffer is allocated (a few bytes must not claim gigabytes).
        if (method == 8 && usize > 1032 * csize + 1024)
            throw data_set_error(path, "member '" + name + "' declares " + std::to_string(usize) + " bytes from " +
                                           std::to_string(csize) + " deflated bytes (corrupt size)");
        bytes out(usize);
        if (method == 0) {
            if (usize > 0) std::memcpy(out.data(), z.data() + data, usize);  // an empty member: nothing to copy
        } else {  // method 8: deflate
            z_stream s{};
            if (inflateInit2(&s, -15) != Z_OK) throw data_set_error(path, "zlib initialisation failed");
            s.next_in = const_cast<Bytef*>(z.data() + data);
            s.avail_in = static_cast<uInt>(csize);
            s.next_out = out.data();
            s.avail_out = static_cast<uInt>(usize);
            const int rc = inflate(&s, Z_FINISH);
            const std::size_t produced = s.total_out;
            inflateEnd(&s);
            if (rc != Z_STREAM_END || produced != usize)
                throw data_set_error(path, "member '" + name + "': corrupt deflate data");
        }
        if (crc32(0L, out.data(), static_cast<uInt>(out.size())) != crc)
            throw data_set_error(path, "member '" + name + "': CRC mismatch");
        return parse_npy(out.data(), out.size(), path + ":" + name, max_bytes);
    }
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw data_set_error(path, "has no member '" + member + "' (members: " + list + ")");
}

sample_set read_npy_set(const std::string& images, const std::string& labels, unsigned num_classes) {
    sample_set s = samples_of(read_npy(images), images);
    s.labels = labels_of(read_npy(labels), s.count, num_classes, labels);
    return s;
}

sample_set read_npz_set(const std::string& path, const std::string& images_key, const std::string& labels_key,
                        unsigned num_classes) {
    sample_set s = samples_of(read_npz_member(path, images_key), path + ":" + images_key);
    s.labels = labels_of(read_npz_member(path, labels_key), s.count, num_classes, path + ":" + labels_key);
    return s;
}

sample_set read_idx_set(const std::string& images, const std::string& labels, unsigned num_classes) {
    const idx_array img = read_idx(images);
    npy_array a;
    for (auto d : img.dims) a.shape.push_back(d);
    a.values.assign(img.data.begin(), img.data.end());
    a.byte_data = true;
    sample_set s = samples_of(a, images);
    const idx_array lab = read_idx(labels);
    npy_array l;
    for (auto d : lab.dims) l.shape.push_back(d);
    l.values.assign(lab.data.begin(), lab.data.end());
    s.labels = labels_of(l, s.count, num_classes, labels);
    return s;
}

sample_set read_cifar_set(const std::string& path, int classes) {
    if (classes != 10 && classes != 100) throw data_set_error(path, "CIFAR has 10 or 100 classes, not " + std::to_string(classes));
    const std::size_t label_bytes = classes == 10 ? 1 : 2, pixels = 3 * 32 * 32, record = label_bytes + pixels;
    const bytes b = read_file(path, data_default_max_bytes);
    if (b.empty() || b.size() % record != 0)
        throw data_set_error(path, std::to_string(b.size()) + " bytes are not a whole number of " + std::to_string(record) +
                                       "-byte CIFAR-" + std::to_string(classes) + " records");
    sample_set s;
    s.count = b.size() / record;
    s.item_shape = {3, 32, 32};
    s.values.resize(checked({s.count, pixels}, path, "CIFAR pixels"));
    s.labels.resize(s.count);
    for (std::size_t i = 0; i < s.count; ++i) {
        const std::uint8_t* r = b.data() + i * record;
        const unsigned lab = r[label_bytes - 1];  // CIFAR-100: the fine label, after the coarse one
        if (lab >= static_cast<unsigned>(classes))
            throw data_set_error(path, "record " + std::to_string(i) + ": label " + std::to_string(lab) + " is not below " +
                                           std::to_string(classes));
        s.labels[i] = lab;
        for (std::size_t k = 0; k < pixels; ++k) s.values[i * pixels + k] = static_cast<float>(r[label_bytes + k]) / 255.0f;
    }
    return s;
}

void normalise(sample_set& s, const std::vector<double>& mean, const std::vector<double>& std_dev) {
    if (mean.empty() && std_dev.empty()) return;
    const std::size_t c = s.item_shape.empty() ? 1 : s.item_shape[0];
    const auto check = [&](const std::vector<double>& v, const char* key, bool positive) {
        if (v.size() != 1 && v.size() != c)
            throw std::invalid_argument(std::string("invalid parameter ") + key + ": " + std::to_string(v.size()) +
                                        " values for " + std::to_string(c) + " channels (give 1 or " + std::to_string(c) + ")");
        for (double x : v)
            if (!std::isfinite(x) || (positive && !(x > 0.0)))
                throw std::invalid_argument(std::string("invalid parameter ") + key + " = " + std::to_string(x) +
                                            (positive ? ": must be finite and > 0" : ": must be finite"));
    };
    const std::vector<double> m = mean.empty() ? std::vector<double>{0.0} : mean;
    const std::vector<double> d = std_dev.empty() ? std::vector<double>{1.0} : std_dev;
    check(m, "data.mean", false);
    check(d, "data.std", true);
    const std::size_t per = s.item_size() / c;
    for (std::size_t k = 0; k < s.values.size(); ++k) {
        const std::size_t ch = (k / per) % c;
        const auto mu = static_cast<float>(m[m.size() == 1 ? 0 : ch]), sd = static_cast<float>(d[d.size() == 1 ? 0 : ch]);
        s.values[k] = (s.values[k] - mu) / sd;  // float32, as torchvision's Normalize
    }
}

void check_sample_shape(const sample_set& s, const std::vector<std::size_t>& model_input, const std::string& file) {
    std::size_t n = 1;
    for (std::size_t d : model_input) n *= d;
    if (s.item_shape == model_input || (model_input.size() == 1 && s.item_size() == n)) return;
    throw data_set_error(file, "samples of shape " + shape_text(s.item_shape) + " do not fit the model input " +
                                   shape_text(model_input) + " (without the batch dimension)");
}

}  // namespace acim::workloads
