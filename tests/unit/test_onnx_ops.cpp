// The importer on what exporters write (issue 9): float models exported by torch with Constant
// nodes and shape arithmetic left in (tests/unit/onnx_models/make_models.py) load, and the float
// forward pass reproduces torch's own outputs; every rejection names the node, the op and the
// reason, and all blockers of a graph are reported at once.
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace acim::workloads;

namespace {

const std::string dir = ACIM_ONNX_TEST_MODELS;

std::vector<float> read_floats(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    EXPECT_TRUE(f) << path;
    std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<float> v(b.size() / sizeof(float));
    std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
    return v;
}

// Loads <name>.onnx and compares the forward pass (float for a float model, else the ideal
// integer model) with the reference output.
network check_against_torch(const std::string& name, double tol = 2e-5) {
    network net = load_onnx(dir + "/" + name + ".onnx");
    std::ifstream sf(dir + "/" + name + ".shape");
    std::size_t batch = 0;
    sf >> batch;
    const auto x = read_floats(dir + "/" + name + ".in.bin");
    const auto ref = read_floats(dir + "/" + name + ".out.bin");
    EXPECT_EQ(x.size(), batch * net.input_size()) << name;
    ideal_backend ideal;
    const auto y = net.needs_ptq() ? forward_float(net, x.data(), batch) : forward(net, x.data(), batch, ideal);
    EXPECT_EQ(y.size(), ref.size()) << name;
    for (std::size_t k = 0; k < y.size() && k < ref.size(); ++k)
        EXPECT_NEAR(y[k], ref[k], tol * (1.0 + std::fabs(static_cast<double>(ref[k])))) << name << " element " << k;
    return net;
}

std::string load_error(const std::string& path) {
    try {
        load_onnx(path);
    } catch (const model_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(OnnxOps, ConstantsShapeArithmeticDropoutIdentityRelu6) { check_against_torch("shape_reshape"); }
TEST(OnnxOps, ElementWiseActivationsArithmeticSoftmax) { check_against_torch("activations"); }
TEST(OnnxOps, LayerNormalizationOp) { check_against_torch("norms_op17"); }
TEST(OnnxOps, LayerNormalizationDecomposed) { check_against_torch("norms_decomposed"); }
TEST(OnnxOps, TransposeSliceGatherConcatReduceMean) { check_against_torch("data_movement"); }

// onnxruntime QDQ: uint8 activations with a zero point keep unsigned codes and the digital z_x * sum(w)
// correction; int8 weights per channel on the [in, out] weight's output axis 1.
TEST(OnnxOps, QdqUint8ActivationsInt8PerChannelWeights) {
    const network net = check_against_torch("qdq_gemm_u8");
    ASSERT_EQ(net.layers.size(), 1u);
    EXPECT_FALSE(net.layers[0].signed_act);
    EXPECT_EQ(net.layers[0].x_zero_point, 100);
    EXPECT_EQ(net.layers[0].xbit, 8);
    EXPECT_EQ(net.layers[0].wbit, 8);
}

// int8 activations with a zero point drive x_q - z_x as signed codes (here [-123, 132]: 9 bits);
// uint8 weights with z_w = 128 fold into signed codes [-128, 127].
TEST(OnnxOps, QdqInt8ActivationsWithZeroPointUint8Weights) {
    const network net = check_against_torch("qdq_gemm_s8");
    EXPECT_TRUE(net.layers[0].signed_act);
    EXPECT_EQ(net.layers[0].x_zero_point, 0);
    EXPECT_EQ(net.layers[0].x_qmin, -123);
    EXPECT_EQ(net.layers[0].x_qmax, 132);
    EXPECT_EQ(net.layers[0].xbit, 9);
    EXPECT_EQ(net.layers[0].wbit, 8);
}

// A padded Conv with z_x != 0: zero padding must stay a real zero, so the codes are x_q - z_x.
TEST(OnnxOps, QdqPaddedConvWithActivationZeroPoint) {
    const network net = check_against_torch("qdq_conv_u8");
    EXPECT_TRUE(net.layers[0].signed_act);
    EXPECT_EQ(net.layers[0].x_qmin, -37);
    EXPECT_EQ(net.layers[0].x_qmax, 218);
    EXPECT_EQ(net.layers[0].xbit, 9);
}

// torch fake-quant export: Constant -> Cast scales and zero points, Clip(q, '', max).
TEST(OnnxOps, TorchFakeQuantWithConstantScales) {
    const network net = check_against_torch("fakequant");
    EXPECT_EQ(net.layers[0].xbit, 7);  // Clip max 127 on uint8
    EXPECT_EQ(net.layers[0].wbit, 8);
}

// A grouped conv maps each group as its own MAC layer (own row block); depthwise: one per channel.
TEST(OnnxOps, GroupedAndDepthwiseConv) {
    const network net = check_against_torch("grouped_conv");
    ASSERT_EQ(net.layers.size(), 2u + 6u + 1u);
    EXPECT_EQ(net.layers[0].groups, 2u);
    EXPECT_EQ(net.layers[1].group, 1u);
    EXPECT_EQ(net.layers[0].rows, 2u * 9u);
    EXPECT_EQ(net.layers[0].outputs, 3u);
    EXPECT_EQ(net.layers[2].groups, 6u);
    EXPECT_EQ(net.layers[2].rows, 9u);
    EXPECT_EQ(net.layers[2].outputs, 1u);
    EXPECT_EQ(net.layers[8].groups, 1u);
}

TEST(OnnxOps, MatMulOfTwoActivationsIsAClearBlocker) {
    const std::string e = load_error(dir + "/attention_scores.onnx");
    EXPECT_NE(e.find("MatMul of two activations: not yet supported on the macro"), std::string::npos) << e;
    EXPECT_NE(e.find("(MatMul)"), std::string::npos) << e;
}

// ---------------------------------------------------------------------------------------------
// Rejections, built directly as protobuf: a float model x[N, 2, 3] -> ops -> Flatten -> Gemm.

namespace {

void add_init(onnx::GraphProto& g, const std::string& name, int type, std::vector<std::int64_t> dims,
              const std::vector<double>& v) {
    auto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    for (double x : v) {
        if (type == onnx::TensorProto::FLOAT) t->add_float_data(static_cast<float>(x));
        else t->add_int64_data(static_cast<std::int64_t>(x));
    }
}

onnx::NodeProto* node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
                      const std::string& name) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
}

void int_attr(onnx::NodeProto* n, const char* name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

void ints_attr(onnx::NodeProto* n, const char* name, std::vector<std::int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
}

// x [N, 2, 3] -> (body: "x" to "h", a [N, 2, 3] tensor) -> Flatten -> Gemm(6 -> 2).
template <class Body>
onnx::ModelProto model(Body&& body) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    auto* in = g.add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    tt->mutable_shape()->add_dim()->set_dim_value(2);
    tt->mutable_shape()->add_dim()->set_dim_value(3);
    body(g);
    node(g, "Flatten", {"h"}, {"f"}, "flat");
    add_init(g, "w", onnx::TensorProto::FLOAT, {2, 6}, {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6});
    int_attr(node(g, "Gemm", {"f", "w"}, {"y"}, "fc"), "transB", 1);
    g.add_output()->set_name("y");
    return m;
}

std::string error_of(const onnx::ModelProto& m) {
    try {
        parse_onnx(m.SerializeAsString(), "t.onnx");
    } catch (const model_error& e) {
        return e.what();
    }
    return "";
}

void expect_blocker(const onnx::ModelProto& m, const std::string& node_name, const std::string& op, const std::string& reason) {
    try {
        parse_onnx(m.SerializeAsString(), "t.onnx");
        ADD_FAILURE() << "accepted; expected " << reason;
    } catch (const import_error& e) {
        bool found = false;
        for (const auto& b : e.blockers())
            found = found || (b.node == node_name && b.op == op && b.reason.find(reason) != std::string::npos);
        EXPECT_TRUE(found) << e.what();
        EXPECT_NE(std::string(e.what()).find("node '" + node_name + "' (" + op + "): "), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(OnnxOps, AValidBodyLoads) {
    const auto m = model([](onnx::GraphProto& g) { node(g, "Sigmoid", {"x"}, {"h"}, "sig"); });
    EXPECT_EQ(error_of(m), "");
}

TEST(OnnxOps, EveryBlockerIsReportedAtOnce) {
    const auto m = model([](onnx::GraphProto& g) {
        node(g, "Einsum", {"x"}, {"a"}, "first");
        node(g, "Sigmoid", {"a"}, {"b"}, "downstream_ok");  // blocked input, supported op: not reported
        node(g, "CumSum", {"b"}, {"c"}, "second");           // blocked input, unsupported op: reported
        node(g, "Softmax", {"x"}, {"d"}, "third");
        int_attr(g.mutable_node(g.node_size() - 1), "axis", 1);  // not the last axis
        node(g, "Add", {"c", "d"}, {"h"}, "join");
    });
    try {
        parse_onnx(m.SerializeAsString(), "t.onnx");
        ADD_FAILURE() << "accepted";
    } catch (const import_error& e) {
        ASSERT_EQ(e.blockers().size(), 3u) << e.what();
        EXPECT_EQ(e.blockers()[0].node, "first");
        EXPECT_EQ(e.blockers()[0].op, "Einsum");
        EXPECT_EQ(e.blockers()[0].reason, "unsupported op 'Einsum'");
        EXPECT_EQ(e.blockers()[1].node, "second");
        EXPECT_EQ(e.blockers()[2].node, "third");
        EXPECT_NE(e.blockers()[2].reason.find("softmax over an axis other than the last"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("3 blockers:"), std::string::npos) << e.what();
    }
}

TEST(OnnxOps, Rejections) {
    expect_blocker(model([](onnx::GraphProto& g) { ints_attr(node(g, "Transpose", {"x"}, {"h"}, "tp"), "perm", {1, 0, 2}); }),
                   "tp", "Transpose", "must keep the batch axis first");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "r", onnx::TensorProto::FLOAT, {}, {1.0});
                       node(g, "Dropout", {"x", "r", "tm"}, {"h"}, "drop");
                       add_init(g, "tm", onnx::TensorProto::INT64, {}, {1});
                   }),
                   "drop", "Dropout", "training_mode must be false");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "k", onnx::TensorProto::FLOAT, {2, 2, 3}, std::vector<double>(12, 1.0));
                       node(g, "Mul", {"x", "k"}, {"h"}, "mul");
                   }),
                   "mul", "Mul", "cannot vary along the batch dimension");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "k", onnx::TensorProto::FLOAT, {1, 4, 1}, std::vector<double>(4, 1.0));
                       node(g, "Add", {"x", "k"}, {"h"}, "add");
                   }),
                   "add", "Add", "do not broadcast");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "ax", onnx::TensorProto::INT64, {1}, {1});
                       node(g, "ReduceMean", {"x"}, {"h"}, "rm");
                       ints_attr(g.mutable_node(0), "axes", {1});
                   }),
                   "rm", "ReduceMean", "only a reduction over the trailing axes");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "s", onnx::TensorProto::INT64, {3}, {0, 3, 3});
                       node(g, "Reshape", {"x", "s"}, {"h"}, "rs");
                   }),
                   "rs", "Reshape", "different number of elements");
    expect_blocker(model([](onnx::GraphProto& g) {
                       add_init(g, "s", onnx::TensorProto::INT64, {3}, {2, 2, 3});
                       node(g, "Reshape", {"x", "s"}, {"h"}, "rs");
                   }),
                   "rs", "Reshape", "the first target dimension must be the batch");
    expect_blocker(model([](onnx::GraphProto& g) {
                       auto* c = node(g, "Constant", {}, {"k"}, "konst");
                       auto* a = c->add_attribute();
                       a->set_name("value_float");
                       a->set_type(onnx::AttributeProto::FLOAT);
                       a->set_f(NAN);
                       node(g, "Mul", {"x", "k"}, {"h"}, "mul");
                   }),
                   "konst", "Constant", "non-finite");
    expect_blocker(model([](onnx::GraphProto& g) { node(g, "Constant", {}, {"h"}, "empty_const"); }), "empty_const",
                   "Constant", "needs a value");
    expect_blocker(model([](onnx::GraphProto& g) {
                       node(g, "Shape", {"x"}, {"s"}, "shape");
                       add_init(g, "two", onnx::TensorProto::INT64, {}, {2});
                       node(g, "Mul", {"s", "two"}, {"s2"}, "batch_arith");
                       node(g, "Reshape", {"x", "s2"}, {"h"}, "rs");
                   }),
                   "batch_arith", "Mul", "arithmetic on the batch dimension");
}

