#include <acim/workloads/mapping/mapping.hpp>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace acim::workloads {

std::size_t network_map::pieces() const {
    std::size_t n = 0;
    for (const auto& l : layers) n += l.size();
    return n;
}

double cell_utilisation(const network& net, const network_map& map, const macro_geometry& geometry,
                        std::size_t layer) {
    double used = 0.0, cells = 0.0;
    for (std::size_t k = 0; k < map.layers.size(); ++k) {
        if (layer != static_cast<std::size_t>(-1) && k != layer) continue;
        for (const layer_piece& pc : map.layers[k]) {
            used += static_cast<double>(pc.rows()) * static_cast<double>(pc.outputs()) *
                    static_cast<double>(net.layers[k].wbit);
            cells += static_cast<double>(geometry.rows) * static_cast<double>(geometry.cols);
        }
    }
    return cells > 0.0 ? used / cells : 0.0;
}

std::vector<core::row_tile> layer_tiles(const mac_layer& l, const core::cim_params& p, bool channel_tiling,
                                        bool asim_drop) {
    return (l.conv && channel_tiling)
               ? core::channel_tiling(l.geom.in_channels, l.geom.kernel, p.row_parallelism, asim_drop)
               : core::dense_tiling(l.rows, p.row_parallelism);
}

network_map map_network(const network& net, const core::cim_params& p, const mapping_options& opt) {
    const macro_geometry& g = opt.geometry;
    if (g.rows == 0) throw std::invalid_argument("parameter hw.rows = 0: must be >= 1");
    network_map map;
    map.layers.resize(net.layers.size());
    std::size_t next = 0;
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        if (opt.digital_layers.count(k)) continue;
        const mac_layer& l = net.layers[k];
        if (l.wbit < 1 || l.w_int.size() != l.outputs * l.rows)
            throw model_error(l.name, "has no integer weights of WBIT >= 1 to place on a macro");
        const std::size_t per_chunk = g.cols / static_cast<std::size_t>(l.wbit);
        if (per_chunk == 0)
            throw std::invalid_argument("parameter hw.cols = " + std::to_string(g.cols) + ": layer " +
                                        std::to_string(k) + " (" + l.name + ") needs at least WBIT = " +
                                        std::to_string(l.wbit) + " columns per output");
        const std::vector<core::row_tile> tiles = layer_tiles(l, p, opt.channel_tiling, opt.asim_drop);
        // Row chunks: consecutive tiles whose span fits the SRAM rows.
        std::vector<std::pair<std::size_t, std::size_t>> chunks;  // [first tile, end tile)
        for (std::size_t t = 0; t < tiles.size();) {
            if (tiles[t].end - tiles[t].begin > g.rows)
                throw std::invalid_argument("parameter macro.row_parallelism = " + std::to_string(p.row_parallelism) +
                                            ": layer " + std::to_string(k) + " (" + l.name + ") has a row tile of " +
                                            std::to_string(tiles[t].end - tiles[t].begin) +
                                            " rows, more than hw.rows = " + std::to_string(g.rows));
            std::size_t e = t + 1;
            while (e < tiles.size() && tiles[e].end - tiles[t].begin <= g.rows) ++e;
            chunks.emplace_back(t, e);
            t = e;
        }
        if (tiles.size() >= (std::size_t{1} << 20))
            throw std::invalid_argument("layer " + std::to_string(k) + " (" + l.name + ") has more than 2^20 row tiles");
        for (const auto& [t0, t1] : chunks) {
            for (std::size_t o0 = 0; o0 < l.outputs; o0 += per_chunk) {
                layer_piece pc;
                pc.layer = k;
                pc.index = next++;
                pc.row_begin = tiles[t0].begin;
                pc.row_end = tiles[t1 - 1].end;
                for (std::size_t t = t0; t < t1; ++t)
                    pc.tiles.push_back({tiles[t].begin - pc.row_begin, tiles[t].end - pc.row_begin});
                pc.tile_base = static_cast<std::uint32_t>(t0);
                pc.out_begin = o0;
                pc.out_end = std::min(l.outputs, o0 + per_chunk);
                pc.column_base = static_cast<std::uint32_t>(o0 * static_cast<std::size_t>(l.wbit));
                pc.whole_rows = pc.row_begin == 0 && pc.row_end == l.rows;
                map.layers[k].push_back(std::move(pc));
            }
        }
    }
    const std::size_t total = next;
    map.macros = opt.macros == 0 ? total : std::min(opt.macros, std::max<std::size_t>(total, 1));
    map.stationary = opt.macros == 0 || total <= opt.macros;
    for (auto& l : map.layers)
        for (auto& pc : l) pc.macro = map.macros ? pc.index % map.macros : 0;
    return map;
}

std::vector<std::int32_t> piece_weights(const mac_layer& l, const layer_piece& pc) {
    std::vector<std::int32_t> w(pc.outputs() * pc.rows());
    for (std::size_t o = pc.out_begin; o < pc.out_end; ++o)
        std::copy(l.w_int.begin() + static_cast<std::ptrdiff_t>(o * l.rows + pc.row_begin),
                  l.w_int.begin() + static_cast<std::ptrdiff_t>(o * l.rows + pc.row_end),
                  w.begin() + static_cast<std::ptrdiff_t>((o - pc.out_begin) * pc.rows()));
    return w;
}

void slice_inputs(const mac_layer& l, const layer_piece& pc, const std::int32_t* x, std::size_t vectors,
                  std::vector<std::int32_t>& xs) {
    const std::size_t r = pc.rows();
    xs.resize(vectors * r);
    for (std::size_t v = 0; v < vectors; ++v)
        std::copy(x + v * l.rows + pc.row_begin, x + v * l.rows + pc.row_end, xs.data() + v * r);
}

core::stream_key piece_key(const layer_piece& pc, std::uint64_t seed, std::uint32_t die) {
    core::stream_key key;
    key.seed = seed;
    key.die = die;
    key.macro = static_cast<std::uint32_t>(pc.macro);
    key.layer = static_cast<std::uint32_t>(pc.layer);
    key.column_base = pc.column_base;
    key.tile_base = pc.tile_base;
    return key;
}

std::string describe(const network& net, const network_map& map) {
    std::ostringstream os;
    for (const auto& l : map.layers)
        for (const auto& pc : l)
            os << "layer " << pc.layer << " " << net.layers[pc.layer].name << ": rows [" << pc.row_begin << ", "
               << pc.row_end << ") in " << pc.tiles.size() << " tile(s) x outputs [" << pc.out_begin << ", "
               << pc.out_end << ") -> macro " << pc.macro << "\n";
    return os.str();
}

}  // namespace acim::workloads
