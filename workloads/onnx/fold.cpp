#include <acim/workloads/onnx/fold.hpp>

#include <acim/core/checked.hpp>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace acim::workloads::fold {

namespace {

std::size_t count(const std::vector<std::int64_t>& dims, const std::string& where) {
    try {
        return core::checked_product(dims.data(), dims.size(), "folded tensor");
    } catch (const core::data_error& e) {
        throw model_error(where, e.what());
    }
}

std::int64_t norm_axis(std::int64_t axis, std::size_t rank, const std::string& where) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        throw model_error(where, "axis " + std::to_string(axis) + " is outside a rank-" + std::to_string(rank) + " tensor");
    return axis < 0 ? axis + r : axis;
}

bool is_integer(int t) {
    return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 || t == onnx::TensorProto::INT8 ||
           t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::INT16 || t == onnx::TensorProto::UINT16 ||
           t == onnx::TensorProto::BOOL;
}

}  // namespace

std::int64_t to_i64(double v) {
    if (!(v < 9.2233720368547758e18)) return std::numeric_limits<std::int64_t>::max();
    if (!(v > -9.2233720368547758e18)) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(v);
}

const_tensor gather(const const_tensor& data, const const_tensor& idx, std::int64_t axis, const std::string& where) {
    if (data.dims.empty()) throw model_error(where, "cannot gather from a scalar");
    const auto ax = static_cast<std::size_t>(norm_axis(axis, data.dims.size(), where));
    const auto n = data.dims[ax];
    std::size_t outer = 1, inner = 1;
    for (std::size_t k = 0; k < ax; ++k) outer *= static_cast<std::size_t>(data.dims[k]);
    for (std::size_t k = ax + 1; k < data.dims.size(); ++k) inner *= static_cast<std::size_t>(data.dims[k]);
    const_tensor r;
    r.type = data.type;
    r.dims.assign(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(ax));
    r.dims.insert(r.dims.end(), idx.dims.begin(), idx.dims.end());
    r.dims.insert(r.dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(ax) + 1, data.dims.end());
    for (std::size_t o = 0; o < outer; ++o)
        for (double iv : idx.v) {
            auto i = to_i64(iv);
            if (i < -n || i >= n) throw model_error(where, "index " + std::to_string(i) + " is outside [0, " + std::to_string(n) + ")");
            if (i < 0) i += n;
            const std::size_t base = (o * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)) * inner;
            r.v.insert(r.v.end(), data.v.begin() + static_cast<std::ptrdiff_t>(base),
                       data.v.begin() + static_cast<std::ptrdiff_t>(base + inner));
        }
    // Only the batch entry (index 0 of a Shape result) carries the placeholder.
    r.has_batch = data.has_batch && std::any_of(idx.v.begin(), idx.v.end(), [](double i) { return i == 0.0; });
    return r;
}

const_tensor concat(const std::vector<const_tensor>& in, std::int64_t axis, const std::string& where) {
    if (in.empty()) throw model_error(where, "needs inputs");
    const std::size_t rank = in[0].dims.size();
    if (rank == 0) throw model_error(where, "cannot concatenate scalars");
    const auto ax = static_cast<std::size_t>(norm_axis(axis, rank, where));
    const_tensor r;
    r.type = in[0].type;
    r.dims = in[0].dims;
    r.dims[ax] = 0;
    for (const auto& t : in) {
        if (t.dims.size() != rank) throw model_error(where, "inputs differ in rank");
        for (std::size_t k = 0; k < rank; ++k)
            if (k != ax && t.dims[k] != in[0].dims[k]) throw model_error(where, "inputs differ in dimension " + std::to_string(k));
        r.dims[ax] += t.dims[ax];
        r.has_batch = r.has_batch || t.has_batch;
    }
    std::size_t outer = 1;
    for (std::size_t k = 0; k < ax; ++k) outer *= static_cast<std::size_t>(r.dims[k]);
    for (std::size_t o = 0; o < outer; ++o)
        for (const auto& t : in) {
            const std::size_t chunk = t.v.size() / std::max<std::size_t>(outer, 1);
            r.v.insert(r.v.end(), t.v.begin() + static_cast<std::ptrdiff_t>(o * chunk),
                       t.v.begin() + static_cast<std::ptrdiff_t>((o + 1) * chunk));
        }
    count(r.dims, where);
    return r;
}

