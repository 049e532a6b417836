#include "sweep_slurm.hpp"

#include "sweep_aggregate.hpp"
#include "sweep_exec.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace acim::testbench::sweep {
namespace {

constexpr std::size_t max_array_tasks = 1000;  // Slurm's default MaxArraySize=1001: indices 0..1000

json read_json_file(const fs::path& p) {
    std::ifstream f(p);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    return json::parse(f);
}

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream is(s);
    std::vector<std::string> w;
    std::string x;
    while (is >> x) w.push_back(x);
    return w;
}

}  // namespace

int submit_slurm(const sweep_plan& plan, const fs::path& out, const std::string& exe, const slurm_options& opt) {
    const fs::path sd = out / "slurm";
    fs::create_directories(sd / "logs");
    // Bundle: consecutive runs, so that one task holds >= task_seconds of estimated work.
    const double per_run = opt.run_overhead_seconds +
                           plan.images_per_run / (opt.images_per_second * static_cast<double>(std::max(1, opt.threads)));
    std::size_t bundle = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(opt.task_seconds / per_run)));
    if ((plan.runs.size() + bundle - 1) / bundle > max_array_tasks) bundle = (plan.runs.size() + max_array_tasks - 1) / max_array_tasks;

    // Keep an existing manifest of the same runs: its indices are what a resubmission refers to.
    std::vector<std::vector<std::string>> tasks;
    const fs::path manifest = sd / "manifest.json";
    std::vector<std::string> ids;
    for (const auto& r : plan.runs) ids.push_back(r.id);
    if (fs::exists(manifest)) {
        const json m = read_json_file(manifest);
        std::vector<std::string> old_ids;
        for (const auto& t : m.at("tasks"))
            for (const auto& id : t) old_ids.push_back(id.get<std::string>());
        if (old_ids == ids && m.contains("exe") && m["exe"] == exe)
            for (const auto& t : m.at("tasks")) tasks.push_back(t.get<std::vector<std::string>>());
    }
    if (tasks.empty()) {
        for (std::size_t k = 0; k < ids.size(); k += bundle)
            tasks.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(k),
                               ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), k + bundle)));
        json m;
        m["exe"] = exe;
        m["threads"] = opt.threads;
        m["estimated_seconds_per_run"] = per_run;
        m["runs_per_task"] = bundle;
        m["tasks"] = tasks;
        write_atomic(manifest, m.dump(1) + "\n");
    }
    const fs::path script = sd / "task.sh";
    write_atomic(script, "#!/bin/sh\n# One array task of an acim sweep: runs the bundle SLURM_ARRAY_TASK_ID of manifest.json.\nexec " +
                             shell_quote(exe) + " sweep --task \"$SLURM_ARRAY_TASK_ID\" " + shell_quote(fs::absolute(out).string()) + "\n");
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);

    std::map<std::string, const sweep_run*> by_id;
    for (const auto& r : plan.runs) by_id[r.id] = &r;
    std::string missing;
    std::size_t n_missing = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const bool todo = std::any_of(tasks[t].begin(), tasks[t].end(),
                                      [&](const std::string& id) { return !run_done(out, *by_id.at(id)); });
        if (todo) {
            missing += (missing.empty() ? "" : ",") + std::to_string(t);
            ++n_missing;
        }
    }
    if (n_missing == 0) {
        std::fprintf(stderr, "acim sweep: all %zu runs are done; nothing to submit\n", plan.runs.size());
        const auto c = aggregate(plan, out);
        return c.ok == plan.runs.size() ? 0 : 1;
    }
    std::vector<std::string> args{"--parsable", "--array=" + missing, "--job-name=acim-sweep",
                                  "--output=" + (fs::absolute(sd) / "logs" / "%A_%a.out").string(),
                                  "--cpus-per-task=" + std::to_string(opt.threads)};
    if (!opt.partition.empty()) args.push_back("--partition=" + opt.partition);
    if (!opt.account.empty()) args.push_back("--account=" + opt.account);
    for (auto& w : split_words(opt.sbatch_extra)) args.push_back(w);
    args.push_back(fs::absolute(script).string());
    const captured sb = run_capture("/usr/bin/env", [&] {
        std::vector<std::string> a{"sbatch"};
        a.insert(a.end(), args.begin(), args.end());
        return a;
    }());
    if (sb.status != 0) {
        std::fprintf(stderr, "acim sweep: sbatch failed (exit %d): %s", sb.status, sb.output.c_str());
        return 1;
    }
    std::string job = sb.output.substr(0, sb.output.find_first_of(";\n"));
    std::string cmd = "sbatch";
    for (const auto& a : args) cmd += " " + a;
    std::ofstream(sd / "submissions.log", std::ios::app) << job << " " << cmd << "\n";
    std::fprintf(stderr, "acim sweep: submitted Slurm job %s: %zu of %zu array tasks (%zu runs each, ~%.1f s/run estimated)\n",
                 job.c_str(), n_missing, tasks.size(), tasks.front().size(), per_run);
    if (!opt.wait) {
        std::fprintf(stderr, "acim sweep: when it has finished: acim sweep --collect %s\n", out.string().c_str());
        return 0;
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        const captured q = run_capture("/usr/bin/env", {"squeue", "-h", "-r", "-j", job, "-o", "%i"});
        // squeue errors once the job is purged ("Invalid job id"); an empty answer means done.
        bool gone = q.status != 0 || q.output.find_first_not_of(" \n") == std::string::npos;
        if (gone) break;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > opt.wait_timeout_seconds) {
            std::fprintf(stderr, "acim sweep: job %s still queued after %.0f s; stopped waiting\n", job.c_str(),
                         opt.wait_timeout_seconds);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    const auto c = aggregate(plan, out);
    std::fprintf(stderr, "acim sweep: collected %s: %zu ok, %zu failed, %zu missing\n", out.string().c_str(), c.ok,
                 c.failed, c.missing);
    return c.ok == plan.runs.size() ? 0 : 1;
}

int run_slurm_task(const fs::path& out, std::size_t index, const std::string& exe) {
    const json m = read_json_file(out / "slurm" / "manifest.json");
    const sweep_plan plan = sweep_plan::from_json(read_json_file(out / "plan.json"));
    const auto tasks = m.at("tasks").get<std::vector<std::vector<std::string>>>();
    if (index >= tasks.size())
        throw std::invalid_argument("task index " + std::to_string(index) + " is beyond the manifest's " +
                                    std::to_string(tasks.size()) + " tasks");
    std::map<std::string, const sweep_run*> by_id;
    for (const auto& r : plan.runs) by_id[r.id] = &r;
    const int threads = m.at("threads").get<int>();
    int failed = 0;
    for (const auto& id : tasks[index]) {
        auto it = by_id.find(id);
        if (it == by_id.end()) throw std::runtime_error("run " + id + " is not in plan.json");
        const bool ok = run_one_blocking(out, *it->second, exe, threads);
        std::printf("acim sweep task %zu: run %s %s\n", index, it->first.c_str(), ok ? "ok" : "FAILED");
        std::fflush(stdout);
        if (!ok) ++failed;
    }
    return failed ? 1 : 0;
}

}  // namespace acim::testbench::sweep
