#include "loaders/encode/rolling_zst_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/encode/zstd_frame.h"

namespace sluice {
namespace {

// Writeback is started every this many bytes so the fsync at the end of a part finds little left
// to do; otherwise the sink thread would stall for the whole part's flush and the workers with it.
constexpr std::uint64_t kWritebackBytes = 8u << 20;

std::string hint_for(int err) {
  switch (err) {
    case ENOSPC:
      return "The disk is full. Free some space or write the output to another disk; the partial output was removed.";
    case EDQUOT:
      return "The disk quota is used up. Free some space or write the output elsewhere; the partial output was removed.";
    case EFBIG:
      return "The file is larger than this process may write (ulimit -f) or the file system allows. Raise the limit "
             "or split the output into parts; the partial output was removed.";
    default:
      return "Check the disk and the directory's permissions; the partial output was removed.";
  }
}

// Best effort: some file systems refuse to fsync a directory, and by then every file is complete.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// rename() that never replaces an existing file, falling back to a check where the file system
// lacks RENAME_NOREPLACE (the narrow race there is acceptable: the check already ran at open).
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::access(to.c_str(), F_OK) == 0) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

}  // namespace

std::filesystem::path zst_partial_path(const std::filesystem::path& final_path) {
  return final_path.string() + ".partial";
}

RollingZstWriter::RollingZstWriter(std::filesystem::path target, ZstWriterOptions options)
    : target_(std::move(target)), options_(options) {
  if (options_.layout == ZstLayout::rolling_parts && options_.part_bytes == 0)
    throw usage_error("the part size for split .zst output must be more than 0");
  open_part();
}

RollingZstWriter::~RollingZstWriter() {
  if (!finished_) abort();
}

std::filesystem::path RollingZstWriter::part_path(std::size_t index) const {
  if (options_.layout == ZstLayout::single_file) return target_;
  return target_.string() + fmt::format("_{:03}.zst", index);
}

void RollingZstWriter::open_part() {
  const std::filesystem::path final_path = part_path(parts_.size());
  std::error_code ec;
  if (!options_.overwrite && std::filesystem::exists(final_path, ec)) {
    abort();
    throw usage_error(fmt::format("{} already exists", final_path.string()), "",
                      "Remove it, choose another output name, or allow replacing it.");
  }
  const std::filesystem::path temp = zst_partial_path(final_path);
  // O_TRUNC, not O_EXCL: a .partial file can only be a leftover of a crashed run.
  fd_ = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    abort();
    throw runtime_error(fmt::format("cannot create {}", temp.string()), errno_text(err),
                        "Check that the output directory exists and is writable.");
  }
  ZstPart part;
  part.path = final_path;
  parts_.push_back(part);
  temps_.push_back(temp);
  written_since_kick_ = 0;
  kick_offset_ = 0;
}

void RollingZstWriter::close_part() {
  if (fd_ < 0) return;
  if (options_.sync && ::fsync(fd_) != 0) fail("flushing", errno);
  const int fd = fd_;
  fd_ = -1;
  // close() is where some file systems (NFS) report a failed write.
  if (::close(fd) != 0) fail("closing", errno);
}

[[noreturn]] void RollingZstWriter::fail(const std::string& action, int err) {
  const ZstPart& part = parts_.back();
  const std::string detail =
      fmt::format("{} {}: {}, after {} bytes had been written to it ({} bytes of .zst output in all)", action,
                  temps_.back().string(), errno_text(err), part.compressed_bytes, total_compressed_);
  abort();
  throw runtime_error(fmt::format("cannot write {}", part.path.string()), detail, hint_for(err));
}

