#include "operations/job_json.h"

#include <nlohmann/json.hpp>

#include "output/json_text.h"

namespace sluice {

std::string job_json(const nlohmann::json& value) {
  nlohmann::json j = value;
  make_utf8(j);
  return j.dump();
}

}  // namespace sluice
