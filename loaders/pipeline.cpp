#include "loaders/pipeline.h"

#include <strings.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/chunk/splitter.h"
#include "loaders/encode/zstd_frame.h"
#include "loaders/scan/duplicate_confirm.h"
#include "loaders/scan/chunk_scanner.h"
#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

struct Slot {
  Chunk chunk;
  std::size_t skip = 0;  // bytes at the start that are not data (the header row)
  std::uint64_t skip_lines = 0;
  ChunkScanResult result;
  std::unique_ptr<FieldObserver> observer;
  std::unique_ptr<RowKeyHasher> key_hasher;
  std::unique_ptr<ZstdFrameCompressor> compressor;
  std::vector<char> compressed;
  std::size_t compressed_size = 0;
  std::vector<char> transcoded;  // latin-1 input as UTF-8
  const char* data = nullptr;    // what was scanned: the chunk after skip, or its transcoding
  std::size_t size = 0;
  bool done = false;
};

class Engine {
 public:
  Engine(ByteSource& source, const FileSyntax& syntax, FileQc& qc, const PipelineOptions& options,
         DuplicateKeyIndex* keys)
      : source_(source), splitter_(source, syntax, options.chunk_bytes), syntax_(syntax), qc_(qc), keys_(keys) {
    workers_ = options.workers > 0 ? options.workers
                                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    config_.syntax = syntax;
    latin1_ = syntax.latin1;
    zstd_copy_text_ = options.zstd_copy_text && options.encode_copy;
    config_.qc = &qc.settings();
    config_.encode_copy = options.encode_copy;
    config_.copy_format = options.copy_format;
    config_.skip_bad_rows = options.skip_bad_rows;
    config_.max_rejects_kept = options.max_rejects_kept;
    slots_.resize(static_cast<std::size_t>(workers_) + 2);
    for (auto& s : slots_) {
      s = std::make_unique<Slot>();
      if (options.make_observer) {
        s->observer = options.make_observer();
        s->result.observer = s->observer.get();
      }
      if (keys_) {
        s->key_hasher = std::make_unique<RowKeyHasher>(qc.settings().key_fields);
        s->result.key_hasher = s->key_hasher.get();
      }
      if (options.zstd_level > 0) s->compressor = std::make_unique<ZstdFrameCompressor>(options.zstd_level);
      free_.push_back(s.get());
    }
  }

  void run(ChunkSink* sink, ProgressSink& progress, const Cancellation& cancel, PipelineResult& result) {
    std::vector<std::thread> threads;
    threads.emplace_back([this] { read_loop(); });
    for (int i = 0; i < workers_; ++i) threads.emplace_back([this] { work_loop(); });
    try {
      sink_loop(sink, progress, cancel, result);
    } catch (...) {
      stop();
      for (auto& t : threads) t.join();
      throw;
    }
    stop();
    for (auto& t : threads) t.join();
  }

 private:
  void stop() {
    std::lock_guard lock(m_);
    abort_ = true;
    cv_.notify_all();
  }

