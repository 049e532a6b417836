#include "vp_test_support.hpp"

#include <exception>

namespace acim::test {

vp::platform_config one_macro_platform() {
    vp::platform_config cfg;
    sc::macro_config m;
    m.rows = 256;
    m.cols = 256;
    m.adcs = 32;
    m.input_depth = 64;
    cfg.macros = {{m, 0x4000'0000}};
    cfg.memory.size = 1u << 20;
    cfg.router.latency_ps = 2000;
    return cfg;
}

vp::platform& run_platform(const vp::platform_config& cfg, const std::function<void(vp::platform&, vp::cpu&)>& firmware) {
    // Lives until the process ends: SystemC objects must not be destroyed before the simulator.
    static vp::platform* plat = nullptr;
    if (plat != nullptr) {
        ADD_FAILURE() << "SystemC elaborates once per process: one run_platform per test";
        return *plat;
    }
    plat = new vp::platform("vp", cfg);
    vp::platform& p = *plat;
    p.cpu.load([&p, firmware](vp::cpu& c) { firmware(p, c); });
    try {
        sc_core::sc_start();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "simulation ended with an exception: " << e.what();
    }
    EXPECT_TRUE(p.cpu.finished()) << "the firmware did not finish (waiting for an event that never came)";
    EXPECT_FALSE(p.cpu.failed()) << p.cpu.failure();
    return p;
}

vp::layer_config layer_of(const layer_setup& l) {
    vp::layer_config c;
    c.params = l.p;
    c.rows = l.rows;
    c.outputs = l.outputs;
    c.tiles = l.tiles;
    c.key = l.key;
    return c;
}

std::uint64_t ps_of(const sc_core::sc_time& t) { return t.value() / sc_core::sc_time(1, sc_core::SC_PS).value(); }

}  // namespace acim::test
