// One typed, hierarchical parameter tree (after CCI's cci_param and VCML's properties, without a
// new dependency). Each parameter is declared once, by the code that owns the value it sets: a
// dotted name, a type, a unit, a default (the value at declaration), a range and a description,
// bound to the owner's field. Configuration files, presets and `-p name=value` overrides all write
// through the tree, which parses with the parameter's own type (no silent wrap-around of negative
// numbers into unsigned fields), checks the range, and records where each value came from, so that
// `acim config --dump` can show it. Errors name the documented parameter and the value as the user
// wrote it. Plain C++: no SystemC, no JSON.
#pragma once

#include <acim/core/error.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace acim::core {

// Where a value came from, lowest precedence first: a later source overrides an earlier one.
enum class param_source : std::uint8_t { default_value, preset, file, command_line };
const char* to_string(param_source s);

class param_base {
public:
    // The JSON shape of the value (the tree itself stores text).
    enum class kind : std::uint8_t { integer, real, boolean, text, choice, list };

    param_base(std::string name, kind k, std::string unit, std::string description);
    virtual ~param_base() = default;
    param_base(const param_base&) = delete;
    param_base& operator=(const param_base&) = delete;

    const std::string& name() const { return m_name; }
    kind type() const { return m_kind; }
    const std::string& unit() const { return m_unit; }
    const std::string& description() const { return m_description; }
    // The owner's field name when it differs from the last component of name(): validate()
    // functions report field names, which the tree maps back to this parameter.
    const std::string& field() const { return m_field; }
    void set_field(std::string f) { m_field = std::move(f); }

    param_source source() const { return m_source; }
    bool is_set() const { return m_source != param_source::default_value; }
    // The current value as text in the form set() accepts; the default as declared.
    virtual std::string text() const = 0;
    const std::string& default_text() const { return m_default; }
    // The value exactly as it was last written (for error messages), or text() if never written.
    std::string written() const { return is_set() ? m_written : text(); }
    // Legal values, e.g. "1..65535", "ideal|sar|flash"; empty when any value of the type is legal.
    virtual std::string range() const { return {}; }

    // Parses `value`, checks it and stores it in the owner's field. Throws parameter_error naming
    // this parameter and `value` as given; the field is unchanged on error.
    void set(const std::string& value, param_source src);

protected:
    // Called after construction by the tree, once the field holds its default.
    void capture_default() { m_default = text(); }
    virtual void parse(const std::string& value) = 0;
    [[noreturn]] void fail(const std::string& value, const std::string& why) const;
    friend class param_tree;

private:
    std::string m_name, m_unit, m_description, m_field, m_default, m_written;
    kind m_kind;
    param_source m_source = param_source::default_value;
};

// Parses integers and reals exactly as written: the whole text, no wrap-around, no trailing junk.
// Throws std::invalid_argument with a short reason.
std::int64_t parse_signed(const std::string& text);
std::uint64_t parse_unsigned(const std::string& text);
double parse_real(const std::string& text);
bool parse_bool(const std::string& text);
// Text of a double that parses back to the same value.
std::string real_text(double v);

template <class T>
class number_param : public param_base {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "number_param takes a number");

public:
    number_param(std::string name, T& ref, std::string unit, std::string description, T lo, T hi)
        : param_base(std::move(name), std::is_integral_v<T> ? kind::integer : kind::real, std::move(unit),
                     std::move(description)),
          m_ref(ref), m_lo(lo), m_hi(hi) {}
    std::string text() const override {
        if (!m_zero_name.empty() && m_ref == T{}) return m_zero_name;
        if constexpr (std::is_integral_v<T>) return to_text(+m_ref);
        else return real_text(static_cast<double>(m_ref));
    }
    std::string range() const override {
        const bool open_hi = m_hi == std::numeric_limits<T>::max();
        if (m_lo == std::numeric_limits<T>::lowest() && open_hi) return {};
        return std::string(m_lo_excluded ? "(" : "") +
               (std::is_integral_v<T> ? to_text(+m_lo) : real_text(static_cast<double>(m_lo))) + ".." +
               (open_hi ? std::string() : std::is_integral_v<T> ? to_text(+m_hi) : real_text(static_cast<double>(m_hi)));
    }
    // The value 0 is written and shown as `name` (e.g. "all"), and only that way.
    number_param& zero_means(std::string name) {
        m_zero_name = std::move(name);
        return *this;
    }
    // The low bound itself is not legal: (lo, hi].
    number_param& exclude_low() {
        m_lo_excluded = true;
        return *this;
    }

protected:
    void parse(const std::string& v) override {
        if (!m_zero_name.empty() && v == m_zero_name) {
            m_ref = T{};
            return;
        }
        T x{};
        try {
            if constexpr (std::is_floating_point_v<T>) {
                x = static_cast<T>(parse_real(v));
            } else if constexpr (std::is_signed_v<T>) {
                const std::int64_t y = parse_signed(v);
                if (y < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
                    y > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
                    throw std::invalid_argument("out of range");
                x = static_cast<T>(y);
            } else {
                const std::uint64_t y = parse_unsigned(v);
                if (y > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) throw std::invalid_argument("out of range");
                x = static_cast<T>(y);
            }
        } catch (const std::invalid_argument& e) {
            fail(v, std::string(e.what()) + (range().empty() ? "" : "; expected " + range()));
        }
        if (x < m_lo || x > m_hi || (m_lo_excluded && x == m_lo)) fail(v, "must lie in " + range());
        m_ref = x;
    }

private:
    T& m_ref;
    T m_lo, m_hi;
    bool m_lo_excluded = false;
    std::string m_zero_name;
};

