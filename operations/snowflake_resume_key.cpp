#include "operations/snowflake_resume_key.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "warehouse/crypto/digest.h"

namespace sluice {

std::string snowflake_resume_key(std::string_view staged_format, const ConnectionSpec& connection,
                                 const LoadRequest& req, const std::vector<SelectedFile>& files) {
  const SnowflakeConnection& sfc = std::get<SnowflakeConnection>(connection.backend);
  std::string material = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", staged_format, connection.name, sfc.stage.url,
                                     sfc.schema, to_string(req.qc), req.on_error == OnError::skip, req.max_errors,
                                     req.pipeline.chunk_bytes, req.staging.part_bytes);
  for (const auto& f : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f.path, ec);
    const auto mtime = std::filesystem::last_write_time(f.path, ec).time_since_epoch().count();
    material += fmt::format("|{}:{}:{}:{}", std::filesystem::absolute(f.path).string(), size, mtime, f.table->table);
  }
  return crypto::sha256_hex(material).substr(0, 32);
}

}  // namespace sluice
