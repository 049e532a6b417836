// The `acim sweep` and `acim plot` subcommands (docs/sweeps.md). acim_main.cpp hands argv over
// when argv[1] names one of them; everything else about them lives in testbench/sweep/.
#pragma once

namespace acim::testbench::sweep {

// True when `argv[1]` is "sweep" or "plot".
bool is_sweep_command(int argc, char** argv);
// Runs the subcommand; returns the process exit code (2 for bad input).
int sweep_command(int argc, char** argv);

}  // namespace acim::testbench::sweep