void RollingZstWriter::write_all(const char* data, std::size_t size) {
  ZstPart& part = parts_.back();
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing", errno);
    }
    // A write that stops short is followed by one that fails and says why (ENOSPC, EFBIG).
    data += n;
    size -= static_cast<std::size_t>(n);
    part.compressed_bytes += static_cast<std::uint64_t>(n);
    total_compressed_ += static_cast<std::uint64_t>(n);
    written_since_kick_ += static_cast<std::uint64_t>(n);
  }
  if (options_.sync && written_since_kick_ >= kWritebackBytes) {
    (void)::sync_file_range(fd_, static_cast<off_t>(kick_offset_), static_cast<off_t>(written_since_kick_),
                            SYNC_FILE_RANGE_WRITE);
    kick_offset_ += written_since_kick_;
    written_since_kick_ = 0;
  }
}

void RollingZstWriter::add_frame(const char* frame, std::size_t size, std::uint64_t rows, std::uint64_t raw_bytes,
                                 std::uint64_t first_line) {
  if (finished_ || fd_ < 0) throw std::logic_error("RollingZstWriter used after finish() or a failure");
  if (options_.layout == ZstLayout::rolling_parts && parts_.back().compressed_bytes > 0 &&
      parts_.back().compressed_bytes + size > options_.part_bytes) {
    close_part();
    open_part();
  }
  write_all(frame, size);
  ZstPart& part = parts_.back();
  if (part.first_line == 0 && rows > 0) part.first_line = first_line;
  part.rows += rows;
  part.raw_bytes += raw_bytes;
  total_raw_ += raw_bytes;
}

void RollingZstWriter::add_raw(const char* data, std::size_t size, std::uint64_t rows, std::uint64_t first_line) {
  if (!compressor_) compressor_ = std::make_unique<ZstdFrameCompressor>(options_.level);
  const std::size_t n = compressor_->compress(data, size, scratch_);
  add_frame(scratch_.data(), n, rows, size, first_line);
}

void RollingZstWriter::consume(const ScannedChunk& c) {
  if (c.raw_size == 0) return;
  if (c.compressed_data) add_frame(c.compressed_data, c.compressed_size, c.rows, c.raw_size, c.first_line);
  else add_raw(c.raw_data, c.raw_size, c.rows, c.first_line);
}

std::vector<ZstPart> RollingZstWriter::finish() {
  if (finished_ || fd_ < 0) throw std::logic_error("RollingZstWriter::finish() called twice or after a failure");
  if (parts_.back().compressed_bytes == 0) add_raw("", 0, 0, 0);
  close_part();
  publish();
  finished_ = true;
  if (options_.sync) sync_directory(target_.parent_path());
  if (options_.overwrite && options_.layout == ZstLayout::rolling_parts) remove_stale_parts();
  return parts_;
}

void RollingZstWriter::publish() {
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const int rc = options_.overwrite ? ::rename(temps_[i].c_str(), parts_[i].path.c_str())
                                      : rename_no_replace(temps_[i], parts_[i].path);
    if (rc == 0) continue;
    const int err = errno;
    const std::string temp = temps_[i].string();
    // Half a set of parts must not stay behind looking complete: take back the ones renamed.
    for (std::size_t j = 0; j < i; ++j) ::unlink(parts_[j].path.c_str());
    abort();
    if (err == EEXIST)
      throw usage_error(fmt::format("{} already exists", parts_[i].path.string()),
                        "it appeared while the output was being written",
                        "Remove it, choose another output name, or allow replacing it.");
    throw runtime_error(fmt::format("cannot rename {} to {}", temp, parts_[i].path.string()),
                        errno_text(err), hint_for(err));
  }
  temps_.clear();
}

void RollingZstWriter::remove_stale_parts() noexcept {
  std::error_code ec;
  for (std::size_t i = parts_.size();; ++i) {
    const auto p = part_path(i);
    if (!std::filesystem::exists(p, ec)) break;
    std::filesystem::remove(p, ec);
  }
}

void RollingZstWriter::abort() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  for (const auto& t : temps_) ::unlink(t.c_str());
  temps_.clear();
}

}  // namespace sluice
