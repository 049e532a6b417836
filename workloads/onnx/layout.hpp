// Index maps for the ONNX importer's data-movement and broadcasting host ops (graph_node::index):
// for every element of one sample's output, the element of the input(s) it reads. Shapes are per
// sample (without the batch dimension), row-major. Built once at load, so that forward() only
// follows the map. Internal to workloads/onnx; errors are model_error naming `where`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace acim::workloads::layout {

using shape = std::vector<std::size_t>;
using index_map = std::vector<std::uint32_t>;

// numpy broadcasting of a and b (right-aligned): the output shape and, per output element, the
// element of a and of b it reads.
shape broadcast(const shape& a, const shape& b, index_map& ia, index_map& ib, const std::string& where);
// out[i0, i1, ...] = in[i_perm...]: out dimension k is input dimension perm[k].
shape transpose(const shape& in, const std::vector<std::size_t>& perm, index_map& map, const std::string& where);
// One slice per listed axis: start, end (exclusive, already clamped), step (non-zero).
struct slice_axis {
    std::size_t axis;
    std::int64_t start, end, step;
};
shape slice(const shape& in, const std::vector<slice_axis>& axes, index_map& map, const std::string& where);
// Gather along `axis` with (already normalised) indices `idx` of shape `idx_shape`.
shape gather(const shape& in, std::size_t axis, const std::vector<std::size_t>& idx, const shape& idx_shape,
             index_map& map, const std::string& where);
// Concatenation along `axis` of inputs whose per-sample data are laid end to end.
shape concat(const std::vector<shape>& in, std::size_t axis, index_map& map, const std::string& where);

}  // namespace acim::workloads::layout
