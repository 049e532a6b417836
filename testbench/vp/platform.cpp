#include <acim/vp/platform.hpp>

#include <acim/tlm/register_table.hpp>

#include <string>

namespace acim::vp {

namespace {
cpu_config with_irq_lines(cpu_config c, std::size_t lines) {
    c.irq_lines = lines;
    return c;
}
}  // namespace

platform::platform(const sc_core::sc_module_name& name, const platform_config& cfg)
    : sc_module(name),
      cpu("cpu", with_irq_lines(cfg.cpu, cfg.macros.size())),
      bus("bus", cfg.router),
      ram("ram", cfg.memory),
      macro("macro", cfg.macros.size(),
            [&cfg](const char* n, std::size_t i) { return new sc::acim_macro(n, cfg.macros[i].config); }),
      irq("irq", cfg.macros.size()),
      m_cfg(cfg) {
    cpu.bus_out.bind(bus.bus_in);
    bus.attach(ram.bus_in, m_cfg.memory_base, m_cfg.memory.size, ram.basename());
    for (std::size_t i = 0; i < macro.size(); ++i) {
        bus.attach(macro[i].bus_in, m_cfg.macros[i].base, acim::tlm::addr::macro_span, macro[i].basename());
        macro[i].irq_out(irq[i]);
        cpu.irq_in[i](irq[i]);
    }
}

}  // namespace acim::vp
