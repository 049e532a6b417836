// sc_main() of the SystemC test executables (libsystemc's main() calls it). SystemC cannot elaborate twice in one process, so when a
// run selects several tests (plain `./test_x`, or a broad --gtest_filter), this main re-executes
// itself once per test and reports a summary; a run of one test (what ctest does, through
// gtest_discover_tests) runs in process. The report handler turns SystemC warnings and errors
// into failures.
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* const child_env = "ACIM_SC_TEST_CHILD";

std::string self_path() {
    std::vector<char> buf(4096);
    const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) return {};
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

// Runs `args` as a child process; captures its stdout when `out` is given. Returns the exit status
// (-1 if it could not run or died from a signal).
int run_child(const std::vector<std::string>& args, std::string* out) {
    int fds[2] = {-1, -1};
    if (out != nullptr && pipe(fds) != 0) return -1;
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (out != nullptr) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
        }
        setenv(child_env, "1", 1);
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    if (out != nullptr) {
        close(fds[1]);
        char buf[4096];
        ssize_t n = 0;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<std::size_t>(n));
        close(fds[0]);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Full names of the tests the current filter selects, from a `--gtest_list_tests` child.
std::vector<std::string> selected_tests(const std::string& self, const std::string& filter) {
    std::string listing;
    if (run_child({self, "--gtest_list_tests", "--gtest_filter=" + filter}, &listing) != 0) return {};
    std::vector<std::string> tests;
    std::istringstream in(listing);
    std::string line, suite;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const std::string name = line.substr(0, line.find("  #"));
        if (name[0] != ' ') {
            suite = name.substr(0, name.find_last_not_of(' ') + 1);
        } else {
            const auto b = name.find_first_not_of(' ');
            tests.push_back(suite + name.substr(b, name.find_last_not_of(' ') - b + 1));
        }
    }
    return tests;
}

}  // namespace

int sc_main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    acim::test::install_report_handler();
    if (std::getenv(child_env) == nullptr && !GTEST_FLAG_GET(list_tests)) {
        const std::string self = self_path();
        const std::vector<std::string> tests = selected_tests(self, GTEST_FLAG_GET(filter));
        if (tests.size() > 1) {
            std::vector<std::string> failed;
            for (const std::string& t : tests) {
                std::cout << "[ process  ] " << t << std::endl;
                if (run_child({self, "--gtest_filter=" + t}, nullptr) != 0) failed.push_back(t);
            }
            std::cout << "[==========] " << tests.size() << " tests, one process each; " << failed.size()
                      << " failed" << std::endl;
            for (const std::string& t : failed) std::cout << "[  FAILED  ] " << t << std::endl;
            return failed.empty() ? 0 : 1;
        }
    }
    return RUN_ALL_TESTS();
}
