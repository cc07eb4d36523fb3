// Every JSON sluice prints goes through here, so it stays valid JSON whatever bytes the data held.
// nlohmann::json refuses (throws) on a string that is not UTF-8: a latin-1 value, file name or
// column name would crash the output. Such strings get each byte that is not UTF-8 written as the
// text \xHH (escape_invalid_utf8), and the object says so in "encoding_note".
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sluice {

// Serialised `j` (indent < 0: one line). Never throws on the contents of strings.
std::string json_text(nlohmann::json j, int indent = 2);

// Rewrites, in place, every string and object key of `j` that is not valid UTF-8; returns how many.
std::size_t make_utf8(nlohmann::json& j);

// Reading a result back (the menu, findings_from_json), whatever shape it has: a member as text
// ("" when missing or null; a number as written), and as a count (0 unless an unsigned number).
std::string member_text(const nlohmann::json& j, const char* key);
std::uint64_t json_count(const nlohmann::json& j, const char* key);

}  // namespace sluice
