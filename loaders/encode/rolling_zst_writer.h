// The .zst output stage: appends zstd frames, in file order, to one output file or to numbered
// parts (<prefix>_000.zst, <prefix>_001.zst, ...) of about a target compressed size, the shape a
// Snowflake stage wants (100-250 MB per file). Each part is a standard .zst of whole rows, because
// every frame holds one row-aligned chunk.
//
// Nothing that looks finished exists before finish(): parts are written under "<name>.partial",
// fsynced, and renamed only when the whole output is done, so a crash, a QC failure or a full disk
// never leaves a set of files that a later load could mistake for the complete file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "loaders/pipeline.h"

namespace sluice {

class ZstdFrameCompressor;

// One output file, as finish() leaves it.
struct ZstPart {
  std::filesystem::path path;
  std::uint64_t rows = 0;
  std::uint64_t raw_bytes = 0;         // what `zstd -d` gives back
  std::uint64_t compressed_bytes = 0;  // the file's size
  std::uint64_t first_line = 0;        // 1-based source line of its first row; 0 when it holds none
};

enum class ZstLayout {
  single_file,    // exactly the given path, however large
  rolling_parts,  // the given path is a prefix: <prefix>_000.zst, <prefix>_001.zst, ...
};

struct ZstWriterOptions {
  static constexpr std::uint64_t kDefaultPartBytes = 200'000'000;

  ZstLayout layout = ZstLayout::rolling_parts;
  // rolling_parts: a new part starts before a frame would take the current one past this, so a
  // part exceeds it only when a single frame (one chunk) does.
  std::uint64_t part_bytes = kDefaultPartBytes;
  // false: refuse (usage error) when an output name already exists. true: replace it, and for
  // rolling_parts also delete a previous run's higher-numbered parts, which would otherwise be
  // loaded with the new ones as if they belonged to the file.
  bool overwrite = false;
  bool sync = true;  // fsync each part and the directory: a renamed file is really on disk
  int level = 3;     // for the frames the writer compresses itself (add_raw, an empty output)
};

class RollingZstWriter final : public ChunkSink {
 public:
  // Checks the output names and creates the first part now, so a wrong directory or an existing
  // output fails before the input is read, not after.
  RollingZstWriter(std::filesystem::path target, ZstWriterOptions options = {});
  ~RollingZstWriter() override;  // abort() unless finish() succeeded
  RollingZstWriter(const RollingZstWriter&) = delete;
  RollingZstWriter& operator=(const RollingZstWriter&) = delete;

  // The chunk's zstd frame (PipelineOptions::zstd_level > 0). Without one the raw rows are
  // compressed here, correct but on the sink thread. Chunks without rows are skipped.
  void consume(const ScannedChunk& chunk) override;

  // A complete zstd frame holding `rows` rows (`raw_bytes` uncompressed) that start at source
  // line `first_line`.
  void add_frame(const char* frame, std::size_t size, std::uint64_t rows, std::uint64_t raw_bytes,
                 std::uint64_t first_line);
  // Bytes that have no frame yet (e.g. a header row the pipeline keeps out of the chunks).
  void add_raw(const char* data, std::size_t size, std::uint64_t rows, std::uint64_t first_line);

  // Closes the last part and gives every part its final name. An empty output still gets one
  // file, holding an empty frame, because an empty file is not valid .zst.
  std::vector<ZstPart> finish();
  // Removes every temporary file; nothing is renamed. Safe to call more than once.
  void abort() noexcept;

  // The name part `index` gets (for single_file: the target itself).
  std::filesystem::path part_path(std::size_t index) const;
  std::uint64_t compressed_bytes() const { return total_compressed_; }
  std::uint64_t raw_bytes() const { return total_raw_; }  // what the output decompresses to

 private:
  void open_part();
  void close_part();
  void write_all(const char* data, std::size_t size);
  [[noreturn]] void fail(const std::string& action, int err);
  void publish();
  void remove_stale_parts() noexcept;

  std::filesystem::path target_;
  ZstWriterOptions options_;
  std::vector<ZstPart> parts_;            // closed and open; path = final name
  std::vector<std::filesystem::path> temps_;
  int fd_ = -1;                           // the open part (the last in parts_), or -1
  std::uint64_t total_compressed_ = 0, total_raw_ = 0;
  std::uint64_t kick_offset_ = 0, written_since_kick_ = 0;  // writeback started up to kick_offset_
  std::unique_ptr<ZstdFrameCompressor> compressor_;
  std::vector<char> scratch_;
  bool finished_ = false;
};

// "<name>.partial": the name a part has until finish().
std::filesystem::path zst_partial_path(const std::filesystem::path& final_path);

}  // namespace sluice