const_tensor unsqueeze(const const_tensor& x, std::vector<std::int64_t> axes, const std::string& where) {
    const std::size_t rank = x.dims.size() + axes.size();
    for (auto& a : axes) a = norm_axis(a, rank, where);
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) throw model_error(where, "repeated axis");
    const_tensor r = x;
    for (auto a : axes) r.dims.insert(r.dims.begin() + a, 1);
    return r;
}

const_tensor squeeze(const const_tensor& x, std::vector<std::int64_t> axes, const std::string& where) {
    const_tensor r = x;
    r.dims.clear();
    for (auto& a : axes) a = norm_axis(a, x.dims.size(), where);
    for (std::size_t k = 0; k < x.dims.size(); ++k) {
        const bool listed = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(k)) != axes.end();
        if (listed && x.dims[k] != 1) throw model_error(where, "cannot squeeze dimension " + std::to_string(k) + " of size " + std::to_string(x.dims[k]));
        if (listed || (axes.empty() && x.dims[k] == 1)) continue;
        r.dims.push_back(x.dims[k]);
    }
    return r;
}

const_tensor cast(const const_tensor& x, int to, const std::string& where) {
    const_tensor r = x;
    r.type = to;
    if (is_integer(to)) {
        for (double& v : r.v) v = std::trunc(v);
    } else if (to == onnx::TensorProto::FLOAT) {
        for (double& v : r.v) v = static_cast<double>(static_cast<float>(v));
    } else if (to != onnx::TensorProto::DOUBLE) {
        throw model_error(where, "cast to data type " + std::to_string(to) + " is not supported");
    }
    return r;
}

const_tensor binary(const std::string& op, const const_tensor& a, const const_tensor& b, const std::string& where) {
    if (a.has_batch || b.has_batch)
        throw model_error(where, "arithmetic on the batch dimension (from Shape) cannot be folded at load");
    const std::size_t rank = std::max(a.dims.size(), b.dims.size());
    std::vector<std::int64_t> da(rank, 1), db(rank, 1), dr(rank);
    std::copy(a.dims.begin(), a.dims.end(), da.begin() + static_cast<std::ptrdiff_t>(rank - a.dims.size()));
    std::copy(b.dims.begin(), b.dims.end(), db.begin() + static_cast<std::ptrdiff_t>(rank - b.dims.size()));
    for (std::size_t k = 0; k < rank; ++k) {
        if (da[k] != db[k] && da[k] != 1 && db[k] != 1)
            throw model_error(where, "shapes do not broadcast in dimension " + std::to_string(k));
        dr[k] = std::max(da[k], db[k]);
    }
    const_tensor r;
    r.type = a.type;
    r.dims = dr;
    const std::size_t n = count(dr, where);
    r.v.resize(n);
    const bool integer = is_integer(a.type);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
        for (std::size_t k = rank; k-- > 0;) {
            const auto d = static_cast<std::size_t>(dr[k]);
            const std::size_t c = rem % d;
            rem /= d;
            ia += (da[k] == 1 ? 0 : c) * sa;
            ib += (db[k] == 1 ? 0 : c) * sb;
            sa *= static_cast<std::size_t>(da[k]);
            sb *= static_cast<std::size_t>(db[k]);
        }
        const double x = a.v[ia], y = b.v[ib];
        double z = 0.0;
        if (op == "Add") z = x + y;
        else if (op == "Sub") z = x - y;
        else if (op == "Mul") z = x * y;
        else {
            if (y == 0.0) throw model_error(where, "division by zero in a constant");
            z = integer ? std::trunc(x / y) : x / y;
        }
        // Float tensors compute in float32, as the runtime would.
        if (a.type == onnx::TensorProto::FLOAT) z = static_cast<double>(static_cast<float>(z));
        r.v[i] = z;
    }
    return r;
}

}  // namespace acim::workloads::fold
