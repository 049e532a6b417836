// Compares an `acim run` report.json with a committed golden report, minus what differs between
// two correct runs (host timings, start time, command line, build commit), and tolerating fields
// the golden file does not have (new report keys in existing objects). Prints the first
// differing fields by JSON pointer and exits 1; with --update, writes the stripped report as the
// new golden file (tests/e2e/README.md: how to regenerate).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace {

nlohmann::json stripped(nlohmann::json r) {
    r.erase("speed");
    if (r.contains("run"))
        for (const char* k : {"wall_seconds", "start_time", "command_line"}) r["run"].erase(k);
    if (r.contains("tool")) r["tool"].erase("git_commit");
    return r;
}

// A key the golden report does not have, in an object it has: a field added to the report since
// the golden file was written. Tolerated (and counted): every value the golden file holds must
// still be there, unchanged; new array elements and removed keys still fail.
bool added_key(const nlohmann::json& want, const nlohmann::json& got, const nlohmann::json& op) {
    if (op["op"] != "add") return false;
    const nlohmann::json::json_pointer ptr(op["path"].get<std::string>());
    if (ptr.empty()) return false;
    const nlohmann::json::json_pointer parent = ptr.parent_pointer();
    return want.contains(parent) && want.at(parent).is_object() && got.contains(parent) && got.at(parent).is_object() &&
           !want.contains(ptr);
}

int report_diff(const nlohmann::json& want, const nlohmann::json& got) {
    nlohmann::json patch = nlohmann::json::array();
    std::size_t added = 0;
    for (const auto& op : nlohmann::json::diff(want, got)) {
        if (added_key(want, got, op)) ++added;
        else patch.push_back(op);
    }
    if (added) std::cout << "  (" << added << " field(s) absent from the golden file tolerated as new)\n";
    int shown = 0;
    for (const auto& op : patch) {
        if (shown++ == 20) {
            std::cout << "  ... " << patch.size() - 20 << " more\n";
            break;
        }
        const std::string path = op["path"].get<std::string>();
        const nlohmann::json::json_pointer ptr(path);
        std::cout << "  " << op["op"].get<std::string>() << " " << path << ": golden "
                  << (want.contains(ptr) ? want.at(ptr).dump() : std::string("(absent)")) << ", got "
                  << (got.contains(ptr) ? got.at(ptr).dump() : std::string("(absent)")) << "\n";
    }
    return patch.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || (argc == 4 && std::string(argv[3]) != "--update") || argc > 4) {
        std::cerr << "usage: check_golden REPORT.json GOLDEN.json [--update]\n";
        return 2;
    }
    try {
        std::ifstream rf(argv[1]);
        if (!rf) throw std::runtime_error(std::string("cannot read ") + argv[1]);
        const nlohmann::json got = stripped(nlohmann::json::parse(rf));
        if (argc == 4) {
            std::ofstream out(argv[2]);
            out << got.dump(1) << "\n";
            if (!out) throw std::runtime_error(std::string("cannot write ") + argv[2]);
            std::cout << "check_golden: wrote " << argv[2] << "\n";
            return 0;
        }
        std::ifstream gf(argv[2]);
        if (!gf) throw std::runtime_error(std::string("cannot read ") + argv[2]);
        const nlohmann::json want = nlohmann::json::parse(gf);
        if (report_diff(want, got) != 0) {
            std::cout << "check_golden: " << argv[1] << " differs from " << argv[2] << "\n";
            return 1;
        }
        std::cout << "check_golden: " << argv[1] << " equals " << argv[2] << " (timings aside)\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "check_golden: " << e.what() << "\n";
        return 2;
    }
}
