// IDX reader (workloads/data/idx.hpp): plain and gzip round trips, every error class on crafted
// files (each prefix of a valid file, corrupt gzip, wrong magic and type, trailing bytes,
// inconsistent counts, bad labels), and the real Fashion-MNIST test set when Debian's
// dataset-fashion-mnist is installed.
#include <acim/workloads/data/idx.hpp>

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace acim::workloads;
namespace fs = std::filesystem;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes idx_bytes(const std::vector<std::uint32_t>& dims, const bytes& data, std::uint8_t type = 0x08) {
    bytes b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

bytes iota_bytes(std::size_t n, unsigned mod = 256) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 7 + 3) % mod);
    return b;
}

bytes gzip_bytes(const bytes& plain) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bytes out(deflateBound(&z, static_cast<uLong>(plain.size())) + 64);
    z.next_in = const_cast<Bytef*>(plain.data());
    z.avail_in = static_cast<uInt>(plain.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

class IdxFiles : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        m_dir = fs::temp_directory_path() /
                ("acim_test_idx_" + std::string(info->name()) + "_" + std::to_string(std::random_device{}()));
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    std::string write(const std::string& name, const bytes& b) {
        const std::string p = (m_dir / name).string();
        std::ofstream f(p, std::ios::binary);
        f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        return p;
    }
    fs::path m_dir;
};

// The fault of the idx_error a call throws, checking that the message names the file.
template <class F>
idx_fault fault_of(F&& f, const std::string& file) {
    try {
        f();
    } catch (const idx_error& e) {
        EXPECT_EQ(e.file(), file);
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(to_string(e.fault())), std::string::npos) << e.what();
        return e.fault();
    }
    ADD_FAILURE() << "no idx_error";
    return idx_fault::io;
}

}  // namespace

TEST_F(IdxFiles, PlainRoundTrip) {
    const bytes data = iota_bytes(3 * 4 * 5);
    const idx_array a = read_idx(write("a.idx", idx_bytes({3, 4, 5}, data)));
    EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{3, 4, 5}));
    EXPECT_EQ(a.data, data);
}

TEST_F(IdxFiles, GzipRoundTripIsDetectedByContent) {
    const bytes data = iota_bytes(2 * 3 * 3);
    const bytes gz = gzip_bytes(idx_bytes({2, 3, 3}, data));
    for (const char* name : {"b.idx.gz", "b_no_extension"}) {
        const idx_array a = read_idx(write(name, gz));
        EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3, 3}));
        EXPECT_EQ(a.data, data);
    }
}

TEST_F(IdxFiles, LargeGzipSpanningManyReadChunks) {
    const bytes data = iota_bytes(3'000'000, 251);
    const idx_array a = read_idx(write("big.gz", gzip_bytes(idx_bytes({3000, 1000}, data))));
    EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{3000, 1000}));
    EXPECT_EQ(a.data, data);
}

TEST_F(IdxFiles, ZeroCountIsAnEmptyTensor) {
    const idx_array a = read_idx(write("e.idx", idx_bytes({0, 28, 28}, {})));
    EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{0, 28, 28}));
    EXPECT_TRUE(a.data.empty());
}

TEST_F(IdxFiles, ImageSetRoundTrip) {
    const bytes pix = iota_bytes(4 * 2 * 3);
    const bytes lab = {0, 9, 3, 7};
    const image_set s = read_image_set(write("img.gz", gzip_bytes(idx_bytes({4, 2, 3}, pix))),
                                       write("lab", idx_bytes({4}, lab)), 10);
    EXPECT_EQ(s.count, 4u);
    EXPECT_EQ(s.rows, 2u);
    EXPECT_EQ(s.cols, 3u);
    EXPECT_EQ(s.pixels, pix);
    EXPECT_EQ(s.labels, lab);
    EXPECT_EQ(s.image(2)[0], pix[12]);
    EXPECT_EQ(s.image(3)[5], pix[23]);
}

TEST_F(IdxFiles, MissingFileAndDirectoryAreIoErrors) {
    const std::string missing = (m_dir / "nope.gz").string();
    EXPECT_EQ(fault_of([&] { read_idx(missing); }, missing), idx_fault::io);
    const std::string dir = m_dir.string();
    EXPECT_EQ(fault_of([&] { read_idx(dir); }, dir), idx_fault::io);
}

