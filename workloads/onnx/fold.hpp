// Constant folding for the ONNX importer: the small tensor algebra that exporters emit around the
// real layers — Constant nodes, and shape arithmetic (Shape, Gather, Concat, Unsqueeze, Squeeze,
// Cast, Identity, element-wise Add/Sub/Mul/Div of constants) — evaluated at load, so that the
// importer only ever sees initializers. The batch dimension is unknown at load: Shape writes it as
// 0, which is exactly what Reshape's default (allowzero = 0) reads as "copy this dimension from the
// input", and a folded tensor remembers whether it holds such a batch entry so that arithmetic on
// the batch is refused instead of folded to a wrong number. Internal to workloads/onnx.
#pragma once

#include <acim/workloads/graph/network.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace acim::workloads::fold {

// A constant tensor: row-major values as double (exact for every int32 and for int64 shapes).
struct const_tensor {
    std::vector<std::int64_t> dims;
    std::vector<double> v;
    int type = 1;                // onnx::TensorProto::DataType
    bool has_batch = false;      // some entry is Shape's batch placeholder

    std::size_t size() const { return v.size(); }
};

// A folded value as int64, saturating: INT64_MAX (Slice's "to the end") survives the double.
std::int64_t to_i64(double v);

// `where` names the node for errors (model_error).
const_tensor gather(const const_tensor& data, const const_tensor& idx, std::int64_t axis, const std::string& where);
const_tensor concat(const std::vector<const_tensor>& in, std::int64_t axis, const std::string& where);
const_tensor unsqueeze(const const_tensor& x, std::vector<std::int64_t> axes, const std::string& where);
const_tensor squeeze(const const_tensor& x, std::vector<std::int64_t> axes, const std::string& where);
const_tensor cast(const const_tensor& x, int to, const std::string& where);
// Add, Sub, Mul, Div with numpy broadcasting.
const_tensor binary(const std::string& op, const const_tensor& a, const const_tensor& b, const std::string& where);

}  // namespace acim::workloads::fold
