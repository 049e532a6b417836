#include <acim/testbench/inspect.hpp>

#include <acim/core/cim_params.hpp>
#include <acim/sc/macro_cost.hpp>
#include <acim/workloads/mapping/mapping.hpp>
#include <acim/workloads/onnx/import.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace acim::testbench {

using namespace acim::workloads;

namespace {

const char* host_name(host_op op) {
    switch (op) {
    case host_op::mac: return "mac";
    case host_op::relu: return "relu";
    case host_op::clip: return "clip";
    case host_op::maxpool: return "maxpool";
    case host_op::avgpool: return "avgpool";
    case host_op::global_avgpool: return "global_avgpool";
    case host_op::flatten: return "reshape";
    case host_op::add: return "add";
    case host_op::affine: return "affine";
    case host_op::unary: return "elementwise";
    case host_op::binary: return "binary";
    case host_op::softmax: return "softmax";
    case host_op::reduce_mean: return "reduce_mean";
    case host_op::layernorm: return "layernorm";
    case host_op::gather: return "data_movement";
    }
    return "?";
}

std::string shape_text(const std::vector<std::size_t>& s) {
    std::string t = "[N";
    for (std::size_t d : s) t += ", " + std::to_string(d);
    return t + "]";
}

// The macro parameters of one layer: defaults with the layer's bits (8/8 for a float layer that
// post-training quantisation has not yet given bits).
core::cim_params layer_params(const mac_layer& l) {
    core::cim_params p;
    p.wbit = l.needs_ptq ? 8 : l.wbit;
    p.xbit = l.needs_ptq ? 8 : l.xbit;
    p.signed_act = !l.needs_ptq && l.signed_act;
    return p;
}

}  // namespace

int run_inspect(const inspect_options& o) {
    nlohmann::json j;
    j["model"] = o.model;
    network net;
    try {
        net = load_onnx(o.model);
    } catch (const import_error& e) {
        j["blockers"] = nlohmann::json::array();
        for (const auto& b : e.blockers()) j["blockers"].push_back({{"node", b.node}, {"op", b.op}, {"reason", b.reason}});
        if (o.json) {
            std::puts(j.dump(2).c_str());
        } else {
            std::printf("model %s: %zu blocker(s)\n", o.model.c_str(), e.blockers().size());
            for (const auto& b : e.blockers()) std::printf("  %-24s %-20s BLOCKER: %s\n", b.node.c_str(), b.op.c_str(), b.reason.c_str());
        }
        return 1;
    }
    // Map with a uniform default parameter set per layer: bits may differ per layer (mixed precision).
    network mapped = net;
    for (auto& l : mapped.layers)
        if (l.needs_ptq) l.wbit = l.xbit = 8;
    core::cim_params p;
    mapping_options mo;
    const network_map map = map_network(mapped, p, mo);

    j["input"] = net.shapes[static_cast<std::size_t>(net.input)];
    j["output"] = net.shapes[static_cast<std::size_t>(net.output)];
    j["float_model"] = net.needs_ptq();
    j["nodes"] = nlohmann::json::array();
    if (!o.json) {
        std::printf("model %s: input %s, output %s%s\n", o.model.c_str(),
                    shape_text(net.shapes[static_cast<std::size_t>(net.input)]).c_str(),
                    shape_text(net.shapes[static_cast<std::size_t>(net.output)]).c_str(),
                    net.needs_ptq() ? " (float: quantised at load, shown at W8A8)" : "");
    }
    for (const graph_node& nd : net.nodes) {
        const auto& os = net.shapes[static_cast<std::size_t>(nd.output)];
        if (nd.op != host_op::mac) {
            j["nodes"].push_back({{"name", nd.name}, {"runs_on", "host"}, {"op", host_name(nd.op)}, {"output", os}});
            if (!o.json) std::printf("  %-24s host  %-14s -> %s\n", nd.name.c_str(), host_name(nd.op), shape_text(os).c_str());
            continue;
        }
        const mac_layer& l = mapped.layers[nd.layer];
        const core::cim_params lp = layer_params(net.layers[nd.layer]);
        const std::size_t tiles = layer_tiles(l, lp, false, false).size();
        const auto& pieces = map.layers[nd.layer];
        std::size_t col_tiles = 0;
        for (const auto& pc : pieces) col_tiles += pc.row_begin == 0 ? 1 : 0;
        const std::size_t vectors = l.conv ? l.geom.pixels() : 1;
        const core::cycle_plan plan(lp);
        const std::uint64_t conversions = static_cast<std::uint64_t>(vectors) * l.outputs * tiles *
                                          static_cast<std::uint64_t>(plan.weight_cycles()) *
                                          static_cast<std::uint64_t>(plan.act_cycles());
        const double util = cell_utilisation(mapped, map, mo.geometry, nd.layer);
        j["nodes"].push_back({{"name", nd.name}, {"runs_on", "acim"}, {"op", l.op}, {"layer", nd.layer},
                              {"wbit", lp.wbit}, {"xbit", lp.xbit}, {"signed_act", lp.signed_act},
                              {"rows", l.rows}, {"outputs", l.outputs}, {"row_tiles", tiles},
                              {"column_tiles", col_tiles}, {"macros", pieces.size()},
                              {"conversions_per_image", conversions}, {"cell_utilisation", util},
                              {"group", l.group}, {"groups", l.groups}, {"output", os}});
        if (!o.json) {
            std::printf("  %-24s ACiM  %-6s W%dA%d%s rows %zu x outputs %zu, %zu row tile(s) x %zu column tile(s), %zu "
                        "macro(s), %llu conversions/image, cell utilisation %.1f %%%s\n",
                        nd.name.c_str(), l.op.c_str(), lp.wbit, lp.xbit, lp.signed_act ? "s" : "u", l.rows, l.outputs,
                        tiles, col_tiles, pieces.size(), static_cast<unsigned long long>(conversions), 100.0 * util,
                        l.groups > 1 ? (" (group " + std::to_string(l.group) + " of " + std::to_string(l.groups) + ")").c_str() : "");
        }
    }
    j["macros"] = map.macros;
    j["cell_utilisation"] = cell_utilisation(mapped, map, mo.geometry);
    j["mapping"] = describe(mapped, map);
    // Area of the mapped macros with the default hw.area_* (docs/presets.md; `acim run` reports the
    // configured ones).
    const sc::macro_config hw;
    const sc::area_breakdown a = sc::macro_area(hw, p.hybrid_levels > 0);
    j["macro_area_mm2"] = a.total() * 1e-6;
    j["area_mm2"] = a.total() * 1e-6 * static_cast<double>(map.macros);
    if (o.json) {
        std::puts(j.dump(2).c_str());
    } else {
        std::printf("mapping (%zu macros, 256 x 256 SRAM, weight stationary, cell utilisation %.1f %%):\n%s", map.macros,
                    100.0 * cell_utilisation(mapped, map, mo.geometry), describe(mapped, map).c_str());
        std::printf("area %zu macro(s) x %.4g mm^2 = %.4g mm^2 (default hw.area_*: cells %.4g, ADCs %.4g, drivers %.4g, "
                    "shift-add %.4g, buffers %.4g mm^2)\n",
                    map.macros, a.total() * 1e-6, a.total() * 1e-6 * static_cast<double>(map.macros), a.cells * 1e-6,
                    a.adcs * 1e-6, a.drivers * 1e-6, a.shift_add * 1e-6, a.buffers * 1e-6);
    }
    return 0;
}

}  // namespace acim::testbench
