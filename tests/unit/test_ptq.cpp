// Post-training quantisation of float ONNX models at load (graph/ptq.hpp, docs/ptq.md): a hand-built
// float model gets exactly the integer weights and scales ASiM's rule gives; calibration is
// deterministic and independent of image order; the shipped float CNN keeps its accuracy at W8A8;
// unsupported or malformed float graphs are errors naming node and op (bad ptq.* keys:
// test_ptq_keys.cpp).
#include <acim/core/quantizer.hpp>
#include <acim/workloads/data/idx.hpp>
#include <acim/workloads/graph/core_backend.hpp>
#include <acim/workloads/graph/network.hpp>
#include <acim/workloads/graph/ptq.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace acim::workloads;
namespace fs = std::filesystem;

namespace {

const std::string models_dir = std::string(ACIM_SOURCE_DIR) + "/workloads/models/";

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

void set_int(onnx::NodeProto* n, const char* name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

const std::vector<float> tiny_w = {1.5f, 3.0f, -0.5f, 2.5f, 0.0f, -1.5f, 1.0f, -3.0f};

// A float model x[4] -> [Relu] -> Gemm(transB = 1, W [2][4], bias) -> y[2].
onnx::ModelProto float_model(bool relu = true) {
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
    add_init(g, "w", onnx::TensorProto::FLOAT, {2, 4}, tiny_w);
    add_init(g, "b", onnx::TensorProto::FLOAT, {2}, {0.25f, -0.5f});
    if (relu) add_node(g, "Relu", {"x"}, {"r"}, "act");
    set_int(add_node(g, "Gemm", {relu ? "r" : "x", "w", "b"}, {"y"}, "fc"), "transB", 1);
    g.add_output()->set_name("y");
    return m;
}

network parse(const onnx::ModelProto& m) { return parse_onnx(m.SerializeAsString(), "float.onnx"); }

std::string error_of(const onnx::ModelProto& m) {
    try {
        parse(m);
    } catch (const model_error& e) {
        return e.what();
    }
    return "";
}

// Three calibration vectors; after the Relu the largest value is 3.5.
const std::vector<float> tiny_cal = {0.5f, 2.0f, -1.0f, 0.25f, 1.0f, 0.0f, 3.5f, -2.0f, 0.1f, 0.2f, 0.3f, 0.4f};

bool have(const dataset_files& f) { return fs::exists(f.images) && fs::exists(f.labels); }

std::vector<float> pixels(const image_set& s, std::size_t first, std::size_t count) {
    std::vector<float> x(count * s.rows * s.cols);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(s.pixels[first * s.rows * s.cols + k]) / 255.0f;
    return x;
}

}  // namespace

TEST(Ptq, FloatModelLoadsUnquantised) {
    network net = parse(float_model());
    ASSERT_EQ(net.layers.size(), 1u);
    EXPECT_TRUE(net.needs_ptq());
    EXPECT_EQ(net.layers[0].w_float, tiny_w);
    EXPECT_TRUE(net.layers[0].w_int.empty());
    ideal_backend ideal;
    const std::vector<float> x = {1, 2, 3, 4};
    try {
        forward(net, x.data(), 1, ideal);
        FAIL() << "forward on a float model must throw";
    } catch (const model_error& e) {
        EXPECT_NE(std::string(e.what()).find("fc"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("quantise"), std::string::npos) << e.what();
    }
    // Nor can a macro backend be built on its float layers.
    EXPECT_THROW(core_backend(net, backend_config{}), model_error);
    // The float network on the host: W . relu(x) + b.
    const std::vector<float> xf = {0.5f, 2.0f, -1.0f, 0.25f};
    const auto y = forward_float(net, xf.data(), 1);
    EXPECT_FLOAT_EQ(y[0], 1.5f * 0.5f + 3.0f * 2.0f + 2.5f * 0.25f + 0.25f);
    EXPECT_FLOAT_EQ(y[1], 0.0f * 0.5f - 1.5f * 2.0f - 3.0f * 0.25f - 0.5f);
}

TEST(Ptq, TinyModelGetsAsimCodesAndScales) {
    network net = parse(float_model());
    ptq_config cfg;
    cfg.wbit = 3;  // Qw = 3
    cfg.xbit = 4;  // Qx = 15 (unsigned after the Relu)
    const auto info = quantise_ptq(net, cfg, tiny_cal.data(), 3);
    ASSERT_EQ(info.size(), 1u);
    const mac_layer& l = net.layers[0];
    EXPECT_FALSE(net.needs_ptq());
    EXPECT_FALSE(l.signed_act);
    EXPECT_EQ(l.wbit, 3);
    EXPECT_EQ(l.xbit, 4);
    EXPECT_EQ(l.quant, act_quant::asim);
    // s_w = fl32(max|W| + 1e-7) = 3 exactly (the epsilon vanishes above 2); codes rhe(|W|/3 * 3):
    // 1.5 -> 2 and 2.5 -> 2 and -0.5 -> 0 are ties to even (std::round would give 2, 3, -1).
    EXPECT_EQ(l.s_w, 3.0f);
    EXPECT_EQ(l.w_int, (std::vector<std::int32_t>{2, 3, 0, 2, 0, -2, 1, -3}));
    EXPECT_EQ(l.s_x, 3.5f);  // calibration max after the Relu, + 1e-7 in float32
    EXPECT_EQ(info[0].s_x, 3.5f);
    EXPECT_EQ(info[0].clipped_fraction, 0.0);
    EXPECT_EQ(l.x_qmax, 15);
    EXPECT_EQ(l.dequant[0], acim::core::dequant_factor(3.0f, 3.5f, 3, 4, false));
    EXPECT_EQ(l.w_row_sum, (std::vector<std::int64_t>{7, -4}));

    // x = relu(0.5, 2, -1, 0.25) -> codes rhe(x / 3.5 * 15) = 2, 9, 0, 1.
    const std::vector<float> x = {0.5f, 2.0f, -1.0f, 0.25f};
    ideal_backend ideal;
    const auto y = forward(net, x.data(), 1, ideal);
    const double f = acim::core::dequant_factor(3.0f, 3.5f, 3, 4, false);
    EXPECT_EQ(y[0], static_cast<float>(33.0 * f + 0.25));   // 2*2 + 3*9 + 0 + 2*1
    EXPECT_EQ(y[1], static_cast<float>(-21.0 * f - 0.5));   // 0 - 2*9 + 0 - 3*1
}

TEST(Ptq, SignedInputWithoutRelu) {
    network net = parse(float_model(false));
    ptq_config cfg;
    cfg.wbit = 3;
    cfg.xbit = 4;  // signed: Qx = 7
    quantise_ptq(net, cfg, tiny_cal.data(), 3);
    const mac_layer& l = net.layers[0];
    EXPECT_TRUE(l.signed_act);
    EXPECT_EQ(l.s_x, 3.5f);  // max |x|
    EXPECT_EQ(l.x_qmin, -7);
    EXPECT_EQ(l.x_qmax, 7);
    EXPECT_EQ(l.dequant[0], acim::core::dequant_factor(3.0f, 3.5f, 3, 4, true));
    // The graph input counts as unsigned when every calibration value is >= 0.
    network pos = parse(float_model(false));
    const std::vector<float> cal = {0.5f, 2.0f, 1.0f, 0.25f};
    quantise_ptq(pos, cfg, cal.data(), 1);
    EXPECT_FALSE(pos.layers[0].signed_act);
    EXPECT_EQ(pos.layers[0].s_x, 2.0f);
    // A signed input cannot have 1 bit.
    network one = parse(float_model(false));
    cfg.xbit = 1;
    try {
        quantise_ptq(one, cfg, tiny_cal.data(), 3);
        FAIL() << "a 1-bit signed input must be rejected";
    } catch (const model_error& e) {
        EXPECT_NE(std::string(e.what()).find("fc"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("signed"), std::string::npos) << e.what();
    }
}

TEST(Ptq, ClipDecidesTheSign) {
    // Clip(x, lo, 6) instead of the Relu: unsigned for lo = 0 (ReLU6), signed for lo = -1.
    for (const float lo : {0.0f, -1.0f}) {
        auto m = float_model();
        auto* g = m.mutable_graph();
        add_init(*g, "lo", onnx::TensorProto::FLOAT, {}, {lo});
        add_init(*g, "hi", onnx::TensorProto::FLOAT, {}, {6.0f});
        for (auto& n : *g->mutable_node())
            if (n.op_type() == "Relu") {
                n.set_op_type("Clip");
                n.add_input("lo");
                n.add_input("hi");
            }
        network net = parse(m);
        quantise_ptq(net, ptq_config{}, tiny_cal.data(), 3);
        EXPECT_EQ(net.layers[0].signed_act, lo < 0.0f) << lo;
        EXPECT_EQ(net.layers[0].s_x, 3.5f) << lo;
    }
}

TEST(Ptq, PercentileIsTheNearestRank) {
    // One calibration vector of 100 values 0.01 .. 1.00 into a 100-input Gemm after a Relu.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    auto* in = g.add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    tt->mutable_shape()->add_dim()->set_dim_value(100);
    add_init(g, "w", onnx::TensorProto::FLOAT, {1, 100}, std::vector<float>(100, 0.5f));
    add_node(g, "Relu", {"x"}, {"r"}, "act");
    set_int(add_node(g, "Gemm", {"r", "w"}, {"y"}, "fc"), "transB", 1);
    g.add_output()->set_name("y");
    std::vector<float> cal(100);
    for (std::size_t k = 0; k < 100; ++k) cal[k] = static_cast<float>(100 - k) / 100.0f;  // unsorted order

    ptq_config cfg;
    cfg.method = calibration_method::percentile;
    cfg.percentile = 99.0;  // rank ceil(0.99 * 100) = 99: the 99th smallest value, 0.99
    network a = parse(m);
    const auto ia = quantise_ptq(a, cfg, cal.data(), 1);
    EXPECT_EQ(a.layers[0].s_x, 0.99f + 1e-7f);
    EXPECT_EQ(ia[0].clipped_fraction, 0.01);  // only 1.00 lies above
    cfg.percentile = 95.5;  // rank 96 -> 0.96
    network b = parse(m);
    quantise_ptq(b, cfg, cal.data(), 1);
    EXPECT_EQ(b.layers[0].s_x, 0.96f + 1e-7f);
    cfg.percentile = 100.0;  // the max
    network c = parse(m);
    quantise_ptq(c, cfg, cal.data(), 1);
    EXPECT_EQ(c.layers[0].s_x, 1.0f + 1e-7f);
}

TEST(Ptq, CalibrationIsDeterministicAndOrderFree) {
    // The shipped float CNN on 120 pseudo-random images (2 calibration batches), then on the same
    // images in reverse order: identical codes, scales and factors, for both statistics.
    std::mt19937 gen(7);
    std::uniform_int_distribution<int> byte(0, 255);
    const std::size_t n = 120, px = 784;
    std::vector<float> cal(n * px), rev(n * px);
    for (float& v : cal) v = static_cast<float>(byte(gen)) / 255.0f;
    for (std::size_t i = 0; i < n; ++i)
        std::copy(cal.begin() + static_cast<std::ptrdiff_t>(i * px), cal.begin() + static_cast<std::ptrdiff_t>((i + 1) * px),
                  rev.begin() + static_cast<std::ptrdiff_t>((n - 1 - i) * px));
    for (auto method : {calibration_method::max, calibration_method::percentile}) {
        ptq_config cfg;
        cfg.method = method;
        network a = load_onnx(models_dir + "cnn_float.onnx"), b = load_onnx(models_dir + "cnn_float.onnx"),
                c = load_onnx(models_dir + "cnn_float.onnx");
        quantise_ptq(a, cfg, cal.data(), n);
        quantise_ptq(b, cfg, cal.data(), n);
        quantise_ptq(c, cfg, rev.data(), n);
        ASSERT_EQ(a.layers.size(), 4u);
        for (std::size_t k = 0; k < a.layers.size(); ++k) {
            for (const network* o : {&b, &c}) {
                EXPECT_EQ(a.layers[k].w_int, o->layers[k].w_int) << k;
                EXPECT_EQ(a.layers[k].s_x, o->layers[k].s_x) << k;
                EXPECT_EQ(a.layers[k].dequant, o->layers[k].dequant) << k;
            }
            EXPECT_FALSE(a.layers[k].signed_act) << k;  // pixels >= 0, then Relu everywhere
        }
        // The percentile range never exceeds the max range.
        if (method == calibration_method::percentile) {
            network mx = load_onnx(models_dir + "cnn_float.onnx");
            quantise_ptq(mx, ptq_config{}, cal.data(), n);
            for (std::size_t k = 0; k < a.layers.size(); ++k) EXPECT_LE(a.layers[k].s_x, mx.layers[k].s_x) << k;
            EXPECT_LT(a.layers[1].s_x, mx.layers[1].s_x);  // some outliers are clipped inside the net
        }
    }
}

TEST(Ptq, ShippedModelPtqKeepsFloatAccuracyAtW8A8) {
    const auto test = fashion_mnist_test_files(), train = fashion_mnist_train_files();
    if (!have(test) || !have(train)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    std::ifstream jf(models_dir + "cnn_float.json");
    const auto j = nlohmann::json::parse(jf);
    network net = load_onnx(models_dir + "cnn_float.onnx");
    const image_set tr = read_image_set(train.images, train.labels, 10);
    const auto cal = pixels(tr, 0, 1000);
    quantise_ptq(net, ptq_config{}, cal.data(), 1000);  // W8A8, max over 1000 training images

    const image_set s = read_image_set(test.images, test.labels, 10);
    const std::size_t n = 1000;
    const auto x = pixels(s, 0, n);
    ideal_backend ideal;
    const auto pi = predictions(forward(net, x.data(), n, ideal), 10);
    const auto pf = predictions(forward_float(net, x.data(), n), 10);
    std::size_t ci = 0, cf = 0, flips = 0;
    for (std::size_t k = 0; k < n; ++k) {
        ci += pi[k] == s.labels[k];
        cf += pf[k] == s.labels[k];
        flips += pi[k] != pf[k];
    }
    // docs/ptq.md: measured 907 against 912 correct, 6 predictions changed. The documented bound is
    // 1 point of accuracy (10 of 1000 images) and 2 % changed predictions.
    EXPECT_LE(std::abs(static_cast<long>(ci) - static_cast<long>(cf)), 10) << ci << " vs float " << cf;
    EXPECT_LE(flips, 20u);
    // The host float network is the PyTorch network: within 0.3 points of the recorded accuracy on these images.
    EXPECT_NEAR(static_cast<double>(cf) / static_cast<double>(n), j.at("float_accuracy_first_1000").get<double>(), 0.003);
}

TEST(Ptq, BatchNormIsFoldedAfterQuantisation) {
    // x [1, 2, 2] -> Conv 1x1 (2 outputs) -> BatchNormalization -> y: BN is a per-channel float scale
    // after dequantisation (as in ASiM, where BN stays float), not folded into the weights.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    auto* in = g.add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    for (int d : {1, 2, 2}) tt->mutable_shape()->add_dim()->set_dim_value(d);
    add_init(g, "w", onnx::TensorProto::FLOAT, {2, 1, 1, 1}, {0.5f, -2.0f});
    add_init(g, "b", onnx::TensorProto::FLOAT, {2}, {0.0f, 1.0f});
    add_init(g, "gamma", onnx::TensorProto::FLOAT, {2}, {2.0f, 0.5f});
    add_init(g, "beta", onnx::TensorProto::FLOAT, {2}, {1.0f, 0.0f});
    add_init(g, "mean", onnx::TensorProto::FLOAT, {2}, {0.0f, 1.0f});
    add_init(g, "var", onnx::TensorProto::FLOAT, {2}, {1.0f, 4.0f});
    add_node(g, "Conv", {"x", "w", "b"}, {"c"}, "conv");
    auto* bn = add_node(g, "BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"y"}, "bn");
    auto* eps = bn->add_attribute();
    eps->set_name("epsilon");
    eps->set_type(onnx::AttributeProto::FLOAT);
    eps->set_f(0.0f);
    g.add_output()->set_name("y");
    network net = parse(m);
    ASSERT_EQ(net.nodes.size(), 1u);  // BN folded into the conv
    const std::vector<float> x = {1.0f, 0.5f, 0.25f, 0.0f};
    const auto yf = forward_float(net, x.data(), 1);
    // channel 0: (0.5 x + 0) * 2 + 1; channel 1: ((-2 x + 1) - 1) * 0.5 / 2
    const std::vector<float> want = {2.0f, 1.5f, 1.25f, 1.0f, -0.5f, -0.25f, -0.125f, 0.0f};
    EXPECT_EQ(yf, want);
    quantise_ptq(net, ptq_config{}, x.data(), 1);
    const mac_layer& l = net.layers[0];
    EXPECT_EQ(l.s_w, 2.0f);
    EXPECT_EQ(l.w_int, (std::vector<std::int32_t>{32, -127}));  // rhe(0.25 * 127) = 32
    const double f = acim::core::dequant_factor(2.0f, 1.0f + 1e-7f, 8, 8, false);
    EXPECT_EQ(l.dequant, (std::vector<double>{f * 2.0, f * 0.25}));
    EXPECT_EQ(l.bias, (std::vector<double>{1.0, 0.0}));
}

// ---------------------------------------------------------------------------------------------
// Unsupported and malformed float graphs

TEST(Ptq, UnsupportedOpInFloatModelNamesNodeAndOp) {
    auto m = float_model();
    add_node(*m.mutable_graph(), "Einsum", {"y"}, {"p"}, "soft");
    m.mutable_graph()->mutable_output(0)->set_name("p");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("soft"), std::string::npos) << e;
    EXPECT_NE(e.find("Einsum"), std::string::npos) << e;
}

TEST(Ptq, ComputedWeightIsAnError) {
    auto m = float_model();
    auto* g = m.mutable_graph();
    add_node(*g, "Relu", {"w"}, {"w_relu"}, "wrelu");
    for (auto& n : *g->mutable_node())
        if (n.op_type() == "Gemm") n.set_input(1, "w_relu");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("'fc' (Gemm)"), std::string::npos) << e;
    EXPECT_NE(e.find("constant initializer"), std::string::npos) << e;
}

TEST(Ptq, IntegerWeightWithoutQuantisersIsAnError) {
    auto m = float_model();
    m.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::INT32);
    auto* t = m.mutable_graph()->mutable_initializer(0);
    t->clear_float_data();
    for (int k = 0; k < 8; ++k) t->add_int32_data(k);
    const std::string e = error_of(m);
    EXPECT_NE(e.find("'fc' (Gemm)"), std::string::npos) << e;
    EXPECT_NE(e.find("must be float"), std::string::npos) << e;
}

// Grouped convs load (tests/unit/test_onnx_ops.cpp); a group count that does not divide the channels is an error.
TEST(Ptq, GroupCountThatDoesNotDivideIsAnError) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    auto& g = *m.mutable_graph();
    auto* in = g.add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : {1, 2, 4, 4}) tt->mutable_shape()->add_dim()->set_dim_value(d);
    add_init(g, "w", onnx::TensorProto::FLOAT, {2, 1, 3, 3}, std::vector<float>(18, 0.1f));
    set_int(add_node(g, "Conv", {"x", "w"}, {"y"}, "dw"), "group", 3);
    g.add_output()->set_name("y");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("'dw' (Conv)"), std::string::npos) << e;
    EXPECT_NE(e.find("group = 3 must divide the 2 input and 2 output channels"), std::string::npos) << e;
}

