// Small text helpers every output shares.
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n);

}  // namespace sluice