  void read_loop() {
    try {
      for (;;) {
        Slot* s;
        {
          std::unique_lock lock(m_);
          cv_.wait(lock, [&] { return abort_ || !free_.empty(); });
          if (abort_) return;
          s = free_.front();
          free_.pop_front();
        }
        const bool got = splitter_.next(s->chunk);
        s->skip = 0;
        s->skip_lines = 0;
        s->done = false;
        if (got && s->chunk.index == 0) {
          s->skip = utf8_bom_length(s->chunk.data.data(), s->chunk.size);
          if (syntax_.header) take_header(*s);
        }
        file_bytes_read_.store(source_.file_bytes_read(), std::memory_order_relaxed);
        std::lock_guard lock(m_);
        if (!got) {
          free_.push_back(s);
          reader_done_ = true;
          cv_.notify_all();
          return;
        }
        work_.push_back(s);
        ordered_.push_back(s);
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(m_);
      if (!error_) error_ = std::current_exception();
      reader_done_ = true;
      cv_.notify_all();
    }
  }

  void take_header(Slot& s) {
    const char* p = s.chunk.data.data() + s.skip;
    // The header row ends where the scanner would end a row, and where the Splitter's cuts assume
    // the data starts: a quoted name may hold a newline. The first newline, used before, could
    // leave the scanner to start inside a quoted field, and the chunks then disagreed with it.
    const HeaderSpan h = header_span(p, s.chunk.size - s.skip, syntax_);
    s.skip += h.skip;
    s.skip_lines = h.lines;
    header_lines_ = h.lines;
    header_line_ = h.line;
    const char* header = p + h.start;
    const auto names = split_row(header, h.size, syntax_);
    const auto& expected = qc_.settings().column_names;
    bool same = names.size() == expected.size();
    for (std::size_t i = 0; same && i < names.size(); ++i)
      same = ::strcasecmp(names[i].c_str(), expected[i].c_str()) == 0;
    if (!same) {
      std::string want;
      for (const auto& n : expected) want += (want.empty() ? "" : ",") + n;
      header_mismatch_ = {display_value(header, h.size), want};
    }
    // Reported like the data rows' bytes: the header is not scanned. (Latin-1 names are compared
    // as read, so their bytes are not UTF-8 by design.)
    if (const std::size_t bad = find_invalid_utf8(header, h.size); bad != std::string_view::npos && !syntax_.latin1)
      header_not_utf8_ = invalid_utf8_example(header_line_, header, h.size, bad);
  }

  void work_loop() {
    for (;;) {
      Slot* s;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return abort_ || !work_.empty() || reader_done_; });
        if (abort_ || (work_.empty() && reader_done_)) return;
        s = work_.front();
        work_.pop_front();
      }
      try {
        const char* data = s->chunk.data.data() + s->skip;
        std::size_t size = s->chunk.size - s->skip;
        if (latin1_) {
          size = syntax_.to_utf8(data, size, s->transcoded);
          data = s->transcoded.data();
        }
        s->data = data;
        s->size = size;
        scan_chunk(data, size, config_, s->result);
        if (s->compressor)
          s->compressed_size = zstd_copy_text_ && !s->result.copy_is_input
                                   ? s->compressor->compress(s->result.copy.data(), s->result.copy_size, s->compressed)
                                   : s->compressor->compress(data, size, s->compressed);
      } catch (...) {
        std::lock_guard lock(m_);
        if (!error_) error_ = std::current_exception();
        cv_.notify_all();
        return;
      }
      std::lock_guard lock(m_);
      s->done = true;
      cv_.notify_all();
    }
  }

  void sink_loop(ChunkSink* sink, ProgressSink& progress, const Cancellation& cancel, PipelineResult& r) {
    std::uint64_t next_line = 1;
    for (;;) {
      Slot* s;
      {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, std::chrono::milliseconds(200), [&] {
          return error_ || (!ordered_.empty() && ordered_.front()->done) || (reader_done_ && ordered_.empty());
        });
        if (error_) std::rethrow_exception(error_);
        if (cancel.cancelled())
          throw runtime_error("cancelled", "the load was interrupted before it finished",
                              "Nothing was published; run the command again.");
        if (ordered_.empty() && reader_done_) break;
        if (ordered_.empty() || !ordered_.front()->done) continue;
        s = ordered_.front();
        ordered_.pop_front();
      }
      next_line += s->skip_lines;
      ScannedChunk c;
      c.index = s->chunk.index;
      c.first_row = r.rows;
      c.first_line = next_line;
      c.rows = s->result.rows;
      c.lines = s->result.lines;
      c.rows_span_lines = s->result.rows_span_lines;
      c.qc_errors = s->result.qc.error_count();
      c.rejected_rows = s->result.rejected_rows;
      c.rejects = &s->result.rejects;
      c.stream_offset = s->chunk.stream_offset;
      c.stream_bytes = s->chunk.size;
      c.copy_data = s->result.copy_is_input ? s->data : s->result.copy.data();
      c.copy_size = s->result.copy_is_input ? s->size : s->result.copy_size;
      c.raw_data = s->data;
      c.raw_size = s->size;
      if (s->compressor) {
        c.compressed_data = s->compressed.data();
        c.compressed_size = s->compressed_size;
      }
      c.observer = s->observer.get();
      if (sink) sink->consume(c);
      if (keys_) keys_->add(s->result.key_hashes.data(), s->result.key_hashes.size(), next_line);
      if (header_not_utf8_ && c.index == 0) qc_.header_not_utf8(*header_not_utf8_);
      qc_.merge(std::move(s->result.qc), next_line);
      r.rows += c.rows;
      r.rejected_rows += c.rejected_rows;
      r.chunks += 1;
      r.stream_bytes += c.stream_bytes;
      next_line += c.lines;
      // Plain files: bytes the sink has taken (exact). Compressed: compressed bytes read so far.
      const std::uint64_t done = source_.compression() == Compression::none
                                     ? r.stream_bytes
                                     : file_bytes_read_.load(std::memory_order_relaxed);
      progress.update({"", "", done, source_.file_size(), r.rows});
      std::lock_guard lock(m_);
      free_.push_back(s);
      cv_.notify_all();
    }
    r.header_lines = header_lines_;
    if (header_mismatch_) qc_.header_mismatch(header_line_, header_mismatch_->first, header_mismatch_->second);
  }

  ByteSource& source_;
  Splitter splitter_;
  FileSyntax syntax_;
  FileQc& qc_;
  DuplicateKeyIndex* keys_;  // null without key columns
  ScanConfig config_;
  int workers_ = 1;
  bool latin1_ = false;
  bool zstd_copy_text_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Slot*> free_, work_, ordered_;
  bool reader_done_ = false;
  bool abort_ = false;
  std::exception_ptr error_;
  std::atomic<std::uint64_t> file_bytes_read_{0};
  std::uint64_t header_lines_ = 0;
  std::uint64_t header_line_ = 1;  // after the blank lines before it
  std::optional<std::pair<std::string, std::string>> header_mismatch_;
  std::optional<Example> header_not_utf8_;
};

}  // namespace

