// Seed corpus of the ONNX fuzz target: tiny models (a few hundred bytes each) of every kind the
// importer reads, so that mutations start from inputs that reach the layer and shape code.
// Usage: seeds_onnx OUT_DIR
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using dims_t = std::vector<std::int64_t>;

void init(onnx::GraphProto& g, const std::string& name, int type, const dims_t& dims, const std::vector<float>& v) {
    auto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    for (float x : v) {
        if (type == onnx::TensorProto::FLOAT) t->add_float_data(x);
        else t->add_int32_data(static_cast<std::int32_t>(x));
    }
}

onnx::NodeProto& node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& in,
                      const std::string& out) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (const auto& s : in) n->add_input(s);
    n->add_output(out);
    return *n;
}

void int_attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

void ints_attr(onnx::NodeProto& n, const std::string& name, const dims_t& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
}

onnx::ModelProto model(const dims_t& input_dims) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto* in = m.mutable_graph()->add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    for (auto d : input_dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
    return m;
}

// QuantizeLinear -> Clip -> DequantizeLinear of `x`; signed codes in [lo, hi] with `scale`.
std::string qcdq(onnx::GraphProto& g, const std::string& x, float scale, int lo, int hi) {
    const int type = lo < 0 ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
    init(g, x + "_s", onnx::TensorProto::FLOAT, {}, {scale});
    init(g, x + "_z", type, {}, {0});
    init(g, x + "_lo", type, {}, {static_cast<float>(lo)});
    init(g, x + "_hi", type, {}, {static_cast<float>(hi)});
    node(g, "QuantizeLinear", {x, x + "_s", x + "_z"}, x + "_q");
    node(g, "Clip", {x + "_q", x + "_lo", x + "_hi"}, x + "_c");
    node(g, "DequantizeLinear", {x + "_c", x + "_s", x + "_z"}, x + "_d");
    return x + "_d";
}

std::vector<float> ramp(std::size_t n, float step) {
    std::vector<float> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = step * static_cast<float>(static_cast<int>(k % 7) - 3);
    return v;
}

// x[4] -> Gemm 3 -> Relu -> Gemm 2, weights and activations QCDQ.
onnx::ModelProto mlp_qcdq() {
    onnx::ModelProto m = model({4});
    auto& g = *m.mutable_graph();
    init(g, "w1", onnx::TensorProto::FLOAT, {3, 4}, ramp(12, 0.5f));
    init(g, "b1", onnx::TensorProto::FLOAT, {3}, {0.25f, -0.5f, 0.0f});
    init(g, "w2", onnx::TensorProto::FLOAT, {2, 3}, ramp(6, 0.25f));
    const std::string x = qcdq(g, "x", 1.0f / 15, 0, 15);
    int_attr(node(g, "Gemm", {x, qcdq(g, "w1", 0.5f, -7, 7), "b1"}, "fc1"), "transB", 1);
    node(g, "Relu", {"fc1"}, "r1");
    int_attr(node(g, "Gemm", {qcdq(g, "r1", 0.125f, 0, 15), qcdq(g, "w2", 0.25f, -7, 7)}, "y"), "transB", 1);
    g.add_output()->set_name("y");
    auto* meta = m.add_metadata_props();
    meta->set_key("acim.format");
    meta->set_value("acim-qcdq-1");
    return m;
}

// x[1][4][4] -> Conv 2x3x3 pad 1 -> Relu -> MaxPool 2 -> Flatten -> Gemm 3, QCDQ.
onnx::ModelProto cnn_qcdq() {
    onnx::ModelProto m = model({1, 4, 4});
    auto& g = *m.mutable_graph();
    init(g, "cw", onnx::TensorProto::FLOAT, {2, 1, 3, 3}, ramp(18, 0.5f));
    init(g, "fw", onnx::TensorProto::FLOAT, {3, 8}, ramp(24, 0.25f));
    auto& conv = node(g, "Conv", {qcdq(g, "x", 1.0f / 255, 0, 255), qcdq(g, "cw", 0.5f, -127, 127)}, "c1");
    ints_attr(conv, "kernel_shape", {3, 3});
    ints_attr(conv, "pads", {1, 1, 1, 1});
    node(g, "Relu", {"c1"}, "r1");
    auto& pool = node(g, "MaxPool", {"r1"}, "p1");
    ints_attr(pool, "kernel_shape", {2, 2});
    ints_attr(pool, "strides", {2, 2});
    int_attr(node(g, "Flatten", {"p1"}, "f1"), "axis", 1);
    int_attr(node(g, "Gemm", {qcdq(g, "f1", 0.125f, 0, 255), qcdq(g, "fw", 0.25f, -127, 127)}, "y"), "transB", 1);
    g.add_output()->set_name("y");
    return m;
}

// The same shapes as plain float (a model for post-training quantisation at load).
onnx::ModelProto cnn_float() {
    onnx::ModelProto m = model({1, 4, 4});
    auto& g = *m.mutable_graph();
    init(g, "cw", onnx::TensorProto::FLOAT, {2, 1, 3, 3}, ramp(18, 0.5f));
    init(g, "cb", onnx::TensorProto::FLOAT, {2}, {0.5f, -0.5f});
    init(g, "fw", onnx::TensorProto::FLOAT, {8, 3}, ramp(24, 0.25f));
    auto& conv = node(g, "Conv", {"x", "cw", "cb"}, "c1");
    ints_attr(conv, "kernel_shape", {3, 3});
    ints_attr(conv, "pads", {1, 1, 1, 1});
    node(g, "Relu", {"c1"}, "r1");
    auto& pool = node(g, "AveragePool", {"r1"}, "p1");
    ints_attr(pool, "kernel_shape", {2, 2});
    ints_attr(pool, "strides", {2, 2});
    int_attr(node(g, "Flatten", {"p1"}, "f1"), "axis", 1);
    node(g, "MatMul", {"f1", "fw"}, "y");
    g.add_output()->set_name("y");
    return m;
}

bool write(const std::string& dir, const std::string& name, const onnx::ModelProto& m) {
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f << m.SerializeAsString();
    return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seeds_onnx OUT_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const bool ok = write(dir, "mlp_qcdq.onnx", mlp_qcdq()) && write(dir, "cnn_qcdq.onnx", cnn_qcdq()) &&
                    write(dir, "cnn_float.onnx", cnn_float());
    if (!ok) std::fprintf(stderr, "seeds_onnx: cannot write into %s\n", dir.c_str());
    return ok ? 0 : 1;
}
