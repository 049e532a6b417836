// regmap_gen: prints docs/register_map.md, generated from the register table.
//   regmap_gen              writes the markdown to stdout
//   regmap_gen <file>       writes it to <file>
#include <acim/tlm/register_map_doc.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    const std::string doc = acim::tlm::register_map_markdown();
    if (argc > 2) {
        std::cerr << "usage: regmap_gen [output.md]\n";
        return 2;
    }
    if (argc == 2) {
        std::ofstream f(argv[1], std::ios::binary);
        f << doc;
        if (!f) {
            std::cerr << "regmap_gen: cannot write " << argv[1] << "\n";
            return 1;
        }
        return 0;
    }
    std::cout << doc;
    return std::cout ? 0 : 1;
}
