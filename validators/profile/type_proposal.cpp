#include "validators/profile/type_proposal.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice {
namespace {

// numeric(p,s) headroom (see the header): digits at least, integer digits beyond the largest value
// seen, and the widest precision Snowflake's NUMBER takes, which headroom alone never exceeds.
constexpr int kMinPrecision = 18;
constexpr int kExtraIntegerDigits = 3;
constexpr int kSnowflakeMaxPrecision = 38;
constexpr int kPostgresMaxPrecision = 1000;

std::string at_line(const SeenValue& v) { return fmt::format("{} at line {}", v.str(), v.line); }

DateOrder::Format format_for(bool day_first, char sep) {
  return {day_first ? fmt::format("%d{0}%m{0}%Y", sep) : fmt::format("%m{0}%d{0}%Y", sep),
          day_first ? DateOrder::Kind::day_first : DateOrder::Kind::month_first};
}

// The number before the first separator of an N/N/YYYY value (first) or after it (second).
int part_of(const SeenValue& v, bool second) {
  const std::string_view s = v.view();
  std::size_t i = 0;
  if (second) i = s.find_first_not_of("0123456789") + 1;
  int out = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) out = out * 10 + (s[i] - '0');
  return out;
}

}  // namespace

const char* to_string(DateOrder::Kind kind) {
  switch (kind) {
    case DateOrder::Kind::none: return "none";
    case DateOrder::Kind::month_first: return "month-first";
    case DateOrder::Kind::day_first: return "day-first";
    case DateOrder::Kind::ambiguous: return "ambiguous";
    case DateOrder::Kind::either: return "either";
  }
  return "none";
}

DateOrder date_order_of(const ColumnStats& s) {
  DateOrder o;
  const DateOrderEvidence& e = s.date_order;
  if (!s.all_days() || e.values == 0) return o;
  o.values = e.values;
  const char sep = e.separator;
  if (e.month_first_valid && e.day_first_valid) {
    if (!e.ambiguous[0].set()) {
      o.kind = DateOrder::Kind::either;
      o.evidence = fmt::format("{} value{} written N{}N{}YYYY, each with two equal parts: either order gives the same days",
                               e.values, e.values == 1 ? "" : "s", sep, sep);
      if (sep != '/') o.date_formats = {format_for(false, sep)};
      return o;
    }
    o.kind = DateOrder::Kind::ambiguous;
    std::vector<std::string> shown;
    for (const SeenValue& v : e.ambiguous)
      if (v.set()) {
        o.examples.push_back(v);
        shown.push_back(at_line(v));
      }
    o.evidence = fmt::format("ambiguous: month-first or day-first: {} value{} written N{}N{}YYYY, all with both parts "
                             "<= 12 (e.g. {})",
                             e.values, e.values == 1 ? "" : "s", sep, sep, fmt::join(shown, ", "));
    o.date_formats = {format_for(false, sep), format_for(true, sep)};
    return o;
  }
  const bool day_first = e.day_first_valid;
  const SeenValue& proof = day_first ? e.first_over_12 : e.second_over_12;
  o.kind = day_first ? DateOrder::Kind::day_first : DateOrder::Kind::month_first;
  o.examples.push_back(proof);
  o.evidence = fmt::format("{}: {} has {} as its {} part, which no month is", to_string(o.kind), at_line(proof),
                           part_of(proof, !day_first), day_first ? "first" : "second");
  // The automatic forms read N/N/YYYY month-first; anything else needs the table's date_format.
  if (day_first || sep != '/') o.date_formats = {format_for(day_first, sep)};
  return o;
}

TypeProposal propose_type(const ColumnStats& s) {
  TypeProposal p;
  p.date_order = date_order_of(s);
  const ColumnType seen = s.inferred_type();
  if (s.values == 0) {
    p.checks.push_back("is always empty: typed text");
    return p;  // text
  }
  switch (seen.kind) {
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint:
      p.type.kind = ColumnKind::bigint;
      return p;
    case ColumnKind::numeric: {
      const int scale = s.frac_digits, needed = s.int_digits + scale;
      const int roomy = std::max(kMinPrecision, needed + kExtraIntegerDigits);
      p.type.kind = ColumnKind::numeric;
      p.type.scale = scale;
      p.type.precision = std::min(kPostgresMaxPrecision, std::min(roomy, std::max(kSnowflakeMaxPrecision, needed)));
      if (s.frac_digits_min < s.frac_digits && s.fewest_places.set() && s.most_places.set())
        p.checks.push_back(fmt::format(
            "has {} to {} decimal places ({}, {}): {} keeps {}; a value with more places would be rounded by the table, "
            "so raise the scale if they can come",
            s.frac_digits_min, s.frac_digits, at_line(s.fewest_places), at_line(s.most_places), to_string(p.type), scale));
      if (p.type.precision > kSnowflakeMaxPrecision)
        p.checks.push_back(fmt::format("needs {} digits: a Snowflake NUMBER holds at most {}", p.type.precision,
                                       kSnowflakeMaxPrecision));
      return p;
    }
    case ColumnKind::date:
      // Observed as a date, N/N/YYYY values included, only when they all read month-first.
      if (p.date_order.kind != DateOrder::Kind::ambiguous) {
        p.type = seen;
        return p;
      }
      break;
    case ColumnKind::varchar:
    case ColumnKind::character:
      break;
    default:  // boolean, timestamp, timestamptz, text
      p.type = seen;
      return p;
  }
  p.type = ColumnType{};  // text
  if (p.date_order.kind == DateOrder::Kind::ambiguous)
    p.checks.push_back(fmt::format("is {}: typed text, which holds either reading{}", p.date_order.evidence,
                                   s.date_order.separator == '/' ? "; if it is month-first, date would work too" : ""));
  return p;
}

}  // namespace sluice
