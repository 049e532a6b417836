// Overflow-checked size arithmetic (models/core/checked.hpp).
#include <acim/core/checked.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

using namespace acim::core;

TEST(Checked, MulAndAddInRange) {
    EXPECT_EQ(checked_mul<std::size_t>(6, 7, "x"), 42u);
    EXPECT_EQ(checked_add<std::int64_t>(-5, 7, "x"), 2);
}

TEST(Checked, MulOverflowNamesWhat) {
    const std::size_t big = std::size_t{1} << 57;
    try {
        checked_mul<std::size_t>(big + 10, 128, "tensor fc3.weight");
        FAIL() << "no throw";
    } catch (const data_error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor fc3.weight"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("overflows"), std::string::npos) << e.what();
    }
}

TEST(Checked, AddOverflow) {
    EXPECT_THROW(checked_add<std::uint32_t>(std::numeric_limits<std::uint32_t>::max(), 1, "n"), data_error);
}

TEST(Checked, ProductOfWrappingDimsThrows) {
    // 2^57+10 times 128 wraps to 1280 in 64 bits: the product must not pass as 1280 elements.
    const std::vector<std::int64_t> dims{(std::int64_t{1} << 57) + 10, 128};
    EXPECT_THROW(checked_product(dims.data(), dims.size(), "w"), data_error);
}

TEST(Checked, ProductRejectsNegativeAndLimit) {
    const std::vector<std::int64_t> neg{4, -1};
    EXPECT_THROW(checked_product(neg.data(), neg.size(), "w"), data_error);
    const std::vector<std::int64_t> ok{4, 8};
    EXPECT_EQ(checked_product(ok.data(), ok.size(), "w"), 32u);
    EXPECT_THROW(checked_product(ok.data(), ok.size(), "w", 31), data_error);
    EXPECT_EQ(checked_product({2, 3, 5}, "w"), 30u);
    EXPECT_EQ(checked_product({}, "scalar"), 1u);
}
