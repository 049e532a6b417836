// A small fixed pool of worker threads for data-parallel loops inside one engine call. Work is cut
// into contiguous chunks by index, so which thread computes which chunk never affects a result.
//
// Engine calls are short (one macro START is ~0.1 ms of work) and come back to back, so the
// hand-over is built for latency: a worker that finished a job spins briefly for the next one
// before it sleeps on a condition variable, and the caller spins briefly for the workers before it
// sleeps; no system call is made while both sides are busy. The threads claim chunks as they come
// free, so a worker that is late (or busy with a background task) delays nothing: the caller takes
// the chunks itself.
//
// Background tasks (post) fill the workers' idle time between jobs: work that overlaps the
// caller's serial steps, such as the exact reference pass of a workload run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
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
    // Calls fn(worker, begin, end) on contiguous chunks of [0, n) (chunks_per_thread per thread)
    // and waits for all. One worker may get several chunks, so fn must add into per-worker state,
    // never reset it. The first exception thrown by a chunk is rethrown here (the other chunks
    // still run). A call made while another is in progress (another thread, or from inside a
    // chunk or task) runs on the calling thread alone.
    void parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn);

    // Queues a task for the workers' idle time (any worker, in queue order; none if size() == 1).
    void post(std::function<void()> task);
    // Runs queued tasks on the calling thread too and returns when every posted task has finished;
    // rethrows the first exception a task threw since the last call.
    void wait_background();

    static constexpr long spin_microseconds = 200;  // how long either side spins before it sleeps
    static constexpr std::size_t chunks_per_thread = 2;

private:
    void worker_loop(int id);
    // Claims and runs chunks of job generation g until none are left.
    void run_chunks(const std::function<void(int, std::size_t, std::size_t)>& fn, std::size_t n, std::size_t chunks,
                    std::uint64_t g, int id);
    bool run_one_task();  // pops and runs one queued task; false if the queue was empty

    int m_size;
    std::vector<std::thread> m_threads;
    std::mutex m_caller;  // held by the parallel_for in progress
    std::mutex m_mutex;
    std::condition_variable m_start;  // new job, task or stop
    std::condition_variable m_done;   // last chunk finished / a task finished
    // The current job, published under m_mutex before m_generation is bumped.
    const std::function<void(int, std::size_t, std::size_t)>* m_job = nullptr;
    std::size_t m_n = 0, m_chunks = 0;
    std::atomic<std::uint64_t> m_generation{0};
    std::atomic<std::uint64_t> m_claim{0};      // generation << 32 | next unclaimed chunk
    std::atomic<std::size_t> m_finished{0};     // chunks of the current job finished
    std::atomic<int> m_sleeping{0};             // workers waiting on m_start
    std::atomic<bool> m_stop{false};
    std::exception_ptr m_error;                 // guarded by m_mutex
    std::deque<std::function<void()>> m_tasks;  // guarded by m_mutex
    std::atomic<std::size_t> m_queued{0};       // m_tasks.size()
    std::size_t m_running = 0;                  // tasks being run, guarded by m_mutex
    std::exception_ptr m_task_error;            // guarded by m_mutex
};

}  // namespace acim::core
