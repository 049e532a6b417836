// testbench/files.hpp: the atomic writer leaves no temporary behind when the rename fails (issue
// 15, O2), and the SHA-256 digests match the standard test vectors.
#include <acim/testbench/files.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace acim::testbench;

namespace {
fs::path scratch(const std::string& tag) {
    const fs::path d = fs::temp_directory_path() / ("acim_files_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}
}  // namespace

TEST(Files, WriteAtomicWritesTheWholeText) {
    const fs::path d = scratch("ok");
    write_atomic(d / "r.json", "{\"a\": 1}\n");
    std::ifstream f(d / "r.json");
    std::string line;
    std::getline(f, line);
    EXPECT_EQ(line, "{\"a\": 1}");
    EXPECT_EQ(fs::file_size(d / "r.json"), 9u);
    EXPECT_EQ(std::distance(fs::directory_iterator(d), fs::directory_iterator()), 1);
    fs::remove_all(d);
}

TEST(Files, AFailedRenameLeavesNoTemporary) {
    const fs::path d = scratch("rename");
    fs::create_directories(d / "report.json" / "occupied");  // a non-empty folder: rename must fail
    EXPECT_THROW(write_atomic(d / "report.json", "text"), std::exception);
    for (const auto& e : fs::directory_iterator(d)) EXPECT_EQ(e.path().filename(), "report.json") << e.path();
    fs::remove_all(d);
}

TEST(Files, Sha256OfStandardVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const fs::path d = scratch("sha");
    {
        std::ofstream f(d / "abc", std::ios::binary);
        f << "abc";
    }
    EXPECT_EQ(sha256_file(d / "abc"), sha256_hex("abc"));
    EXPECT_THROW(sha256_file(d / "missing"), std::runtime_error);
    fs::remove_all(d);
}
