#include <acim/core/param_tree.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace acim::core {

const char* to_string(param_source s) {
    switch (s) {
    case param_source::default_value: return "default";
    case param_source::preset: return "preset";
    case param_source::file: return "file";
    case param_source::command_line: return "-p";
    }
    return "?";
}

namespace {

std::string trimmed(const std::string& t) {
    const auto b = t.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return t.substr(b, t.find_last_not_of(" \t") - b + 1);
}

// Edit distance, for "did you mean" suggestions on unknown names.
std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string leaf_of(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::int64_t parse_signed(const std::string& text) {
    const std::string t = trimmed(text);
    if (t.empty()) throw std::invalid_argument("not a number");
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (end != t.c_str() + t.size()) throw std::invalid_argument("not an integer");
    if (errno == ERANGE) throw std::invalid_argument("out of range");
    return v;
}

std::uint64_t parse_unsigned(const std::string& text) {
    const std::string t = trimmed(text);
    if (t.empty()) throw std::invalid_argument("not a number");
    if (t[0] == '-') throw std::invalid_argument("must not be negative");
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(t.c_str(), &end, 10);
    if (end != t.c_str() + t.size()) throw std::invalid_argument("not a non-negative integer");
    if (errno == ERANGE) throw std::invalid_argument("out of range");
    return v;
}

double parse_real(const std::string& text) {
    const std::string t = trimmed(text);
    if (t.empty()) throw std::invalid_argument("not a number");
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) throw std::invalid_argument("not a number");
    if (errno == ERANGE || !std::isfinite(v)) throw std::invalid_argument("not a finite number");
    return v;
}

bool parse_bool(const std::string& text) {
    const std::string t = trimmed(text);
    if (t == "true" || t == "1" || t == "on") return true;
    if (t == "false" || t == "0" || t == "off") return false;
    throw std::invalid_argument("expected true or false");
}

std::string real_text(double v) {
    for (int digits = 6; digits <= 17; ++digits) {
        char b[40];
        std::snprintf(b, sizeof b, "%.*g", digits, v);
        if (std::strtod(b, nullptr) == v) return b;
    }
    return to_text(v);
}

param_base::param_base(std::string name, kind k, std::string unit, std::string description)
    : m_name(std::move(name)), m_unit(std::move(unit)), m_description(std::move(description)),
      m_field(leaf_of(m_name)), m_kind(k) {}

void param_base::set(const std::string& value, param_source src) {
    parse(value);
    m_source = src;
    m_written = value;
}

void param_base::fail(const std::string& value, const std::string& why) const {
    throw parameter_error(m_name, "'" + value + "'", why);
}

bool_param::bool_param(std::string name, bool& ref, std::string description)
    : param_base(std::move(name), kind::boolean, "bool", std::move(description)), m_ref(ref) {}

void bool_param::parse(const std::string& v) {
    try {
        m_ref = parse_bool(v);
    } catch (const std::invalid_argument& e) {
        fail(v, e.what());
    }
}

text_param::text_param(std::string name, std::string& ref, std::string unit, std::string description)
    : param_base(std::move(name), kind::text, std::move(unit), std::move(description)), m_ref(ref) {}

index_list_param::index_list_param(std::string name, std::set<std::size_t>& ref, std::string unit,
                                   std::string description)
    : param_base(std::move(name), kind::list, std::move(unit), std::move(description)), m_ref(ref) {}

std::string index_list_param::text() const {
    std::string s;
    for (auto k : m_ref) s += (s.empty() ? "" : ",") + to_text(k);
    return s;
}

void index_list_param::parse(const std::string& v) {
    std::set<std::size_t> out;
    std::string t = trimmed(v);
    if (!t.empty() && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);  // JSON array text
    std::istringstream is(t);
    std::string item;
    while (std::getline(is, item, ',')) {
        if (trimmed(item).empty()) continue;
        try {
            const std::uint64_t k = parse_unsigned(item);
            out.insert(static_cast<std::size_t>(k));
        } catch (const std::invalid_argument& e) {
            fail(v, "item '" + trimmed(item) + "': " + e.what());
        }
    }
    m_ref = std::move(out);
}

param_base& param_tree::add(std::unique_ptr<param_base> p) {
    if (find(p->name())) throw std::logic_error("parameter " + p->name() + " declared twice");
    p->capture_default();
    m_params.push_back(std::move(p));
    return *m_params.back();
}

bool param_journal::any(const std::string& prefix) const {
    const auto it = written.lower_bound(prefix);
    return it != written.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

void param_tree::attach(param_journal& j) {
    m_journal = &j;
    for (const auto& p : m_params) {
        const auto it = j.written.find(p->name());
        if (it == j.written.end()) continue;
        p->m_source = it->second.first;
        p->m_written = it->second.second;
    }
}

void param_tree::set(const std::string& name, const std::string& value, param_source src) {
    param_base& p = at(name);
    p.set(value, src);
    if (m_journal) m_journal->written[name] = {src, value};
}

param_base* param_tree::find(const std::string& name) const {
    for (const auto& p : m_params)
        if (p->name() == name) return p.get();
    return nullptr;
}

param_base& param_tree::at(const std::string& name) const {
    if (param_base* p = find(name)) return *p;
    std::vector<std::pair<std::size_t, std::string>> near;
    for (const auto& p : m_params) {
        const std::size_t d = std::min(distance(name, p->name()), distance(leaf_of(name), leaf_of(p->name())) + 1);
        if (d <= std::max<std::size_t>(2, name.size() / 4)) near.emplace_back(d, p->name());
    }
    std::sort(near.begin(), near.end());
    std::string hint;
    for (std::size_t k = 0; k < near.size() && k < 3; ++k) hint += (k ? ", " : "; did you mean ") + near[k].second;
    throw std::invalid_argument("unknown parameter '" + name + "'" + hint + (hint.empty() ? "" : "?") +
                                " (acim config --dump lists them)");
}

void param_tree::assign(const std::string& assignment, param_source src) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("override '" + assignment + "' is not name=value");
    set(trimmed(assignment.substr(0, eq)), assignment.substr(eq + 1), src);
}

void param_tree::rethrow(const parameter_error& e, const std::string& prefix) const {
    if (find(e.name())) throw e;  // already a documented name
    // The field under `prefix`; else a parameter elsewhere that sets the same field (an owner's
    // copy of a value another owner declares, e.g. hw's ADC count from macro.adcs).
    const param_base* match = nullptr;
    for (const auto& p : m_params) {
        if (p->field() != e.name()) continue;
        if (p->name().compare(0, prefix.size(), prefix) == 0) {
            match = p.get();
            break;
        }
        if (!match) match = p.get();
    }
    if (!match) throw e;
    const std::string what = e.what();
    const std::string head = "invalid parameter " + e.name() + " = " + e.value() + ": ";
    const std::string why = what.compare(0, head.size(), head) == 0 ? what.substr(head.size()) : what;
    throw parameter_error(match->name(), match->is_set() ? "'" + match->written() + "'" : match->text(), why);
}

void param_tree::reject_set(const std::string& prefix, const std::string& why) const {
    for (const auto& p : m_params)
        if (p->is_set() && p->name().compare(0, prefix.size(), prefix) == 0)
            throw parameter_error(p->name(), "'" + p->written() + "'", "set but unused: " + why);
}

std::string param_tree::dump() const {
    std::ostringstream os;
    for (const auto& p : m_params) {
        os << p->name() << " = " << p->text() << "  [" << p->unit() << "]  (" << to_string(p->source());
        if (p->is_set()) os << "; default " << (p->default_text().empty() ? "\"\"" : p->default_text());
        if (!p->range().empty() && p->range() != p->unit()) os << "; " << p->range();
        os << ")  " << p->description() << "\n";
    }
    return os.str();
}

}  // namespace acim::core
