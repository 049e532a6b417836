// The fuzz targets' entry point in builds without libFuzzer (gcc Release and ASan builds): runs
// LLVMFuzzerTestOneInput once over every file named on the command line or found in a folder
// named there, as `target -runs=0 DIR...` does under libFuzzer. A crash or sanitizer report fails
// the ctest that runs it; an empty folder is fine (no regression recorded yet).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int run_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
        return 1;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::size_t runs = 0;
    int failures = 0;
    for (int k = 1; k < argc; ++k) {
        const std::string arg = argv[k];
        if (!arg.empty() && arg[0] == '-') continue;  // libFuzzer flags, meaningless here
        if (fs::is_directory(arg)) {
            std::vector<fs::path> files;
            for (const auto& e : fs::directory_iterator(arg))
                if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
            std::sort(files.begin(), files.end());
            for (const auto& f : files) failures += run_file(f), ++runs;
        } else {
            failures += run_file(arg), ++runs;
        }
    }
    std::printf("replay: %zu inputs executed, %d unreadable\n", runs, failures);
    return failures == 0 ? 0 : 1;
}
