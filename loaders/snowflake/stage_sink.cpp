#include "loaders/snowflake/stage_sink.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/crypto/digest.h"

namespace sluice {

StageSink::StageSink(s3::S3Client& s3, std::string key_prefix, std::string base_name, StageSinkOptions options,
                     std::function<void(const StagedPart&)> on_staged)
    : s3_(s3), prefix_(std::move(key_prefix)), base_(std::move(base_name)), options_(options),
      on_staged_(std::move(on_staged)) {
  options_.uploads_in_flight = std::max(1, options_.uploads_in_flight);
  if (options_.part_bytes == 0 || options_.part_bytes > (5ull << 30))
    throw usage_error("the staged file size must be between 1 byte and 5 GiB");
  for (int i = 0; i < options_.uploads_in_flight; ++i) threads_.emplace_back([this] { upload_loop(); });
}

StageSink::~StageSink() { abandon(); }

void StageSink::rethrow_error() {
  std::lock_guard lock(mu_);
  if (error_) std::rethrow_exception(error_);
}

void StageSink::consume(const ScannedChunk& c) {
  rethrow_error();
  if (doomed_) return;
  rows_set_aside_ += c.rejected_rows;
  const bool over = options_.skip_limit ? rows_set_aside_ > *options_.skip_limit : c.qc_errors > 0;
  if (over) {
    doomed_ = true;  // the file will not be loaded: stop spending bandwidth on it
    buffer_.clear();
    return;
  }
  stream_done_ = std::max(stream_done_, c.stream_offset + c.stream_bytes);
  compressed_done_ += c.compressed_size;
  if (c.rows == c.rejected_rows) return;  // nothing to load in this chunk
  if (c.compressed_size == 0 || !c.compressed_data)
    throw runtime_error("internal: the Snowflake stage sink needs compressed chunks");
  if (buffer_.empty()) {
    current_.first_chunk = c.index;
    // Grown by appending, a 128 MiB part would be copied about once more on the way and fault
    // in twice its pages; untouched reserved pages cost nothing.
    buffer_.reserve(options_.part_bytes + c.compressed_size);
  }
  buffer_.append(c.compressed_data, c.compressed_size);
  current_.rows += c.rows - c.rejected_rows;
  current_.chunks += 1;
  if (buffer_.size() >= options_.part_bytes || (options_.input_bytes && buffer_.size() >= tail_cut())) enqueue_current();
}

// With the input size known: the compressed bytes still to come, estimated from the ratio so
// far; the current part is cut once it holds at least that much (parts halve toward the end),
// never below tail_part_bytes. Past the estimate's end (the input was bigger than said) no early
// cut: part_bytes alone.
std::uint64_t StageSink::tail_cut() const {
  if (stream_done_ == 0 || stream_done_ >= options_.input_bytes) return options_.part_bytes;
  const double ratio = static_cast<double>(compressed_done_) / static_cast<double>(stream_done_);
  const auto left = static_cast<std::uint64_t>(static_cast<double>(options_.input_bytes - stream_done_) * ratio);
  return std::max({left, std::min(options_.tail_part_bytes, options_.part_bytes / 4), std::uint64_t{1}});
}

void StageSink::enqueue_current() {
  if (buffer_.empty()) return;
  current_.name = fmt::format("{}_{:05d}.tsv.zst", base_, next_part_++);
  current_.key = prefix_ + current_.name;
  current_.bytes = buffer_.size();
  std::unique_lock lock(mu_);
  // Bounded memory: wait while every upload slot is busy and one part is already waiting.
  cv_.wait(lock, [&] { return error_ || stopping_ || queue_.empty(); });
  if (error_) std::rethrow_exception(error_);
  if (stopping_) return;
  queue_.emplace_back(current_, std::move(buffer_));
  buffer_.clear();
  current_ = StagedPart{};
  cv_.notify_all();
}

void StageSink::upload_loop() {
  while (true) {
    std::pair<StagedPart, std::string> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      cv_.notify_all();
    }
    try {
      if (options_.reuse_staged) {
        const std::string md5 = "\"" + crypto::md5_hex(job.second) + "\"";
        const auto recorded = options_.recorded_etags.find(job.first.key);
        const auto head = s3_.head_object(job.first.key);
        if (head && head->size == job.second.size() && head->etag == md5 &&
            (recorded == options_.recorded_etags.end() || recorded->second == md5)) {
          job.first.etag = head->etag;
          job.first.reused = true;
          if (on_staged_) on_staged_(job.first);
          std::lock_guard lock(mu_);
          done_.push_back(job.first);
          --busy_;
          cv_.notify_all();
          continue;
        }
      }
      const http::Body body = http::Body::memory(std::move(job.second));
      const s3::ObjectInfo info = s3_.put_object(job.first.key, body, "application/zstd");
      job.first.etag = info.etag;
      if (on_staged_) on_staged_(job.first);
      std::lock_guard lock(mu_);
      done_.push_back(job.first);
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    std::lock_guard lock(mu_);
    --busy_;
    cv_.notify_all();
  }
}

std::vector<StagedPart> StageSink::finish() {
  if (!doomed_) enqueue_current();
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return error_ || (queue_.empty() && busy_ == 0); });
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard lock(mu_);
  if (error_) std::rethrow_exception(error_);
  std::vector<StagedPart> out = done_;
  std::sort(out.begin(), out.end(), [](const StagedPart& a, const StagedPart& b) { return a.name < b.name; });
  return out;
}

void StageSink::abandon() noexcept {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
    cv_.notify_all();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::vector<StagedPart> StageSink::uploaded() const {
  std::lock_guard lock(mu_);
  return done_;
}

}  // namespace sluice
