// Test support for the example virtual platform (testbench/vp): elaborates one platform per
// process, runs a test body as the CPU's firmware and fails the test if the firmware did not
// finish or threw; converts the macro tests' layer_setup into the driver's layer_config.
#pragma once

#include "sc_test_support.hpp"

#include <acim/vp/acim_driver.hpp>
#include <acim/vp/platform.hpp>

#include <functional>

namespace acim::test {

// One macro (256 x 256, D = 64, 32 ADCs) at 0x4000_0000 unless the test changes it.
vp::platform_config one_macro_platform();

// Elaborates `cfg`, runs `firmware` on its CPU from time 0 and simulates until it returns. Call
// once per test (per process). The platform lives until the process ends.
vp::platform& run_platform(const vp::platform_config& cfg, const std::function<void(vp::platform&, vp::cpu&)>& firmware);

vp::layer_config layer_of(const layer_setup& l);

// Local time of the CPU as a plain number of picoseconds, for readable failure messages.
std::uint64_t ps_of(const sc_core::sc_time& t);

}  // namespace acim::test
