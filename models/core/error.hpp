// Typed errors of the kernel-free core. Every invalid parameter, tensor shape or data value is
// reported through these exceptions, with the offending name and value in the message, so that a
// bad configuration never reaches undefined behaviour or an assert.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace acim::core {

// A configuration parameter outside its legal range or inconsistent with another one.
class parameter_error : public std::invalid_argument {
public:
    parameter_error(std::string name, std::string value, const std::string& why)
        : std::invalid_argument("invalid parameter " + name + " = " + value + ": " + why),
          m_name(std::move(name)), m_value(std::move(value)) {}
    const std::string& name() const noexcept { return m_name; }
    const std::string& value() const noexcept { return m_value; }

private:
    std::string m_name;
    std::string m_value;
};

// Tensor data that does not fit the declared shape or bit width.
class data_error : public std::invalid_argument {
public:
    explicit data_error(const std::string& what) : std::invalid_argument(what) {}
};

template <class T>
std::string to_text(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

template <class T>
[[noreturn]] void throw_parameter(const std::string& name, const T& value, const std::string& why) {
    throw parameter_error(name, to_text(value), why);
}

// Checks lo <= v <= hi for an integer parameter.
template <class T>
void check_range(const std::string& name, T v, T lo, T hi) {
    if (v < lo || v > hi)
        throw_parameter(name, v, "must lie in [" + to_text(lo) + ", " + to_text(hi) + "]");
}

}  // namespace acim::core