TEST(Ptq, MixedQdqAndFloatLayersIsAnError) {
    // A float Gemm behind the QCDQ layers of the shipped W8A8 CNN.
    std::ifstream f(models_dir + "cnn_w8a8.onnx", std::ios::binary);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromIstream(&f));
    auto* g = m.mutable_graph();
    add_init(*g, "extra.w", onnx::TensorProto::FLOAT, {10, 10}, std::vector<float>(100, 0.1f));
    set_int(add_node(*g, "Gemm", {"logits", "extra.w"}, {"out"}, "extra_fc"), "transB", 1);
    g->mutable_output(0)->set_name("out");
    const std::string e = error_of(m);
    EXPECT_NE(e.find("'extra_fc' (Gemm)"), std::string::npos) << e;
    EXPECT_NE(e.find("mixed"), std::string::npos) << e;
}

TEST(Ptq, QuantisedModelIsNotQuantisedAgain) {
    network net = load_onnx(models_dir + "cnn_w8a8.onnx");
    EXPECT_FALSE(net.needs_ptq());
    std::vector<float> cal(784, 0.5f);
    EXPECT_THROW(quantise_ptq(net, ptq_config{}, cal.data(), 1), model_error);
}

TEST(Ptq, BadConfigurationIsRejected) {
    network net = parse(float_model());
    ptq_config cfg;
    cfg.wbit = 1;
    EXPECT_THROW(quantise_ptq(net, cfg, tiny_cal.data(), 3), std::invalid_argument);
    cfg = {};
    cfg.percentile = 0.0;
    EXPECT_THROW(quantise_ptq(net, cfg, tiny_cal.data(), 3), std::invalid_argument);
    EXPECT_THROW(quantise_ptq(net, ptq_config{}, tiny_cal.data(), 0), std::invalid_argument);
}