class bool_param : public param_base {
public:
    bool_param(std::string name, bool& ref, std::string description);
    std::string text() const override { return m_ref ? "true" : "false"; }
    std::string range() const override { return "true|false"; }

protected:
    void parse(const std::string& v) override;

private:
    bool& m_ref;
};

class text_param : public param_base {
public:
    text_param(std::string name, std::string& ref, std::string unit, std::string description);
    std::string text() const override { return m_ref; }

protected:
    void parse(const std::string& v) override { m_ref = v; }

private:
    std::string& m_ref;
};

// An enumeration (or any value) chosen by name from a fixed list.
template <class E>
class choice_param : public param_base {
public:
    choice_param(std::string name, E& ref, std::string description, std::vector<std::pair<std::string, E>> choices)
        : param_base(std::move(name), kind::choice, names_of(choices), std::move(description)), m_ref(ref),
          m_choices(std::move(choices)) {}
    std::string text() const override {
        for (const auto& [n, v] : m_choices)
            if (v == m_ref) return n;
        return "?";
    }
    std::string range() const override { return names_of(m_choices); }
    static std::string names_of(const std::vector<std::pair<std::string, E>>& choices) {
        std::string s;
        for (const auto& c : choices) s += (s.empty() ? "" : "|") + c.first;
        return s;
    }

protected:
    void parse(const std::string& v) override {
        for (const auto& [n, x] : m_choices)
            if (n == v) {
                m_ref = x;
                return;
            }
        fail(v, "expected " + range());
    }

private:
    E& m_ref;
    std::vector<std::pair<std::string, E>> m_choices;
};

// A set of indices, written "0,2,3" (or a JSON array); "" is the empty set.
class index_list_param : public param_base {
public:
    index_list_param(std::string name, std::set<std::size_t>& ref, std::string unit, std::string description);
    std::string text() const override;

protected:
    void parse(const std::string& v) override;

private:
    std::set<std::size_t>& m_ref;
};

// Where each explicitly written value came from, by parameter name: kept beside the values it
// describes (a plain copyable map), so that a tree bound to a copy of them knows its provenance.
struct param_journal {
    std::map<std::string, std::pair<param_source, std::string>> written;  // name -> (source, text)
    bool has(const std::string& name) const { return written.count(name) > 0; }
    // Any parameter whose name starts with `prefix` was written.
    bool any(const std::string& prefix) const;
};

class param_tree {
public:
    // Declares parameters under a common prefix ("macro." etc.).
    class scope {
    public:
        scope(param_tree& t, std::string prefix) : m_tree(t), m_prefix(std::move(prefix)) {}
        template <class T>
        param_base& number(const std::string& leaf, T& ref, const std::string& unit, const std::string& desc,
                           T lo = std::numeric_limits<T>::lowest(), T hi = std::numeric_limits<T>::max()) {
            return m_tree.add(std::make_unique<number_param<T>>(m_prefix + leaf, ref, unit, desc, lo, hi));
        }
        param_base& flag(const std::string& leaf, bool& ref, const std::string& desc) {
            return m_tree.add(std::make_unique<bool_param>(m_prefix + leaf, ref, desc));
        }
        param_base& text(const std::string& leaf, std::string& ref, const std::string& unit, const std::string& desc) {
            return m_tree.add(std::make_unique<text_param>(m_prefix + leaf, ref, unit, desc));
        }
        template <class E>
        param_base& choice(const std::string& leaf, E& ref, const std::string& desc,
                           std::vector<std::pair<std::string, E>> choices) {
            return m_tree.add(std::make_unique<choice_param<E>>(m_prefix + leaf, ref, desc, std::move(choices)));
        }
        param_base& indices(const std::string& leaf, std::set<std::size_t>& ref, const std::string& unit,
                            const std::string& desc) {
            return m_tree.add(std::make_unique<index_list_param>(m_prefix + leaf, ref, unit, desc));
        }
        const std::string& prefix() const { return m_prefix; }

    private:
        param_tree& m_tree;
        std::string m_prefix;
    };

    param_tree() = default;
    param_tree(const param_tree&) = delete;
    param_tree& operator=(const param_tree&) = delete;

    param_base& add(std::unique_ptr<param_base> p);
    // Records every successful set() in `j`, and takes the sources recorded there for the
    // parameters declared so far (their fields already hold the values).
    void attach(param_journal& j);
    param_base* find(const std::string& name) const;
    // Throws std::invalid_argument naming an unknown parameter (with the closest known names).
    param_base& at(const std::string& name) const;
    void set(const std::string& name, const std::string& value, param_source src);
    // "name=value"; throws std::invalid_argument when there is no '='.
    void assign(const std::string& assignment, param_source src);
    const std::vector<std::unique_ptr<param_base>>& params() const { return m_params; }

    // A parameter_error thrown by an owner's validate() (field names) as the same error naming the
    // documented parameter under `prefix` and its value as the user wrote it.
    [[noreturn]] void rethrow(const parameter_error& e, const std::string& prefix) const;
    // Runs `validate` and translates its parameter_error through rethrow(e, prefix).
    template <class F>
    void validate(const std::string& prefix, F&& validate_fn) const {
        try {
            validate_fn();
        } catch (const parameter_error& e) {
            rethrow(e, prefix);
        }
    }
    // Throws parameter_error for the first parameter under `prefix` that was set explicitly
    // (not a default): `why` says why it has no effect in this run. Unused keys fail.
    void reject_set(const std::string& prefix, const std::string& why) const;

    // name = value [unit] (source; default D; range R)  description — one line per parameter.
    std::string dump() const;

private:
    std::vector<std::unique_ptr<param_base>> m_params;
    param_journal* m_journal = nullptr;
};

}  // namespace acim::core
