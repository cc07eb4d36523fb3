#include "operations/job_json.h"

#include <nlohmann/json.hpp>

namespace sluice {

std::string job_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice
