#include <acim/workloads/onnx/import.hpp>

#include <acim/core/checked.hpp>
#include <acim/core/quantizer.hpp>
#include <acim/workloads/onnx/fold.hpp>
#include <acim/workloads/onnx/layout.hpp>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

namespace acim::workloads {

namespace {

using tensor_map = std::map<std::string, const onnx::TensorProto*>;

std::string where(const onnx::NodeProto& n) {
    return "node '" + (n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name()) + "' (" +
           n.op_type() + ")";
}

// The input and output counts the ONNX operator set allows (all opsets this importer reads), checked
// for every node before any node is read, so no later access by index can run past a malformed
// node's inputs or outputs. `max_in` < 0: variadic.
struct arity {
    int min_in, max_in, min_out, max_out;
};

const arity* arity_of(const std::string& op) {
    static const std::map<std::string, arity> table = {
        {"Conv", {2, 3, 1, 1}},        {"Gemm", {2, 3, 1, 1}},
        {"MatMul", {2, 2, 1, 1}},      {"QuantizeLinear", {2, 3, 1, 1}},
        {"DequantizeLinear", {2, 3, 1, 1}}, {"Clip", {1, 3, 1, 1}},
        {"Relu", {1, 1, 1, 1}},        {"MaxPool", {1, 1, 1, 2}},
        {"AveragePool", {1, 1, 1, 1}}, {"GlobalAveragePool", {1, 1, 1, 1}},
        {"Flatten", {1, 1, 1, 1}},     {"Reshape", {1, 2, 1, 1}},
        {"Add", {2, 2, 1, 1}},         {"BatchNormalization", {5, 5, 1, 5}},
        {"Shape", {1, 1, 1, 1}},       {"Gather", {2, 2, 1, 1}},
        {"Concat", {1, -1, 1, 1}},     {"Unsqueeze", {1, 2, 1, 1}},
        {"Squeeze", {1, 2, 1, 1}},     {"Cast", {1, 1, 1, 1}},
        {"Identity", {1, 1, 1, 1}},    {"Dropout", {1, 3, 1, 2}},
        {"Sub", {2, 2, 1, 1}},         {"Mul", {2, 2, 1, 1}},
        {"Div", {2, 2, 1, 1}},         {"Sigmoid", {1, 1, 1, 1}},
        {"Tanh", {1, 1, 1, 1}},        {"Erf", {1, 1, 1, 1}},
        {"Gelu", {1, 1, 1, 1}},        {"LeakyRelu", {1, 1, 1, 1}},
        {"HardSigmoid", {1, 1, 1, 1}}, {"HardSwish", {1, 1, 1, 1}},
        {"Sqrt", {1, 1, 1, 1}},        {"Pow", {2, 2, 1, 1}},
        {"Exp", {1, 1, 1, 1}},         {"Neg", {1, 1, 1, 1}},
        {"Softmax", {1, 1, 1, 1}},     {"ReduceMean", {1, 2, 1, 1}},
        {"LayerNormalization", {2, 3, 1, 3}}, {"Transpose", {1, 1, 1, 1}},
        {"Slice", {1, 5, 1, 1}},       {"Constant", {0, 0, 1, 1}},
    };
    const auto it = table.find(op);
    return it == table.end() ? nullptr : &it->second;
}

// "" when the node's counts are allowed (or its op is not one this importer reads), else the reason.
std::string arity_error(const onnx::NodeProto& n) {
    const arity* a = arity_of(n.op_type());
    if (!a) return {};
    const auto range = [](int lo, int hi) {
        return hi < 0 ? "at least " + std::to_string(lo) : lo == hi ? std::to_string(lo)
                                                                     : std::to_string(lo) + " to " + std::to_string(hi);
    };
    if (n.input_size() < a->min_in || (a->max_in >= 0 && n.input_size() > a->max_in))
        return "has " + std::to_string(n.input_size()) + " inputs; " + n.op_type() + " takes " +
               range(a->min_in, a->max_in);
    if (n.output_size() < a->min_out || n.output_size() > a->max_out)
        return "has " + std::to_string(n.output_size()) + " outputs; " + n.op_type() + " gives " +
               range(a->min_out, a->max_out);
    if (a->min_out > 0 && n.output(0).empty()) return "its first output has no name";
    return {};
}

template <class T>
std::vector<T> raw_as(const onnx::TensorProto& t) {
    const std::string& raw = t.raw_data();
    if (raw.size() % sizeof(T) != 0) throw model_error("tensor '" + t.name() + "'", "raw_data size mismatch");
    std::vector<T> v(raw.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), raw.data(), raw.size());
    return v;
}

// Checked: dimensions whose product wraps around must not pass as a small, plausible count.
std::size_t element_count(const onnx::TensorProto& t) {
    try {
        return core::checked_product(t.dims().data(), static_cast<std::size_t>(t.dims_size()), "element count");
    } catch (const core::data_error& e) {
        throw model_error("tensor '" + t.name() + "'", e.what());
    }
}

std::vector<double> values(const onnx::TensorProto& t) {
    std::vector<double> v;
    const bool raw = t.has_raw_data();
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
        if (raw) for (float f : raw_as<float>(t)) v.push_back(static_cast<double>(f));
        else for (float f : t.float_data()) v.push_back(static_cast<double>(f));
        break;
    case onnx::TensorProto::DOUBLE:
        if (raw) v = raw_as<double>(t);
        else v.assign(t.double_data().begin(), t.double_data().end());
        break;
    case onnx::TensorProto::INT8:
        if (raw) for (auto x : raw_as<std::int8_t>(t)) v.push_back(x);
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    case onnx::TensorProto::UINT8:
        if (raw) for (auto x : raw_as<std::uint8_t>(t)) v.push_back(x);
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    case onnx::TensorProto::INT32:
        if (raw) for (auto x : raw_as<std::int32_t>(t)) v.push_back(x);
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    case onnx::TensorProto::INT64:
        if (raw) for (auto x : raw_as<std::int64_t>(t)) v.push_back(static_cast<double>(x));
        else for (auto x : t.int64_data()) v.push_back(static_cast<double>(x));
        break;
    default:
        throw model_error("tensor '" + t.name() + "'", "unsupported data type " + std::to_string(t.data_type()));
    }
    const std::size_t count = element_count(t);
    if (v.size() != count)
        throw model_error("tensor '" + t.name() + "'", "holds " + std::to_string(v.size()) + " values for " +
                                                           std::to_string(count) + " elements");
    // Every path (weights, scales, biases, BN, constants) reads through here: a NaN or an infinity
    // must never reach a cast to an integer code.
    for (std::size_t k = 0; k < v.size(); ++k)
        if (!std::isfinite(v[k]))
            throw model_error("tensor '" + t.name() + "'", "element " + std::to_string(k) + " is non-finite (" +
                                                               std::to_string(v[k]) + ")");
    return v;
}

// A value that becomes an integer code or bound: integral and inside [lo, hi], else an error that
// names it (a cast of an out-of-range double is undefined behaviour).
std::int64_t integer_in(double v, std::int64_t lo, std::int64_t hi, const std::string& where, const std::string& what) {
    if (!(v == std::nearbyint(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
        throw model_error(where, what + " " + std::to_string(v) + " is not an integer in [" + std::to_string(lo) + ", " +
                                     std::to_string(hi) + "]");
    return static_cast<std::int64_t>(v);
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

std::int64_t attr_int(const onnx::NodeProto& n, const char* name, std::int64_t dflt) {
    const auto* a = attr(n, name);
    return a ? a->i() : dflt;
}

float attr_float(const onnx::NodeProto& n, const char* name, float dflt) {
    const auto* a = attr(n, name);
    return a ? a->f() : dflt;
}

std::vector<std::int64_t> attr_ints(const onnx::NodeProto& n, const char* name) {
    const auto* a = attr(n, name);
    if (!a) return {};
    return {a->ints().begin(), a->ints().end()};
}

// All entries equal to one value (square kernels, uniform strides and pads).
std::size_t uniform(const onnx::NodeProto& n, const char* name, std::int64_t dflt) {
    const auto v = attr_ints(n, name);
    if (v.empty()) return static_cast<std::size_t>(dflt);
    for (auto x : v)
        if (x != v[0] || x < 0)
            throw model_error(where(n), std::string("attribute ") + name + " must be uniform and >= 0");
    return static_cast<std::size_t>(v[0]);
}

int bits_for(std::int64_t max_code) {
    int b = 0;
    while ((std::int64_t{1} << b) - 1 < max_code) ++b;
    return std::max(b, 1);
}

struct weight_chain {
    std::vector<std::int32_t> codes;
    std::vector<std::int64_t> dims;
    std::vector<double> steps;  // one, or one per channel along `axis`
    int axis = 0;               // the per-channel axis of `dims` (must be the output axis)
    int wbit = 8;
};

struct act_chain {
    std::string source;
    float step = 1.0f;
    std::int32_t zp = 0, qmin = 0, qmax = 255;
    bool is_signed = false;
    int bits = 8;
};

class importer {
public:
    importer(const onnx::ModelProto& m, std::string name) : m_model(m), m_name(std::move(name)) {}
    network run();

private:
    int tensor(const std::string& name, bool create = false);
    const std::vector<std::size_t>& shape_of(const std::string& name, const onnx::NodeProto& n);
    double scalar(const std::string& name, const onnx::NodeProto& n);
    void quant_chain(const onnx::NodeProto& q, std::set<const onnx::NodeProto*>& done);
    void weight_dq(const onnx::NodeProto& dq);
    void mac(const onnx::NodeProto& n);
    void grouped_conv(const onnx::NodeProto& n, const std::string& source, const mac_layer& full, std::size_t groups,
                      const std::vector<std::size_t>& oshape);
    void quant_fields(const onnx::NodeProto& n, const act_chain& a, const weight_chain& w, mac_layer& l);
    void host(const onnx::NodeProto& n);
    int meta_int(const char* key, int dflt) const;
    void check_bit_metadata() const;
    // Constant folding (fold.hpp): a folded result becomes an initializer owned by the importer.
    fold::const_tensor get_const(const std::string& name) const;
    void put_const(const std::string& name, const fold::const_tensor& c);
    void constant_node(const onnx::NodeProto& n);
    bool try_fold(const onnx::NodeProto& n);
    bool alias(const onnx::NodeProto& n);
    bool more_host(const onnx::NodeProto& n);
    std::int64_t opset() const;
    std::vector<std::int64_t> const_ints(const onnx::NodeProto& n, int input, const char* attr_name);
    std::size_t tensor_axis(const onnx::NodeProto& n, std::int64_t axis, std::size_t rank, bool batch_ok = false);
    void push_host(graph_node g, const onnx::NodeProto& n, std::vector<std::size_t> os);

    const onnx::ModelProto& m_model;
    std::string m_name;
    network m_net;
    tensor_map m_init;
    std::map<std::string, int> m_ids;
    std::map<std::string, std::vector<const onnx::NodeProto*>> m_consumers;
    std::map<std::string, weight_chain> m_weights;  // by DequantizeLinear output
    std::map<std::string, act_chain> m_acts;        // by DequantizeLinear output
    bool m_asim = false;
    bool m_float = false;  // no QuantizeLinear/DequantizeLinear at all: a float model for PTQ
    std::deque<onnx::TensorProto> m_owned;  // folded constants (stable addresses for m_init)
    std::set<std::string> m_batch;          // folded constants holding Shape's batch placeholder
};

fold::const_tensor importer::get_const(const std::string& name) const {
    const auto it = m_init.find(name);
    if (it == m_init.end()) throw model_error("tensor '" + name + "'", "must be a constant (an initializer or folded)");
    const onnx::TensorProto& t = *it->second;
    fold::const_tensor c;
    c.dims.assign(t.dims().begin(), t.dims().end());
    c.v = values(t);
    c.type = t.data_type();
    c.has_batch = m_batch.count(name) > 0;
    return c;
}

void importer::put_const(const std::string& name, const fold::const_tensor& c) {
    onnx::TensorProto& t = m_owned.emplace_back();
    t.set_name(name);
    for (auto d : c.dims) t.add_dims(d);
    switch (c.type) {
    case onnx::TensorProto::FLOAT:
        t.set_data_type(c.type);
        for (double v : c.v) t.add_float_data(static_cast<float>(v));
        break;
    case onnx::TensorProto::DOUBLE:
        t.set_data_type(c.type);
        for (double v : c.v) t.add_double_data(v);
        break;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT32:
        t.set_data_type(c.type);
        for (double v : c.v) t.add_int32_data(static_cast<std::int32_t>(v));
        break;
    default:  // every other integer type folds as int64
        t.set_data_type(onnx::TensorProto::INT64);
        for (double v : c.v) t.add_int64_data(fold::to_i64(v));
    }
    m_init[name] = &t;
    if (c.has_batch) m_batch.insert(name);
}

// A Constant node: its value attribute becomes an initializer.
void importer::constant_node(const onnx::NodeProto& n) {
    if (n.output_size() != 1) throw model_error(where(n), "needs exactly one output");
    const auto& out = n.output(0);
    if (const auto* a = attr(n, "value")) {
        onnx::TensorProto& t = m_owned.emplace_back(a->t());
        t.set_name(out);
        values(t);  // checks type, size and finiteness now
        m_init[out] = &t;
        return;
    }
    fold::const_tensor c;
    if (const auto* a = attr(n, "value_float")) {
        c.type = onnx::TensorProto::FLOAT;
        c.v = {static_cast<double>(a->f())};
    } else if (const auto* af = attr(n, "value_floats")) {
        c.type = onnx::TensorProto::FLOAT;
        for (float f : af->floats()) c.v.push_back(static_cast<double>(f));
        c.dims = {static_cast<std::int64_t>(c.v.size())};
    } else if (const auto* ai = attr(n, "value_int")) {
        c.type = onnx::TensorProto::INT64;
        c.v = {static_cast<double>(ai->i())};
    } else if (const auto* ais = attr(n, "value_ints")) {
        c.type = onnx::TensorProto::INT64;
        for (auto i : ais->ints()) c.v.push_back(static_cast<double>(i));
        c.dims = {static_cast<std::int64_t>(c.v.size())};
    } else {
        throw model_error(where(n), "needs a value, value_float(s) or value_int(s) attribute (sparse and string "
                                    "constants are not supported)");
    }
    for (double v : c.v)
        if (!std::isfinite(v)) throw model_error(where(n), "holds a non-finite value");
    put_const(out, c);
}

// Shape of a computed tensor, and the shape arithmetic on constants, evaluated at load.
bool importer::try_fold(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    const std::string w = where(n);
    if (op == "Shape") {
        if (n.input_size() != 1 || n.output_size() != 1) throw model_error(w, "needs one input and one output");
        fold::const_tensor c;
        c.type = onnx::TensorProto::INT64;
        std::vector<double> full;
        bool batch = false;
        if (m_init.count(n.input(0))) {
            for (auto d : m_init.at(n.input(0))->dims()) full.push_back(static_cast<double>(d));
        } else {
            full.push_back(0.0);  // the batch placeholder (Reshape's "copy this dimension")
            for (auto d : shape_of(n.input(0), n)) full.push_back(static_cast<double>(d));
            batch = true;
        }
        const auto r = static_cast<std::int64_t>(full.size());
        auto clampi = [&](std::int64_t x) { return std::clamp(x < 0 ? x + r : x, std::int64_t{0}, r); };
        const std::int64_t start = clampi(attr_int(n, "start", 0)), end = clampi(attr_int(n, "end", r));
        for (std::int64_t k = start; k < end; ++k) c.v.push_back(full[static_cast<std::size_t>(k)]);
        c.dims = {static_cast<std::int64_t>(c.v.size())};
        c.has_batch = batch && start == 0 && end > 0;
        put_const(n.output(0), c);
        return true;
    }
    static const std::set<std::string> foldable = {"Gather", "Concat", "Unsqueeze", "Squeeze", "Cast",
                                                   "Identity", "Add", "Sub", "Mul", "Div"};
    if (!foldable.count(op) || n.input_size() < 1 || n.output_size() != 1) return false;
    for (const auto& in : n.input())
        if (!in.empty() && !m_init.count(in)) return false;
    const auto axes_of = [&]() {
        if (n.input_size() > 1 && !n.input(1).empty()) {
            std::vector<std::int64_t> a;
            for (double v : get_const(n.input(1)).v) a.push_back(fold::to_i64(v));
            return a;
        }
        return attr_ints(n, "axes");
    };
    fold::const_tensor r;
    if (op == "Gather") {
        if (n.input_size() != 2) throw model_error(w, "needs data and indices");
        r = fold::gather(get_const(n.input(0)), get_const(n.input(1)), attr_int(n, "axis", 0), w);
    } else if (op == "Concat") {
        std::vector<fold::const_tensor> in;
        for (const auto& i : n.input()) in.push_back(get_const(i));
        r = fold::concat(in, attr_int(n, "axis", 0), w);
    } else if (op == "Unsqueeze") {
        r = fold::unsqueeze(get_const(n.input(0)), axes_of(), w);
    } else if (op == "Squeeze") {
        r = fold::squeeze(get_const(n.input(0)), axes_of(), w);
    } else if (op == "Cast") {
        r = fold::cast(get_const(n.input(0)), static_cast<int>(attr_int(n, "to", onnx::TensorProto::FLOAT)), w);
    } else if (op == "Identity") {
        r = get_const(n.input(0));
    } else {
        if (n.input_size() != 2) throw model_error(w, "needs two inputs");
        r = fold::binary(op, get_const(n.input(0)), get_const(n.input(1)), w);
    }
    put_const(n.output(0), r);
    return true;
}

// Identity and inference-mode Dropout pass their input through.
bool importer::alias(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (op != "Identity" && op != "Dropout") return false;
    if (n.input_size() < 1 || n.output_size() < 1) throw model_error(where(n), "needs an input and an output");
    if (op == "Dropout") {
        if (n.input_size() > 2 && !n.input(2).empty() && scalar(n.input(2), n) != 0.0)
            throw model_error(where(n), "training_mode must be false (inference)");
        if (n.output_size() > 1 && !n.output(1).empty() && !m_consumers[n.output(1)].empty())
            throw model_error(where(n), "its mask output is used; only the inference output is supported");
    }
    m_ids[n.output(0)] = tensor(n.input(0));
    return true;
}

int importer::meta_int(const char* key, int dflt) const {
    const auto it = m_net.metadata.find(key);
    if (it == m_net.metadata.end()) return dflt;
    const std::string& v = it->second;
    const std::string what = std::string("metadata ") + key + " = '" + v + "'";
    std::size_t used = 0;
    int x = 0;
    try {
        x = std::stoi(v, &used);
    } catch (const std::exception&) {
        throw model_error(m_name, what + " is not an integer");
    }
    if (used != v.size()) throw model_error(m_name, what + " is not an integer");
    return x;
}

// Bit-width metadata is checked at load whether or not a layer ends up using it (Clip bounds or
// integer types may give every layer its bits), so a typo never passes silently.
void importer::check_bit_metadata() const {
    const int wbit = meta_int("acim.wbit", 8), xbit = meta_int("acim.xbit", 8);
    if (wbit < 2 || wbit > 16)
        throw model_error(m_name, "metadata acim.wbit = '" + m_net.metadata.at("acim.wbit") + "' must lie in [2, 16]");
    if (xbit < 1 || xbit > 16)
        throw model_error(m_name, "metadata acim.xbit = '" + m_net.metadata.at("acim.xbit") + "' must lie in [1, 16]");
}

int importer::tensor(const std::string& name, bool create) {
    const auto it = m_ids.find(name);
    if (it != m_ids.end()) return it->second;
    if (!create) throw model_error(m_name, "tensor '" + name + "' is used before it is produced");
    const int id = static_cast<int>(m_net.shapes.size());
    m_ids[name] = id;
    m_net.shapes.emplace_back();
    return id;
}

const std::vector<std::size_t>& importer::shape_of(const std::string& name, const onnx::NodeProto& n) {
    const auto it = m_ids.find(name);
    if (it == m_ids.end()) throw model_error(where(n), "input '" + name + "' is not a computed tensor");
    return m_net.shapes[static_cast<std::size_t>(it->second)];
}

double importer::scalar(const std::string& name, const onnx::NodeProto& n) {
    const auto it = m_init.find(name);
    if (it == m_init.end()) throw model_error(where(n), "'" + name + "' must be a constant initializer");
    const auto v = values(*it->second);
    if (v.size() != 1) throw model_error(where(n), "'" + name + "' must be a scalar");
    return v[0];
}

// QuantizeLinear -> [Clip] -> DequantizeLinear.
void importer::quant_chain(const onnx::NodeProto& q, std::set<const onnx::NodeProto*>& done) {
    if (q.input_size() < 2) throw model_error(where(q), "needs a scale");
    const auto& cons = m_consumers[q.output(0)];
    if (cons.size() != 1) throw model_error(where(q), "must have exactly one consumer (Clip or DequantizeLinear)");
    const onnx::NodeProto* clip = nullptr;
    const onnx::NodeProto* dq = cons[0];
    if (dq->op_type() == "Clip") {
        clip = dq;
        const auto& c2 = m_consumers[clip->output(0)];
        if (c2.size() != 1 || c2[0]->op_type() != "DequantizeLinear")
            throw model_error(where(*clip), "a quantiser Clip must feed exactly one DequantizeLinear");
        dq = c2[0];
    }
    if (dq->op_type() != "DequantizeLinear")
        throw model_error(where(q), "must feed a DequantizeLinear (optionally through a Clip), not " + dq->op_type());
    done.insert(&q);
    done.insert(dq);
    if (clip) done.insert(clip);

    const auto sit = m_init.find(q.input(1));
    if (sit == m_init.end()) throw model_error(where(q), "scale must be an initializer");
    const std::vector<double> steps = values(*sit->second);
    std::int32_t zp = 0;
    bool is_signed = false;  // ONNX default zero point is uint8
    if (q.input_size() > 2 && !q.input(2).empty()) {
        const auto zit = m_init.find(q.input(2));
        if (zit == m_init.end()) throw model_error(where(q), "zero point must be an initializer");
        if (zit->second->data_type() != onnx::TensorProto::INT8 && zit->second->data_type() != onnx::TensorProto::UINT8)
            throw model_error(where(q), "zero point must be int8 or uint8");
        is_signed = zit->second->data_type() == onnx::TensorProto::INT8;
        const auto zv = values(*zit->second);
        if (zv.empty()) throw model_error(where(q), "zero point '" + q.input(2) + "' has no value");
        for (double z : zv)
            if (z != zv[0]) throw model_error(where(q), "per-channel zero points are not supported");
        zp = static_cast<std::int32_t>(integer_in(zv[0], is_signed ? -128 : 0, is_signed ? 127 : 255, where(q), "zero point"));
    }
    if (dq->input_size() < 2 || dq->input(1) != q.input(1)) {
        const auto dit = m_init.find(dq->input(1));
        if (dit == m_init.end() || values(*dit->second) != steps)
            throw model_error(where(*dq), "scale differs from its QuantizeLinear");
    }
    std::int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    if (clip) {
        // An empty min or max keeps the integer type's bound (torch writes Clip(q, '', max)).
        // The bounds lie inside the quantiser's integer type.
        const std::int64_t tlo = lo, thi = hi;
        if (clip->input_size() > 1 && !clip->input(1).empty())
            lo = static_cast<std::int32_t>(integer_in(scalar(clip->input(1), *clip), tlo, thi, where(*clip), "min"));
        if (clip->input_size() > 2 && !clip->input(2).empty())
            hi = static_cast<std::int32_t>(integer_in(scalar(clip->input(2), *clip), tlo, thi, where(*clip), "max"));
        if (lo > hi) throw model_error(where(*clip), "min > max");
    }
    if (steps.empty()) throw model_error(where(q), "scale '" + q.input(1) + "' has no value");
    for (double s : steps)
        if (!(s > 0.0) || !std::isfinite(s)) throw model_error(where(q), "scale must be finite and > 0");

    const std::string& out = dq->output(0);
    const auto wit = m_init.find(q.input(0));
    if (wit != m_init.end()) {  // weights
        if (zp != 0) throw model_error(where(q), "weight zero point must be 0 (symmetric weights)");
        weight_chain w;
        w.dims.assign(wit->second->dims().begin(), wit->second->dims().end());
        if (w.dims.empty()) throw model_error(where(q), "weights must be a tensor");
        const auto wf = values(*wit->second);
        const std::size_t oc = static_cast<std::size_t>(w.dims[0]), per = wf.size() / std::max<std::size_t>(oc, 1);
        if (steps.size() != 1 && steps.size() != oc)
            throw model_error(where(q), "scale must be per tensor or per output channel (axis 0)");
        if (steps.size() != 1 && attr_int(q, "axis", 1) != 0 && w.dims.size() > 1) {
            // ONNX default axis is 1; per-channel weights must quantise along axis 0.
            throw model_error(where(q), "per-channel weight scales must use axis 0");
        }
        w.steps = steps;
        w.axis = 0;
        if (clip) {
            const std::int64_t qw = hi;
            if (!(lo == -hi || lo == -hi - 1) || ((qw + 1) & qw) != 0 || qw < 1)
                throw model_error(where(*clip), "weight bounds [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                                    "] are not a symmetric 2^(b-1)-1 range");
            w.wbit = bits_for(qw) + 1;
        } else {
            w.wbit = meta_int("acim.wbit", 8);
        }
        w.codes.resize(wf.size());
        for (std::size_t k = 0; k < wf.size(); ++k) {
            const auto s = static_cast<float>(steps.size() == 1 ? steps[0] : steps[k / per]);
            float qv = std::nearbyint(static_cast<float>(wf[k]) / s);
            qv = std::clamp(qv, static_cast<float>(lo), static_cast<float>(hi));
            w.codes[k] = static_cast<std::int32_t>(qv);
        }
        const std::int32_t wmin = -(1 << (w.wbit - 1)), wmax = (1 << (w.wbit - 1)) - 1;
        for (std::size_t k = 0; k < w.codes.size(); ++k)
            if (w.codes[k] < wmin || w.codes[k] > wmax)
                throw model_error(where(q), "weight code " + std::to_string(w.codes[k]) + " does not fit " +
                                                std::to_string(w.wbit) + " bits (set acim.wbit or add a Clip)");
        m_weights[out] = std::move(w);
    } else {  // activations
        if (steps.size() != 1) throw model_error(where(q), "activation scales must be per tensor");
        act_chain a;
        a.source = q.input(0);
        a.step = static_cast<float>(steps[0]);
        a.zp = zp;
        a.qmin = lo;
        a.qmax = hi;
        a.is_signed = is_signed;
        if (is_signed) {
            a.bits = std::max(bits_for(std::max<std::int64_t>(hi, -static_cast<std::int64_t>(lo) - 1)) + 1, 2);
        } else {
            if (lo < 0) throw model_error(where(q), "unsigned activation bounds must be >= 0");
            a.bits = clip ? bits_for(hi) : meta_int("acim.xbit", 8);
        }
        m_acts[out] = a;
    }
}

// onnxruntime's QDQ weights: an int8/uint8 initializer feeding DequantizeLinear directly. The zero
// point folds exactly into the codes (DQ(w) = (w_q - z_w) * s_w), per tensor or per channel.
void importer::weight_dq(const onnx::NodeProto& dq) {
    if (dq.input_size() < 2) throw model_error(where(dq), "needs a scale");
    const onnx::TensorProto& wt = *m_init.at(dq.input(0));
    const int type = wt.data_type();
    if (type != onnx::TensorProto::INT8 && type != onnx::TensorProto::UINT8 && type != onnx::TensorProto::INT32)
        throw model_error(where(dq), "weight '" + dq.input(0) + "' must be int8, uint8 or int32");
    weight_chain w;
    w.dims.assign(wt.dims().begin(), wt.dims().end());
    if (w.dims.empty()) throw model_error(where(dq), "weights must be a tensor");
    if (!m_init.count(dq.input(1))) throw model_error(where(dq), "scale must be a constant");
    w.steps = values(*m_init.at(dq.input(1)));
    if (w.steps.empty()) throw model_error(where(dq), "scale '" + dq.input(1) + "' has no value");
    for (double st : w.steps)
        if (!(st > 0.0)) throw model_error(where(dq), "scale must be > 0");
    std::vector<double> zp(1, 0.0);
    if (dq.input_size() > 2 && !dq.input(2).empty()) {
        if (!m_init.count(dq.input(2))) throw model_error(where(dq), "zero point must be a constant");
        zp = values(*m_init.at(dq.input(2)));
        if (zp.empty()) throw model_error(where(dq), "zero point '" + dq.input(2) + "' has no value");
        for (double z : zp) integer_in(z, -(std::int64_t{1} << 31), (std::int64_t{1} << 31) - 1, where(dq), "zero point");
    }
    const auto rank = static_cast<std::int64_t>(w.dims.size());
    std::int64_t axis = attr_int(dq, "axis", 1);
    if (axis < 0) axis += rank;
    if (w.steps.size() > 1 || zp.size() > 1) {
        if (axis < 0 || axis >= rank) throw model_error(where(dq), "axis " + std::to_string(axis) + " is outside the weight");
        const auto ch = static_cast<std::size_t>(w.dims[static_cast<std::size_t>(axis)]);
        if ((w.steps.size() != 1 && w.steps.size() != ch) || (zp.size() != 1 && zp.size() != ch))
            throw model_error(where(dq), "per-channel scale and zero point need " + std::to_string(ch) + " values along axis " +
                                             std::to_string(axis));
        w.axis = static_cast<int>(axis);
    }
    std::size_t inner = 1;
    for (std::size_t k = static_cast<std::size_t>(w.axis) + 1; k < w.dims.size(); ++k) inner *= static_cast<std::size_t>(w.dims[k]);
    const auto chans = static_cast<std::size_t>(w.dims[static_cast<std::size_t>(w.axis)]);
    const auto q = values(wt);
    w.codes.resize(q.size());
    std::int64_t lo = 0, hi = 0;
    for (std::size_t k = 0; k < q.size(); ++k) {
        const std::size_t c = (k / inner) % chans;
        const auto code = static_cast<std::int64_t>(q[k]) - static_cast<std::int64_t>(zp[zp.size() == 1 ? 0 : c]);
        w.codes[k] = static_cast<std::int32_t>(code);
        lo = std::min(lo, code);
        hi = std::max(hi, code);
    }
    // Bits: the type's (int8: 8; uint8 with z_w: enough for w_q - z_w), unless metadata narrows them.
    int bits = type == onnx::TensorProto::INT8 ? 8 : 2;
    while (lo < -(std::int64_t{1} << (bits - 1)) || hi > (std::int64_t{1} << (bits - 1)) - 1) ++bits;
    w.wbit = m_net.metadata.count("acim.wbit") ? meta_int("acim.wbit", 8) : std::max(bits, type == onnx::TensorProto::UINT8 ? 8 : bits);
    const std::int64_t wmin = -(std::int64_t{1} << (w.wbit - 1)), wmax = (std::int64_t{1} << (w.wbit - 1)) - 1;
    if (lo < wmin || hi > wmax)
        throw model_error(where(dq), "weight codes [" + std::to_string(lo) + ", " + std::to_string(hi) + "] do not fit " +
                                         std::to_string(w.wbit) + " signed bits");
    if (w.wbit > 16) throw model_error(where(dq), "weight codes need " + std::to_string(w.wbit) + " bits, more than 16");
    m_weights[dq.output(0)] = std::move(w);
}

// The activation and weight quantisation of a QCDQ layer.
void importer::quant_fields(const onnx::NodeProto& n, const act_chain& a, const weight_chain& w, mac_layer& l) {
    l.quant = m_asim ? act_quant::asim : act_quant::onnx;
    const int qw = (1 << (l.wbit - 1)) - 1;
    const int qx = l.signed_act ? (1 << (l.xbit - 1)) - 1 : (1 << l.xbit) - 1;
    if (m_asim && (a.qmax != qx || a.zp != 0 || a.qmin != (l.signed_act ? -qx : 0)))
        throw model_error(where(n), "acim-qcdq-1 activation bounds must be [0, 2^xbit - 1] with zero point 0");
    l.s_x = static_cast<float>(a.step * static_cast<float>(qx));
    l.dequant.resize(l.outputs);
    for (std::size_t o = 0; o < l.outputs; ++o) {
        const double sw = w.steps.size() == 1 ? w.steps[0] : w.steps[o];
        if (m_asim) {
            const auto s_w = static_cast<float>(static_cast<float>(sw) * static_cast<float>(qw));
            l.dequant[o] = core::dequant_factor(s_w, l.s_x, l.wbit, l.xbit, l.signed_act);
        } else {
            l.dequant[o] = static_cast<double>(static_cast<float>(sw)) * static_cast<double>(a.step);
        }
    }
}

void importer::mac(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (n.input_size() < 2) throw model_error(where(n), "needs an input and a weight");
    // Attention's QK^T and AV multiply two activations: recognised here, not yet mapped (issue 9).
    if (!m_init.count(n.input(1)) && !m_weights.count(n.input(1)) &&
        (m_acts.count(n.input(1)) || m_ids.count(n.input(1))))
        throw model_error(where(n), op + " of two activations: not yet supported on the macro");
    // A float model (no quantisers anywhere) keeps float weights for post-training quantisation.
    std::string source;
    weight_chain fw;
    std::vector<float> wf;
    const act_chain* ap = nullptr;
    const weight_chain* wp = nullptr;
    if (m_float) {
        source = n.input(0);
        if (m_init.count(source)) throw model_error(where(n), "the data input '" + source + "' must be computed, not a constant");
        const auto it = m_init.find(n.input(1));
        if (it == m_init.end()) throw model_error(where(n), "weight '" + n.input(1) + "' must be a constant initializer");
        const auto dt = it->second->data_type();
        if (dt != onnx::TensorProto::FLOAT && dt != onnx::TensorProto::DOUBLE)
            throw model_error(where(n), "weight '" + n.input(1) + "' must be float (a float model has no quantisers)");
        fw.dims.assign(it->second->dims().begin(), it->second->dims().end());
        fw.steps = {1.0};
        for (double v : values(*it->second)) wf.push_back(static_cast<float>(v));
        for (float v : wf)
            if (!std::isfinite(v)) throw model_error(where(n), "weight '" + n.input(1) + "' holds a non-finite value");
        wp = &fw;
    } else {
        const auto ait = m_acts.find(n.input(0));
        if (ait == m_acts.end())
            throw model_error(where(n), "input '" + n.input(0) + "' is not quantised (QuantizeLinear -> DequantizeLinear)"
                                        " although the model has quantisers: mixed QDQ and float MAC layers are not "
                                        "supported (a model with no quantisers at all is quantised at load)");
        const auto wit = m_weights.find(n.input(1));
        if (wit == m_weights.end())
            throw model_error(where(n), "weight '" + n.input(1) + "' is not a quantised initializer although the model "
                                        "has quantisers: mixed QDQ and float MAC layers are not supported");
        ap = &ait->second;
        wp = &wit->second;
        source = ap->source;
    }
    const weight_chain& w = *wp;
    if (w.dims.empty()) throw model_error(where(n), "weights must be a tensor");
    const auto& ishape = shape_of(source, n);

    mac_layer l;
    l.name = n.name().empty() ? n.output(0) : n.name();
    l.op = op;
    if (ap) {
        const act_chain& a = *ap;
        l.wbit = w.wbit;
        l.xbit = a.bits;
        l.signed_act = a.is_signed;
        l.x_step = a.step;
        l.x_zero_point = a.zp;
        l.x_qmin = a.qmin;
        l.x_qmax = a.qmax;
    }
    const auto pads = attr_ints(n, "pads");
    const bool padded = op == "Conv" && std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; });
    if (ap && ap->zp != 0 && (ap->is_signed || padded)) {
        // The macro has no zero point. Unsigned codes with a zero point keep their codes and subtract
        // z_x * sum(w) digitally after the MAC (exact); but zero padding would then pad with code 0
        // instead of z_x, and int8 codes have no unsigned form. So these drive x_q - z_x instead,
        // as signed (two's complement) codes: the same integers, exact, padding included, at the
        // cost of the sign cycle and possibly one more bit.
        l.x_qmin = ap->qmin - ap->zp;
        l.x_qmax = ap->qmax - ap->zp;
        l.x_zero_point = 0;
        l.signed_act = true;
        l.xbit = std::max(bits_for(std::max<std::int64_t>(l.x_qmax, -static_cast<std::int64_t>(l.x_qmin) - 1)) + 1, 2);
        if (l.xbit > 16) throw model_error(where(n), "the activation codes x_q - z_x need more than 16 bits");
    }
    const std::vector<std::int32_t>& codes = w.codes;
    std::vector<std::size_t> oshape;
    std::int64_t groups = 1;
    if (op == "Conv") {
        if (ishape.size() != 3) throw model_error(where(n), "expects a [N, C, H, W] input");
        if (w.dims.size() != 4 || w.dims[2] != w.dims[3]) throw model_error(where(n), "expects square OIHW weights");
        if (w.steps.size() != 1 && w.axis != 0)
            throw model_error(where(n), "per-channel weight scales along axis " + std::to_string(w.axis) +
                                            " (not the output axis 0) cannot be factored out of the macro's sum");
        groups = attr_int(n, "group", 1);
        if (groups < 1 || ishape[0] % static_cast<std::size_t>(groups) != 0 ||
            static_cast<std::size_t>(w.dims[0]) % static_cast<std::size_t>(groups) != 0)
            throw model_error(where(n), "group = " + std::to_string(groups) + " must divide the " +
                                            std::to_string(ishape[0]) + " input and " + std::to_string(w.dims[0]) +
                                            " output channels");
        if (uniform(n, "dilations", 1) != 1) throw model_error(where(n), "dilation != 1 is not supported");
        if (const auto* pad_attr = attr(n, "auto_pad"); pad_attr && pad_attr->s() != "NOTSET")
            throw model_error(where(n), "auto_pad is not supported; give explicit pads");
        l.conv = true;
        l.geom.in_channels = ishape[0] / static_cast<std::size_t>(groups);
        l.geom.height = ishape[1];
        l.geom.width = ishape[2];
        l.geom.out_channels = static_cast<std::size_t>(w.dims[0]);
        l.geom.kernel = static_cast<std::size_t>(w.dims[2]);
        l.geom.stride = uniform(n, "strides", 1);
        l.geom.padding = uniform(n, "pads", 0);
        if (static_cast<std::size_t>(w.dims[1]) != l.geom.in_channels)
            throw model_error(where(n), "weight has " + std::to_string(w.dims[1]) + " input channels per group, input has " +
                                            std::to_string(ishape[0]) + " in " + std::to_string(groups) + " group(s)");
        try {
            l.geom.validate();
        } catch (const std::exception& e) {
            throw model_error(where(n), e.what());
        }
        l.outputs = l.geom.out_channels;
        l.rows = l.geom.rows();
        if (m_float) l.w_float = wf;
        else l.w_int = codes;
        oshape = {l.outputs, l.geom.out_height(), l.geom.out_width()};
    } else {  // Gemm, MatMul: y = x W^T (Gemm transB=1) or x W
        if (ishape.size() != 1) throw model_error(where(n), "expects a 2-D [N, features] input");
        if (w.dims.size() != 2) throw model_error(where(n), "expects a 2-D weight");
        bool trans = op == "MatMul";
        if (op == "Gemm") {
            if (attr_int(n, "transA", 0) != 0) throw model_error(where(n), "transA is not supported");
            if (const auto* al = attr(n, "alpha"); al && al->f() != 1.0f) throw model_error(where(n), "alpha != 1");
            if (const auto* be = attr(n, "beta"); be && be->f() != 1.0f) throw model_error(where(n), "beta != 1");
            trans = attr_int(n, "transB", 0) == 0;
        }
        const auto d0 = static_cast<std::size_t>(w.dims[0]), d1 = static_cast<std::size_t>(w.dims[1]);
        l.outputs = trans ? d1 : d0;
        l.rows = trans ? d0 : d1;
        if (l.rows != ishape[0])
            throw model_error(where(n), "weight expects " + std::to_string(l.rows) + " features, input has " +
                                            std::to_string(ishape[0]));
        if (w.steps.size() != 1 && w.axis != (trans ? 1 : 0))
            throw model_error(where(n), "per-channel weight scales along axis " + std::to_string(w.axis) +
                                            " (the input axis) cannot be factored out of the macro's sum; they must "
                                            "lie along the output axis " + std::to_string(trans ? 1 : 0));
        const auto at = [&](std::size_t o, std::size_t r) { return trans ? r * d1 + o : o * d1 + r; };
        if (m_float) {
            l.w_float.resize(l.outputs * l.rows);
            for (std::size_t o = 0; o < l.outputs; ++o)
                for (std::size_t r = 0; r < l.rows; ++r) l.w_float[o * l.rows + r] = wf[at(o, r)];
        } else {
            l.w_int.resize(l.outputs * l.rows);
            for (std::size_t o = 0; o < l.outputs; ++o)
                for (std::size_t r = 0; r < l.rows; ++r) l.w_int[o * l.rows + r] = codes[at(o, r)];
        }
        oshape = {l.outputs};
    }
    l.bn_scale.assign(l.outputs, 1.0);
    if (m_float) {
        // Quantised later by quantise_ptq (graph/ptq.hpp); until then y = (w_float . x) * dequant + bias.
        l.needs_ptq = true;
        l.wbit = l.xbit = 0;
        l.quant = act_quant::asim;
        l.dequant.assign(l.outputs, 1.0);
    } else {
        quant_fields(n, *ap, w, l);
    }
    l.bias.assign(l.outputs, 0.0);
    if (n.input_size() > 2 && !n.input(2).empty()) {
        const auto bit = m_init.find(n.input(2));
        if (bit == m_init.end()) throw model_error(where(n), "bias must be an initializer");
        const auto b = values(*bit->second);
        if (b.size() != l.outputs) throw model_error(where(n), "bias has " + std::to_string(b.size()) + " values");
        l.bias = b;
    }
    l.w_row_sum.assign(l.outputs, 0);
    if (!m_float)
        for (std::size_t o = 0; o < l.outputs; ++o)
            for (std::size_t r = 0; r < l.rows; ++r) l.w_row_sum[o] += l.w_int[o * l.rows + r];

    if (groups > 1) {
        grouped_conv(n, source, l, static_cast<std::size_t>(groups), oshape);
        return;
    }
    graph_node g;
    g.op = host_op::mac;
    g.name = l.name;
    g.inputs = {tensor(source)};
    g.output = tensor(n.output(0), true);
    g.layer = m_net.layers.size();
    m_net.shapes[static_cast<std::size_t>(g.output)] = oshape;
    m_net.layers.push_back(std::move(l));
    m_net.nodes.push_back(std::move(g));
}

// A grouped (or depthwise) Conv as `groups` MAC layers, each its own row block on the macro: a
// channel slice of the input, the group's convolution, and one concatenation of the outputs.
// `full` holds the whole layer (every output channel, rows of one group's C/G*k*k).
void importer::grouped_conv(const onnx::NodeProto& n, const std::string& source, const mac_layer& full,
                            std::size_t groups, const std::vector<std::size_t>& oshape) {
    const std::size_t cg = full.geom.in_channels, og = full.outputs / groups;
    const std::vector<std::size_t> ishape = shape_of(source, n);
    const std::size_t plane = ishape[1] * ishape[2];
    std::vector<int> outs;
    for (std::size_t gi = 0; gi < groups; ++gi) {
        const std::string tag = full.name + ".group" + std::to_string(gi);
        graph_node slice;
        slice.op = host_op::gather;
        slice.name = tag + ".input";
        slice.inputs = {tensor(source)};
        for (std::size_t k = 0; k < cg * plane; ++k) slice.index.push_back(static_cast<std::uint32_t>(gi * cg * plane + k));
        slice.output = tensor(tag + ".input", true);
        m_net.shapes[static_cast<std::size_t>(slice.output)] = {cg, ishape[1], ishape[2]};
        const int in_id = slice.output;
        m_net.nodes.push_back(std::move(slice));

        mac_layer l = full;
        l.name = tag;
        l.group = gi;
        l.groups = groups;
        l.geom.out_channels = og;
        l.outputs = og;
        const auto part = [&](const auto& v, std::size_t per) {
            using T = typename std::decay_t<decltype(v)>::value_type;
            if (v.empty()) return std::vector<T>();
            return std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(gi * og * per),
                                  v.begin() + static_cast<std::ptrdiff_t>((gi + 1) * og * per));
        };
        l.w_int = part(full.w_int, full.rows);
        l.w_float = part(full.w_float, full.rows);
        l.dequant = part(full.dequant, 1);
        l.bias = part(full.bias, 1);
        l.bn_scale = part(full.bn_scale, 1);
        l.w_row_sum = part(full.w_row_sum, 1);
        graph_node g;
        g.op = host_op::mac;
        g.name = tag;
        g.inputs = {in_id};
        g.output = tensor(tag + ".output", true);
        g.layer = m_net.layers.size();
        m_net.shapes[static_cast<std::size_t>(g.output)] = {og, oshape[1], oshape[2]};
        outs.push_back(g.output);
        m_net.layers.push_back(std::move(l));
        m_net.nodes.push_back(std::move(g));
    }
    graph_node cat;
    cat.op = host_op::gather;
    cat.name = full.name + ".concat";
    cat.inputs = outs;
    const std::size_t total = full.outputs * oshape[1] * oshape[2];
    for (std::size_t k = 0; k < total; ++k) cat.index.push_back(static_cast<std::uint32_t>(k));  // groups in order
    cat.output = tensor(n.output(0), true);
    m_net.shapes[static_cast<std::size_t>(cat.output)] = oshape;
    m_net.nodes.push_back(std::move(cat));
}

std::int64_t importer::opset() const {
    for (const auto& o : m_model.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
    return 1;
}

// Integers from a constant input (newer opsets) or else from an attribute (older ones).
std::vector<std::int64_t> importer::const_ints(const onnx::NodeProto& n, int input, const char* attr_name) {
    if (n.input_size() > input && !n.input(input).empty()) {
        if (!m_init.count(n.input(input))) throw model_error(where(n), "'" + n.input(input) + "' must be a constant");
        std::vector<std::int64_t> r;
        for (double v : get_const(n.input(input)).v) r.push_back(fold::to_i64(v));
        return r;
    }
    return attr_ints(n, attr_name);
}

// An ONNX axis of a [N, ...] tensor as an index into the per-sample shape (rank without N).
std::size_t importer::tensor_axis(const onnx::NodeProto& n, std::int64_t axis, std::size_t rank, bool batch_ok) {
    const auto full = static_cast<std::int64_t>(rank) + 1;
    if (axis < -full || axis >= full) throw model_error(where(n), "axis " + std::to_string(axis) + " is outside the tensor");
    if (axis < 0) axis += full;
    if (axis == 0 && !batch_ok) throw model_error(where(n), "operating on the batch axis is not supported");
    return static_cast<std::size_t>(axis == 0 ? 0 : axis - 1);
}

// `os` by value: it may be a reference into m_net.shapes, which tensor() grows.
void importer::push_host(graph_node g, const onnx::NodeProto& n, std::vector<std::size_t> os) {
    g.name = n.name().empty() ? n.output(0) : n.name();
    g.output = tensor(n.output(0), true);
    m_net.shapes[static_cast<std::size_t>(g.output)] = std::move(os);
    m_net.nodes.push_back(std::move(g));
}

// The host ops beyond the original CNN set: element-wise functions, broadcasting arithmetic,
// softmax and normalisation, and data movement. False if `n` is not one of them.
bool importer::more_host(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    const std::string w = where(n);
    static const std::map<std::string, unary_fn> unaries = {
        {"Sigmoid", unary_fn::sigmoid}, {"Tanh", unary_fn::tanh},       {"Erf", unary_fn::erf},
        {"Gelu", unary_fn::gelu},       {"LeakyRelu", unary_fn::leaky_relu}, {"HardSigmoid", unary_fn::hard_sigmoid},
        {"HardSwish", unary_fn::hard_swish}, {"Sqrt", unary_fn::sqrt},  {"Pow", unary_fn::pow},
        {"Exp", unary_fn::exp},         {"Neg", unary_fn::neg}};
    graph_node g;
    if (const auto u = unaries.find(op); u != unaries.end()) {
        const auto& is = shape_of(n.input(0), n);
        g.op = host_op::unary;
        g.fn = u->second;
        g.inputs = {tensor(n.input(0))};
        if (op == "Gelu") {
            const auto* a = attr(n, "approximate");
            if (a && a->s() == "tanh") g.fn = unary_fn::gelu_tanh;
            else if (a && a->s() != "none") throw model_error(w, "approximate = '" + a->s() + "' is not none or tanh");
        } else if (op == "LeakyRelu") {
            g.alpha = attr_float(n, "alpha", 0.01f);
        } else if (op == "HardSigmoid") {
            g.alpha = attr_float(n, "alpha", 0.2f);
            g.beta = attr_float(n, "beta", 0.5f);
        } else if (op == "Pow") {
            if (n.input_size() != 2) throw model_error(w, "needs a base and an exponent");
            g.alpha = static_cast<float>(scalar(n.input(1), n));
        }
        push_host(std::move(g), n, is);
        return true;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
        if (n.input_size() != 2) throw model_error(w, "needs two inputs");
        const bool c0 = m_init.count(n.input(0)) > 0, c1 = m_init.count(n.input(1)) > 0;
        g.op = host_op::binary;
        g.bfn = op == "Add" ? binary_fn::add : op == "Sub" ? binary_fn::sub : op == "Mul" ? binary_fn::mul : binary_fn::div;
        layout::shape os;
        if (c0 || c1) {
            const std::string& tn = c0 ? n.input(1) : n.input(0);
            const auto& is = shape_of(tn, n);
            const auto k = get_const(c0 ? n.input(0) : n.input(1));
            // A constant of the tensor's full rank has the batch dimension first; it must be 1.
            layout::shape ks;
            for (auto d : k.dims) ks.push_back(static_cast<std::size_t>(d));
            if (ks.size() == is.size() + 1) {
                if (ks[0] != 1) throw model_error(w, "a constant operand cannot vary along the batch dimension");
                ks.erase(ks.begin());
            }
            if (ks.size() > is.size()) throw model_error(w, "the constant has a higher rank than the tensor");
            layout::index_map kmap;
            os = layout::broadcast(is, ks, g.index, kmap, w);
            if (os != is) throw model_error(w, "the constant would broadcast the tensor to a larger shape");
            g.index2 = std::move(kmap);
            for (double v : k.v) g.konst.push_back(static_cast<float>(v));
            g.konst_left = c0;
            g.inputs = {tensor(tn)};
        } else {
            const auto& a = shape_of(n.input(0), n);
            const auto& b = shape_of(n.input(1), n);
            if (a.size() != b.size())
                throw model_error(w, "tensors of different rank (" + std::to_string(a.size() + 1) + " and " +
                                         std::to_string(b.size() + 1) + ") are not supported");
            if (op == "Add" && a == b) return false;  // the residual add
            os = layout::broadcast(a, b, g.index, g.index2, w);
            g.inputs = {tensor(n.input(0)), tensor(n.input(1))};
        }
        push_host(std::move(g), n, os);
        return true;
    }
    if (op == "Softmax" || op == "ReduceMean" || op == "LayerNormalization") {
        const auto& is = shape_of(n.input(0), n);
        g.inputs = {tensor(n.input(0))};
        std::size_t from = 0;  // first per-sample axis of the trailing block
        layout::shape os = is;
        if (op == "Softmax") {
            g.op = host_op::softmax;
            const std::int64_t dflt = opset() >= 13 ? -1 : 1;
            from = tensor_axis(n, attr_int(n, "axis", dflt), is.size());
            if (opset() >= 13 && from + 1 != is.size())
                throw model_error(w, "softmax over an axis other than the last is not supported");
        } else if (op == "ReduceMean") {
            g.op = host_op::reduce_mean;
            std::vector<std::int64_t> axes = const_ints(n, 1, "axes");
            if (axes.empty()) throw model_error(w, "a reduction over all axes (batch included) is not supported");
            std::vector<std::size_t> ax;
            for (auto a : axes) ax.push_back(tensor_axis(n, a, is.size()));
            std::sort(ax.begin(), ax.end());
            from = ax[0];
            for (std::size_t k = 0; k < ax.size(); ++k)
                if (ax[k] != from + k || ax.back() + 1 != is.size())
                    throw model_error(w, "only a reduction over the trailing axes is supported");
            for (std::size_t k = from; k < is.size(); ++k) os[k] = 1;
            if (attr_int(n, "keepdims", 1) == 0) os.resize(from);
        } else {
            g.op = host_op::layernorm;
            from = tensor_axis(n, attr_int(n, "axis", -1), is.size());
            g.alpha = attr_float(n, "epsilon", 1e-5f);
        }
        g.inner = 1;
        for (std::size_t k = from; k < is.size(); ++k) g.inner *= is[k];
        if (op == "LayerNormalization") {
            const auto param = [&](int k, float dflt) {
                std::vector<float> v(g.inner, dflt);
                if (n.input_size() > k && !n.input(k).empty()) {
                    if (!m_init.count(n.input(k))) throw model_error(w, "'" + n.input(k) + "' must be a constant");
                    const auto c = get_const(n.input(k));
                    if (c.size() != g.inner && c.size() != 1)
                        throw model_error(w, "'" + n.input(k) + "' has " + std::to_string(c.size()) + " values for " +
                                                 std::to_string(g.inner) + " normalised elements");
                    for (std::size_t i = 0; i < g.inner; ++i) v[i] = static_cast<float>(c.v[c.size() == 1 ? 0 : i]);
                }
                return v;
            };
            g.scale = param(1, 1.0f);
            g.shift = param(2, 0.0f);
        }
        push_host(std::move(g), n, os);
        return true;
    }
    if (op == "Transpose" || op == "Slice" || op == "Gather" || op == "Concat") {
        g.op = host_op::gather;
        layout::shape os;
        const auto& is = shape_of(n.input(0), n);
        g.inputs = {tensor(n.input(0))};
        if (op == "Transpose") {
            auto perm = attr_ints(n, "perm");
            if (perm.empty())
                for (std::size_t k = is.size() + 1; k-- > 0;) perm.push_back(static_cast<std::int64_t>(k));
            if (perm.size() != is.size() + 1 || perm[0] != 0)
                throw model_error(w, "a transpose must keep the batch axis first");
            std::vector<std::size_t> p;
            for (std::size_t k = 1; k < perm.size(); ++k) {
                if (perm[k] < 1) throw model_error(w, "perm is not a permutation");
                p.push_back(static_cast<std::size_t>(perm[k] - 1));
            }
            os = layout::transpose(is, p, g.index, w);
        } else if (op == "Slice") {
            const auto starts = const_ints(n, 1, "starts"), ends = const_ints(n, 2, "ends");
            auto axes = const_ints(n, 3, "axes");
            auto steps = const_ints(n, 4, "steps");
            if (starts.size() != ends.size()) throw model_error(w, "starts and ends differ in length");
            if (axes.empty())
                for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
            if (steps.empty()) steps.assign(starts.size(), 1);
            if (axes.size() != starts.size() || steps.size() != starts.size())
                throw model_error(w, "starts, ends, axes and steps differ in length");
            std::vector<layout::slice_axis> sl;
            for (std::size_t k = 0; k < starts.size(); ++k) {
                const std::size_t ax = tensor_axis(n, axes[k], is.size(), true);
                const bool batch = (axes[k] == 0 || axes[k] == -static_cast<std::int64_t>(is.size()) - 1);
                if (batch) {
                    if (starts[k] != 0 || steps[k] != 1 || ends[k] < (std::int64_t{1} << 30))
                        throw model_error(w, "slicing the batch axis is not supported");
                    continue;
                }
                const auto d = static_cast<std::int64_t>(is[ax]);
                if (steps[k] == 0) throw model_error(w, "step 0");
                auto clampi = [&](std::int64_t x, std::int64_t lo, std::int64_t hi) {
                    if (x < 0) x += d;
                    return std::clamp(x, lo, hi);
                };
                const std::int64_t st = steps[k] > 0 ? clampi(starts[k], 0, d) : clampi(starts[k], -1, d - 1);
                const std::int64_t en = steps[k] > 0 ? clampi(ends[k], 0, d) : clampi(ends[k], -1, d - 1);
                sl.push_back({ax, st, en, steps[k]});
            }
            os = layout::slice(is, sl, g.index, w);
        } else if (op == "Gather") {
            if (n.input_size() != 2 || !m_init.count(n.input(1))) throw model_error(w, "indices must be a constant");
            const std::size_t ax = tensor_axis(n, attr_int(n, "axis", 0), is.size());
            const auto c = get_const(n.input(1));
            std::vector<std::size_t> idx;
            for (double v : c.v) {
                auto i = fold::to_i64(v);
                if (i < 0) i += static_cast<std::int64_t>(is[ax]);
                if (i < 0) throw model_error(w, "index " + std::to_string(fold::to_i64(v)) + " is out of range");
                idx.push_back(static_cast<std::size_t>(i));
            }
            layout::shape ishp;
            for (auto d : c.dims) ishp.push_back(static_cast<std::size_t>(d));
            os = layout::gather(is, ax, idx, ishp, g.index, w);
        } else {
            std::vector<layout::shape> shapes;
            g.inputs.clear();
            for (const auto& in : n.input()) {
                if (m_init.count(in)) throw model_error(w, "a constant input '" + in + "' in a Concat of tensors is not supported");
                shapes.push_back(shape_of(in, n));
                g.inputs.push_back(tensor(in));
            }
            os = layout::concat(shapes, tensor_axis(n, attr_int(n, "axis", 0), is.size()), g.index, w);
        }
        push_host(std::move(g), n, os);
        return true;
    }
    if (op == "Squeeze" || op == "Unsqueeze" || (op == "Reshape" && !(n.input_size() > 1 && m_init.count(n.input(1)) &&
                                                                     m_init.at(n.input(1))->dims_size() == 1 &&
                                                                     m_init.at(n.input(1))->dims(0) == 2))) {
        // Pure shape changes of a tensor: the data stay as they are.
        const auto& is = shape_of(n.input(0), n);
        const std::size_t total = std::accumulate(is.begin(), is.end(), std::size_t{1}, std::multiplies<>());
        layout::shape os;
        if (op == "Reshape") {
            if (n.input_size() < 2 || !m_init.count(n.input(1))) throw model_error(w, "target shape must be a constant");
            if (attr_int(n, "allowzero", 0) != 0) throw model_error(w, "allowzero = 1 is not supported");
            const auto t = get_const(n.input(1)).v;
            if (t.empty() || !(t[0] == 0.0 || t[0] == -1.0 || t[0] == 1.0))
                throw model_error(w, "the first target dimension must be the batch (0, -1 or 1)");
            std::size_t known = 1;
            int infer = -1;
            for (std::size_t k = 1; k < t.size(); ++k) {
                const auto v = fold::to_i64(t[k]);
                std::size_t d = 0;
                if (v == -1) {
                    if (infer >= 0 || t[0] == -1.0) throw model_error(w, "more than one -1 in the target shape");
                    infer = static_cast<int>(k - 1);
                } else if (v == 0) {
                    if (k - 1 >= is.size()) throw model_error(w, "0 copies a dimension the input does not have");
                    d = is[k - 1];
                } else if (v < 0) {
                    throw model_error(w, "negative target dimension " + std::to_string(v));
                } else {
                    d = static_cast<std::size_t>(v);
                }
                os.push_back(d);
                if (v != -1) known = core::checked_mul(known, std::max<std::size_t>(d, 1), "reshape");
            }
            if (infer >= 0) {
                if (known == 0 || total % known != 0) throw model_error(w, "the target shape does not divide the input");
                os[static_cast<std::size_t>(infer)] = total / known;
            }
        } else {
            const auto axes = const_ints(n, 1, "axes");
            if (op == "Squeeze") {
                std::vector<std::size_t> ax;
                for (auto a : axes) ax.push_back(tensor_axis(n, a, is.size()));
                for (std::size_t k = 0; k < is.size(); ++k) {
                    const bool listed = std::find(ax.begin(), ax.end(), k) != ax.end();
                    if (listed && is[k] != 1) throw model_error(w, "cannot squeeze a dimension of size " + std::to_string(is[k]));
                    if (!(listed || (axes.empty() && is[k] == 1))) os.push_back(is[k]);
                }
            } else {
                const std::size_t rank = is.size() + axes.size();
                std::vector<std::size_t> ax;
                for (auto a : axes) ax.push_back(tensor_axis(n, a, rank));
                std::sort(ax.begin(), ax.end());
                os = is;
                for (std::size_t a : ax) os.insert(os.begin() + static_cast<std::ptrdiff_t>(a), 1);
            }
        }
        if (std::accumulate(os.begin(), os.end(), std::size_t{1}, std::multiplies<>()) != total)
            throw model_error(w, "the new shape holds a different number of elements");
        g.op = host_op::flatten;
        g.inputs = {tensor(n.input(0))};
        push_host(std::move(g), n, os);
        return true;
    }
    return false;
}

void importer::host(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (n.input_size() < 1 || n.output_size() < 1) throw model_error(where(n), "needs an input and an output");
    if (more_host(n)) return;
    graph_node g;
    g.name = n.name().empty() ? n.output(0) : n.name();
    const auto& is = shape_of(n.input(0), n);
    g.inputs = {tensor(n.input(0))};
    std::vector<std::size_t> os = is;
    if (op == "Relu") {
        g.op = host_op::relu;
    } else if (op == "Clip") {
        g.op = host_op::clip;
        g.lo = -INFINITY;
        g.hi = INFINITY;
        if (n.input_size() > 1 && !n.input(1).empty()) g.lo = static_cast<float>(scalar(n.input(1), n));
        if (n.input_size() > 2 && !n.input(2).empty()) g.hi = static_cast<float>(scalar(n.input(2), n));
    } else if (op == "MaxPool" || op == "AveragePool") {
        if (is.size() != 3) throw model_error(where(n), "expects a [N, C, H, W] input");
        g.op = op == "MaxPool" ? host_op::maxpool : host_op::avgpool;
        const auto ks = attr_ints(n, "kernel_shape");
        if (ks.size() != 2 || ks[0] != ks[1] || ks[0] < 1) throw model_error(where(n), "needs a square kernel_shape");
        g.kernel = static_cast<std::size_t>(ks[0]);
        g.stride = uniform(n, "strides", 1);
        g.pad = uniform(n, "pads", 0);
        if (attr_int(n, "ceil_mode", 0) != 0) throw model_error(where(n), "ceil_mode is not supported");
        if (uniform(n, "dilations", 1) != 1) throw model_error(where(n), "dilations are not supported");
        if (g.stride == 0 || is[1] + 2 * g.pad < g.kernel || is[2] + 2 * g.pad < g.kernel)
            throw model_error(where(n), "kernel does not fit the input");
        os = {is[0], (is[1] + 2 * g.pad - g.kernel) / g.stride + 1, (is[2] + 2 * g.pad - g.kernel) / g.stride + 1};
    } else if (op == "GlobalAveragePool") {
        if (is.size() != 3) throw model_error(where(n), "expects a [N, C, H, W] input");
        g.op = host_op::global_avgpool;
        os = {is[0], 1, 1};
    } else if (op == "Flatten" || op == "Reshape") {
        if (op == "Flatten" && attr_int(n, "axis", 1) != 1) throw model_error(where(n), "only axis = 1 is supported");
        if (op == "Reshape") {
            const auto it = n.input_size() > 1 ? m_init.find(n.input(1)) : m_init.end();
            if (it == m_init.end()) throw model_error(where(n), "target shape must be an initializer");
            const auto tv = values(*it->second);
            const std::size_t total = std::accumulate(is.begin(), is.end(), std::size_t{1}, std::multiplies<>());
            if (tv.size() != 2 || !(tv[1] == -1.0 || static_cast<std::size_t>(tv[1]) == total))
                throw model_error(where(n), "only a reshape to [N, features] is supported");
        }
        g.op = host_op::flatten;
        os = {std::accumulate(is.begin(), is.end(), std::size_t{1}, std::multiplies<>())};
    } else if (op == "Add") {
        if (n.input_size() != 2) throw model_error(where(n), "needs two inputs");
        const auto bit = m_init.find(n.input(1));
        if (bit != m_init.end()) {  // a constant: a bias, per channel or scalar
            const auto b = values(*bit->second);
            const std::size_t c = is[0];
            if (b.size() != 1 && b.size() != c) throw model_error(where(n), "constant addend must be scalar or per channel");
            g.op = host_op::affine;
            g.scale.assign(c, 1.0f);
            g.shift.resize(c);
            for (std::size_t k = 0; k < c; ++k) g.shift[k] = static_cast<float>(b.size() == 1 ? b[0] : b[k]);
        } else {
            if (shape_of(n.input(1), n) != is) throw model_error(where(n), "residual Add needs equal shapes");
            g.op = host_op::add;
            g.inputs.push_back(tensor(n.input(1)));
        }
    } else if (op == "BatchNormalization") {
        if (n.input_size() != 5) throw model_error(where(n), "needs scale, B, mean and var");
        const auto get = [&](int k) {
            const auto it = m_init.find(n.input(k));
            if (it == m_init.end()) throw model_error(where(n), "parameter '" + n.input(k) + "' must be an initializer");
            auto v = values(*it->second);
            if (v.size() != is[0]) throw model_error(where(n), "parameter size differs from the channel count");
            return v;
        };
        const auto gamma = get(1), beta = get(2), mean = get(3), var = get(4);
        const double eps = attr(n, "epsilon") ? static_cast<double>(attr(n, "epsilon")->f()) : 1e-5;
        std::vector<double> a(is[0]), b(is[0]);
        for (std::size_t c = 0; c < is[0]; ++c) {
            a[c] = gamma[c] / std::sqrt(var[c] + eps);
            b[c] = beta[c] - mean[c] * a[c];
        }
        // Fold into the producing MAC layer when it is the only consumer of that layer's output.
        const int src = tensor(n.input(0));
        if (!m_net.nodes.empty() && m_net.nodes.back().op == host_op::mac && m_net.nodes.back().output == src &&
            m_consumers[n.input(0)].size() == 1) {
            mac_layer& l = m_net.layers[m_net.nodes.back().layer];
            for (std::size_t c = 0; c < l.outputs; ++c) {
                l.dequant[c] *= a[c];
                l.bn_scale[c] *= a[c];
                l.bias[c] = l.bias[c] * a[c] + b[c];
            }
            m_ids[n.output(0)] = src;  // the BN output is the folded layer's output
            return;
        }
        g.op = host_op::affine;
        g.scale.resize(is[0]);
        g.shift.resize(is[0]);
        for (std::size_t c = 0; c < is[0]; ++c) {
            g.scale[c] = static_cast<float>(a[c]);
            g.shift[c] = static_cast<float>(b[c]);
        }
    } else {
        throw model_error(where(n), "unsupported op '" + op + "'");
    }
    g.output = tensor(n.output(0), true);
    m_net.shapes[static_cast<std::size_t>(g.output)] = os;
    m_net.nodes.push_back(std::move(g));
}

network importer::run() {
    const onnx::GraphProto& gr = m_model.graph();
    for (const auto& p : m_model.metadata_props()) m_net.metadata[p.key()] = p.value();
    const auto fmt = m_net.metadata.find("acim.format");
    m_asim = fmt != m_net.metadata.end() && fmt->second == "acim-qcdq-1";
    check_bit_metadata();
    for (const auto& t : gr.initializer()) m_init[t.name()] = &t;
    {
        // A malformed node (wrong input or output count) stops the import before any node is read.
        std::vector<import_blocker> malformed;
        for (const auto& n : gr.node()) {
            const std::string why = arity_error(n);
            if (!why.empty())
                malformed.push_back({n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name(),
                                     n.op_type(), why});
        }
        if (!malformed.empty()) throw import_error(m_name, std::move(malformed));
    }
    for (const auto& n : gr.node())
        for (const auto& in : n.input()) m_consumers[in].push_back(&n);

    for (const auto& in : gr.input()) {
        if (m_init.count(in.name())) continue;
        if (m_net.input >= 0) throw model_error(m_name, "more than one graph input");
        const auto& tt = in.type().tensor_type();
        if (tt.elem_type() != onnx::TensorProto::FLOAT) throw model_error(m_name, "the graph input must be float32");
        std::vector<std::size_t> s;
        for (int k = 1; k < tt.shape().dim_size(); ++k) {
            const auto& d = tt.shape().dim(k);
            if (!d.has_dim_value() || d.dim_value() <= 0)
                throw model_error(m_name, "input dimension " + std::to_string(k) + " must be a positive constant");
            s.push_back(static_cast<std::size_t>(d.dim_value()));
        }
        if (s.empty()) throw model_error(m_name, "the input must have a dimension besides the batch [N, ...]");
        m_net.input = tensor(in.name(), true);
        m_net.shapes[static_cast<std::size_t>(m_net.input)] = s;
    }
    if (m_net.input < 0) throw model_error(m_name, "the graph has no input");

    m_float = std::none_of(gr.node().begin(), gr.node().end(), [](const onnx::NodeProto& n) {
        return n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear";
    });
    std::set<const onnx::NodeProto*> done;
    // Every blocker is collected, not only the first: a node that fails marks its outputs blocked,
    // and a node downstream of a blocked tensor is reported only if its own op is unsupported.
    std::vector<import_blocker> blockers;
    std::set<std::string> blocked;
    const auto block = [&](const onnx::NodeProto& n, const std::string& message) {
        const std::string prefix = where(n) + ": ";
        const std::string reason = message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
        blockers.push_back({n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name(), n.op_type(), reason});
        for (const auto& o : n.output()) blocked.insert(o);
    };
    for (const auto& n : gr.node()) {
        if (n.domain() != "" && n.domain() != "ai.onnx") {
            block(n, "unsupported domain '" + n.domain() + "'");
            done.insert(&n);
        } else if (n.op_type() == "Constant") {
            try {
                constant_node(n);
            } catch (const model_error& e) {
                block(n, e.what());
            }
            done.insert(&n);
        } else if (n.input_size() > 0 && n.op_type() != "Shape" &&
                   std::all_of(n.input().begin(), n.input().end(),
                               [&](const std::string& i) { return i.empty() || m_init.count(i) > 0; })) {
            // Constant subgraphs (e.g. Constant -> Cast scales of a fake-quant export) fold before
            // the quantiser chains are read.
            try {
                if (try_fold(n)) done.insert(&n);
            } catch (const model_error& e) {
                block(n, e.what());
                done.insert(&n);
            }
        }
    }
    for (const auto& n : gr.node()) {
        if (done.count(&n) || n.op_type() != "QuantizeLinear") continue;
        try {
            quant_chain(n, done);
        } catch (const model_error& e) {
            block(n, e.what());
            done.insert(&n);
        }
    }
    for (const auto& n : gr.node()) {
        if (done.count(&n) || n.op_type() != "DequantizeLinear" || n.input_size() < 1 || !m_init.count(n.input(0)))
            continue;
        try {
            weight_dq(n);
        } catch (const model_error& e) {
            block(n, e.what());
        }
        done.insert(&n);
    }
    static const std::set<std::string> known = {
        "Conv", "Gemm", "MatMul", "QuantizeLinear", "DequantizeLinear", "Clip", "Relu", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Flatten", "Reshape", "Add", "BatchNormalization", "Shape", "Gather", "Concat",
        "Unsqueeze", "Squeeze", "Cast", "Identity", "Dropout", "Sub", "Mul", "Div", "Sigmoid", "Tanh", "Erf",
        "Gelu", "LeakyRelu", "HardSigmoid", "HardSwish", "Sqrt", "Pow", "Exp", "Neg", "Softmax", "ReduceMean",
        "LayerNormalization", "Transpose", "Slice"};
    for (const auto& n : gr.node()) {
        if (done.count(&n)) continue;
        const std::string& op = n.op_type();
        if (std::any_of(n.input().begin(), n.input().end(), [&](const std::string& i) { return blocked.count(i) > 0; })) {
            if (!known.count(op)) block(n, "unsupported op '" + op + "'");
            for (const auto& o : n.output()) blocked.insert(o);
            continue;
        }
        try {
            if (alias(n) || try_fold(n)) continue;
            if (op == "Conv" || op == "Gemm" || op == "MatMul") mac(n);
            else if (op == "QuantizeLinear" || op == "DequantizeLinear")
                throw model_error(where(n), "is not part of a QuantizeLinear -> [Clip] -> DequantizeLinear chain");
            else host(n);
        } catch (const model_error& e) {
            block(n, e.what());
        }
    }
    if (!blockers.empty()) throw import_error(m_name, std::move(blockers));
    if (gr.output_size() != 1) throw model_error(m_name, "the graph must have exactly one output");
    const auto it = m_ids.find(gr.output(0).name());
    if (it == m_ids.end()) throw model_error(m_name, "graph output '" + gr.output(0).name() + "' is never computed");
    m_net.output = it->second;
    if (m_net.layers.empty()) throw model_error(m_name, "no Conv/Gemm/MatMul layer");
    return std::move(m_net);
}

}  // namespace

std::string import_error::text(const std::vector<import_blocker>& b) {
    std::string s = std::to_string(b.size()) + (b.size() == 1 ? " blocker" : " blockers") + ":";
    for (const auto& x : b) s += "\n  node '" + x.node + "' (" + x.op + "): " + x.reason;
    return s;
}

network parse_onnx(const std::string& bytes, const std::string& name) {
    onnx::ModelProto m;
    if (!m.ParseFromString(bytes)) throw model_error(name, "not a valid ONNX protobuf");
    if (!m.has_graph()) throw model_error(name, "the model has no graph");
    return importer(m, name).run();
}

network load_onnx(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw model_error(path, "cannot open the file");
    std::ostringstream ss;
    ss << f.rdbuf();
    if (!f && !f.eof()) throw model_error(path, "read error");
    return parse_onnx(ss.str(), path);
}

}  // namespace acim::workloads
