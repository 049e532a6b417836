// The in-repo VCD reader on hand-written dumps: scopes, ranges, scalar / vector / real changes,
// $dumpvars, shared identifier codes, timescales, signed values, and errors. Also the .gtkw
// signal-list reader on a small save file.
#include "vcd_reader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using acim::test::gtkw_signals;
using acim::test::vcd_error;
using acim::test::vcd_file;

namespace {

const char* const sample = R"($date today $end
$version hand-written $end
$timescale
     10 ns
$end
$scope module SystemC $end
$scope module top $end
$var wire    1  !  en       $end
$var wire    8  "  count [7:0]  $end
$scope module col0 $end
$var real    1  #  analog       $end
$var wire    8  "  count_alias [7:0]  $end
$upscope $end
$upscope $end
$upscope $end
$enddefinitions  $end
$comment
initial values
$end
$dumpvars
0!
b0 "
r0 #
$end
#5
1!
b11111101 "
r0.25 #
#7
b101 "
#7
r-1.5e-3 #
#9
0!
)";

vcd_file parse(const std::string& text) {
    std::istringstream in(text);
    return vcd_file::parse(in);
}

}  // namespace

TEST(vcd_reader, parses_scopes_ranges_and_every_kind_of_value_change) {
    const vcd_file f = parse(sample);
    EXPECT_EQ(f.timescale_fs, 10'000'000u);
    ASSERT_EQ(f.variables.size(), 4u);
    const auto& en = f.at("SystemC.top.en");
    const auto& count = f.at("SystemC.top.count[7:0]");
    EXPECT_EQ(&f.at("SystemC.top.count"), &count);  // by path too
    EXPECT_EQ(count.width, 8u);
    EXPECT_EQ(count.type, "wire");
    EXPECT_EQ(f.find("SystemC.top.count[3:0]"), nullptr);
    EXPECT_THROW(f.at("SystemC.top.nothing"), vcd_error);

    EXPECT_EQ(en.changes.size(), 3u);
    EXPECT_EQ(en.unsigned_at(0), 0u);
    EXPECT_EQ(en.unsigned_at(4), 0u);
    EXPECT_EQ(en.unsigned_at(5), 1u);
    EXPECT_EQ(en.unsigned_at(8), 1u);
    EXPECT_EQ(en.unsigned_at(9), 0u);

    EXPECT_EQ(count.signed_at(5), -3);  // full width, MSB set: negative
    EXPECT_EQ(count.unsigned_at(5), 253u);
    EXPECT_EQ(count.signed_at(7), 5);   // short: zero-extended
    EXPECT_EQ(count.signed_at(100), 5);

    const auto& analog = f.at("SystemC.top.col0.analog");
    EXPECT_TRUE(analog.is_real());
    EXPECT_DOUBLE_EQ(analog.real_at(0), 0.0);
    EXPECT_DOUBLE_EQ(analog.real_at(6), 0.25);
    EXPECT_DOUBLE_EQ(analog.real_at(7), -1.5e-3);  // a second "#7" continues the same time

    // Two variables with one identifier code see the same changes.
    const auto& alias = f.at("SystemC.top.col0.count_alias[7:0]");
    EXPECT_EQ(alias.changes.size(), count.changes.size());
    EXPECT_EQ(alias.signed_at(5), -3);
}

TEST(vcd_reader, rejects_malformed_dumps) {
    EXPECT_THROW(parse("$enddefinitions $end\n#1\n1?\n"), vcd_error);                        // undeclared id
    EXPECT_THROW(parse("$var wire 1 ! a $end\n$enddefinitions $end\n#5\n#4\n"), vcd_error);  // time backwards
    EXPECT_THROW(parse("#0\n$var wire 1 ! a $end\n"), vcd_error);  // value before $enddefinitions
    EXPECT_THROW(parse("$timescale 1 parsec $end\n"), vcd_error);
    EXPECT_THROW(parse("$scope module a\n"), vcd_error);  // no $end
    const vcd_file f = parse("$var wire 4 ! v [3:0] $end\n$enddefinitions $end\n#3\nbx1 !\n");
    EXPECT_THROW(f.at("v").unsigned_at(2), vcd_error);  // no value yet
    EXPECT_THROW(f.at("v").unsigned_at(3), vcd_error);  // not two-valued
}

TEST(vcd_reader, lists_the_signals_of_a_gtkwave_save_file) {
    std::istringstream in(R"([*] a comment
[timestart] 0
[size] 1400 900
*-20.000000 0 -1 -1
@800200
-Sequencer
@420
SystemC.top.count[7:0]
+{enable} SystemC.top.en
@48020
SystemC.top.col0.analog
@20200
-
@1000200
-Sequencer
)");
    const std::vector<std::string> s = gtkw_signals(in);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0], "SystemC.top.count[7:0]");
    EXPECT_EQ(s[1], "SystemC.top.en");
    EXPECT_EQ(s[2], "SystemC.top.col0.analog");
    EXPECT_NE(parse(sample).find(s[0]), nullptr);
}

TEST(vcd_reader, the_shipped_view_is_a_readable_save_file) {
    std::ifstream in(std::string(ACIM_SOURCE_DIR) + "/traces/acim_macro.gtkw");
    ASSERT_TRUE(in.good());
    EXPECT_GT(gtkw_signals(in).size(), 30u);
}
