// The ONNX importer and the integer forward pass: shipped models load with the right structure,
// their ideal integer accuracy on the 10k Fashion-MNIST test images equals the accuracy PyTorch
// recorded beside them, the lossless bit-true core reproduces the ideal predictions, and bad
// models are rejected with errors naming the node and op.
#include <acim/core/engine.hpp>
#include <acim/workloads/data/idx.hpp>
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <memory>

using namespace acim::workloads;
namespace fs = std::filesystem;

namespace {

const std::string models_dir = std::string(ACIM_SOURCE_DIR) + "/workloads/models/";

nlohmann::json model_json(const std::string& name) {
    std::ifstream f(models_dir + name + ".json");
    return nlohmann::json::parse(f);
}

std::vector<float> pixels(const image_set& s, std::size_t first, std::size_t count) {
    std::vector<float> x(count * s.rows * s.cols);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(s.pixels[first * s.rows * s.cols + k]) / 255.0f;
    return x;
}

bool have_dataset() {
    const auto f = fashion_mnist_test_files();
    return fs::exists(f.images) && fs::exists(f.labels);
}

// The bit-true core as a MAC backend, one engine per layer.
class engine_backend : public mac_backend {
public:
    explicit engine_backend(acim::core::cim_params p) : m_p(p) {}
    void mac(std::size_t layer, const mac_layer& l, const std::int32_t* x, std::size_t vectors, std::int64_t* num,
             std::int64_t& den) override {
        if (m_engines.size() <= layer) m_engines.resize(layer + 1);
        auto& e = m_engines[layer];
        if (!e) {
            acim::core::cim_params p = m_p;
            p.wbit = l.wbit;
            p.xbit = l.xbit;
            e = std::make_unique<acim::core::mvm_engine>(p, acim::core::engine_options{2});
            e->load_weights(l.w_int.data(), l.outputs, l.rows, acim::core::dense_tiling(l.rows, p.row_parallelism));
        }
        e->run(x, vectors, 0, {}, num);
        den = e->denominator();
    }

private:
    acim::core::cim_params m_p;
    std::vector<std::unique_ptr<acim::core::mvm_engine>> m_engines;
};

}  // namespace

TEST(OnnxImport, CnnStructure) {
    const network net = load_onnx(models_dir + "cnn_w8a8.onnx");
    ASSERT_EQ(net.layers.size(), 4u);
    const mac_layer& c1 = net.layers[0];
    EXPECT_TRUE(c1.conv);
    EXPECT_EQ(c1.geom.in_channels, 1u);
    EXPECT_EQ(c1.geom.out_channels, 16u);
    EXPECT_EQ(c1.geom.kernel, 3u);
    EXPECT_EQ(c1.geom.padding, 1u);
    EXPECT_EQ(c1.rows, 9u);
    EXPECT_EQ(c1.wbit, 8);
    EXPECT_EQ(c1.xbit, 8);
    EXPECT_EQ(c1.quant, act_quant::asim);
    EXPECT_FLOAT_EQ(c1.s_x, 1.0f);  // pixels in [0,1], s_x = 1
    EXPECT_EQ(net.layers[1].rows, 16u * 9u);
    EXPECT_EQ(net.layers[2].rows, 1568u);
    EXPECT_EQ(net.layers[3].outputs, 10u);
    EXPECT_EQ(net.input_size(), 784u);
    EXPECT_EQ(net.output_size(), 10u);
    for (const auto& l : net.layers)
        for (std::int32_t w : l.w_int) ASSERT_LE(std::abs(w), 127);
}

TEST(OnnxImport, BitWidthsFromClipBounds) {
    const network net = load_onnx(models_dir + "cnn_w4a4.onnx");
    for (const auto& l : net.layers) {
        EXPECT_EQ(l.wbit, 4) << l.name;
        for (std::int32_t w : l.w_int) ASSERT_LE(std::abs(w), 7);
    }
    // The first layer sees raw pixels quantised to 4 bits; the others see PACT outputs.
    for (const auto& l : net.layers) EXPECT_EQ(l.xbit, 4) << l.name;
}

