// Files the run and the sweep write and identify: an atomic write (temporary file in the same
// folder + rename, nothing half-written and no temporary left behind on failure) and SHA-256
// digests of bytes and of files (OpenSSL's libcrypto), as lower-case hex.
#pragma once

#include <filesystem>
#include <string>

namespace acim::testbench {

// Throws std::runtime_error naming the file when it cannot be written or renamed.
void write_atomic(const std::filesystem::path& path, const std::string& text);

std::string sha256_hex(const std::string& bytes);
// Reads the file in blocks; throws std::runtime_error naming it when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace acim::testbench
