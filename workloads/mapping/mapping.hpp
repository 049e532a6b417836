// Placement of a network's MAC layers onto ACiM macros. A layer's rows are cut into its row tiles
// (dense tiles of ROW_PAR rows, or ASiM's whole-channel conv groups) and consecutive tiles are
// grouped into row chunks that fit the macro's SRAM rows; its outputs are cut into column chunks
// of floor(cols / wbit) outputs. Each (row chunk, column chunk) is a *piece*: one macro load.
//
// Pieces go to physical macros. With `macros = 0` every piece gets its own macro (weight
// stationary: the weights are written once). With a pool of N macros, piece k of the network runs
// on macro k mod N, and a macro whose resident piece changes reloads its weights (time
// multiplexing; the driver counts the reloads and the bytes written).
//
// Every piece keys its noise as the whole layer would (stream_key::tile_base = the global index
// of its first tile, column_base = its first logical column) plus its physical macro index, so
// results never depend on the order in which pieces run or how the batch is cut. Plain C++.
#pragma once

#include <acim/core/cim_params.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>
#include <acim/workloads/graph/network.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace acim::workloads {

struct macro_geometry {
    std::size_t rows = 256;  // SRAM rows (wordlines)
    std::size_t cols = 256;  // SRAM columns (bitlines)
};

struct mapping_options {
    macro_geometry geometry;
    std::size_t macros = 0;        // physical macros; 0 = one per piece (weight stationary)
    bool channel_tiling = false;   // ASiM's whole-channel conv tiles instead of dense tiles
    bool asim_drop = false;        // with channel tiling: ASiM's dropped trailing groups (B1)
    std::set<std::size_t> digital_layers;  // layers computed exactly on the host: no pieces
};

struct layer_piece {
    std::size_t layer = 0;
    std::size_t index = 0;                 // global piece index in the network
    std::size_t row_begin = 0, row_end = 0;  // layer rows held by this load
    std::vector<core::row_tile> tiles;     // relative to row_begin
    std::uint32_t tile_base = 0;           // global index of the first tile (noise keys)
    std::size_t out_begin = 0, out_end = 0;  // layer outputs held by this load
    std::uint32_t column_base = 0;         // out_begin * wbit (noise keys)
    std::size_t macro = 0;                 // physical macro
    bool whole_rows = false;               // rows [0, layer rows): inputs need no slicing

    std::size_t rows() const { return row_end - row_begin; }
    std::size_t outputs() const { return out_end - out_begin; }
};

struct network_map {
    std::vector<std::vector<layer_piece>> layers;  // per MAC layer; empty for digital layers
    std::size_t macros = 0;                        // physical macros used
    bool stationary = true;                        // no macro holds two pieces
    std::size_t pieces() const;
};

// The row tiles of a layer under `p` (as core_backend and the macro use them).
std::vector<core::row_tile> layer_tiles(const mac_layer& l, const core::cim_params& p, bool channel_tiling,
                                        bool asim_drop);

// Throws std::invalid_argument naming the parameter when a layer cannot be placed (a row tile
// longer than the SRAM rows, fewer columns than WBIT, keys beyond their range).
network_map map_network(const network& net, const core::cim_params& p, const mapping_options& opt);

// The weights of a piece: w [outputs][rows] of the layer cut to the piece.
std::vector<std::int32_t> piece_weights(const mac_layer& l, const layer_piece& piece);
// Copies the piece's rows of x [vectors][layer rows] into xs [vectors][piece rows].
void slice_inputs(const mac_layer& l, const layer_piece& piece, const std::int32_t* x, std::size_t vectors,
                  std::vector<std::int32_t>& xs);
// The stream key of a piece of layer `layer`.
core::stream_key piece_key(const layer_piece& piece, std::uint64_t seed, std::uint32_t die);

// The fraction of the allocated macro cells that hold weights: sum over the pieces of
// rows x outputs x wbit, over pieces x SRAM rows x columns. For one MAC layer (layer index), or
// for all of them (layer = SIZE_MAX); 0 when nothing is mapped. A grouped Conv imports each group
// as its own layer (mac_layer::group/groups), so this is the utilisation its row blocks cost.
double cell_utilisation(const network& net, const network_map& map, const macro_geometry& geometry,
                        std::size_t layer = static_cast<std::size_t>(-1));

// One line per piece: "layer 2 fc1: rows [0, 255) x outputs [0, 32) -> macro 3".
std::string describe(const network& net, const network_map& map);

}  // namespace acim::workloads
