#include "app/logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "app/paths.h"

namespace sluice {

std::shared_ptr<spdlog::logger> make_logger(const std::filesystem::path& state_dir, const std::string& stderr_level) {
  std::vector<spdlog::sink_ptr> sinks;
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  err->set_level(spdlog::level::from_str(stderr_level));
  err->set_pattern("%^%l%$: %v");
  sinks.push_back(err);
  try {
    Paths::ensure(state_dir);
    auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>((state_dir / "sluice.log").string(),
                                                                        10u << 20, 5);
    file->set_level(spdlog::level::debug);
    file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %P %l %v");
    sinks.push_back(file);
  } catch (const std::exception&) {
    // No writable state dir: log to stderr only rather than refuse to run.
  }
  auto logger = std::make_shared<spdlog::logger>("sluice", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace sluice
