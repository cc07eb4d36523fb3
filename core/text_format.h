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

// `s` in PostgreSQL's COPY text form, appended to `out`: backslash, tab, newline and carriage
// return escaped (\\, \t, \n, \r). The reject files use the same form.
void append_copy_escaped(std::string& out, std::string_view s);

// "name" with inner double quotes doubled: how PostgreSQL, Snowflake and SQLite quote an
// identifier (SQL's delimited identifier).
std::string double_quoted(std::string_view name);

// For people reading progress and summaries: 1.2 GB, 3.40M (rows), 4.2s / 1:05 / 1:02:03.
std::string human_bytes(double bytes);
std::string human_count(double n);
std::string human_duration(double seconds);

}  // namespace sluice
