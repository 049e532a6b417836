// Placement of MAC layers onto macros (workloads/mapping): row chunks of whole tiles that fit the
// SRAM rows, column chunks of floor(cols / wbit) outputs, noise keys of the whole layer, macro
// assignment (one per piece, or a round-robin pool), and errors that name the parameter.
#include <acim/workloads/mapping/mapping.hpp>

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <string>

using namespace acim::workloads;

namespace {

mac_layer dense(std::size_t rows, std::size_t outputs, int wbit = 8) {
    mac_layer l;
    l.name = "fc";
    l.op = "Gemm";
    l.rows = rows;
    l.outputs = outputs;
    l.wbit = wbit;
    l.w_int.resize(rows * outputs);
    std::iota(l.w_int.begin(), l.w_int.end(), 0);
    return l;
}

network net_of(std::vector<mac_layer> layers) {
    network n;
    n.layers = std::move(layers);
    return n;
}

}  // namespace

TEST(Mapping, RowChunksHoldWholeTilesAndColumnChunksFillTheColumns) {
    const network net = net_of({dense(1568, 64)});
    acim::core::cim_params p;  // nrow 255
    mapping_options o;         // 256 x 256 SRAM
    const network_map m = map_network(net, p, o);
    ASSERT_EQ(m.layers[0].size(), 14u);  // 7 tiles of <= 255 rows x 2 chunks of 32 outputs
    EXPECT_EQ(m.macros, 14u);
    EXPECT_TRUE(m.stationary);
    std::size_t covered = 0;
    for (std::size_t q = 0; q < 14; ++q) {
        const layer_piece& pc = m.layers[0][q];
        EXPECT_EQ(pc.macro, q);
        EXPECT_EQ(pc.tiles.size(), 1u);
        EXPECT_EQ(pc.tile_base, q / 2);
        EXPECT_EQ(pc.row_begin, 255 * (q / 2));
        EXPECT_EQ(pc.out_begin, 32 * (q % 2));
        EXPECT_EQ(pc.outputs(), 32u);
        EXPECT_EQ(pc.column_base, pc.out_begin * 8);
        EXPECT_FALSE(pc.whole_rows);
        covered += pc.rows() * pc.outputs();
    }
    EXPECT_EQ(covered, 1568u * 64u);

    // A 1024-row SRAM holds four 255-row tiles per load.
    o.geometry.rows = 1024;
    const network_map big = map_network(net, p, o);
    ASSERT_EQ(big.layers[0].size(), 4u);  // 2 row chunks (4 + 3 tiles) x 2 column chunks
    EXPECT_EQ(big.layers[0][0].tiles.size(), 4u);
    EXPECT_EQ(big.layers[0][2].tile_base, 4u);
    EXPECT_EQ(big.layers[0][2].tiles[0].begin, 0u);
    EXPECT_EQ(big.layers[0][2].row_begin, 1020u);
    EXPECT_EQ(big.layers[0][2].row_end, 1568u);
}

TEST(Mapping, PoolAssignsPiecesRoundRobinAndDigitalLayersGetNone) {
    const network net = net_of({dense(100, 10), dense(600, 40, 4), dense(64, 10)});
    acim::core::cim_params p;
    mapping_options o;
    o.macros = 3;
    o.digital_layers = {0};
    const network_map m = map_network(net, p, o);
    EXPECT_TRUE(m.layers[0].empty());
    ASSERT_EQ(m.layers[1].size(), 3u);  // 3 tiles; 40 outputs x 4 bits = 160 columns: one chunk
    ASSERT_EQ(m.layers[2].size(), 1u);
    EXPECT_TRUE(m.layers[2][0].whole_rows);
    EXPECT_EQ(m.macros, 3u);
    EXPECT_FALSE(m.stationary);
    EXPECT_EQ(m.layers[1][0].macro, 0u);
    EXPECT_EQ(m.layers[1][2].macro, 2u);
    EXPECT_EQ(m.layers[2][0].macro, 0u);  // piece 3 shares macro 0: a reload
    EXPECT_EQ(m.layers[2][0].index, 3u);
}

TEST(Mapping, KeysAndSlicesOfAPiece) {
    mac_layer l = dense(10, 6);
    const network net = net_of({l});
    acim::core::cim_params p;
    p.row_parallelism = 4;
    mapping_options o;
    o.geometry = {8, 24};  // 2 tiles of 4 rows per load; 3 outputs per load
    const network_map m = map_network(net, p, o);
    ASSERT_EQ(m.layers[0].size(), 4u);
    const layer_piece& pc = m.layers[0][3];  // rows [8, 10), outputs [3, 6)
    EXPECT_EQ(pc.row_begin, 8u);
    EXPECT_EQ(pc.out_begin, 3u);
    EXPECT_EQ(pc.tile_base, 2u);
    const auto w = piece_weights(l, pc);
    ASSERT_EQ(w.size(), 6u);
    EXPECT_EQ(w[0], l.w_int[3 * 10 + 8]);
    EXPECT_EQ(w[5], l.w_int[5 * 10 + 9]);
    std::vector<std::int32_t> x(2 * 10), xs;
    std::iota(x.begin(), x.end(), 100);
    slice_inputs(l, pc, x.data(), 2, xs);
    EXPECT_EQ(xs, (std::vector<std::int32_t>{108, 109, 118, 119}));
    const auto key = piece_key(pc, 9, 2);
    EXPECT_EQ(key.seed, 9u);
    EXPECT_EQ(key.die, 2u);
    EXPECT_EQ(key.macro, 3u);
    EXPECT_EQ(key.tile_base, 2u);
    EXPECT_EQ(key.column_base, 24u);
}

TEST(Mapping, ErrorsNameTheParameter) {
    const network net = net_of({dense(600, 8)});
    acim::core::cim_params p;
    mapping_options o;
    o.geometry.rows = 128;  // nrow 255 tiles do not fit
    try {
        map_network(net, p, o);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("macro.row_parallelism"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("hw.rows = 128"), std::string::npos) << e.what();
    }
    o.geometry = {256, 4};  // fewer columns than WBIT
    try {
        map_network(net, p, o);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("hw.cols = 4"), std::string::npos) << e.what();
    }
}

// Utilisation of the cells a layer's pieces occupy: one 9-row, 1-output depthwise group in a 256 x 256
// macro uses 9 * 8 of 65536 cells; a 1568 x 64 layer fills 1568 * 64 * 8 of 14 macros' cells.
TEST(Mapping, CellUtilisation) {
    const network net = net_of({dense(9, 1), dense(1568, 64)});
    acim::core::cim_params p;
    mapping_options o;
    const network_map m = map_network(net, p, o);
    EXPECT_DOUBLE_EQ(cell_utilisation(net, m, o.geometry, 0), 9.0 * 8.0 / 65536.0);
    EXPECT_DOUBLE_EQ(cell_utilisation(net, m, o.geometry, 1), 1568.0 * 64.0 * 8.0 / (14.0 * 65536.0));
    EXPECT_DOUBLE_EQ(cell_utilisation(net, m, o.geometry), (9.0 + 1568.0 * 64.0) * 8.0 / (15.0 * 65536.0));
}
