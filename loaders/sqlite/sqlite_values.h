// SQLite values written as PostgreSQL COPY text for a mapped column (loaders/migrate/column_mapping.h).
// SQLite is dynamically typed: any column may hold a value of any storage class, so each value is
// checked against its target column, and one that does not fit exactly (text in an integer column,
// a blob in a text column, a real that a numeric(p,s) would round, a date PostgreSQL would read
// another way) is refused with the reason, never converted by a guess. Numbers in date and time
// columns are read by SQLite's own 'auto' rule (https://www.sqlite.org/lang_datefunc.html: from 0.0
// to 5373484.499999 a Julian day number, otherwise a Unix timestamp), to the millisecond as SQLite
// resolves them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loaders/migrate/column_mapping.h"

namespace sluice::sqlite {

enum class StorageClass { null, integer, real, text, blob };

std::string_view to_string(StorageClass c);

struct Value {
  StorageClass storage = StorageClass::null;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view bytes;  // text (as stored: not necessarily valid UTF-8) or blob
};

// Appends `v` as COPY text for a column mapped by `m`. Returns false, with `reason` set and `out`
// unchanged, when the value does not fit the column.
bool append_copy_value(std::string& out, const ColumnMapping& m, const Value& v, std::string& reason);

// The value as a person reads it in a message: numbers as they are, text quoted (invalid bytes and
// control characters escaped, cut after 60 characters), blobs as x'hex' with their size.
std::string display_value(const Value& v);

// The instant SQLite's 'auto' rule reads a number as: milliseconds since 1970-01-01 00:00 UTC, or
// false when it is outside the years 0000..9999 that SQLite's date functions cover.
bool sqlite_auto_instant(double number, std::int64_t& unix_milliseconds);

}  // namespace sluice::sqlite
