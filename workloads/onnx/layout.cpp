#include <acim/workloads/onnx/layout.hpp>

#include <acim/core/checked.hpp>
#include <acim/workloads/graph/network.hpp>

#include <limits>

namespace acim::workloads::layout {

namespace {

std::size_t elements(const shape& s, const std::string& where) {
    std::size_t n = 0;
    try {
        n = core::checked_product(s.data(), s.size(), "per-sample elements");
    } catch (const core::data_error& e) {
        throw model_error(where, e.what());
    }
    if (n > std::numeric_limits<std::uint32_t>::max()) throw model_error(where, "more than 2^32 elements per sample");
    return n;
}

std::vector<std::size_t> strides(const shape& s) {
    std::vector<std::size_t> st(s.size(), 1);
    for (std::size_t k = s.size(); k-- > 1;) st[k - 1] = st[k] * s[k];
    return st;
}

// Calls f(coords) for every output coordinate in row-major order.
template <class F>
void for_each(const shape& s, F&& f) {
    std::vector<std::size_t> c(s.size(), 0);
    for (std::size_t d : s)
        if (d == 0) return;
    for (;;) {
        f(c);
        std::size_t k = s.size();
        while (k > 0 && ++c[k - 1] == s[k - 1]) c[--k] = 0;
        if (k == 0) return;
    }
}

}  // namespace

shape broadcast(const shape& a, const shape& b, index_map& ia, index_map& ib, const std::string& where) {
    const std::size_t rank = std::max(a.size(), b.size());
    shape pa(rank, 1), pb(rank, 1), out(rank);
    std::copy(a.begin(), a.end(), pa.begin() + static_cast<std::ptrdiff_t>(rank - a.size()));
    std::copy(b.begin(), b.end(), pb.begin() + static_cast<std::ptrdiff_t>(rank - b.size()));
    for (std::size_t k = 0; k < rank; ++k) {
        if (pa[k] != pb[k] && pa[k] != 1 && pb[k] != 1)
            throw model_error(where, "shapes do not broadcast: dimension " + std::to_string(k) + " is " +
                                         std::to_string(pa[k]) + " and " + std::to_string(pb[k]));
        out[k] = std::max(pa[k], pb[k]);
    }
    elements(out, where);
    const auto sa = strides(pa), sb = strides(pb);
    ia.clear();
    ib.clear();
    for_each(out, [&](const std::vector<std::size_t>& c) {
        std::size_t x = 0, y = 0;
        for (std::size_t k = 0; k < rank; ++k) {
            x += (pa[k] == 1 ? 0 : c[k]) * sa[k];
            y += (pb[k] == 1 ? 0 : c[k]) * sb[k];
        }
        ia.push_back(static_cast<std::uint32_t>(x));
        ib.push_back(static_cast<std::uint32_t>(y));
    });
    return out;
}

shape transpose(const shape& in, const std::vector<std::size_t>& perm, index_map& map, const std::string& where) {
    if (perm.size() != in.size()) throw model_error(where, "perm has " + std::to_string(perm.size()) + " entries for a rank-" + std::to_string(in.size()) + " tensor");
    std::vector<bool> seen(in.size(), false);
    shape out(in.size());
    for (std::size_t k = 0; k < perm.size(); ++k) {
        if (perm[k] >= in.size() || seen[perm[k]]) throw model_error(where, "perm is not a permutation");
        seen[perm[k]] = true;
        out[k] = in[perm[k]];
    }
    elements(out, where);
    const auto st = strides(in);
    map.clear();
    for_each(out, [&](const std::vector<std::size_t>& c) {
        std::size_t x = 0;
        for (std::size_t k = 0; k < c.size(); ++k) x += c[k] * st[perm[k]];
        map.push_back(static_cast<std::uint32_t>(x));
    });
    return out;
}

shape slice(const shape& in, const std::vector<slice_axis>& axes, index_map& map, const std::string& where) {
    std::vector<std::int64_t> start(in.size(), 0), step(in.size(), 1);
    shape out = in;
    for (const auto& a : axes) {
        if (a.axis >= in.size()) throw model_error(where, "slice axis outside the tensor");
        if (a.step == 0) throw model_error(where, "slice step 0");
        start[a.axis] = a.start;
        step[a.axis] = a.step;
        const std::int64_t len = a.step > 0 ? (a.end - a.start + a.step - 1) / a.step : (a.start - a.end - a.step - 1) / -a.step;
        out[a.axis] = static_cast<std::size_t>(std::max<std::int64_t>(len, 0));
    }
    elements(out, where);
    const auto st = strides(in);
    map.clear();
    for_each(out, [&](const std::vector<std::size_t>& c) {
        std::size_t x = 0;
        for (std::size_t k = 0; k < c.size(); ++k)
            x += static_cast<std::size_t>(start[k] + static_cast<std::int64_t>(c[k]) * step[k]) * st[k];
        map.push_back(static_cast<std::uint32_t>(x));
    });
    return out;
}

shape gather(const shape& in, std::size_t axis, const std::vector<std::size_t>& idx, const shape& idx_shape,
             index_map& map, const std::string& where) {
    if (axis >= in.size()) throw model_error(where, "gather axis outside the tensor");
    for (std::size_t i : idx)
        if (i >= in[axis]) throw model_error(where, "index " + std::to_string(i) + " is outside [0, " + std::to_string(in[axis]) + ")");
    shape out(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), idx_shape.begin(), idx_shape.end());
    out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(axis) + 1, in.end());
    elements(out, where);
    const auto st = strides(in);
    const auto ist = strides(idx_shape);
    map.clear();
    for_each(out, [&](const std::vector<std::size_t>& c) {
        std::size_t x = 0, j = 0;
        for (std::size_t k = 0; k < axis; ++k) x += c[k] * st[k];
        for (std::size_t k = 0; k < idx_shape.size(); ++k) j += c[axis + k] * ist[k];
        x += idx[j] * st[axis];
        for (std::size_t k = axis + 1; k < in.size(); ++k) x += c[k + idx_shape.size() - 1] * st[k];
        map.push_back(static_cast<std::uint32_t>(x));
    });
    return out;
}

shape concat(const std::vector<shape>& in, std::size_t axis, index_map& map, const std::string& where) {
    if (in.empty()) throw model_error(where, "needs inputs");
    shape out = in[0];
    if (axis >= out.size()) throw model_error(where, "concat axis outside the tensor");
    out[axis] = 0;
    std::vector<std::size_t> base, first;  // per input: offset of its data; first axis coordinate
    std::size_t at = 0;
    for (const auto& s : in) {
        if (s.size() != out.size()) throw model_error(where, "inputs differ in rank");
        for (std::size_t k = 0; k < s.size(); ++k)
            if (k != axis && s[k] != in[0][k]) throw model_error(where, "inputs differ in dimension " + std::to_string(k + 1));
        base.push_back(at);
        first.push_back(out[axis]);
        out[axis] += s[axis];
        at += elements(s, where);
    }
    elements(out, where);
    map.clear();
    for_each(out, [&](const std::vector<std::size_t>& c) {
        std::size_t i = 0;
        while (i + 1 < in.size() && c[axis] >= first[i + 1]) ++i;
        const auto st = strides(in[i]);
        std::size_t x = base[i];
        for (std::size_t k = 0; k < c.size(); ++k) x += (k == axis ? c[k] - first[i] : c[k]) * st[k];
        map.push_back(static_cast<std::uint32_t>(x));
    });
    return out;
}

}  // namespace acim::workloads::layout
