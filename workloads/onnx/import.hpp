// Reads a quantised ONNX model (QCDQ/QDQ: QuantizeLinear -> optional Clip -> DequantizeLinear
// around the weights and the activations that feed each Conv/Gemm/MatMul, as Brevitas and our
// own exporter write it) into a `network`: the MAC layers with integer weight codes and the
// digital host ops between them. docs/workload_format.md states the conventions. A plain float
// model (the same ops, no QuantizeLinear/DequantizeLinear anywhere) loads with float weights and
// needs_ptq() set, for post-training quantisation (graph/ptq.hpp, docs/ptq.md); a model that mixes
// quantised and float MAC layers is an error. Anything unsupported or malformed is a model_error
// naming the node and the op; every blocker of the graph is reported at once (import_error).
#pragma once

#include <acim/workloads/graph/network.hpp>

#include <string>
#include <vector>

namespace acim::workloads {

// One node the importer cannot run: its name (or first output), op and why.
struct import_blocker {
    std::string node;
    std::string op;
    std::string reason;
};

// All blockers of a model, in graph order; what() lists them one per line.
class import_error : public model_error {
public:
    import_error(const std::string& file, std::vector<import_blocker> b)
        : model_error(file, text(b)), m_blockers(std::move(b)) {}
    const std::vector<import_blocker>& blockers() const noexcept { return m_blockers; }

private:
    static std::string text(const std::vector<import_blocker>& b);
    std::vector<import_blocker> m_blockers;
};

network load_onnx(const std::string& path);
// The same from the serialized bytes; `name` labels errors.
network parse_onnx(const std::string& bytes, const std::string& name);

}  // namespace acim::workloads
