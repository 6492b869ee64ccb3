// Runs a test's tensor work on one thread and restores the previous count afterwards. On a
// shared, oversubscribed machine (and under ctest -j, which runs test processes side by side),
// OpenMP's spinning worker threads make small-tensor tests 10-30x slower than one thread.
#pragma once
#include <ATen/Parallel.h>

struct SingleThread {
  int previous = at::get_num_threads();
  SingleThread() { at::set_num_threads(1); }
  ~SingleThread() { at::set_num_threads(previous); }
  SingleThread(const SingleThread&) = delete;
  SingleThread& operator=(const SingleThread&) = delete;
};
