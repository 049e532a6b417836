// How one configuration register carries one field of core::cim_params: which field, and how its
// value is written as 32 register bits (an unsigned integer, a 0/1 flag, a fixed-point number of
// a stated LSB, or an enumeration with named codes). The register table (register_table.hpp)
// binds a codec to each such register; the macro decodes its registers through it at START, the
// firmware driver encodes its writes through it, and docs/register_map.md prints it. The meaning
// of a register is therefore written once.
#pragma once

#include <acim/core/cim_params.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace acim::tlm {

// A value with no register encoding (encode) or a register value that is no valid code (decode).
// The message names the register's core parameter and the value; `valid` is the accepted range.
class codec_error : public std::invalid_argument {
public:
    codec_error(const std::string& what, std::string valid) : std::invalid_argument(what), m_valid(std::move(valid)) {}
    const std::string& valid() const noexcept { return m_valid; }

private:
    std::string m_valid;
};

struct enum_code {
    std::uint32_t code;
    const char* name;
};

class param_codec {
public:
    enum class kind : std::uint8_t {
        integer,      // the register holds the non-negative int (values above INT_MAX read as INT_MAX)
        flag,         // 0 or 1
        fixed_point,  // value = n / lsb_per_unit (a correctly rounded division), n = nearest(value * lsb_per_unit)
        enumeration,  // one of codes()
    };

    static param_codec integer(int core::cim_params::*field);
    static param_codec flag(bool core::cim_params::*field);
    static param_codec fixed_point(double core::cim_params::*field, double lsb_per_unit);
    template <class E>
    static param_codec enumeration(E core::cim_params::*field, std::vector<enum_code> codes) {
        param_codec c(kind::enumeration);
        c.m_codes = std::move(codes);
        c.m_get = [field](const core::cim_params& p) { return static_cast<std::uint32_t>(p.*field); };
        c.m_set = [field](core::cim_params& p, std::uint32_t v) { p.*field = static_cast<E>(v); };
        return c;
    }

    kind type() const { return m_kind; }
    double lsb_per_unit() const { return m_lsb_per_unit; }
    const std::vector<enum_code>& codes() const { return m_codes; }
    // The largest valid register value (flag: 1, enumeration: its largest code, else 2^32 - 1).
    std::uint32_t max_code() const;

    // The register value of p's field. Throws codec_error naming `name` (the core parameter) when
    // the value has no encoding: negative, non-finite, beyond 32 bits, or not one of the codes.
    std::uint32_t encode(const core::cim_params& p, const std::string& name) const;
    // Sets p's field from the register value. Throws codec_error when v is not a valid code
    // (flag: > 1; enumeration: not listed); integers and fixed-point values always decode.
    void decode(std::uint32_t v, core::cim_params& p, const std::string& name) const;
    // Text of the encoding for the documentation ("0 = ideal, 1 = sar, 2 = flash", ...).
    std::string describe() const;

private:
    explicit param_codec(kind k) : m_kind(k) {}

    kind m_kind;
    double m_lsb_per_unit = 1.0;
    std::vector<enum_code> m_codes;
    std::function<std::uint32_t(const core::cim_params&)> m_get;    // flag, enumeration
    std::function<void(core::cim_params&, std::uint32_t)> m_set;    // flag, enumeration
    double core::cim_params::*m_real = nullptr;                     // fixed_point
    int core::cim_params::*m_int = nullptr;                         // integer
};

}  // namespace acim::tlm
