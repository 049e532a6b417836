// vcd_check_view VCD GTKW: fails (exit 1) unless every signal that the GTKWave save file GTKW shows
// exists in the VCD and the VCD holds at least one traced step (seq.stepping rose). ctest runs it
// on the VCD that `acim_vp --trace` writes, so the shipped view cannot silently rot.
#include "vcd_reader.hpp"

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: vcd_check_view FILE.vcd VIEW.gtkw\n");
        return 2;
    }
    try {
        const acim::test::vcd_file vcd = acim::test::vcd_file::load(argv[1]);
        std::ifstream view(argv[2]);
        if (!view) throw acim::test::vcd_error(std::string("cannot open ") + argv[2]);
        int missing = 0, shown = 0;
        for (const std::string& n : acim::test::gtkw_signals(view)) {
            ++shown;
            if (vcd.find(n) == nullptr) {
                std::fprintf(stderr, "%s: %s is not in %s\n", argv[2], n.c_str(), argv[1]);
                ++missing;
            }
        }
        std::size_t steps = 0;
        if (const acim::test::vcd_variable* s = vcd.find("SystemC.acim_macro.seq.stepping"))
            for (const acim::test::vcd_change& c : s->changes) steps += c.value == "1";
        std::printf("%d signals of the view, %d missing; %zu stepping windows; %zu variables in the VCD\n", shown, missing,
                    steps, vcd.variables.size());
        return missing == 0 && shown > 0 && steps > 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vcd_check_view: %s\n", e.what());
        return 1;
    }
}