TEST_F(IdxFiles, EveryPrefixOfAPlainFileIsTruncated) {
    const bytes full = idx_bytes({2, 3, 4}, iota_bytes(24));
    for (std::size_t n = 0; n < full.size(); ++n) {
        const std::string p = write("t" + std::to_string(n), bytes(full.begin(), full.begin() + static_cast<long>(n)));
        EXPECT_EQ(fault_of([&] { read_idx(p); }, p), idx_fault::truncated) << "prefix " << n;
    }
}

TEST_F(IdxFiles, EveryPrefixOfAGzipFileIsTruncated) {
    const bytes full = gzip_bytes(idx_bytes({2, 3, 4}, iota_bytes(24)));
    for (std::size_t n = 1; n < full.size(); ++n) {
        const std::string p = write("g" + std::to_string(n), bytes(full.begin(), full.begin() + static_cast<long>(n)));
        // A gzip stream cut anywhere is 'truncated'; a 1-byte prefix is read transparently as a
        // plain file whose magic is incomplete, also 'truncated'.
        EXPECT_EQ(fault_of([&] { read_idx(p); }, p), idx_fault::truncated) << "prefix " << n;
    }
}

TEST_F(IdxFiles, CorruptGzipIsACompressionError) {
    bytes gz = gzip_bytes(idx_bytes({4, 5}, iota_bytes(20)));
    bytes bad_crc = gz;
    bad_crc[bad_crc.size() - 6] ^= 0xFF;  // inside the CRC32 trailer
    const std::string p1 = write("crc.gz", bad_crc);
    EXPECT_EQ(fault_of([&] { read_idx(p1); }, p1), idx_fault::compression);
    bytes bad_len = gz;
    bad_len[bad_len.size() - 2] ^= 0x01;  // inside the ISIZE trailer
    const std::string p2 = write("len.gz", bad_len);
    EXPECT_EQ(fault_of([&] { read_idx(p2); }, p2), idx_fault::compression);
    bytes bad_method = gz;
    bad_method[2] = 7;  // compression method other than deflate
    const std::string p3 = write("method.gz", bad_method);
    EXPECT_EQ(fault_of([&] { read_idx(p3); }, p3), idx_fault::compression);
}

TEST_F(IdxFiles, RandomCorruptionNeverCrashes) {
    const bytes plain = idx_bytes({3, 7, 5}, iota_bytes(105));
    const bytes gz = gzip_bytes(plain);
    std::mt19937 rng(12345);
    for (int trial = 0; trial < 300; ++trial) {
        bytes b = (trial % 2) ? gz : plain;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) b[rng() % b.size()] ^= static_cast<std::uint8_t>(1u + rng() % 255u);
        const std::string p = write("r" + std::to_string(trial), b);
        try {
            const idx_array a = read_idx(p);
            std::size_t count = 1;
            for (std::uint32_t d : a.dims) count *= d;
            EXPECT_EQ(a.data.size(), count);  // a surviving file is self-consistent
        } catch (const idx_error& e) {
            EXPECT_EQ(e.file(), p);
        }
    }
}

TEST_F(IdxFiles, WrongMagicAndType) {
    bytes b = idx_bytes({2, 2}, iota_bytes(4));
    b[0] = 1;
    const std::string p1 = write("m1", b);
    EXPECT_EQ(fault_of([&] { read_idx(p1); }, p1), idx_fault::bad_magic);
    const std::string p2 = write("m2", idx_bytes({}, {}));
    EXPECT_EQ(fault_of([&] { read_idx(p2); }, p2), idx_fault::bad_magic);
    const std::string p3 = write("m3", idx_bytes({2}, bytes(8), 0x0D));
    EXPECT_EQ(fault_of([&] { read_idx(p3); }, p3), idx_fault::unsupported_type);
    try {
        read_idx(p3);
    } catch (const idx_error& e) {
        EXPECT_NE(std::string(e.what()).find("0x0d (float32)"), std::string::npos) << e.what();
    }
    const std::string text = write("text.txt", bytes{'h', 'e', 'l', 'l', 'o', '\n'});
    EXPECT_EQ(fault_of([&] { read_idx(text); }, text), idx_fault::bad_magic);
}

TEST_F(IdxFiles, TrailingBytesAreRejected) {
    bytes b = idx_bytes({2, 2}, iota_bytes(5));
    const std::string p = write("trail", b);
    EXPECT_EQ(fault_of([&] { read_idx(p); }, p), idx_fault::trailing_data);
    const std::string pg = write("trail.gz", gzip_bytes(b));
    EXPECT_EQ(fault_of([&] { read_idx(pg); }, pg), idx_fault::trailing_data);
}

