// The typed parameter tree (models/core/param_tree.hpp): parsing by type without wrap-around,
// ranges, provenance, the journal that survives copies, error mapping to documented names.
#include <acim/core/param_tree.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

using namespace acim::core;

namespace {

struct owner {
    std::uint32_t rows = 256;
    int bits = 8;
    double sigma = 0.1;
    bool flag = false;
    std::string name = "x";
    std::set<std::size_t> layers{0};
    std::size_t limit = 0;
    enum class kind { a, b } k = kind::a;

    void declare(param_tree::scope& s) {
        s.number("rows", rows, "rows", "SRAM rows", 1u, 65535u);
        s.number("bits", bits, "bits", "ADC bits", 1, 16).set_field("adc_bits");
        s.number("sigma", sigma, "% FS", "noise", 0.0);
        s.flag("flag", flag, "a flag");
        s.text("name", name, "file", "a name");
        s.indices("layers", layers, "list", "layers");
        static_cast<number_param<std::size_t>&>(s.number("limit", limit, "images", "limit", std::size_t{1})).zero_means("all");
        s.choice("kind", k, "a or b", {{"a", kind::a}, {"b", kind::b}});
    }
};

std::string error_of(param_tree& t, const std::string& assignment) {
    try {
        t.assign(assignment, param_source::command_line);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ParamTree, DefaultsAreTheDeclaredValues) {
    owner o;
    param_tree t;
    param_tree::scope s(t, "hw.");
    o.declare(s);
    EXPECT_EQ(t.at("hw.rows").text(), "256");
    EXPECT_EQ(t.at("hw.rows").default_text(), "256");
    EXPECT_EQ(t.at("hw.rows").source(), param_source::default_value);
    EXPECT_EQ(t.at("hw.layers").text(), "0");
    EXPECT_EQ(t.at("hw.limit").text(), "all");
    EXPECT_EQ(t.at("hw.kind").unit(), "a|b");
    EXPECT_EQ(t.at("hw.sigma").text(), "0.1");
}

TEST(ParamTree, ValuesParseByTypeWithoutWrapAround) {
    owner o;
    param_tree t;
    param_tree::scope s(t, "hw.");
    o.declare(s);
    t.assign("hw.rows=128", param_source::command_line);
    EXPECT_EQ(o.rows, 128u);
    // Negative text never wraps into an unsigned field, and the field is left as it was.
    const std::string neg = error_of(t, "hw.rows=-1000");
    EXPECT_NE(neg.find("hw.rows = '-1000'"), std::string::npos) << neg;
    EXPECT_NE(neg.find("negative"), std::string::npos) << neg;
    EXPECT_EQ(o.rows, 128u);
    EXPECT_NE(error_of(t, "hw.rows=0").find("must lie in 1..65535"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.rows=70000").find("1..65535"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.rows=12abc").find("not"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.rows=").find("hw.rows"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.bits=99999999999999999999").find("out of range"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.sigma=nan").find("hw.sigma = 'nan'"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.sigma=-0.5").find("0.."), std::string::npos);
    EXPECT_NE(error_of(t, "hw.flag=maybe").find("true or false"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.kind=c").find("expected a|b"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.layers=1,x").find("item 'x'"), std::string::npos);
    EXPECT_NE(error_of(t, "hw.limit=0").find("hw.limit = '0'"), std::string::npos);  // 0 is written "all"
    t.assign("hw.limit=all", param_source::command_line);
    EXPECT_EQ(o.limit, 0u);
    t.assign("hw.layers=[1, 3]", param_source::file);
    EXPECT_EQ(o.layers, (std::set<std::size_t>{1, 3}));
    t.assign("hw.layers=", param_source::file);
    EXPECT_TRUE(o.layers.empty());
    EXPECT_EQ(error_of(t, "hw.rows"), "override 'hw.rows' is not name=value");
}

TEST(ParamTree, UnknownNamesSuggestTheClosest) {
    owner o;
    param_tree t;
    param_tree::scope s(t, "hw.");
    o.declare(s);
    const std::string e = error_of(t, "hw.row=3");
    EXPECT_NE(e.find("unknown parameter 'hw.row'"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean hw.rows"), std::string::npos) << e;
    EXPECT_EQ(error_of(t, "zzzzzzzzzzzzzzz=1").find("did you mean"), std::string::npos);
}

TEST(ParamTree, ProvenanceAndJournalSurviveACopy) {
    owner o;
    param_journal j;
    {
        param_tree t;
        param_tree::scope s(t, "hw.");
        o.declare(s);
        t.attach(j);
        t.assign("hw.rows=64", param_source::file);
        t.assign("hw.bits=6", param_source::command_line);
        EXPECT_EQ(t.at("hw.rows").source(), param_source::file);
        EXPECT_NE(t.dump().find("hw.rows = 64  [rows]  (file; default 256; 1..65535)  SRAM rows"), std::string::npos)
            << t.dump();
    }
    EXPECT_TRUE(j.has("hw.rows"));
    EXPECT_TRUE(j.any("hw."));
    EXPECT_FALSE(j.any("macro."));
    owner copy = o;  // the values travel with the owner, the sources with the journal
    param_tree t2;
    param_tree::scope s2(t2, "hw.");
    copy.declare(s2);
    t2.attach(j);
    EXPECT_EQ(t2.at("hw.rows").source(), param_source::file);
    EXPECT_EQ(t2.at("hw.bits").source(), param_source::command_line);
    EXPECT_EQ(t2.at("hw.sigma").source(), param_source::default_value);
    EXPECT_EQ(t2.at("hw.rows").text(), "64");
}

TEST(ParamTree, ValidateErrorsNameTheDocumentedParameter) {
    owner o;
    param_tree t;
    param_tree::scope s(t, "macro.");
    o.declare(s);
    t.assign("macro.bits=3", param_source::command_line);
    // An owner's validate() reports its field name (adc_bits); the tree reports macro.bits as written.
    try {
        t.validate("macro.", [] { throw parameter_error("adc_bits", "3", "too few for this row parallelism"); });
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.name(), "macro.bits");
        EXPECT_EQ(std::string(e.what()), "invalid parameter macro.bits = '3': too few for this row parallelism");
    }
    // A field declared under another prefix maps there (hw's copy of a macro.* value).
    try {
        t.validate("hw.", [] { throw parameter_error("rows", "0", "copied from elsewhere"); });
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_EQ(e.name(), "macro.rows");
    }
    // A field nobody declared keeps its own name.
    EXPECT_THROW(t.validate("macro.", [] { throw parameter_error("wbit", "99", "from the model"); }), parameter_error);
}

TEST(ParamTree, RejectSetNamesAnUnusedKey) {
    owner o;
    param_tree t;
    param_tree::scope s(t, "trace.");
    o.declare(s);
    EXPECT_NO_THROW(t.reject_set("trace.", "no window"));
    t.assign("trace.rows=4", param_source::command_line);
    try {
        t.reject_set("trace.", "no --trace window is given");
        FAIL() << "no throw";
    } catch (const parameter_error& e) {
        EXPECT_NE(std::string(e.what()).find("trace.rows = '4': set but unused: no --trace window"), std::string::npos)
            << e.what();
    }
}

TEST(ParamTree, RealsPrintBackExactly) {
    for (double v : {0.1, 1.0 / 3.0, 100.0 / 255.0, 1e-7, 12.0})
        EXPECT_EQ(parse_real(real_text(v)), v) << real_text(v);
    EXPECT_THROW(parse_real("inf"), std::invalid_argument);
    EXPECT_THROW(parse_unsigned("-0"), std::invalid_argument);
    EXPECT_EQ(parse_signed(" -12 "), -12);
}

TEST(ParamTree, DeclaringANameTwiceIsAProgrammingError) {
    int a = 0, b = 0;
    param_tree t;
    param_tree::scope s(t, "x.");
    s.number("a", a, "", "a");
    EXPECT_THROW(s.number("a", b, "", "again"), std::logic_error);
}
