// Renders the register table, address map and buffer layouts as docs/register_map.md.
#pragma once

#include <string>

namespace acim::tlm {

std::string register_map_markdown();

}  // namespace acim::tlm
