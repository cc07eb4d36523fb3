#include "loaders/input/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

const char* to_string(Compression c) {
  switch (c) {
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    default: return "none";
  }
}

struct ByteSource::Hash {
  XXH3_state_t* state = XXH3_createState();
  Hash() { XXH3_64bits_reset(state); }
  ~Hash() { XXH3_freeState(state); }
};

RawInput::~RawInput() = default;

namespace {

class FileInput final : public RawInput {
 public:
  explicit FileInput(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      throw runtime_error(fmt::format("cannot open {}", path_.string()), errno_text(err),
                          err == ENOENT ? "Check the path and --base-path." : "Check the file's permissions.");
    }
    struct stat st {};
    ::fstat(fd_, &st);
    size_ = static_cast<std::uint64_t>(st.st_size);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ~FileInput() override { ::close(fd_); }
  std::size_t read(char* out, std::size_t size) override {
    for (;;) {
      const ssize_t n = ::read(fd_, out, size);
      if (n >= 0) {
        offset_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
      if (errno == EINTR) continue;
      const int err = errno;
      throw runtime_error(fmt::format("cannot read {}", path_.string()), fmt::format("at byte {}: {}", offset_, errno_text(err)),
                          "Check the disk and the file system.");
    }
  }
  std::uint64_t size() const override { return size_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0, offset_ = 0;
};

}  // namespace

ByteSource::ByteSource(std::filesystem::path name, std::unique_ptr<RawInput> input, Compression c)
    : path_(std::move(name)), compression_(c), input_(std::move(input)), hash_(std::make_unique<Hash>()),
      content_hash_(c == Compression::none ? nullptr : std::make_unique<Hash>()) {
  file_size_ = input_->size();
}

ByteSource::ByteSource(const std::filesystem::path& file, Compression c)
    : ByteSource(file, std::make_unique<FileInput>(file), c) {}

ByteSource::~ByteSource() = default;

std::uint64_t ByteSource::file_checksum() const { return XXH3_64bits_digest(hash_->state); }

std::uint64_t ByteSource::content_checksum() const {
  return content_hash_ ? XXH3_64bits_digest(content_hash_->state) : file_checksum();
}

std::size_t ByteSource::decoded(const char* out, std::size_t n) {
  XXH3_64bits_update(content_hash_->state, out, n);
  return n;
}

std::size_t ByteSource::read_file(char* out, std::size_t size) {
  const std::size_t n = input_->read(out, size);
  XXH3_64bits_update(hash_->state, out, n);
  file_bytes_read_ += n;
  return n;
}

namespace {

class PlainSource final : public ByteSource {
 public:
  PlainSource(std::filesystem::path p, std::unique_ptr<RawInput> in) : ByteSource(std::move(p), std::move(in), Compression::none) {}
  std::size_t read(char* out, std::size_t size) override {
    std::size_t total = 0;
    while (total < size) {
      const std::size_t n = read_file(out + total, size - total);
      if (n == 0) break;
      total += n;
    }
    return total;
  }
};

constexpr std::size_t kCompressedBuffer = 1 << 20;

Error truncated(const std::filesystem::path& path, const char* format, std::uint64_t offset,
                const std::string& why) {
  return runtime_error(
      fmt::format("{} data in {} is corrupt or truncated", format, path.string()),
      fmt::format("{} after {} compressed bytes", why, offset),
      "The file was probably cut short in transfer: copy it again and check its size against the source.");
}

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::filesystem::path p, std::unique_ptr<RawInput> in)
      : ByteSource(std::move(p), std::move(in), Compression::gzip), in_(kCompressedBuffer) {
    std::memset(&z_, 0, sizeof z_);
    // 15 + 32: zlib and gzip headers, detected automatically.
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw runtime_error("cannot initialise zlib");
  }
  ~GzipSource() override { inflateEnd(&z_); }

  std::size_t read(char* out, std::size_t size) override {
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(size);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        if (eof_) break;
        const std::size_t n = read_file(in_.data(), in_.size());
        if (n == 0) {
          eof_ = true;
          if (in_member_) throw truncated(path_, "gzip", file_bytes_read_, "unexpected end of file");
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(n);
      }
      in_member_ = true;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Concatenated gzip members are one stream (as `gunzip` treats them).
        in_member_ = false;
        inflateReset(&z_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw truncated(path_, "gzip", file_bytes_read_ - z_.avail_in, z_.msg ? z_.msg : "inflate failed");
      }
    }
    return decoded(out, size - z_.avail_out);
  }

 private:
  z_stream z_;
  std::vector<char> in_;
  bool eof_ = false;
  bool in_member_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::filesystem::path p, std::unique_ptr<RawInput> in)
      : ByteSource(std::move(p), std::move(in), Compression::zstd), in_(ZSTD_DStreamInSize()), dctx_(ZSTD_createDCtx()) {}
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }

  std::size_t read(char* out, std::size_t size) override {
    ZSTD_outBuffer output{out, size, 0};
    while (output.pos < output.size) {
      if (input_.pos == input_.size) {
        if (eof_) break;
        const std::size_t n = read_file(in_.data(), in_.size());
        if (n == 0) {
          eof_ = true;
          if (pending_ != 0) throw truncated(path_, "zstd", file_bytes_read_, "unexpected end of file");
          break;
        }
        input_ = {in_.data(), n, 0};
      }
      pending_ = ZSTD_decompressStream(dctx_, &output, &input_);
      if (ZSTD_isError(pending_))
        throw truncated(path_, "zstd", file_bytes_read_ - (input_.size - input_.pos),
                        ZSTD_getErrorName(pending_));
    }
    return decoded(out, output.pos);
  }

 private:
  std::vector<char> in_;
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  std::size_t pending_ = 0;  // 0 = at a frame boundary
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> open_byte_source(const std::filesystem::path& path) {
  unsigned char magic[4] = {0, 0, 0, 0};
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      [[maybe_unused]] ssize_t n = ::read(fd, magic, sizeof magic);
      ::close(fd);
    }
  }
  Compression c = Compression::none;
  if (magic[0] == 0x1f && magic[1] == 0x8b) c = Compression::gzip;
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) c = Compression::zstd;
  return open_byte_source(path.string(), std::make_unique<FileInput>(path), c);
}

std::unique_ptr<ByteSource> open_byte_source(std::string name, std::unique_ptr<RawInput> input, Compression c) {
  switch (c) {
    case Compression::gzip: return std::make_unique<GzipSource>(std::move(name), std::move(input));
    case Compression::zstd: return std::make_unique<ZstdSource>(std::move(name), std::move(input));
    case Compression::none: break;
  }
  return std::make_unique<PlainSource>(std::move(name), std::move(input));
}

}  // namespace sluice
