// A small reader of Value Change Dump files (IEEE 1364 §18) for tests: the header's scopes and
// variables ($scope/$upscope/$var/$timescale/$enddefinitions) and the value changes (#time,
// scalars, b... vectors, r... reals, $dumpvars blocks) into one time-ordered list per variable.
// Variable names are the ones GTKWave shows and .gtkw files use: scopes and reference joined by
// dots, with the bit range appended ("SystemC.acim_macro.seq.tile[31:0]"). Plain C++.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace acim::test {

class vcd_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct vcd_change {
    std::uint64_t time = 0;  // in timescale units
    std::string value;       // as dumped: "1", "b1011" without the b ("1011"), real text
};

struct vcd_variable {
    std::string name;   // GTKWave name: path plus range
    std::string path;   // scopes and reference, no range ("SystemC.acim_macro.seq.tile")
    std::string type;   // wire, reg, real, integer, ...
    unsigned width = 1;
    std::string id;     // identifier code
    std::vector<vcd_change> changes;

    bool is_real() const { return type == "real"; }
    // The value at time t (the last change at or before t); throws vcd_error before the first.
    const std::string& raw_at(std::uint64_t t) const;
    // Vector / scalar value as two's complement of `width` bits, or unsigned; reals as double.
    std::int64_t signed_at(std::uint64_t t) const { return to_signed(raw_at(t)); }
    std::uint64_t unsigned_at(std::uint64_t t) const { return to_unsigned(raw_at(t)); }
    double real_at(std::uint64_t t) const;
    std::int64_t to_signed(const std::string& v) const;
    std::uint64_t to_unsigned(const std::string& v) const;
};

class vcd_file {
public:
    static vcd_file parse(std::istream& in);
    static vcd_file load(const std::string& path);

    std::uint64_t timescale_fs = 1000;  // one time unit in femtoseconds (1 ps by default)
    std::vector<vcd_variable> variables;

    // By GTKWave name or by path (no range); null if absent.
    const vcd_variable* find(const std::string& name_or_path) const;
    // As find, but throws vcd_error naming the missing variable.
    const vcd_variable& at(const std::string& name_or_path) const;

private:
    std::map<std::string, std::size_t> m_index;  // name and path -> variable
};

// The trace names a GTKWave save file (.gtkw) displays: its signal lines, without flags, comments,
// groups, blanks, aliases or bit selections.
std::vector<std::string> gtkw_signals(std::istream& in);

}  // namespace acim::test
