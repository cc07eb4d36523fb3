#include "core/version.h"

namespace sluice {

// SLUICE_VERSION is defined for this file alone (CMakeLists.txt), so a new version rebuilds one file.
std::string_view version() { return SLUICE_VERSION; }

std::string user_agent() { return "sluice/" + std::string(version()); }

}  // namespace sluice
