// platform: the example virtual platform around the ACiM macro. A CPU running C++ firmware, an
// address-decoding router, a main memory and one or more acim_macro instances, each at its own
// base address with its interrupt wired to its own CPU interrupt input:
//
//    cpu.bus_out --> bus (router) --+--> ram.bus_in                  [memory_base, + memory.size)
//                                   +--> macro_0.bus_in  irq_0 --> cpu.irq_in_0   [base_0, + 8 MiB)
//                                   +--> macro_1.bus_in  irq_1 --> cpu.irq_in_1   [base_1, + 8 MiB)
//
// It is also the worked example of docs/integration.md: the same bindings put the macro into any
// other TLM-2.0 platform.
#pragma once

#include <acim/vp/cpu.hpp>
#include <acim/vp/memory.hpp>
#include <acim/vp/router.hpp>

#include <acim/sc/acim_macro.hpp>
#include <acim/sc/macro_config.hpp>

#include <systemc>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace acim::vp {

struct macro_slot {
    sc::macro_config config;
    std::uint64_t base = 0;  // bus address of the register block; the macro spans 8 MiB from here
};

struct platform_config {
    cpu_config cpu;  // irq_lines is set to the number of macros
    router_config router;
    memory_config memory;
    std::uint64_t memory_base = 0x0000'0000;
    std::vector<macro_slot> macros = {{sc::macro_config{}, 0x4000'0000}, {sc::macro_config{}, 0x4080'0000}};
};

class platform : public sc_core::sc_module {
public:
    vp::cpu cpu;
    vp::router bus;
    vp::memory ram;
    sc_core::sc_vector<sc::acim_macro> macro;
    sc_core::sc_vector<sc_core::sc_signal<bool>> irq;  // irq_i: macro_i.irq_out -> cpu.irq_in[i]

    platform(const sc_core::sc_module_name& name, const platform_config& cfg);

    const platform_config& config() const { return m_cfg; }
    std::size_t macros() const { return m_cfg.macros.size(); }
    std::uint64_t macro_base(std::size_t i) const { return m_cfg.macros.at(i).base; }
    unsigned macro_irq(std::size_t i) const { return static_cast<unsigned>(i); }
    std::uint64_t memory_base() const { return m_cfg.memory_base; }

private:
    platform_config m_cfg;
};

}  // namespace acim::vp
