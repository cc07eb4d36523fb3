// The program's version, from project(VERSION ...) in CMakeLists.txt: what --version prints and
// what sluice calls itself on the wire, so a release changes it in one place.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

std::string_view version();  // "0.1.0"
std::string user_agent();    // the HTTP User-Agent: "sluice/0.1.0"

}  // namespace sluice