class ShippedModel : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedModel, IdealIntegerAccuracyEqualsRecorded) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const std::string name = GetParam();
    const network net = load_onnx(models_dir + name + ".onnx");
    const auto files = fashion_mnist_test_files();
    const image_set s = read_image_set(files.images, files.labels, 10);
    ASSERT_EQ(s.count, 10000u);
    ideal_backend ideal;
    std::size_t correct = 0;
    const std::size_t batch = 100;
    for (std::size_t b = 0; b < s.count; b += batch) {
        const auto x = pixels(s, b, batch);
        const auto pred = predictions(forward(net, x.data(), batch, ideal), net.output_size());
        for (std::size_t k = 0; k < batch; ++k) correct += pred[k] == s.labels[b + k];
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(s.count);
    const auto j = model_json(name);
    EXPECT_EQ(acc, j.at("int_accuracy").get<double>()) << name << ": " << correct << " / " << s.count;
}

INSTANTIATE_TEST_SUITE_P(Models, ShippedModel,
                         ::testing::Values("cnn_w8a8", "cnn_w4a4", "cnn_w8a8_trim30", "mlp_w8a8"));

TEST(OnnxImport, LosslessCoreEqualsIdealPredictions) {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const network net = load_onnx(models_dir + "cnn_w8a8.onnx");
    const auto files = fashion_mnist_test_files();
    const image_set s = read_image_set(files.images, files.labels, 10);
    const std::size_t n = 300;
    const auto x = pixels(s, 0, n);
    ideal_backend ideal;
    acim::core::cim_params p;  // nrow 255, 8-bit ADC: lossless bit-serial
    engine_backend core(p);
    const auto a = forward(net, x.data(), n, ideal);
    const auto b = forward(net, x.data(), n, core);
    EXPECT_EQ(a, b);  // bit-identical logits, not only predictions
}

// ---------------------------------------------------------------------------------------------
// Bad models

namespace {

void add_init(onnx::GraphProto& g, const std::string& name, int type, std::vector<std::int64_t> dims,
              const std::vector<float>& f) {
    auto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    for (float v : f) {
        if (type == onnx::TensorProto::FLOAT) t->add_float_data(v);
        else t->add_int32_data(static_cast<std::int32_t>(v));
    }
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out, const std::string& name) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
}

// A one-layer quantised linear model x[4] -> y[2]; `wq` are the weight Clip bounds.
onnx::ModelProto tiny_model(float wlo = -7, float whi = 7) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    auto* in = g.add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    tt->mutable_shape()->add_dim()->set_dim_value(4);
    add_init(g, "w", onnx::TensorProto::FLOAT, {2, 4}, {1, -2, 3, 0.5f, 0, 1, -1, 2});
    add_init(g, "ws", onnx::TensorProto::FLOAT, {}, {0.5f});
    add_init(g, "wz", onnx::TensorProto::INT8, {}, {0});
    add_init(g, "wlo", onnx::TensorProto::INT8, {}, {wlo});
    add_init(g, "whi", onnx::TensorProto::INT8, {}, {whi});
    add_init(g, "xs", onnx::TensorProto::FLOAT, {}, {1.0f / 15.0f});
    add_init(g, "xz", onnx::TensorProto::UINT8, {}, {0});
    add_init(g, "xlo", onnx::TensorProto::UINT8, {}, {0});
    add_init(g, "xhi", onnx::TensorProto::UINT8, {}, {15});
    add_node(g, "QuantizeLinear", {"w", "ws", "wz"}, {"wq"}, "wq");
    add_node(g, "Clip", {"wq", "wlo", "whi"}, {"wc"}, "wc");
    add_node(g, "DequantizeLinear", {"wc", "ws", "wz"}, {"wd"}, "wd");
    add_node(g, "QuantizeLinear", {"x", "xs", "xz"}, {"xq"}, "xq");
    add_node(g, "Clip", {"xq", "xlo", "xhi"}, {"xc"}, "xc");
    add_node(g, "DequantizeLinear", {"xc", "xs", "xz"}, {"xd"}, "xd");
    auto* gemm = add_node(g, "Gemm", {"xd", "wd"}, {"y"}, "fc");
    auto* tb = gemm->add_attribute();
    tb->set_name("transB");
    tb->set_type(onnx::AttributeProto::INT);
    tb->set_i(1);
    g.add_output()->set_name("y");
    return m;
}

