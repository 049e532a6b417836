#include "sweep_spec.hpp"

#include <acim/testbench/files.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace fs = std::filesystem;

namespace acim::testbench::sweep {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& why) {
    throw std::invalid_argument("sweep spec: " + where + ": " + why);
}

// One dimension of the grid: a single key, or a zipped group of keys whose i-th values go together.
struct axis {
    std::string where;                               // "axes[2]" for messages
    std::vector<std::string> keys;                   // parameter names or "model"
    std::vector<std::vector<std::string>> values;    // values[i][k]: the i-th step of key k
};

// The base configuration: special keys and parameters (nested objects flatten to dotted names).
struct base_config {
    std::string model, data;
    std::optional<std::size_t> limit;
    std::optional<int> threads;
    std::uint64_t seed = 1;
    std::map<std::string, std::string> params;
};

std::string resolve_path(const std::string& p, const fs::path& spec_dir) {
    if (p.empty()) return p;
    fs::path q(p);
    if (q.is_relative()) q = spec_dir / q;
    return fs::absolute(q).lexically_normal().string();
}

std::uint64_t as_u64(const json& v, const std::string& where) {
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<long long>() < 0))
        fail(where, "expected a non-negative integer, got " + v.dump());
    return v.get<std::uint64_t>();
}

// "seeds"/"dies": an array of non-negative integers, or a count N (seeds 1..N, dies 0..N-1).
std::vector<std::uint64_t> repeats(const json& v, const std::string& where, std::uint64_t first) {
    std::vector<std::uint64_t> out;
    if (v.is_number_integer()) {
        const std::uint64_t n = as_u64(v, where);
        if (n == 0) fail(where, "the count must be at least 1");
        for (std::uint64_t k = 0; k < n; ++k) out.push_back(first + k);
    } else if (v.is_array()) {
        if (v.empty()) fail(where, "empty list");
        for (std::size_t k = 0; k < v.size(); ++k) out.push_back(as_u64(v[k], where + "[" + std::to_string(k) + "]"));
        std::set<std::uint64_t> seen;
        for (auto x : out)
            if (!seen.insert(x).second) fail(where, "value " + std::to_string(x) + " is listed twice");
    } else {
        fail(where, "expected a count or a list of integers, got " + v.dump());
    }
    return out;
}

void check_key(const std::string& key, const std::set<std::string>& known, const std::string& where) {
    if (key == "seed" || key == "run.die")
        fail(where, "'" + key + "' is not an axis: list the repeats in the top-level \"seeds\"/\"dies\"");
    if (key == "data" || key == "limit" || key == "threads")
        fail(where, "'" + key + "' cannot be swept (set it in \"base\")");
    if (key != "model" && known.count(key) == 0)
        fail(where, "unknown parameter '" + key + "' (acim config --dump lists them)");
}

base_config parse_base(const json& b, const std::set<std::string>& known, const fs::path& spec_dir) {
    base_config out;
    if (!b.is_object()) fail("base", "expected an object, got " + b.dump());
    std::function<void(const json&, const std::string&)> walk = [&](const json& n, const std::string& prefix) {
        for (const auto& [k, v] : n.items()) {
            const std::string name = prefix.empty() ? k : prefix + "." + k;
            const std::string where = "base." + name;
            if (prefix.empty() && k == "model") {
                if (!v.is_string()) fail(where, "expected a path string");
                out.model = resolve_path(v.get<std::string>(), spec_dir);
            } else if (prefix.empty() && k == "data") {
                if (!v.is_string()) fail(where, "expected a directory string");
                out.data = resolve_path(v.get<std::string>(), spec_dir);
            } else if (prefix.empty() && k == "limit") {
                const auto cnt = as_u64(v, where);
                if (cnt == 0) fail(where, "must be at least 1 (leave it out for all images)");
                out.limit = static_cast<std::size_t>(cnt);
            } else if (prefix.empty() && k == "threads") {
                const auto cnt = as_u64(v, where);
                if (cnt < 1 || cnt > 256) fail(where, "must be 1..256");
                out.threads = static_cast<int>(cnt);
            } else if (prefix.empty() && k == "seed") {
                out.seed = as_u64(v, where);
            } else if (v.is_object()) {
                walk(v, name);
            } else {
                if (name == "run.die") fail(where, "set the dies in the top-level \"dies\"");
                if (known.count(name) == 0) fail(where, "unknown parameter '" + name + "' (acim config --dump lists them)");
                out.params[name] = value_text(v, where);
            }
        }
    };
    walk(b, "");
    return out;
}

std::vector<std::string> axis_values(const json& a, const std::string& where) {
    if (!a.is_array()) fail(where, "expected a list of values, got " + a.dump());
    if (a.empty()) fail(where, "empty axis");
    std::vector<std::string> out;
    for (std::size_t k = 0; k < a.size(); ++k) out.push_back(value_text(a[k], where + "[" + std::to_string(k) + "]"));
    return out;
}

