// A small fixed pool of worker threads for data-parallel loops inside one engine call. Work is cut
// into contiguous chunks by index, so which thread computes which chunk never affects a result.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
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

    int size() const { return m_size; }
    // Calls fn(worker, begin, end) on `size()` contiguous parts of [0, n) and waits for all.
    // The first exception thrown by any part is rethrown here.
    void parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn);

private:
    void worker_loop(int id);
    int m_size;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_start;
    std::condition_variable m_done;
    const std::function<void(int, std::size_t, std::size_t)>* m_job = nullptr;
    std::size_t m_n = 0;
    std::size_t m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
    std::exception_ptr m_error;
};

}  // namespace acim::core