std::string error_of(const onnx::ModelProto& m) {
    try {
        parse_onnx(m.SerializeAsString(), "test.onnx");
    } catch (const model_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(OnnxImport, TinyModelComputesTheIntegerResult) {
    const network net = parse_onnx(tiny_model().SerializeAsString(), "tiny");
    ASSERT_EQ(net.layers.size(), 1u);
    const mac_layer& l = net.layers[0];
    EXPECT_EQ(l.wbit, 4);
    EXPECT_EQ(l.xbit, 4);
    EXPECT_EQ(l.w_int, (std::vector<std::int32_t>{2, -4, 6, 1, 0, 2, -2, 4}));
    const std::vector<float> x = {1.0f, 0.2f, 0.0f, 0.6f};  // codes 15, 3, 0, 9
    ideal_backend ideal;
    const auto y = forward(net, x.data(), 1, ideal);
    ASSERT_EQ(y.size(), 2u);
    // acc0 = 2*15 - 4*3 + 0 + 1*9 = 27; acc1 = 0 + 2*3 + 0 + 4*9 = 42; step product 0.5/15.
    EXPECT_FLOAT_EQ(y[0], static_cast<float>(27.0 * (0.5 * static_cast<double>(1.0f / 15.0f))));
    EXPECT_FLOAT_EQ(y[1], static_cast<float>(42.0 * (0.5 * static_cast<double>(1.0f / 15.0f))));
}

TEST(OnnxImport, UnsupportedOpNamesNodeAndOp) {
    auto m = tiny_model();
    add_node(*m.mutable_graph(), "Einsum", {"y"}, {"p"}, "soft");
    m.mutable_graph()->mutable_output(0)->set_name("p");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("soft"), std::string::npos) << e;
    EXPECT_NE(e.find("Einsum"), std::string::npos) << e;
}

// Input and output counts are checked for every node before any node is read (the fuzzer found a
// Gemm without an output that was read by index).
TEST(OnnxImport, NodeWithoutOutputIsRejectedByName) {
    auto m = tiny_model();
    m.mutable_graph()->mutable_node(6)->clear_output();  // the Gemm "fc"
    const std::string e = error_of(m);
    EXPECT_NE(e.find("node 'fc' (Gemm): has 0 outputs; Gemm gives 1"), std::string::npos) << e;
}

TEST(OnnxImport, WrongInputCountsAreRejectedForEveryNode) {
    auto m = tiny_model();
    m.mutable_graph()->mutable_node(6)->add_input("b");
    m.mutable_graph()->mutable_node(6)->add_input("extra");      // Gemm: 4 inputs
    m.mutable_graph()->mutable_node(2)->clear_input();           // DequantizeLinear: none
    add_node(*m.mutable_graph(), "Concat", {}, {"c"}, "cat");    // Concat: none
    add_node(*m.mutable_graph(), "Relu", {"y"}, {""}, "r");      // an unnamed first output
    const std::string e = error_of(m);
    EXPECT_NE(e.find("4 blockers"), std::string::npos) << e;
    EXPECT_NE(e.find("node 'fc' (Gemm): has 4 inputs; Gemm takes 2 to 3"), std::string::npos) << e;
    EXPECT_NE(e.find("node 'wd' (DequantizeLinear): has 0 inputs; DequantizeLinear takes 2 to 3"), std::string::npos)
        << e;
    EXPECT_NE(e.find("node 'cat' (Concat): has 0 inputs; Concat takes at least 1"), std::string::npos) << e;
    EXPECT_NE(e.find("node 'r' (Relu): its first output has no name"), std::string::npos) << e;
}

TEST(OnnxImport, MalformedBytesAreRejected) {
    EXPECT_THROW(parse_onnx("this is not a protobuf \x01\x02\x03", "junk.onnx"), model_error);
    EXPECT_THROW(load_onnx("/nonexistent/model.onnx"), model_error);
}

TEST(OnnxImport, WeightBoundsThatAreNotAPowerOfTwoRange) {
    const std::string e = error_of(tiny_model(-5, 5));
    EXPECT_NE(e.find("wc"), std::string::npos) << e;
    EXPECT_NE(e.find("[-5, 5]"), std::string::npos) << e;
}

TEST(OnnxImport, FloatLayerIsAnError) {
    auto m = tiny_model();
    auto* g = m.mutable_graph();
    // Feed the Gemm the raw float input instead of the quantised one.
    for (auto& n : *g->mutable_node())
        if (n.op_type() == "Gemm") n.set_input(0, "x");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("fc"), std::string::npos) << e;
    EXPECT_NE(e.find("not quantised"), std::string::npos) << e;
}

