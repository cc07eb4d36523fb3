// The type `config generate` writes for a column (and `analyze` shows as "proposed"), from one
// file's profile. The profile's inferred_type() is the narrowest type that holds this file; a
// table is loaded every month, and a type sized to one month fails the next (a code of 7
// characters this month is 9 long next month, a count that peaked at 12 reaches 40,000). So:
//
//   - strings are text: a length limit is a rule about the data that one file cannot show;
//   - integers are bigint: PostgreSQL's integer ends at 2,147,483,647, and widening a column
//     later rewrites the table, while bigint costs 4 bytes more a value;
//   - decimals are numeric(p,s) with the scale seen and at least 18 digits, and 3 more integer
//     digits than seen (a thousand times the largest value), without passing Snowflake's 38 unless
//     the values themselves need more; a column whose values have different numbers of decimal
//     places gets a CHECK (the table rounds a value with more places than its scale);
//   - booleans, dates and timestamps as seen;
//   - dates written N/N/YYYY are read in the order the values prove: a first part over 12 means
//     day-first, a second part over 12 month-first. When every value has both parts <= 12 the
//     file cannot say: the column is reported ambiguous with its evidence, typed text (which holds
//     either reading) and both date_format choices are offered. Day-first dates are typed text
//     too: PostgreSQL reads N/N/YYYY month-first (sluice sets DateStyle MDY), and sluice loads
//     values as written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/column_type.h"
#include "validators/profile/column_profile.h"

namespace sluice {

// The order of a column's N/N/YYYY values, and how the file shows it.
struct DateOrder {
  enum class Kind {
    none,         // no such values
    month_first,  // a second part over 12 proves it
    day_first,    // a first part over 12 proves it
    ambiguous,    // every value has both parts <= 12, and some have two different parts
    either,       // every value has two equal parts: both orders give the same days
  };
  Kind kind = Kind::none;
  std::uint64_t values = 0;
  std::string evidence;                   // "day-first: 13/01/2024 at line 14 has 13 as its first part ..."
  std::vector<SeenValue> examples;        // the values that show it, with their lines
  // The date_format choices: one when the order is known and the automatic forms do not read it
  // (day-first, or another separator than '/'), none when they do, two (month-first first) when
  // a person must choose.
  struct Format {
    std::string format;  // "%d/%m/%Y"
    Kind order = Kind::month_first;
  };
  std::vector<Format> date_formats;
};

DateOrder date_order_of(const ColumnStats& stats);

struct TypeProposal {
  ColumnType type;
  // What a person must decide, each a phrase that follows "column NAME ": "has 0 to 2 decimal
  // places (...)". config generate writes them as CHECK: comments.
  std::vector<std::string> checks;
  DateOrder date_order;
};

TypeProposal propose_type(const ColumnStats& stats);

// "a human-readable name" of an order for messages: "month-first", "day-first", ...
const char* to_string(DateOrder::Kind kind);

}  // namespace sluice
