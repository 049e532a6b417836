#include <acim/tlm/param_codec.hpp>

#include <climits>
#include <cmath>
#include <sstream>

namespace acim::tlm {

namespace {

std::string number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

param_codec param_codec::integer(int core::cim_params::*field) {
    param_codec c(kind::integer);
    c.m_int = field;
    return c;
}

param_codec param_codec::flag(bool core::cim_params::*field) {
    param_codec c(kind::flag);
    c.m_codes = {{0, "false"}, {1, "true"}};
    c.m_get = [field](const core::cim_params& p) { return p.*field ? 1u : 0u; };
    c.m_set = [field](core::cim_params& p, std::uint32_t v) { p.*field = v != 0; };
    return c;
}

param_codec param_codec::fixed_point(double core::cim_params::*field, double lsb_per_unit) {
    param_codec c(kind::fixed_point);
    c.m_real = field;
    c.m_lsb_per_unit = lsb_per_unit;
    return c;
}

std::uint32_t param_codec::max_code() const {
    if (m_kind == kind::flag || m_kind == kind::enumeration) {
        std::uint32_t m = 0;
        for (const enum_code& e : m_codes) m = e.code > m ? e.code : m;
        return m;
    }
    return 0xFFFFFFFFu;
}

std::uint32_t param_codec::encode(const core::cim_params& p, const std::string& name) const {
    switch (m_kind) {
    case kind::fixed_point: {
        const double v = p.*m_real;
        const double n = std::nearbyint(v * m_lsb_per_unit);
        const std::string valid = "0 .. " + std::to_string(4294967295.0 / m_lsb_per_unit);
        if (!std::isfinite(v) || v < 0.0 || n > 4294967295.0)
            throw codec_error("layer setting " + name + " = " + std::to_string(v) + " has no register encoding (" +
                                  valid + ")",
                              valid);
        return static_cast<std::uint32_t>(n);
    }
    case kind::integer: {
        const int v = p.*m_int;
        if (v < 0)
            throw codec_error("layer setting " + name + " = " + std::to_string(v) +
                                  " has no register encoding (0 .. " + std::to_string(INT_MAX) + ")",
                              "0 .. " + std::to_string(INT_MAX));
        return static_cast<std::uint32_t>(v);
    }
    case kind::flag:
    case kind::enumeration: {
        const std::uint32_t v = m_get(p);
        for (const enum_code& e : m_codes)
            if (e.code == v) return v;
        throw codec_error("layer setting " + name + " = " + std::to_string(v) + " has no register encoding (" +
                              describe() + ")",
                          describe());
    }
    }
    return 0;
}

void param_codec::decode(std::uint32_t v, core::cim_params& p, const std::string& name) const {
    switch (m_kind) {
    case kind::fixed_point:
        p.*m_real = v / m_lsb_per_unit;
        return;
    case kind::integer:
        p.*m_int = v > static_cast<std::uint32_t>(INT_MAX) ? INT_MAX : static_cast<int>(v);
        return;
    case kind::flag:
    case kind::enumeration:
        for (const enum_code& e : m_codes)
            if (e.code == v) {
                m_set(p, v);
                return;
            }
        // Codes are contiguous from 0 (checked by the table's tests): the range is the rule.
        throw codec_error(name + " = " + std::to_string(v) + " must lie in [0, " + std::to_string(max_code()) + "]",
                          "[0, " + std::to_string(max_code()) + "]");
    }
}

std::string param_codec::describe() const {
    switch (m_kind) {
    case kind::integer: return "unsigned integer";
    case kind::fixed_point: return "fixed point: value = n / " + number(m_lsb_per_unit) + " (the double nearest n * " +
                                   number(1.0 / m_lsb_per_unit) + ")";
    case kind::flag:
    case kind::enumeration: {
        std::string s;
        for (const enum_code& e : m_codes) s += (s.empty() ? "" : ", ") + std::to_string(e.code) + " = " + e.name;
        return s;
    }
    }
    return "";
}

}  // namespace acim::tlm