axis parse_axis(const json& a, const std::string& where, const std::set<std::string>& known, const fs::path& spec_dir) {
    if (!a.is_object()) fail(where, "expected {\"key\": ..., \"values\": [...]} or {\"zip\": [...]}");
    axis out;
    out.where = where;
    auto one = [&](const json& o, const std::string& w) {
        for (const auto& [k, v] : o.items())
            if (k != "key" && k != "values") fail(w, "unknown entry '" + k + "' (expected key and values)");
        if (!o.contains("key") || !o["key"].is_string()) fail(w, "missing \"key\" (a parameter name or \"model\")");
        if (!o.contains("values")) fail(w, "missing \"values\"");
        const std::string key = o["key"].get<std::string>();
        check_key(key, known, w + ".key");
        auto vals = axis_values(o["values"], w + ".values");
        if (key == "model")
            for (auto& v : vals) v = resolve_path(v, spec_dir);
        return std::make_pair(key, vals);
    };
    if (a.contains("zip")) {
        if (a.size() != 1) fail(where, "a zipped group holds only \"zip\"");
        const json& z = a["zip"];
        if (!z.is_array() || z.size() < 2) fail(where + ".zip", "expected a list of at least two {key, values} entries");
        std::size_t n = 0;
        for (std::size_t k = 0; k < z.size(); ++k) {
            const std::string w = where + ".zip[" + std::to_string(k) + "]";
            if (!z[k].is_object()) fail(w, "expected {\"key\": ..., \"values\": [...]}");
            auto [key, vals] = one(z[k], w);
            if (k == 0) n = vals.size();
            else if (vals.size() != n)
                fail(w, "zipped lists differ in length (" + std::to_string(vals.size()) + " values, the first has " +
                            std::to_string(n) + ")");
            out.keys.push_back(key);
            if (out.values.empty()) out.values.resize(n);
            for (std::size_t i = 0; i < n; ++i) out.values[i].push_back(vals[i]);
        }
    } else {
        auto [key, vals] = one(a, where);
        out.keys.push_back(key);
        for (auto& v : vals) out.values.push_back({v});
    }
    return out;
}

}  // namespace

std::string value_text(const json& v, const std::string& where) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number()) return v.dump();
    if (v.is_array()) {
        std::string s;
        for (std::size_t k = 0; k < v.size(); ++k) {
            if (v[k].is_array() || v[k].is_object()) fail(where, "a list value holds only numbers or strings");
            s += (k ? "," : "") + value_text(v[k], where);
        }
        return s;
    }
    fail(where, "expected a number, string, boolean or list, got " + v.dump());
}

std::vector<std::string> sweep_run::args() const {
    std::vector<std::string> a{"run"};
    if (!model.empty()) a.insert(a.end(), {"--model", model});
    if (!data.empty()) a.insert(a.end(), {"--data", data});
    if (limit) a.insert(a.end(), {"--limit", std::to_string(*limit)});
    a.insert(a.end(), {"--seed", std::to_string(seed)});
    for (const auto& [k, v] : params) a.insert(a.end(), {"-p", k + "=" + v});
    return a;
}

