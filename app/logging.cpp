#include "app/logging.h"

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "app/paths.h"
#include "jobs/job_output.h"

namespace sluice {
namespace {

// What the stderr sink prints also goes to the log of the job this process runs, if any.
class JobLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    JobOutputCapture::log_line(std::string_view(line.data(), line.size()));
  }
  void flush_() override {}
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const std::filesystem::path& state_dir, const std::string& stderr_level) {
  std::vector<spdlog::sink_ptr> sinks;
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  err->set_level(spdlog::level::from_str(stderr_level));
  err->set_pattern("%^%l%$: %v");
  sinks.push_back(err);
  auto job = std::make_shared<JobLogSink>();
  job->set_level(err->level());
  job->set_pattern("%l: %v");
  sinks.push_back(job);
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