// Shape -> Gather(0) -> Unsqueeze -> Concat([batch, -1]) -> Reshape: torch's x.view(x.size(0), -1).
TEST(OnnxOps, BatchPlaceholderFlowsIntoReshape) {
    const auto m = model([](onnx::GraphProto& g) {
        node(g, "Shape", {"x"}, {"s"}, "shape");
        add_init(g, "zero", onnx::TensorProto::INT64, {}, {0});
        node(g, "Gather", {"s", "zero"}, {"b"}, "g");
        add_init(g, "ax0", onnx::TensorProto::INT64, {1}, {0});
        node(g, "Unsqueeze", {"b", "ax0"}, {"bu"}, "u");
        add_init(g, "rest", onnx::TensorProto::INT64, {2}, {3, 2});
        node(g, "Concat", {"bu", "rest"}, {"t"}, "c");
        int_attr(g.mutable_node(g.node_size() - 1), "axis", 0);
        node(g, "Reshape", {"x", "t"}, {"r"}, "rs");
        ints_attr(node(g, "Transpose", {"r"}, {"h0"}, "tp"), "perm", {0, 2, 1});
        node(g, "Identity", {"h0"}, {"h"}, "id");
    });
    const network net = parse_onnx(m.SerializeAsString(), "t.onnx");
    // x[b] is [[0,1,2],[3,4,5]] -> reshape [3,2] = [[0,1],[2,3],[4,5]] -> transpose [[0,2,4],[1,3,5]].
    const std::vector<float> x = {0, 1, 2, 3, 4, 5};
    const auto y = forward_float(net, x.data(), 1);
    ASSERT_EQ(y.size(), 2u);
    EXPECT_FLOAT_EQ(y[0], 1 * 0 + 2 * 2 + 3 * 4 + 4 * 1 + 5 * 3 + 6 * 5);
    EXPECT_FLOAT_EQ(y[1], -y[0]);
}
