// Overflow-checked size arithmetic for every count that comes from a file or a parameter: tensor
// dimensions, image counts, buffer sizes. A product or sum that does not fit throws data_error
// naming what was being computed, instead of wrapping around to a small, plausible value.
#pragma once

#include <acim/core/error.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>

namespace acim::core {

// a * b, or data_error("<what>: a x b overflows").
template <class T>
T checked_mul(T a, T b, const std::string& what) {
    static_assert(std::is_integral_v<T>, "checked_mul takes integers");
    T r{};
    if (__builtin_mul_overflow(a, b, &r))
        throw data_error(what + ": " + to_text(a) + " x " + to_text(b) + " overflows");
    return r;
}

// a + b, or data_error("<what>: a + b overflows").
template <class T>
T checked_add(T a, T b, const std::string& what) {
    static_assert(std::is_integral_v<T>, "checked_add takes integers");
    T r{};
    if (__builtin_add_overflow(a, b, &r))
        throw data_error(what + ": " + to_text(a) + " + " + to_text(b) + " overflows");
    return r;
}

// The product of `dims` as a std::size_t; each dimension must be >= 0 and the product must fit,
// and stay at or below `limit` (default: no limit beyond size_t).
template <class I>
std::size_t checked_product(const I* dims, std::size_t n, const std::string& what,
                            std::size_t limit = std::numeric_limits<std::size_t>::max()) {
    static_assert(std::is_integral_v<I>, "checked_product takes integer dimensions");
    std::size_t p = 1;
    for (std::size_t k = 0; k < n; ++k) {
        if constexpr (std::is_signed_v<I>)
            if (dims[k] < 0) throw data_error(what + ": dimension " + to_text(k) + " is negative (" + to_text(dims[k]) + ")");
        p = checked_mul(p, static_cast<std::size_t>(dims[k]), what);
    }
    if (p > limit) throw data_error(what + ": " + to_text(p) + " elements exceed the limit of " + to_text(limit));
    return p;
}

inline std::size_t checked_product(std::initializer_list<std::size_t> dims, const std::string& what) {
    return checked_product(dims.begin(), dims.size(), what);
}

}  // namespace acim::core
