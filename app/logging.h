// spdlog set up once per process: a rotating file in the state dir (debug and up, for
// post-mortems) plus stderr at the level the user chose (warnings by default, so logs do not
// fight the progress bar).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace spdlog { class logger; }

namespace sluice {

std::shared_ptr<spdlog::logger> make_logger(const std::filesystem::path& state_dir, const std::string& stderr_level);

}  // namespace sluice
