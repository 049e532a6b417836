// Fuzz target: ONNX model bytes -> parse_onnx (workloads/onnx/import.hpp). A model_error is the
// expected answer to a bad model; anything else (a crash, a sanitizer report, another exception
// type escaping) is a finding. A model that loads and is already quantised also runs one forward
// pass on a zero image through the ideal backend, so shapes the importer accepted are used.
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace acim::workloads;
    network net;
    try {
        net = parse_onnx(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    } catch (const model_error&) {
        return 0;
    }
    // Bound the work of one input (a valid model may declare a large input): a fuzz iteration
    // must stay fast, and sizes this large are covered by the importer's own checks above.
    constexpr std::size_t max_input = 1u << 14;
    if (net.needs_ptq() || net.input_size() == 0 || net.input_size() > max_input) return 0;
    std::size_t weights = 0;
    for (const mac_layer& l : net.layers) weights += l.w_int.size();
    if (weights > (1u << 20)) return 0;
    const std::vector<float> x(net.input_size(), 0.0f);
    ideal_backend backend(1);
    try {
        (void)forward(net, x.data(), 1, backend);
    } catch (const model_error&) {
    }
    return 0;
}
