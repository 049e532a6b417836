// check_logits MODEL.onnx LOGITS.bin N: runs the C++ importer and the ideal integer forward pass on
// the first N Fashion-MNIST test images and compares the logits bit for bit with the float32
// logits that PyTorch's integer reference (workloads/train/int_model.py --dump-logits) wrote.
#include <acim/workloads/data/idx.hpp>
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: check_logits MODEL.onnx LOGITS.bin N\n");
        return 2;
    }
    try {
        using namespace acim::workloads;
        const network net = load_onnx(argv[1]);
        const std::size_t n = std::stoul(argv[3]);
        const auto files = fashion_mnist_test_files();
        const image_set s = read_image_set(files.images, files.labels, 10);
        if (n == 0 || n > s.count) throw std::invalid_argument("N out of range");
        std::vector<float> x(n * net.input_size());
        for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(s.pixels[k]) / 255.0f;
        ideal_backend ideal;
        const std::vector<float> got = forward(net, x.data(), n, ideal);
        std::vector<float> want(got.size());
        std::ifstream f(argv[2], std::ios::binary);
        f.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * sizeof(float)));
        if (!f || f.peek() != EOF) throw std::runtime_error(std::string("logits file size differs from ") +
                                                            std::to_string(got.size()) + " float32 values");
        std::size_t bad = 0;
        for (std::size_t k = 0; k < got.size(); ++k) {
            if (std::memcmp(&got[k], &want[k], sizeof(float)) != 0 && bad++ < 10)
                std::fprintf(stderr, "logit %zu: C++ %.9g, PyTorch %.9g\n", k, static_cast<double>(got[k]),
                             static_cast<double>(want[k]));
        }
        std::printf("%zu of %zu logits differ\n", bad, got.size());
        return bad == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "check_logits: %s\n", e.what());
        return 2;
    }
}
