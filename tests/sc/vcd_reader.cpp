#include "vcd_reader.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace acim::test {

namespace {

bool is_scalar_value(char c) { return c == '0' || c == '1' || c == 'x' || c == 'X' || c == 'z' || c == 'Z'; }

std::uint64_t unit_fs(const std::string& unit) {
    if (unit == "s") return 1000000000000000ull;
    if (unit == "ms") return 1000000000000ull;
    if (unit == "us") return 1000000000ull;
    if (unit == "ns") return 1000000ull;
    if (unit == "ps") return 1000ull;
    if (unit == "fs") return 1ull;
    throw vcd_error("vcd: unknown timescale unit '" + unit + "'");
}

}  // namespace

const std::string& vcd_variable::raw_at(std::uint64_t t) const {
    const vcd_change* last = nullptr;
    for (const vcd_change& c : changes) {  // changes are in time order
        if (c.time > t) break;
        last = &c;
    }
    if (last == nullptr) throw vcd_error("vcd: " + name + " has no value at time " + std::to_string(t));
    return last->value;
}

double vcd_variable::real_at(std::uint64_t t) const {
    const std::string& v = raw_at(t);
    if (!is_real()) return static_cast<double>(to_signed(v));
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0') throw vcd_error("vcd: " + name + ": bad real '" + v + "'");
    return d;
}

std::uint64_t vcd_variable::to_unsigned(const std::string& v) const {
    if (v.empty() || v.size() > 64) throw vcd_error("vcd: " + name + ": bad vector value '" + v + "'");
    std::uint64_t u = 0;
    for (const char c : v) {
        if (c != '0' && c != '1') throw vcd_error("vcd: " + name + ": value '" + v + "' is not two-valued");
        u = u << 1 | static_cast<std::uint64_t>(c - '0');
    }
    return u;
}

std::int64_t vcd_variable::to_signed(const std::string& v) const {
    const std::uint64_t u = to_unsigned(v);
    // Vectors are dumped without leading zeros: only a full-width value can be negative.
    if (width == 0 || width > 64 || v.size() < width || v[0] != '1' || width == 64) return static_cast<std::int64_t>(u);
    return static_cast<std::int64_t>(u) - static_cast<std::int64_t>(std::uint64_t{1} << width);
}

vcd_file vcd_file::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw vcd_error("vcd: cannot open " + path);
    return parse(in);
}

vcd_file vcd_file::parse(std::istream& in) {
    vcd_file f;
    std::vector<std::string> scopes;
    std::map<std::string, std::vector<std::size_t>> by_id;  // several variables may share a code
    std::uint64_t time = 0;
    bool definitions = true;
    std::string tok;

    auto until_end = [&](const std::string& what) {
        std::vector<std::string> body;
        while (in >> tok) {
            if (tok == "$end") return body;
            body.push_back(tok);
        }
        throw vcd_error("vcd: " + what + " without $end");
    };
    auto record = [&](const std::string& id, std::string value) {
        const auto it = by_id.find(id);
        if (it == by_id.end()) throw vcd_error("vcd: value change of undeclared identifier '" + id + "'");
        for (const std::size_t k : it->second) {
            std::vector<vcd_change>& ch = f.variables[k].changes;
            if (!ch.empty() && ch.back().time == time) ch.back().value = value;  // last change of a time wins
            else ch.push_back(vcd_change{time, value});
        }
    };

    while (in >> tok) {
        if (tok[0] == '$') {
            if (tok == "$scope") {
                const std::vector<std::string> b = until_end("$scope");
                if (b.size() < 2) throw vcd_error("vcd: $scope without a name");
                scopes.push_back(b[1]);
            } else if (tok == "$upscope") {
                until_end("$upscope");
                if (scopes.empty()) throw vcd_error("vcd: $upscope at top level");
                scopes.pop_back();
            } else if (tok == "$var") {
                const std::vector<std::string> b = until_end("$var");
                if (b.size() < 4) throw vcd_error("vcd: short $var");
                vcd_variable v;
                v.type = b[0];
                v.width = static_cast<unsigned>(std::stoul(b[1]));
                v.id = b[2];
                for (const std::string& s : scopes) v.path += s + ".";
                v.path += b[3];
                v.name = v.path;
                for (std::size_t k = 4; k < b.size(); ++k) v.name += b[k];  // "[31:0]", or "[31" ":0]"
                by_id[v.id].push_back(f.variables.size());
                f.variables.push_back(std::move(v));
            } else if (tok == "$timescale") {
                std::string ts;
                for (const std::string& s : until_end("$timescale")) ts += s;
                std::size_t n = 0;
                while (n < ts.size() && std::isdigit(static_cast<unsigned char>(ts[n]))) ++n;
                if (n == 0) throw vcd_error("vcd: bad timescale '" + ts + "'");
                f.timescale_fs = std::stoull(ts.substr(0, n)) * unit_fs(ts.substr(n));
            } else if (tok == "$enddefinitions") {
                until_end("$enddefinitions");
                definitions = false;
            } else if (tok == "$dumpvars" || tok == "$dumpall" || tok == "$dumpon" || tok == "$dumpoff" ||
                       tok == "$end") {
                // value changes follow; the closing $end is skipped here
            } else {
                until_end(tok);  // $date, $version, $comment and unknown keywords
            }
            continue;
        }
        if (definitions) throw vcd_error("vcd: '" + tok + "' before $enddefinitions");
        if (tok[0] == '#') {
            const std::uint64_t t = std::stoull(tok.substr(1));
            if (t < time) throw vcd_error("vcd: time goes backwards at " + tok);
            time = t;
        } else if (tok[0] == 'b' || tok[0] == 'B' || tok[0] == 'r' || tok[0] == 'R') {
            std::string id;
            if (!(in >> id)) throw vcd_error("vcd: value '" + tok + "' without identifier");
            record(id, tok.substr(1));
        } else if (is_scalar_value(tok[0])) {
            record(tok.substr(1), tok.substr(0, 1));
        } else {
            throw vcd_error("vcd: unexpected token '" + tok + "'");
        }
    }
    for (std::size_t k = 0; k < f.variables.size(); ++k) {
        f.m_index.emplace(f.variables[k].name, k);
        f.m_index.emplace(f.variables[k].path, k);
    }
    return f;
}

const vcd_variable* vcd_file::find(const std::string& name_or_path) const {
    const auto it = m_index.find(name_or_path);
    return it == m_index.end() ? nullptr : &variables[it->second];
}

const vcd_variable& vcd_file::at(const std::string& name_or_path) const {
    const vcd_variable* v = find(name_or_path);
    if (v == nullptr) throw vcd_error("vcd: no variable " + name_or_path);
    return *v;
}

std::vector<std::string> gtkw_signals(std::istream& in) {
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        const char c = line[0];
        if (c == '[' || c == '@' || c == '-' || c == '*' || c == '^' || c == '#' || c == '(') continue;
        if (c == '+') {  // +{alias} name
            const auto close = line.find("} ");
            if (close == std::string::npos) continue;
            line = line.substr(close + 2);
        }
        out.push_back(line);
    }
    return out;
}

}  // namespace acim::test
