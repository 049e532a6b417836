// SHA-256 of a byte string as lower-case hex (OpenSSL's libcrypto does the hashing).
#pragma once

#include <string>

namespace acim::testbench::sweep {

std::string sha256_hex(const std::string& bytes);

}  // namespace acim::testbench::sweep
