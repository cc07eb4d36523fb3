// zstd compression of independent buffers, one frame each, with the ZSTD_CCtx wrapped once in RAII.
// Concatenated frames are a valid .zst stream (`zstd -d` reads them as one file), which is what
// lets chunks be compressed in parallel and written in order.
#pragma once

#include <cstddef>
#include <vector>

struct ZSTD_CCtx_s;

namespace sluice {

class ZstdFrameCompressor {
 public:
  explicit ZstdFrameCompressor(int level);
  ~ZstdFrameCompressor();
  ZstdFrameCompressor(const ZstdFrameCompressor&) = delete;
  ZstdFrameCompressor& operator=(const ZstdFrameCompressor&) = delete;

  // Compresses [data, data+size) into one frame (with content size and checksum) written to
  // `out` from index 0; returns the frame's size. `out` grows as needed and keeps its capacity.
  std::size_t compress(const char* data, std::size_t size, std::vector<char>& out);
  int level() const { return level_; }

 private:
  ZSTD_CCtx_s* ctx_;
  int level_;
};

}  // namespace sluice
