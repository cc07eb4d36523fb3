#include "operations/reject_file.h"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"

namespace sluice {

RejectFile::RejectFile(std::filesystem::path path) : path_(std::move(path)) {
  f_ = std::fopen(path_.c_str(), "w");
  if (!f_) fail(errno);
  if (std::fputs("file\tline\treason\trow\n", f_) < 0) fail(errno);
}

RejectFile::~RejectFile() {
  if (f_) std::fclose(f_);
}

void RejectFile::fail(int err) {
  throw runtime_error(fmt::format("cannot write the reject file {}", path_.string()), errno_text(err),
                      "Check the directory exists and has space, or pass another --reject-file.");
}

void RejectFile::write(const std::string& file, const RejectedRow& row, std::uint64_t line_offset) {
  std::string out = fmt::format("{}\t{}\t{}\t", file, row.line + line_offset, row.reason);
  append_copy_escaped(out, row.text);
  out += '\n';
  if (std::fwrite(out.data(), 1, out.size(), f_) != out.size()) fail(errno);
  ++rows_;
}

void RejectFile::close() {
  if (!f_) return;
  const bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
  const int err = errno;
  std::fclose(f_);
  f_ = nullptr;
  if (!ok) fail(err);
}

}  // namespace sluice
