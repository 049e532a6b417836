#include "thread_pool.hpp"

#include "error.hpp"

namespace acim::core {

namespace {
void part(std::size_t n, int parts, int k, std::size_t& b, std::size_t& e) {
    const auto p = static_cast<std::size_t>(parts), i = static_cast<std::size_t>(k);
    b = n * i / p;
    e = n * (i + 1) / p;
}
}  // namespace

thread_pool::thread_pool(int threads) : m_size(threads) {
    check_range("threads", threads, 1, 256);
    for (int t = 1; t < threads; ++t) m_threads.emplace_back([this, t] { worker_loop(t); });
}

thread_pool::~thread_pool() {
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_stop = true;
    }
    m_start.notify_all();
    for (auto& t : m_threads) t.join();
}

void thread_pool::worker_loop(int id) {
    std::size_t seen = 0;
    for (;;) {
        std::unique_lock<std::mutex> lk(m_mutex);
        m_start.wait(lk, [&] { return m_stop || m_generation != seen; });
        if (m_stop) return;
        seen = m_generation;
        const auto* job = m_job;
        const std::size_t n = m_n;
        lk.unlock();
        std::size_t b = 0, e = 0;
        part(n, m_size, id, b, e);
        try {
            if (b < e) (*job)(id, b, e);
        } catch (...) {
            std::lock_guard<std::mutex> g(m_mutex);
            if (!m_error) m_error = std::current_exception();
        }
        lk.lock();
        if (--m_pending == 0) m_done.notify_one();
    }
}

void thread_pool::parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn) {
    if (m_size == 1 || n < 2) {
        if (n > 0) fn(0, 0, n);
        return;
    }
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_job = &fn;
        m_n = n;
        m_pending = m_size - 1;
        m_error = nullptr;
        ++m_generation;
    }
    m_start.notify_all();
    std::size_t b = 0, e = 0;
    part(n, m_size, 0, b, e);
    std::exception_ptr mine;
    try {
        if (b < e) fn(0, b, e);
    } catch (...) {
        mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lk(m_mutex);
    m_done.wait(lk, [&] { return m_pending == 0; });
    if (mine) std::rethrow_exception(mine);
    if (m_error) std::rethrow_exception(m_error);
}

}  // namespace acim::core
