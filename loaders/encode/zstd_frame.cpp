#include "loaders/encode/zstd_frame.h"

#include <zstd.h>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

ZstdFrameCompressor::ZstdFrameCompressor(int level) : ctx_(ZSTD_createCCtx()), level_(level) {
  if (!ctx_) throw runtime_error("cannot create a zstd compression context", "out of memory");
  ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(ctx_, ZSTD_c_contentSizeFlag, 1);
}

ZstdFrameCompressor::~ZstdFrameCompressor() { ZSTD_freeCCtx(ctx_); }

std::size_t ZstdFrameCompressor::compress(const char* data, std::size_t size, std::vector<char>& out) {
  const std::size_t bound = ZSTD_compressBound(size);
  if (out.size() < bound) out.resize(bound);
  const std::size_t n = ZSTD_compress2(ctx_, out.data(), out.size(), data, size);
  if (ZSTD_isError(n))
    throw runtime_error("zstd compression failed", fmt::format("{} (level {}, {} bytes)", ZSTD_getErrorName(n), level_, size));
  return n;
}

}  // namespace sluice
