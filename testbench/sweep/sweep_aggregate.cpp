#include "sweep_aggregate.hpp"

#include "sweep_exec.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace acim::testbench::sweep {
namespace {

const char* const metric_names[] = {"accuracy_acim", "accuracy_ideal", "flips", "energy_per_image_nj",
                                    "latency_per_image_us", "tops_per_watt"};

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string num(double v) {
    if (!std::isfinite(v)) return "";
    char b[64];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

std::string num(const json& v) { return v.is_number() ? num(v.get<double>()) : std::string(); }

json read(const fs::path& p) {
    std::ifstream f(p);
    if (!f) return json();
    try {
        return json::parse(f);
    } catch (const json::exception&) {
        return json();
    }
}

}  // namespace

sample_stats stats_of(const std::vector<double>& xs) {
    sample_stats s;
    s.n = xs.size();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (s.n == 0) return {0, nan, nan, nan};
    for (double x : xs) s.mean += x;
    s.mean /= static_cast<double>(s.n);
    if (s.n < 2) {
        s.sd = s.ci95 = nan;
        return s;
    }
    if (std::all_of(xs.begin(), xs.end(), [&](double x) { return x == xs.front(); })) {
        s.mean = xs.front();  // no rounding residue for identical samples
        s.sd = s.ci95 = 0.0;
        return s;
    }
    double ss = 0.0;
    for (double x : xs) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(s.n - 1));
    const boost::math::students_t t(static_cast<double>(s.n - 1));
    s.ci95 = boost::math::quantile(boost::math::complement(t, 0.025)) * s.sd / std::sqrt(static_cast<double>(s.n));
    return s;
}

aggregate_counts aggregate(const sweep_plan& plan, const fs::path& out) {
    aggregate_counts counts;
    std::string results = "point,id";
    for (const auto& c : plan.columns) results += "," + csv_field(c);
    results += ",status";
    for (const char* m : metric_names) results += std::string(",") + m;
    results += ",acim_seconds,run_wall_seconds,error\n";

    // per point: metric -> samples
    std::vector<std::map<std::string, std::vector<double>>> samples(plan.points);
    std::vector<std::size_t> ok_runs(plan.points, 0), all_runs(plan.points, 0);
    std::vector<const sweep_run*> first_run(plan.points, nullptr);
    for (const auto& r : plan.runs) {
        ++all_runs[r.point];
        if (!first_run[r.point]) first_run[r.point] = &r;
        const fs::path pd = point_dir(out, r);
        std::string row = std::to_string(r.point) + "," + r.id;
        for (const auto& v : r.axis_values) row += "," + csv_field(v);
        const json res = read(pd / "result.json");
        if (res.is_object() && res.contains("status") && res["status"] == "ok") {
            ++counts.ok;
            ++ok_runs[r.point];
            row += ",ok";
            const json& m = res["metrics"];
            for (const char* name : metric_names) {
                row += "," + num(m.contains(name) ? m[name] : json());
                if (m.contains(name) && m[name].is_number()) samples[r.point][name].push_back(m[name].get<double>());
            }
            row += "," + num(m.contains("acim_seconds") ? m["acim_seconds"] : json()) + "," + num(m.contains("run_wall_seconds") ? m["run_wall_seconds"] : json()) + ",";
        } else {
            const json err = read(pd / "error.json");
            const bool failed = err.is_object();
            ++(failed ? counts.failed : counts.missing);
            row += failed ? ",failed" : ",missing";
            for (std::size_t k = 0; k < std::size(metric_names) + 2; ++k) row += ",";
            row += "," + csv_field(failed ? (err.contains("error") && err["error"].is_string() ? err["error"].get<std::string>() : std::string()) : "");
        }
        results += row + "\n";
    }

    std::string summary = "point";
    for (std::size_t c = 0; c + 2 < plan.columns.size(); ++c) summary += "," + csv_field(plan.columns[c]);
    summary += ",runs,ok";
    for (const char* m : metric_names)
        for (const char* s : {"_mean", "_sd", "_ci95_lo", "_ci95_hi"}) summary += std::string(",") + m + s;
    summary += "\n";
    for (std::size_t p = 0; p < plan.points; ++p) {
        if (!first_run[p]) continue;
        std::string row = std::to_string(p);
        for (std::size_t c = 0; c + 2 < first_run[p]->axis_values.size(); ++c) row += "," + csv_field(first_run[p]->axis_values[c]);
        row += "," + std::to_string(all_runs[p]) + "," + std::to_string(ok_runs[p]);
        for (const char* m : metric_names) {
            const sample_stats s = stats_of(samples[p][m]);
            row += "," + num(s.mean) + "," + num(s.sd) + "," + num(s.mean - s.ci95) + "," + num(s.mean + s.ci95);
        }
        summary += row + "\n";
    }
    write_atomic(out / "results.csv", results);
    write_atomic(out / "summary.csv", summary);
    return counts;
}

}  // namespace acim::testbench::sweep
