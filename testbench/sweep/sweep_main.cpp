#include <acim/testbench/sweep/sweep_main.hpp>

#include "sweep_aggregate.hpp"
#include "sweep_exec.hpp"
#include "sweep_slurm.hpp"
#include "sweep_spec.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace acim::testbench::sweep {
namespace {

std::string self_exe() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw std::runtime_error("cannot resolve /proc/self/exe: " + ec.message());
    return p.string();
}

sweep_plan load_plan(const fs::path& out) {
    std::ifstream f(out / "plan.json");
    if (!f) throw std::invalid_argument("'" + out.string() + "' is not a sweep directory (no plan.json)");
    return sweep_plan::from_json(json::parse(f));
}

int report_counts(const aggregate_counts& c, const fs::path& out) {
    std::fprintf(stderr, "acim sweep: %s: %zu runs ok, %zu failed, %zu missing; wrote results.csv and summary.csv\n",
                 out.string().c_str(), c.ok, c.failed, c.missing);
    if (c.failed) std::fprintf(stderr, "acim sweep: failed runs have their error in results.csv and points/<id>/error.json\n");
    return c.failed || c.missing ? 1 : 0;
}

std::string plot_script(const std::string& exe) {
    if (const char* env = std::getenv("ACIM_PLOT_SCRIPT")) return env;
    for (const fs::path& cand : {fs::path(ACIM_SOURCE_DIR) / "scripts" / "acim_plot.py",
                                fs::path(exe).parent_path() / "acim_plot.py",
                                fs::path(exe).parent_path() / ".." / "share" / "acim" / "acim_plot.py"})
        if (fs::is_regular_file(cand)) return cand.string();
    throw std::runtime_error("scripts/acim_plot.py not found (set ACIM_PLOT_SCRIPT)");
}

int plot_command(int argc, char** argv) {
    CLI::App app{"acim plot: PNG plots of a run directory (report.json) or a sweep directory (summary.csv)", "acim plot"};
    std::string dir, out;
    app.add_option("DIR", dir, "run directory (--out of acim run) or sweep directory (--out of acim sweep)")->required();
    app.add_option("--out", out, "write the PNGs here (default: DIR/plots)");
    CLI11_PARSE(app, argc, argv);
    const std::string py = "/usr/bin/python3";
    if (access(py.c_str(), X_OK) != 0) throw std::runtime_error("acim plot needs /usr/bin/python3 with matplotlib (python3-matplotlib)");
    std::vector<std::string> args{py, plot_script(self_exe()), dir};
    if (!out.empty()) args.insert(args.end(), {"--out", out});
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    std::fflush(stdout);
    execv(py.c_str(), av.data());
    throw std::runtime_error(std::string("cannot run ") + py + ": " + std::strerror(errno));
}

}  // namespace

bool is_sweep_command(int argc, char** argv) {
    return argc > 1 && (std::strcmp(argv[1], "sweep") == 0 || std::strcmp(argv[1], "plot") == 0);
}

int sweep_command(int argc, char** argv) {
    try {
        if (std::strcmp(argv[1], "plot") == 0) return plot_command(argc - 1, argv + 1);
        CLI::App app{"acim sweep: run a design-space sweep, one `acim run` per point, seed and die (docs/sweeps.md)", "acim sweep"};
        std::string spec, out, backend = "local", collect;
        int jobs = 0;
        long task = -1;
        slurm_options so;
        app.add_option("SPEC", spec, "sweep specification (JSON)");
        app.add_option("--out", out, "sweep directory (default: ./<spec name>.sweep)");
        app.add_option("--jobs", jobs, "concurrent runs (local backend; default: cores / threads)")->check(CLI::Range(1, 1024));
        app.add_option("--backend", backend, "local or slurm")->check(CLI::IsMember({"local", "slurm"}));
        app.add_option("--partition", so.partition, "Slurm partition (sbatch --partition)");
        app.add_option("--account", so.account, "Slurm account (sbatch --account)");
        app.add_option("--sbatch-args", so.sbatch_extra, "more sbatch arguments, space-separated, e.g. \"--mem=2G --time=30\"");
        app.add_option("--task-seconds", so.task_seconds, "Slurm: target work per array task [s]")->check(CLI::PositiveNumber);
        app.add_option("--rate", so.images_per_second, "Slurm: estimated images per second per thread")->check(CLI::PositiveNumber);
        app.add_flag("--wait", so.wait, "Slurm: wait for the array (polling squeue), then collect");
        app.add_option("--wait-timeout", so.wait_timeout_seconds, "Slurm: give up waiting after this many seconds")->check(CLI::PositiveNumber);
        app.add_option("--collect", collect, "aggregate the results in sweep directory DIR (results.csv, summary.csv)");
        app.add_option("--task", task, "internal: run array task INDEX of the sweep directory given as SPEC")->group("");
        CLI11_PARSE(app, argc - 1, argv + 1);
        const std::string exe = self_exe();

        if (task >= 0) return run_slurm_task(spec, static_cast<std::size_t>(task), exe);
        if (!collect.empty()) {
            if (!spec.empty()) throw std::invalid_argument("--collect DIR takes no SPEC");
            return report_counts(aggregate(load_plan(collect), collect), collect);
        }
        if (spec.empty()) throw std::invalid_argument("a sweep specification is required (acim sweep SPEC.json)");

        // Everything is checked before anything runs.
        sweep_plan plan = expand_spec(spec, known_parameters(exe));
        validate_plan(plan, exe);
        if (out.empty()) out = fs::path(spec).stem().string() + ".sweep";
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        int threads = plan.threads.value_or(1);
        if (backend == "local") {
            if (jobs == 0) jobs = std::max(1, cores / threads);
            if (jobs * threads > cores) {
                const int t = std::max(1, cores / jobs);
                if (plan.threads)
                    std::fprintf(stderr, "acim sweep: %d jobs x %d threads exceed %d cores: %d thread(s) per run\n", jobs,
                                 threads, cores, t);
                threads = t;
            }
        }
        fs::create_directories(out);
        if (backend == "local") {
            // One local sweep per directory at a time (the lock goes with the process, also on kill -9).
            const int lock = open((fs::path(out) / "sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0)
                throw std::runtime_error("another acim sweep is running in '" + out + "' (sweep.lock)");
        }
        write_atomic(fs::path(out) / "plan.json", plan.to_json().dump(1) + "\n");
        const fs::path spec_copy = fs::path(out) / "spec.json";
        fs::copy_file(spec, spec_copy.string() + ".tmp", fs::copy_options::overwrite_existing);
        fs::rename(spec_copy.string() + ".tmp", spec_copy);
        if (backend == "slurm") {
            so.threads = threads;
            return submit_slurm(plan, out, exe, so);
        }
        run_local(plan, out, exe, jobs, threads);
        return report_counts(aggregate(plan, out), out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "acim: error: %s\n", e.what());
        return 2;
    }
}

}  // namespace acim::testbench::sweep