TEST_F(IdxFiles, HugeDeclaredShapeIsRejectedWithoutAllocating) {
    const std::string p = write("huge", idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, iota_bytes(16)));
    EXPECT_EQ(fault_of([&] { read_idx(p); }, p), idx_fault::too_large);
    const std::string p2 = write("limit", idx_bytes({100}, iota_bytes(100)));
    EXPECT_EQ(fault_of([&] { read_idx(p2, 99); }, p2), idx_fault::too_large);
    EXPECT_EQ(read_idx(p2, 100).data.size(), 100u);
    // A small gzip that inflates past the limit stops reading early.
    const std::string p3 = write("bomb.gz", gzip_bytes(idx_bytes({1u << 22}, bytes(1u << 22))));
    EXPECT_EQ(fault_of([&] { read_idx(p3, 1000); }, p3), idx_fault::too_large);
}

TEST_F(IdxFiles, ImageSetShapeCountAndLabelErrors) {
    const std::string img = write("img", idx_bytes({3, 2, 2}, iota_bytes(12)));
    const std::string lab3 = write("lab3", idx_bytes({3}, {1, 2, 3}));
    const std::string lab4 = write("lab4", idx_bytes({4}, {1, 2, 3, 4}));
    const std::string flat = write("flat", idx_bytes({3, 4}, iota_bytes(12)));
    const std::string lab2d = write("lab2d", idx_bytes({3, 1}, {1, 2, 3}));
    const std::string zero_rows = write("zr", idx_bytes({3, 0, 2}, {}));
    const std::string bad_label = write("bl", idx_bytes({3}, {1, 10, 3}));
    EXPECT_EQ(fault_of([&] { read_image_set(img, lab4); }, lab4), idx_fault::count_mismatch);
    EXPECT_EQ(fault_of([&] { read_image_set(flat, lab3); }, flat), idx_fault::bad_shape);
    EXPECT_EQ(fault_of([&] { read_image_set(img, lab2d); }, lab2d), idx_fault::bad_shape);
    EXPECT_EQ(fault_of([&] { read_image_set(zero_rows, lab3); }, zero_rows), idx_fault::bad_shape);
    EXPECT_EQ(fault_of([&] { read_image_set(img, bad_label, 10); }, bad_label), idx_fault::bad_label);
    EXPECT_EQ(read_image_set(img, bad_label, 11).labels[1], 10);
    EXPECT_EQ(read_image_set(img, bad_label).labels[1], 10);  // unchecked without num_classes
    try {
        read_image_set(img, lab4);
    } catch (const idx_error& e) {
        EXPECT_NE(std::string(e.what()).find("4 labels for the 3 images"), std::string::npos) << e.what();
    }
}

TEST(IdxFashionMnist, DebianPaths) {
    const dataset_files t = fashion_mnist_test_files();
    EXPECT_EQ(t.images, "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    EXPECT_EQ(t.labels, "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(fashion_mnist_train_files("/d").images, "/d/train-images-idx3-ubyte.gz");
}

TEST(IdxFashionMnist, RealTestSet) {
    const dataset_files t = fashion_mnist_test_files();
    if (!fs::exists(t.images) || !fs::exists(t.labels))
        GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
    const image_set s = read_image_set(t.images, t.labels, 10);
    EXPECT_EQ(s.count, 10000u);
    EXPECT_EQ(s.rows, 28u);
    EXPECT_EQ(s.cols, 28u);
    ASSERT_EQ(s.pixels.size(), 10000u * 28u * 28u);
    std::vector<int> per_class(10, 0);
    for (std::uint8_t l : s.labels) ++per_class.at(l);
    for (int c : per_class) EXPECT_EQ(c, 1000);  // Fashion-MNIST's test set is balanced
    EXPECT_EQ(s.labels[0], 9);                  // the first test image is an ankle boot
    EXPECT_EQ(*std::max_element(s.pixels.begin(), s.pixels.end()), 255);
}

// Issue 15 C2: a set of 0 images used to load and give a run with a null accuracy.
TEST_F(IdxFiles, EmptyImageSetIsAnError) {
    const std::string img = write("img0", idx_bytes({0, 2, 2}, {}));
    const std::string lab = write("lab0", idx_bytes({0}, {}));
    EXPECT_EQ(fault_of([&] { read_image_set(img, lab); }, img), idx_fault::bad_shape);
    try {
        read_image_set(img, lab);
    } catch (const idx_error& e) {
        EXPECT_NE(std::string(e.what()).find("holds no images"), std::string::npos) << e.what();
    }
}
