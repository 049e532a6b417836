#include <acim/testbench/files.hpp>

#include <openssl/evp.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace acim::testbench {

namespace fs = std::filesystem;

void write_atomic(const fs::path& path, const std::string& text) {
    // The process id keeps concurrent writers of the same path (sweep children) apart.
    const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
    try {
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            if (!f) throw std::runtime_error("cannot write " + tmp.string());
            f << text;
            f.flush();
            if (!f) throw std::runtime_error("cannot write " + tmp.string());
        }
        fs::rename(tmp, path);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
}

namespace {
std::string hex(const unsigned char* p, unsigned n) {
    static const char digits[] = "0123456789abcdef";
    std::string h;
    h.reserve(2 * n);
    for (unsigned k = 0; k < n; ++k) {
        h += digits[p[k] >> 4];
        h += digits[p[k] & 15];
    }
    return h;
}
}  // namespace

std::string sha256_hex(const std::string& bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
    return hex(md, n);
}

std::string sha256_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path.string() + " to hash it");
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 failed");
    std::vector<char> buf(1 << 16);
    while (f) {
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (f.gcount() > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(f.gcount())) != 1)
            throw std::runtime_error("SHA-256 failed");
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md, &n) != 1) throw std::runtime_error("SHA-256 failed");
    return hex(md, n);
}

}  // namespace acim::testbench