sweep_plan expand_spec(const std::string& spec_path, const std::set<std::string>& known) {
    std::ifstream f(spec_path);
    if (!f) throw std::invalid_argument("sweep spec '" + spec_path + "' cannot be opened");
    json j;
    try {
        j = json::parse(f);
    } catch (const json::exception& e) {
        throw std::invalid_argument("sweep spec '" + spec_path + "' is not valid JSON: " + e.what());
    }
    if (!j.is_object()) fail("top level", "expected an object with base, axes, seeds, dies");
    for (const auto& [k, v] : j.items())
        if (k != "base" && k != "axes" && k != "seeds" && k != "dies" && k != "description")
            fail(k, "unknown entry (expected base, axes, seeds, dies, description)");
    const fs::path spec_dir = fs::absolute(fs::path(spec_path)).parent_path();
    const base_config base = j.contains("base") ? parse_base(j["base"], known, spec_dir) : base_config{};

    std::vector<axis> axes;
    if (j.contains("axes")) {
        if (!j["axes"].is_array()) fail("axes", "expected a list");
        for (std::size_t k = 0; k < j["axes"].size(); ++k)
            axes.push_back(parse_axis(j["axes"][k], "axes[" + std::to_string(k) + "]", known, spec_dir));
    }
    std::map<std::string, std::string> key_where;
    for (const auto& a : axes)
        for (const auto& k : a.keys) {
            auto [it, fresh] = key_where.emplace(k, a.where);
            if (!fresh) fail(a.where, "key '" + k + "' is already swept by " + it->second);
        }
    const auto seeds = j.contains("seeds") ? repeats(j["seeds"], "seeds", 1) : std::vector<std::uint64_t>{base.seed};
    const auto dies = j.contains("dies") ? repeats(j["dies"], "dies", 0) : std::vector<std::uint64_t>{0};

    sweep_plan plan;
    plan.threads = base.threads;
    plan.images_per_run = base.limit ? static_cast<double>(*base.limit) : 10000.0;
    for (const auto& a : axes)
        for (const auto& k : a.keys) plan.columns.push_back(k);
    plan.columns.push_back("seed");
    plan.columns.push_back("die");

    std::size_t points = 1;
    for (const auto& a : axes) points *= a.values.size();
    if (points * seeds.size() * dies.size() > 1000000) fail("axes", "more than a million runs");
    plan.points = points;
    std::map<std::string, std::string> seen;  // point canonical -> description, for duplicates
    std::vector<std::size_t> idx(axes.size(), 0);
    for (std::size_t p = 0; p < points; ++p) {
        // odometer over the axes, the last one fastest
        std::size_t rest = p;
        for (std::size_t k = axes.size(); k-- > 0;) {
            idx[k] = rest % axes[k].values.size();
            rest /= axes[k].values.size();
        }
        sweep_run r;
        r.point = p;
        r.model = base.model;
        r.data = base.data;
        r.limit = base.limit;
        r.params = base.params;
        std::string desc;
        for (std::size_t k = 0; k < axes.size(); ++k)
            for (std::size_t q = 0; q < axes[k].keys.size(); ++q) {
                const std::string& key = axes[k].keys[q];
                const std::string& val = axes[k].values[idx[k]][q];
                if (key == "model") r.model = val;
                else r.params[key] = val;
                r.axis_values.push_back(val);
                desc += (desc.empty() ? "" : ", ") + key + "=" + val + " (" + axes[k].where + "[" + std::to_string(idx[k]) + "])";
            }
        json c;
        c["model"] = r.model;
        c["data"] = r.data;
        c["limit"] = r.limit ? json(*r.limit) : json();
        c["params"] = r.params;
        const std::string point_canon = c.dump();
        auto [it, fresh] = seen.emplace(point_canon, desc);
        if (!fresh)
            fail("axes", "duplicate point: " + (desc.empty() ? std::string("(base)") : desc) + " is the same configuration as " + it->second);
        for (auto s : seeds)
            for (auto d : dies) {
                sweep_run rr = r;
                rr.seed = s;
                rr.die = d;
                rr.params["run.die"] = std::to_string(d);
                rr.axis_values.push_back(std::to_string(s));
                rr.axis_values.push_back(std::to_string(d));
                json cc;
                cc["model"] = rr.model;
                cc["data"] = rr.data;
                cc["limit"] = rr.limit ? json(*rr.limit) : json();
                cc["seed"] = rr.seed;
                cc["params"] = rr.params;
                rr.canonical = cc.dump();
                rr.id = sha256_hex(rr.canonical).substr(0, 16);
                plan.runs.push_back(std::move(rr));
            }
    }
    return plan;
}

json sweep_plan::to_json() const {
    json j;
    j["columns"] = columns;
    j["points"] = points;
    j["threads"] = threads ? json(*threads) : json();
    j["images_per_run"] = images_per_run;
    j["runs"] = json::array();
    for (const auto& r : runs)
        j["runs"].push_back({{"id", r.id},
                             {"point", r.point},
                             {"axis_values", r.axis_values},
                             {"model", r.model},
                             {"data", r.data},
                             {"limit", r.limit ? json(*r.limit) : json()},
                             {"seed", r.seed},
                             {"die", r.die},
                             {"params", r.params},
                             {"canonical", r.canonical}});
    return j;
}

sweep_plan sweep_plan::from_json(const json& j) {
    sweep_plan p;
    p.columns = j.at("columns").get<std::vector<std::string>>();
    p.points = j.at("points").get<std::size_t>();
    if (!j.at("threads").is_null()) p.threads = j["threads"].get<int>();
    p.images_per_run = j.at("images_per_run").get<double>();
    for (const auto& r : j.at("runs")) {
        sweep_run s;
        s.id = r.at("id").get<std::string>();
        s.point = r.at("point").get<std::size_t>();
        s.axis_values = r.at("axis_values").get<std::vector<std::string>>();
        s.model = r.at("model").get<std::string>();
        s.data = r.at("data").get<std::string>();
        if (!r.at("limit").is_null()) s.limit = r["limit"].get<std::size_t>();
        s.seed = r.at("seed").get<std::uint64_t>();
        s.die = r.at("die").get<std::uint64_t>();
        s.params = r.at("params").get<std::map<std::string, std::string>>();
        s.canonical = r.at("canonical").get<std::string>();
        p.runs.push_back(std::move(s));
    }
    return p;
}

}  // namespace acim::testbench::sweep
