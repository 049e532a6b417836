#include "fuzz_input_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace acim::fuzz {

input_file::input_file(const std::uint8_t* data, std::size_t size) {
    m_fd = memfd_create("acim_fuzz_input", MFD_CLOEXEC);
    if (m_fd < 0) {
        std::perror("memfd_create");
        std::abort();  // the harness, not the loader, failed: stop loudly
    }
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = write(m_fd, data + done, size - done);
        if (n <= 0) {
            std::perror("write");
            std::abort();
        }
        done += static_cast<std::size_t>(n);
    }
    m_path = "/proc/self/fd/" + std::to_string(m_fd);
}

input_file::~input_file() { close(m_fd); }

}  // namespace acim::fuzz