PipelineResult run_pipeline(const std::filesystem::path& file, const FileSyntax& syntax, QcSettings qc_settings,
                            const PipelineOptions& options, ChunkSink* sink, ProgressSink& progress,
                            const Cancellation& cancel) {
  const auto start = std::chrono::steady_clock::now();
  auto source = open_byte_source(file);
  FileQc qc(std::move(qc_settings));
  const std::vector<int>& key_fields = qc.settings().key_fields;
  std::optional<DuplicateKeyIndex> keys;
  if (!key_fields.empty()) keys.emplace(options.spill_dir, options.duplicate_memory_budget);
  PipelineResult result;
  progress.begin(options.phase, file.filename().string(), source->file_size());
  try {
    Engine engine(*source, syntax, qc, options, keys ? &*keys : nullptr);
    engine.run(sink, progress, cancel, result);
  } catch (...) {
    progress.end(false, "failed");
    throw;
  }
  result.file_bytes = source->file_bytes_read();
  result.file_checksum = source->file_checksum();
  result.content_checksum = source->content_checksum();
  result.compression = source->compression();
  progress.end(true, fmt::format("{} rows", result.rows));
  if (keys) {
    // Equal hashes are only candidates: their rows are re-read and grouped by the true key bytes.
    const CandidateSet candidates = keys->candidates();
    ConfirmOptions confirm;
    confirm.spill_dir = options.spill_dir;
    confirm.memory_budget = options.duplicate_memory_budget;
    confirm.chunk_bytes = options.chunk_bytes;
    confirm.cancel = &cancel;
    confirm.progress = &progress;
    const DuplicateReport dups =
        confirm_duplicates(file, syntax, key_fields, candidates, options.duplicate_examples, confirm);
    if (dups.duplicate_keys > 0) {
      std::vector<std::string> names;
      for (int f : key_fields) names.push_back(qc.settings().column_names[static_cast<std::size_t>(f)]);
      qc.add_finding(duplicate_key_finding(dups, names));
    }
  }
  result.qc = qc.finish(result.rows);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace sluice
