#include "sweep_exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace acim::testbench::sweep {
namespace {

using clock_type = std::chrono::steady_clock;

int decode_status(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

// fork + exec with stdout/stderr to `out_fd`; the child is killed when this process dies, so no
// run outlives a killed sweep and writes a report behind its back.
pid_t spawn(const std::string& exe, const std::vector<std::string>& args, int out_fd) {
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // the sweep died between fork and prctl
        const int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(out_fd, 2);
        execv(exe.c_str(), argv.data());
        const char msg[] = "acim sweep: exec of the child failed\n";
        ssize_t ignored = write(2, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    return pid;
}

void append_line(const fs::path& path, const std::string& line) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    const std::string l = line + "\n";
    ssize_t n = write(fd, l.data(), l.size());  // one write: lines from concurrent writers never interleave
    close(fd);
    if (n != static_cast<ssize_t>(l.size())) throw std::runtime_error("cannot write " + path.string());
}

std::string tail_of(const fs::path& log, std::size_t max_lines) {
    std::ifstream f(log);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(f, l)) {
        // progress redraws end in \r: keep what a terminal would show last
        const auto cr = l.find_last_of('\r');
        if (cr != std::string::npos) l = l.substr(cr + 1);
        if (!l.empty()) lines.push_back(l);
    }
    std::string s;
    for (std::size_t k = lines.size() > max_lines ? lines.size() - max_lines : 0; k < lines.size(); ++k)
        s += (s.empty() ? "" : "\n") + lines[k];
    return s;
}

std::optional<json> read_json(const fs::path& p) {
    std::ifstream f(p);
    if (!f) return std::nullopt;
    try {
        return json::parse(f);
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

json number_at(const json& j, std::initializer_list<const char*> path) {
    const json* n = &j;
    for (const char* k : path) {
        if (!n->is_object() || !n->contains(k)) return json();
        n = &(*n)[k];
    }
    return n->is_number() ? *n : json();
}

json metrics_of(const json& rep) {
    json m;
    m["images"] = number_at(rep, {"images"});
    m["accuracy_acim"] = number_at(rep, {"accuracy", "acim"});
    m["accuracy_ideal"] = number_at(rep, {"accuracy", "ideal_integer"});
    m["flips"] = number_at(rep, {"prediction_flips_vs_ideal"});
    m["energy_per_image_nj"] = number_at(rep, {"hardware", "energy_per_image_nj"});
    const json sim = number_at(rep, {"hardware", "simulated_seconds"});
    m["latency_per_image_us"] = sim.is_number() && m["images"].is_number() && m["images"].get<double>() > 0
                                    ? json(sim.get<double>() * 1e6 / m["images"].get<double>())
                                    : json();
    m["tops_per_watt"] = number_at(rep, {"hardware", "tops_per_watt"});
    m["acim_seconds"] = number_at(rep, {"speed", "acim_seconds"});
    m["run_wall_seconds"] = number_at(rep, {"speed", "wall_seconds"});
    return m;
}

json run_header(const sweep_run& r) {
    return {{"id", r.id}, {"point", r.point}, {"seed", r.seed}, {"die", r.die}, {"axis_values", r.axis_values},
            {"canonical", r.canonical}};
}

// Publishes the outcome of a finished child: result.json on success, else error.json.
bool publish(const fs::path& out, const sweep_run& r, int status, double wall, bool adopted) {
    const fs::path pd = point_dir(out, r);
    const auto rep = read_json(pd / "run" / "report.json");
    json j = run_header(r);
    j["wall_seconds"] = wall;
    if (status == 0 && rep) {
        j["status"] = "ok";
        j["adopted"] = adopted;
        j["metrics"] = metrics_of(*rep);
        write_atomic(pd / "result.json", j.dump(2) + "\n");
        std::error_code ec;
        fs::remove(pd / "error.json", ec);
        append_line(out / "runs.log", "done " + r.id);
        return true;
    }
    j["status"] = "failed";
    j["exit_code"] = status;
    std::string err = tail_of(pd / "run.log", 4);
    if (status == 0) err = "exit 0 but no readable run/report.json" + (err.empty() ? "" : ": " + err);
    else if (status > 128) err = "killed by signal " + std::to_string(status - 128) + (err.empty() ? "" : ": " + err);
    else if (err.empty()) err = "exit code " + std::to_string(status);
    j["error"] = err;
    write_atomic(pd / "error.json", j.dump(2) + "\n");
    append_line(out / "runs.log", "failed " + r.id);
    return false;
}

// Returns true if a finished child's report was adopted (published); otherwise the run directory is
// fresh and the start is logged.
bool prepare(const fs::path& out, const sweep_run& r) {
    const fs::path pd = point_dir(out, r);
    fs::create_directories(pd);
    // run_job publishes report.json atomically as its last step: if it is there, the child finished.
    if (read_json(pd / "run" / "report.json")) {
        publish(out, r, 0, 0.0, true);
        return true;
    }
    fs::remove_all(pd / "run");
    fs::create_directories(pd / "run");
    return false;
}

struct started {
    pid_t pid;
    int log_fd;
};

started start_child(const fs::path& out, const sweep_run& r, const std::string& exe, int threads) {
    const fs::path pd = point_dir(out, r);
    auto args = r.args();
    args.insert(args.end(), {"--out", (pd / "run").string(), "--threads", std::to_string(threads)});
    const int fd = open((pd / "run.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write " + (pd / "run.log").string());
    const pid_t pid = spawn(exe, args, fd);
    append_line(out / "runs.log", "start " + r.id + " " + std::to_string(pid));
    return {pid, fd};
}

std::string hms(double s) {
    const long t = static_cast<long>(s + 0.5);
    char b[32];
    if (t >= 3600) std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else std::snprintf(b, sizeof b, "%ld:%02ld", t / 60, t % 60);
    return b;
}

}  // namespace

captured run_capture(const std::string& exe, const std::vector<std::string>& args) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = spawn(exe, args, fds[1]);
    close(fds[1]);
    captured c;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) c.output.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    c.status = decode_status(st);
    return c;
}

std::set<std::string> known_parameters(const std::string& exe) {
    std::set<std::string> names;
    const captured j = run_capture(exe, {"config", "--dump", "--json"});
    if (j.status == 0) {
        try {
            const json tree = json::parse(j.output);
            std::function<void(const json&, const std::string&)> walk = [&](const json& n, const std::string& prefix) {
                for (const auto& [k, v] : n.items()) {
                    const std::string name = prefix.empty() ? k : prefix + "." + k;
                    // a leaf may be spelled {"value": ..., "unit": ...}: the name ends there
                    const bool leaf = !v.is_object() || (v.contains("value") && (v.contains("unit") || v.contains("description")));
                    if (!leaf) walk(v, name);
                    else names.insert(name);
                }
            };
            if (tree.is_object()) walk(tree, "");
        } catch (const json::exception&) {
            names.clear();
        }
    }
    if (names.empty()) {
        // text dump: "name = value  [unit]  description"
        const captured t = run_capture(exe, {"config", "--dump"});
        if (t.status != 0) throw std::runtime_error("'" + exe + " config --dump' failed: " + t.output);
        std::istringstream is(t.output);
        std::string line;
        while (std::getline(is, line)) {
            const auto eq = line.find(" = ");
            if (eq != std::string::npos && eq > 0 && line.find(' ') == eq) names.insert(line.substr(0, eq));
        }
    }
    for (const char* special : {"model", "data", "limit", "threads", "seed", "batch", "path"}) names.erase(special);
    if (names.empty()) throw std::runtime_error("'" + exe + " config --dump' listed no parameters");
    return names;
}

void validate_plan(const sweep_plan& plan, const std::string& exe) {
    // Every distinct value of every key, a handful of `config --dump` calls: call c takes the c-th
    // distinct value of each key (values are checked one by one by the child's own parser).
    std::map<std::string, std::vector<std::string>> values;
    std::set<std::string> models, data;
    for (const auto& r : plan.runs) {
        for (const auto& [k, v] : r.params) {
            auto& vs = values[k];
            if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
        }
        if (!r.model.empty()) models.insert(r.model);
        if (!r.data.empty()) data.insert(r.data);
    }
    for (std::size_t c = 0;; ++c) {
        std::vector<std::string> args{"config", "--dump"};
        for (const auto& [k, vs] : values)
            if (c < vs.size()) args.insert(args.end(), {"-p", k + "=" + vs[c]});
        if (args.size() == 2) break;
        const captured res = run_capture(exe, args);
        if (res.status != 0) {
            std::string msg = res.output;
            while (!msg.empty() && msg.back() == '\n') msg.pop_back();
            throw std::invalid_argument("sweep spec: a parameter value is rejected: " + msg);
        }
    }
    for (const auto& m : models)
        if (!fs::is_regular_file(m)) throw std::invalid_argument("sweep spec: model '" + m + "' does not exist");
    for (const auto& d : data)
        if (!fs::is_directory(d)) throw std::invalid_argument("sweep spec: data directory '" + d + "' does not exist");
}

fs::path point_dir(const fs::path& out, const sweep_run& r) { return out / "points" / r.id; }

bool run_done(const fs::path& out, const sweep_run& r) { return fs::exists(point_dir(out, r) / "result.json"); }

bool run_one_blocking(const fs::path& out, const sweep_run& r, const std::string& exe, int threads) {
    if (run_done(out, r)) return true;
    if (prepare(out, r)) return true;
    const auto t0 = clock_type::now();
    const started s = start_child(out, r, exe, threads);
    int st = 0;
    while (waitpid(s.pid, &st, 0) < 0 && errno == EINTR) {
    }
    close(s.log_fd);
    return publish(out, r, decode_status(st), std::chrono::duration<double>(clock_type::now() - t0).count(), false);
}

std::size_t run_local(const sweep_plan& plan, const fs::path& out, const std::string& exe, int jobs, int threads) {
    std::vector<const sweep_run*> pending;
    for (const auto& r : plan.runs)
        if (!run_done(out, r)) pending.push_back(&r);
    const std::size_t total = plan.runs.size();
    std::size_t finished = total - pending.size(), failed = 0, ran = 0;
    const bool tty = isatty(2) != 0;
    std::fprintf(stderr, "acim sweep: %zu runs (%zu points), %zu already done, %zu to run with %d job(s) x %d thread(s)\n",
                 total, plan.points, finished, pending.size(), jobs, threads);
    const auto t0 = clock_type::now();
    struct slot {
        const sweep_run* run;
        int log_fd;
        clock_type::time_point start;
    };
    std::map<pid_t, slot> running;
    std::size_t next = 0;
    auto draw = [&](const sweep_run* just, bool ok, double secs) {
        const double el = std::chrono::duration<double>(clock_type::now() - t0).count();
        const std::size_t left = total - finished;
        const std::string eta = ran ? hms(el / static_cast<double>(ran) * static_cast<double>(left)) : "?";
        if (tty) {
            const int width = 30;
            const int fill = total ? static_cast<int>(width * finished / total) : width;
            std::fprintf(stderr, "\r\033[K[%s%s] %zu/%zu runs, %zu failed, %s elapsed, ETA %s", std::string(static_cast<std::size_t>(fill), '#').c_str(),
                         std::string(static_cast<std::size_t>(width - fill), '.').c_str(), finished, total, failed,
                         hms(el).c_str(), left ? eta.c_str() : "0:00");
        } else if (just) {
            std::fprintf(stderr, "acim sweep: [%zu/%zu] run %s %s (%.2f s), %zu failed, elapsed %s, ETA %s\n", finished,
                         total, just->id.c_str(), ok ? "ok" : "FAILED", secs, failed, hms(el).c_str(),
                         left ? eta.c_str() : "0:00");
        }
        std::fflush(stderr);
    };
    auto last_draw = clock_type::now();
    while (next < pending.size() || !running.empty()) {
        while (static_cast<int>(running.size()) < jobs && next < pending.size()) {
            const sweep_run* r = pending[next++];
            if (prepare(out, *r)) {  // a finished child of a killed sweep: adopted
                ++finished;
                draw(r, true, 0.0);
                continue;
            }
            const started s = start_child(out, *r, exe, threads);
            running[s.pid] = {r, s.log_fd, clock_type::now()};
        }
        if (running.empty()) continue;
        int st = 0;
        const pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid > 0) {
            auto it = running.find(pid);
            if (it == running.end()) continue;
            const slot s = it->second;
            running.erase(it);
            close(s.log_fd);
            const double secs = std::chrono::duration<double>(clock_type::now() - s.start).count();
            const bool ok = publish(out, *s.run, decode_status(st), secs, false);
            ++finished;
            ++ran;
            if (!ok) ++failed;
            draw(s.run, ok, secs);
            continue;
        }
        if (pid < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid failed: ") + std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (tty && clock_type::now() - last_draw > std::chrono::milliseconds(500)) {
            draw(nullptr, true, 0.0);
            last_draw = clock_type::now();
        }
    }
    if (tty) std::fprintf(stderr, "\n");
    return failed;
}

}  // namespace acim::testbench::sweep
