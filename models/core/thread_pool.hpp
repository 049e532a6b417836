// A small fixed pool of worker threads for data-parallel loops inside one engine call. Work is cut
// into contiguous chunks by index, so which thread computes which chunk never affects a result.
//
// Engine calls are short (one macro START is ~0.1 ms of work) and come back to back, so the
// hand-over is built for latency: a worker that finished a job spins briefly for the next one
// before it sleeps on a condition variable, and the caller spins briefly for the workers before it
// sleeps; no system call is made while both sides are busy.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace acim::core {

class thread_pool {
public:
    explicit thread_pool(int threads);  // threads >= 1; the caller's thread is one of them
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    // The process-wide pool of `threads` threads, shared by every engine and host pass: the calls
    // come one after another from the simulation thread, and one set of spinning workers serves
    // them all (a pool per engine would leave several workers spinning on two cores).
    static std::shared_ptr<thread_pool> shared(int threads);

    int size() const { return m_size; }
    // Calls fn(worker, begin, end) on `size()` contiguous parts of [0, n) and waits for all.
    // The first exception thrown by any part is rethrown here. A call made while another is in
    // progress (another thread, or from inside a part) runs its parts one after another on the
    // calling thread, with the same worker numbers and bounds.
    void parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn);

    // How long either side spins before it sleeps.
    static constexpr long spin_microseconds = 200;

private:
    void worker_loop(int id);
    int m_size;
    std::vector<std::thread> m_threads;
    std::mutex m_caller;  // held by the call in progress
    std::mutex m_mutex;
    std::condition_variable m_start;
    std::condition_variable m_done;
    const std::function<void(int, std::size_t, std::size_t)>* m_job = nullptr;
    std::size_t m_n = 0;
    std::atomic<std::size_t> m_generation{0};  // bumped (under m_mutex) to publish m_job and m_n
    std::atomic<int> m_pending{0};             // workers still on the current job
    std::atomic<int> m_sleeping{0};            // workers waiting on m_start
    std::atomic<bool> m_stop{false};
    std::exception_ptr m_error;                // guarded by m_mutex
};

}  // namespace acim::core
