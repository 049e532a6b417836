// A fuzz input as a file, for loaders that take a path: an anonymous memory file (memfd) named
// through /proc/self/fd, so no fuzz iteration touches the disk or leaves a file behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace acim::fuzz {

class input_file {
public:
    input_file(const std::uint8_t* data, std::size_t size);
    ~input_file();
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;

    const std::string& path() const { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

}  // namespace acim::fuzz
