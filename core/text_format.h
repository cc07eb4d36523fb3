// Small text helpers every output shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n);

// ASCII letters lower-cased; other bytes as they are (hosts, schemes, header names).
std::string ascii_lower(std::string_view s);

// Leading and trailing spaces, tabs, CRs and LFs dropped.
std::string trim(std::string_view s);

// Leading and trailing whitespace dropped, each inner run of it made one space.
std::string collapse_whitespace(std::string_view s);

}  // namespace sluice