TEST(OnnxImport, OrphanQuantizerIsAnError) {
    auto m = tiny_model();
    add_node(*m.mutable_graph(), "QuantizeLinear", {"y", "xs", "xz"}, {"yq"}, "dangling");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("dangling"), std::string::npos) << e;
}

// ---------------------------------------------------------------------------------------------
// Issue 15 regressions

// O1: dimensions whose product wraps around to the real element count (here (2^62 + 2) * 4 =
// 2^64 + 8 -> 8 values) used to pass validation and the Gemm then read out of bounds.
TEST(OnnxImport, WrappingTensorDimensionsAreRejected) {
    auto m = tiny_model();
    for (auto& t : *m.mutable_graph()->mutable_initializer())
        if (t.name() == "w") t.set_dims(0, (std::int64_t{1} << 62) + 2);
    const std::string e = error_of(m);
    EXPECT_NE(e.find("tensor 'w'"), std::string::npos) << e;
    EXPECT_NE(e.find("overflows"), std::string::npos) << e;
}

// O3: a NaN weight used to be cast to int32 (undefined) and reported as code -2147483648.
TEST(OnnxImport, NonFiniteInitializersAreRejected) {
    for (const char* tensor : {"w", "xs", "ws"}) {
        for (float bad : {NAN, INFINITY, -INFINITY}) {
            auto m = tiny_model();
            for (auto& t : *m.mutable_graph()->mutable_initializer())
                if (t.name() == tensor) t.set_float_data(0, bad);
            const std::string e = error_of(m);
            EXPECT_NE(e.find(std::string("tensor '") + tensor + "'"), std::string::npos) << e;
            EXPECT_NE(e.find("non-finite"), std::string::npos) << e;
        }
    }
    // A non-finite bias is rejected as well.
    auto m = tiny_model();
    add_init(*m.mutable_graph(), "b", onnx::TensorProto::FLOAT, {2}, {0.5f, NAN});
    for (auto& n : *m.mutable_graph()->mutable_node())
        if (n.op_type() == "Gemm") n.add_input("b");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("tensor 'b'"), std::string::npos) << e;
    EXPECT_NE(e.find("non-finite"), std::string::npos) << e;
}

// C2: acim.wbit / acim.xbit metadata used to be accepted whatever it said when Clips gave the bits.
TEST(OnnxImport, BadBitWidthMetadataIsRejected) {
    for (const char* key : {"acim.wbit", "acim.xbit"}) {
        for (const char* value : {"99", "abc", "8abc", "0", "-3", ""}) {
            auto m = tiny_model();
            auto* p = m.add_metadata_props();
            p->set_key(key);
            p->set_value(value);
            const std::string e = error_of(m);
            EXPECT_NE(e.find(std::string("metadata ") + key + " = '" + value + "'"), std::string::npos)
                << key << "=" << value << ": " << e;
        }
        auto m = tiny_model();
        auto* p = m.add_metadata_props();
        p->set_key(key);
        p->set_value("4");
        EXPECT_EQ(error_of(m), "") << key;
    }
}
