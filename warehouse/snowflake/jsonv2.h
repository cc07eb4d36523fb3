// Decoding the SQL API's jsonv2 cells. Every non-NULL cell is a string; its meaning depends on the
// column's rowType type (compared case-insensitively):
//   fixed          decimal text, not scaled ("12345678.91")
//   real           "1.5", "NaN", "inf", "-inf"
//   text           as is
//   boolean        "true" / "false" (also "1" / "0")
//   date           days since 1970-01-01 ("19754", negative before 1970)
//   time           seconds since midnight with a fraction ("45296.123456789")
//   timestamp_ntz  epoch seconds with a fraction, wall clock as if UTC
//   timestamp_ltz  the same form, an instant
//   timestamp_tz   "<epoch seconds.fraction> <offset minutes + 1440>"
//   binary         hex
//   variant/object/array  JSON text
// Decoders throw std::invalid_argument on text that does not fit the type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sluice::snowflake::jsonv2 {

enum class Type {
  fixed, real, text, boolean, date, time, timestamp_ntz, timestamp_ltz, timestamp_tz, binary,
  variant, object, array, unknown
};
Type parse_type(std::string_view name);  // "FIXED", "fixed", "timestamp_tz", ...

std::int64_t to_int64(std::string_view fixed);  // scale-0 NUMBER that fits in 64 bits
double to_double(std::string_view real_or_fixed);
bool to_bool(std::string_view boolean);
std::int64_t to_days(std::string_view date);  // since 1970-01-01
std::string date_iso(std::string_view date);  // "2024-01-31"

struct Instant {
  std::int64_t seconds = 0;  // since the epoch (floor)
  std::int32_t nanos = 0;    // 0 .. 999'999'999
  int offset_minutes = 0;    // timestamp_tz only
};
Instant to_instant(std::string_view value, Type type);  // time / timestamp_* types
// "2024-01-31 10:00:00.5" (ntz/ltz, ltz in UTC), "... +07:00" (tz), "12:34:56.789" (time);
// trailing zeros of the fraction dropped.
std::string to_iso(std::string_view value, Type type);

std::string from_hex(std::string_view binary);  // raw bytes
nlohmann::json to_json(std::string_view variant);

}  // namespace sluice::snowflake::jsonv2
