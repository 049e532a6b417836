// The data readers beyond 28 x 28 IDX (workloads/data/arrays.hpp) on files numpy wrote
// (tests/unit/onnx_models/make_data.py): .npy, stored and deflated .npz, CIFAR-10/100, IDX of any
// shape, per-channel normalisation, and every rejection with its message.
#include <acim/workloads/data/arrays.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace acim::workloads;
namespace fs = std::filesystem;

namespace {

const std::string dir = ACIM_TEST_DATA;

std::vector<float> ref(const std::string& name) {
    std::ifstream f(dir + "/" + name, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

std::string write(const std::string& name, const std::vector<std::uint8_t>& b) {
    const std::string p = (fs::temp_directory_path() / ("acim_test_arrays_" + name)).string();
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p;
}

std::vector<std::uint8_t> file_bytes(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(Arrays, NpyUint8ImagesAndInt64Labels) {
    const sample_set s = read_npy_set(dir + "/img8.npy", dir + "/lab.npy", 10);
    EXPECT_EQ(s.count, 5u);
    EXPECT_EQ(s.item_shape, (std::vector<std::size_t>{3, 4, 4}));
    EXPECT_EQ(s.values, ref("img8.ref.bin"));
    EXPECT_EQ(s.labels, (std::vector<std::int64_t>{0, 9, 3, 7, 1}));
}

TEST(Arrays, NpzStoredAndDeflated) {
    const sample_set a = read_npz_set(dir + "/stored.npz");
    EXPECT_EQ(a.values, ref("img8.ref.bin"));
    EXPECT_EQ(a.labels, (std::vector<std::int64_t>{0, 9, 3, 7, 1}));
    const sample_set b = read_npz_set(dir + "/deflated.npz", "images", "labels");
    EXPECT_EQ(b.item_shape, (std::vector<std::size_t>{6}));
    EXPECT_EQ(b.values, ref("imgf.ref.bin"));  // float32 as stored, not scaled
    EXPECT_EQ(b.labels, (std::vector<std::int64_t>{0, 9, 3, 7, 1}));
}

TEST(Arrays, Cifar10And100) {
    const sample_set a = read_cifar_set(dir + "/cifar10.bin", 10);
    EXPECT_EQ(a.count, 4u);
    EXPECT_EQ(a.item_shape, (std::vector<std::size_t>{3, 32, 32}));
    EXPECT_EQ(a.values, ref("cifar.ref.bin"));
    EXPECT_EQ(a.labels, (std::vector<std::int64_t>{2, 5, 0, 9}));
    const sample_set b = read_cifar_set(dir + "/cifar100.bin", 100);
    EXPECT_EQ(b.values, ref("cifar.ref.bin"));
    EXPECT_EQ(b.labels, (std::vector<std::int64_t>{42, 99, 0, 7}));  // fine labels
}

TEST(Arrays, PerChannelNormalisation) {
    sample_set a = read_cifar_set(dir + "/cifar10.bin", 10);
    normalise(a, {0.5, 0.25, 0.125}, {0.25, 0.5, 2.0});
    const auto r = ref("cifar_norm.ref.bin");
    ASSERT_EQ(a.values.size(), r.size());
    for (std::size_t k = 0; k < r.size(); ++k) ASSERT_FLOAT_EQ(a.values[k], r[k]) << k;
    EXPECT_NE(error_of([&] { normalise(a, {0.5, 0.5}, {}); }).find("data.mean: 2 values for 3 channels"), std::string::npos);
    EXPECT_NE(error_of([&] { normalise(a, {}, {0.0}); }).find("data.std = 0.000000: must be finite and > 0"), std::string::npos);
}

TEST(Arrays, ShapeMismatchAgainstTheModel) {
    const sample_set a = read_cifar_set(dir + "/cifar10.bin", 10);
    check_sample_shape(a, {3, 32, 32}, "c");
    check_sample_shape(a, {3072}, "c");  // a [features] model takes the flattened sample
    const std::string e = error_of([&] { check_sample_shape(a, {1, 28, 28}, "cifar10.bin"); });
    EXPECT_NE(e.find("samples of shape [3, 32, 32] do not fit the model input [1, 28, 28]"), std::string::npos) << e;
}

TEST(Arrays, Rejections) {
    EXPECT_NE(error_of([] { read_npy_set(dir + "/img8.npy", dir + "/lab_bad.npy"); }).find("label[4] = 1.5"), std::string::npos);
    EXPECT_NE(error_of([] { read_npy_set(dir + "/img8.npy", dir + "/lab.npy", 5); }).find("label[1] = 9 is not below 5 classes"),
              std::string::npos);
    EXPECT_NE(error_of([] { read_npy(dir + "/img_fortran.npy"); }).find("fortran_order"), std::string::npos);
    EXPECT_NE(error_of([] { read_npz_set(dir + "/stored.npz", "images"); }).find("has no member 'images.npy' (members: x.npy, y.npy)"),
              std::string::npos);
    EXPECT_NE(error_of([] { read_cifar_set(dir + "/cifar10.bin", 100); }).find("not a whole number of 3074-byte CIFAR-100 records"),
              std::string::npos);
    EXPECT_NE(error_of([] { read_npy("/nonexistent.npy"); }).find("cannot open"), std::string::npos);
    // A truncated .npy, a corrupted deflate member, an overflowing shape.
    auto b = file_bytes(dir + "/img8.npy");
    b.resize(b.size() - 1);
    EXPECT_NE(error_of([&] { read_npy(write("trunc.npy", b)); }).find("truncated"), std::string::npos);
    auto z = file_bytes(dir + "/deflated.npz");
    for (std::size_t k = 60; k < 90; ++k) z[k] ^= 0x5A;
    EXPECT_FALSE(error_of([&] { read_npz_set(write("bad.npz", z), "images", "labels"); }).empty());
    const std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 8), }";
    std::vector<std::uint8_t> big = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(h.size()), 0};
    big.insert(big.end(), h.begin(), h.end());
    EXPECT_NE(error_of([&] { read_npy(write("big.npy", big)); }).find("overflows"), std::string::npos);
    // A deflated member whose central-directory entry claims 1.9 GiB is refused before any buffer
    // of that size is allocated (the fuzzer found a few-byte file that made the reader take 2 GB).
    auto claim = file_bytes(dir + "/deflated.npz");
    for (std::size_t k = 0; k + 46 < claim.size(); ++k)
        if (claim[k] == 'P' && claim[k + 1] == 'K' && claim[k + 2] == 1 && claim[k + 3] == 2) {
            claim[k + 24] = 0x00;
            claim[k + 25] = 0x00;
            claim[k + 26] = 0x00;
            claim[k + 27] = 0x78;  // usize = 0x78000000
            break;
        }
    EXPECT_NE(error_of([&] { read_npz_set(write("claim.npz", claim), "images", "labels"); }).find("(corrupt size)"),
              std::string::npos);
    // An unsupported method is refused before its declared size is allocated, too.
    for (std::size_t k = 0; k + 46 < claim.size(); ++k)
        if (claim[k] == 'P' && claim[k + 1] == 'K' && claim[k + 2] == 1 && claim[k + 3] == 2) {
            claim[k + 10] = 12;  // bzip2
            break;
        }
    EXPECT_NE(error_of([&] { read_npz_set(write("method.npz", claim), "images", "labels"); }).find("uses zip method 12"),
              std::string::npos);
}

// Random corruption of every reader's input never crashes (errors only).
TEST(Arrays, RandomCorruptionNeverCrashes) {
    std::mt19937 rng(5);
    for (const char* name : {"img8.npy", "stored.npz", "deflated.npz", "cifar10.bin"}) {
        const auto orig = file_bytes(dir + "/" + name);
        for (int t = 0; t < 200; ++t) {
            auto b = orig;
            for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
            if (t % 3 == 0) b.resize(rng() % b.size());
            const std::string p = write(std::string("r_") + name, b);
            try {
                if (std::string(name).find(".npz") != std::string::npos) read_npz_set(p, name[0] == 's' ? "x" : "images", name[0] == 's' ? "y" : "labels");
                else if (std::string(name).find(".npy") != std::string::npos) read_npy(p);
                else read_cifar_set(p, 10);
            } catch (const std::exception&) {
            }
        }
    }
}

TEST(Arrays, IdxOfAnyShape) {
    // [2, 3, 2, 2] unsigned bytes with 2 labels.
    std::vector<std::uint8_t> img = {0, 0, 8, 4, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    for (int k = 0; k < 24; ++k) img.push_back(static_cast<std::uint8_t>(k * 10));
    const std::vector<std::uint8_t> lab = {0, 0, 8, 1, 0, 0, 0, 2, 4, 1};
    const sample_set s = read_idx_set(write("i4.idx", img), write("l1.idx", lab), 10);
    EXPECT_EQ(s.item_shape, (std::vector<std::size_t>{3, 2, 2}));
    EXPECT_FLOAT_EQ(s.values[23], 230.0f / 255.0f);
    EXPECT_EQ(s.labels, (std::vector<std::int64_t>{4, 1}));
    std::vector<std::uint8_t> empty = {0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 5};
    EXPECT_NE(error_of([&] { read_idx_set(write("e.idx", empty), write("l1.idx", lab)); }).find("holds no samples"), std::string::npos);
}
