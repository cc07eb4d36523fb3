#include "operations/sample_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "core/dates.h"
#include "core/error.h"

// Determinism: every value comes from integer PRNGs and IEEE basic arithmetic (+ - * / floor
// ldexp), never from libm transcendental functions, whose last bits differ between libc versions.
// Fused multiply-add would change rounding too: GCC does not contract in ISO mode (-std=c++20),
// clang needs telling.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace sluice {
namespace {

using std::int64_t;
using std::uint64_t;

constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Below n without a division; the tiny bias is irrelevant for sample data.
inline uint64_t scale_to(uint64_t r, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
}
inline double to_unit(uint64_t r) { return static_cast<double>(r >> 11) * 0x1.0p-53; }

// Irwin-Hall of four 16-bit uniforms: cheap, bounded (|z| < 3.47) and close enough to normal.
inline double to_normal(uint64_t r) {
  const uint64_t s = (r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48);
  return (static_cast<double>(s) * (1.0 / 65536.0) - 2.0) * 1.7320508075688772;
}

// Per-asset attributes come from a stream keyed by the asset, so an asset keeps its loan, branch
// and terms on every day and in every file made with the same seed.
struct SplitMix {
  uint64_t s;
  uint64_t next() { return mix64(s += 0x9e3779b97f4a7c15ULL); }
  uint64_t below(uint64_t n) { return scale_to(next(), n); }
  double unit() { return to_unit(next()); }
  double normal() { return to_normal(next()); }
};

struct Xoshiro256 {
  uint64_t s[4];
  explicit Xoshiro256(uint64_t seed) {
    for (auto& w : s) w = mix64(seed += 0x9e3779b97f4a7c15ULL);
  }
  uint64_t next() {
    const uint64_t result = std::rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = std::rotl(s[3], 45);
    return result;
  }
  uint64_t below(uint64_t n) { return scale_to(next(), n); }
  double unit() { return to_unit(next()); }
  double normal() { return to_normal(next()); }
};

double det_exp(double x) {
  constexpr double kLn2 = 0.69314718055994530942;
  const double k = std::floor(x / kLn2 + 0.5);
  const double r = x - k * kLn2;
  double term = 1.0, sum = 1.0;
  for (int i = 1; i <= 13; ++i) {
    term = term * r / i;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

// ---- calendar ----

int64_t add_months(int64_t days, unsigned months) {
  const CivilDate c = civil_from_days(static_cast<DayNumber>(days));
  const int total = c.year * 12 + (c.month - 1) + static_cast<int>(months);
  const int y = total / 12, m = total % 12 + 1;
  return days_from_civil(y, m, std::min(c.day, days_in_month(y, m)));
}

// The given day of the month before c's.
int64_t previous_month_day(const CivilDate& c, int day) {
  const int y = c.month == 1 ? c.year - 1 : c.year;
  const int m = c.month == 1 ? 12 : c.month - 1;
  return days_from_civil(y, m, std::min(day, days_in_month(y, m)));
}

// ---- formatting into a buffer that always has room for a row ----

constexpr char kDigits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline char* put2(char* p, unsigned v) {
  std::memcpy(p, kDigits2 + 2 * v, 2);
  return p + 2;
}
inline char* put_str(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
inline char* put_uint(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

// `units` in 10^-scale, written as a plain decimal ("1234.50"); scale is even and ≥ 2.
inline char* put_fixed(char* p, uint64_t units, int scale) {
  p = put_uint(p, units / kPow10[scale]);
  *p++ = '.';
  uint64_t frac = units % kPow10[scale];
  for (int i = scale - 2; i >= 0; i -= 2) {
    p = put2(p, static_cast<unsigned>(frac / kPow10[i]));
    frac %= kPow10[i];
  }
  return p;
}

inline char* put_date(char* p, int64_t days) {
  const CivilDate c = civil_from_days(static_cast<DayNumber>(days));
  p = put2(p, static_cast<unsigned>(c.year / 100));
  p = put2(p, static_cast<unsigned>(c.year % 100));
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(c.month));
  *p++ = '-';
  return put2(p, static_cast<unsigned>(c.day));
}

inline char* put_time(char* p, unsigned seconds) {
  p = put2(p, seconds / 3600);
  *p++ = ':';
  p = put2(p, seconds / 60 % 60);
  *p++ = ':';
  return put2(p, seconds % 60);
}

// ---- vocabularies ----

// Maps the top 12 bits of a random word to an index with weight 1/(i+q): a Zipf-like skew, so the
// first entries of each vocabulary dominate as they do in real reference data.
class Skewed {
 public:
  Skewed(std::size_t n, double q) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += 1.0 / (static_cast<double>(i) + q);
    double cumulative = 0;
    std::size_t i = 0;
    double bound = (1.0 / q) / total;
    for (std::size_t j = 0; j < table_.size(); ++j) {
      const double u = (static_cast<double>(j) + 0.5) / static_cast<double>(table_.size());
      while (u > bound && i + 1 < n) {
        cumulative = bound;
        ++i;
        bound = cumulative + (1.0 / (static_cast<double>(i) + q)) / total;
      }
      table_[j] = static_cast<std::uint8_t>(i);
    }
  }
  unsigned operator()(uint64_t r) const { return table_[r >> 52]; }

 private:
  std::array<std::uint8_t, 4096> table_{};
};

struct Country {
  std::string_view iso, currency, region, city[2];
};
constexpr Country kCountries[] = {
    {"GB", "GBP", "EMEA-N", {"London", "Manchester"}},
    {"DE", "EUR", "EMEA-W", {"Frankfurt", "Düsseldorf"}},
    {"US", "USD", "AMER-N", {"New York", "Chicago"}},
    {"FR", "EUR", "EMEA-W", {"Paris", "Lyon"}},
    {"NL", "EUR", "EMEA-W", {"Amsterdam", "Rotterdam"}},
    {"ES", "EUR", "EMEA-S", {"Madrid", "Barcelona"}},
    {"IT", "EUR", "EMEA-S", {"Milano", "Roma"}},
    {"IE", "EUR", "EMEA-N", {"Dublin", "Cork"}},
    {"CH", "CHF", "EMEA-W", {"Zürich", "Genève"}},
    {"SE", "SEK", "EMEA-N", {"Stockholm", "Malmö"}},
    {"PL", "PLN", "EMEA-E", {"Warszawa", "Kraków"}},
    {"CA", "CAD", "AMER-N", {"Toronto", "Montréal"}},
    {"JP", "JPY", "APAC-N", {"Tokyo", "Osaka"}},
    {"AU", "AUD", "APAC-S", {"Sydney", "Melbourne"}},
    {"NO", "NOK", "EMEA-N", {"Oslo", "Bergen"}},
    {"DK", "DKK", "EMEA-N", {"København", "Aarhus"}},
    {"SG", "SGD", "APAC-S", {"Singapore", "Jurong"}},
    {"HK", "HKD", "APAC-N", {"Hong Kong", "Kowloon"}},
    {"CZ", "CZK", "EMEA-E", {"Praha", "Brno"}},
    {"BR", "BRL", "AMER-S", {"São Paulo", "Rio de Janeiro"}},
    {"MX", "MXN", "AMER-S", {"Ciudad de México", "Monterrey"}},
    {"HU", "HUF", "EMEA-E", {"Budapest", "Debrecen"}},
    {"ZA", "ZAR", "EMEA-S", {"Johannesburg", "Cape Town"}},
    {"IN", "INR", "APAC-S", {"Mumbai", "Bengaluru"}},
};
constexpr std::size_t kCountryCount = std::size(kCountries);

struct Currency {
  std::string_view code;
  double per_eur;  // a plausible reference rate; the daily rate wanders around it
};
constexpr Currency kCurrencies[] = {
    {"EUR", 1.0},   {"GBP", 0.856}, {"USD", 1.087}, {"CHF", 0.951}, {"SEK", 11.28},
    {"PLN", 4.331}, {"CAD", 1.472}, {"JPY", 161.2}, {"AUD", 1.651}, {"NOK", 11.53},
    {"DKK", 7.458}, {"SGD", 1.457}, {"HKD", 8.471}, {"CZK", 25.12}, {"BRL", 5.402},
    {"MXN", 18.51}, {"HUF", 390.2}, {"ZAR", 20.14}, {"INR", 90.08},
};
constexpr std::size_t kCurrencyCount = std::size(kCurrencies);

constexpr std::size_t currency_index(std::string_view code) {
  for (std::size_t i = 0; i < kCurrencyCount; ++i)
    if (kCurrencies[i].code == code) return i;
  return 0;
}
constexpr unsigned kUsd = currency_index("USD");

struct Product {
  std::string_view code;
  double median_eur, sigma, base_rate;
  bool secured, revolving, long_term, business;
  unsigned portfolio;  // index into kPortfolios: where the product is usually booked
};
constexpr Product kProducts[] = {
    {"MTG-FIX", 210000, 0.7, 3.9, true, false, true, false, 1},
    {"PL-UNSEC", 12000, 0.8, 9.5, false, false, false, false, 0},
    {"MTG-VAR", 190000, 0.7, 4.6, true, false, true, false, 1},
    {"CC-STD", 4000, 0.9, 19.9, false, true, false, false, 4},
    {"AUTO-NEW", 28000, 0.5, 6.2, true, false, false, false, 5},
    {"SME-TERM", 150000, 1.2, 6.8, false, false, false, true, 2},
    {"AUTO-USED", 14000, 0.6, 8.4, true, false, false, false, 5},
    {"SME-RCF", 80000, 1.1, 7.4, false, true, false, true, 2},
    {"CC-GOLD", 12000, 0.7, 17.5, false, true, false, false, 4},
    {"HELOC", 60000, 0.8, 7.1, true, true, false, false, 1},
    {"CRE-INV", 2500000, 1.3, 5.6, true, false, true, true, 6},
    {"LEASE-EQ", 60000, 1.0, 6.5, true, false, false, true, 9},
    {"STUDENT", 25000, 0.5, 4.4, false, false, false, false, 0},
    {"AGRI-TERM", 120000, 1.0, 5.9, true, false, false, true, 8},
    {"BRIDGE", 450000, 1.0, 9.2, true, false, false, true, 3},
    {"CRE-DEV", 4000000, 1.4, 7.9, true, false, true, true, 6},
};
constexpr std::size_t kProductCount = std::size(kProducts);

constexpr std::string_view kPortfolios[] = {"RETAIL", "MORTG", "SME", "CORP", "CARDS", "AUTO",
                                            "CRE", "PRIV", "AGRI", "LEAS", "INFRA", "PUBL"};
// Ordered by frequency, not by grade; kGradePd is parallel (probability of default, basis points).
constexpr std::string_view kGrades[] = {"B1", "A3", "B2", "A2", "B3", "C1",
                                        "A1", "C2", "C3", "D",  "E"};
constexpr int kGradeRank[] = {3, 2, 4, 1, 5, 6, 0, 7, 8, 9, 10};
constexpr unsigned kGradePd[] = {90, 45, 150, 25, 260, 420, 12, 700, 1200, 2500, 6000};
constexpr unsigned kLongTerms[] = {300, 360, 240, 180, 120, 420};
constexpr unsigned kShortTerms[] = {60, 36, 48, 24, 84, 12, 120, 72};
constexpr std::string_view kFrequencies[] = {"MONTHLY", "QUARTERLY", "ANNUAL",
                                             "SEMIANNUAL", "BULLET", "WEEKLY"};
constexpr std::string_view kSources[] = {"CORE", "LMS2", "ACBS", "LEGACY", "MUREX"};
// The system each portfolio (kPortfolios order) is usually booked in.
constexpr unsigned kPortfolioSource[] = {0, 1, 2, 4, 0, 1, 2, 0, 2, 3, 4, 4};
constexpr std::string_view kBranchSuffixes[] = {"Central", "North", "Main Street", "Harbour",
                                                "Business Centre", "West End", "Old Town",
                                                "Airport"};
constexpr std::string_view kWords[] = {
    "loan", "fixed", "rate", "secured", "term", "mortgage", "residential", "variable", "facility",
    "first", "charge", "credit", "standard", "home", "purchase", "repayment", "personal",
    "business", "vehicle", "finance", "revolving", "line", "commercial", "property", "unsecured",
    "refinance", "owner-occupied", "buy-to-let", "equipment", "lease", "tracker", "discount",
    "interest-only", "amortising", "working", "capital", "green", "energy", "efficient",
    "improvement", "student", "second", "lien", "bridge", "balloon", "agricultural",
    "development", "investment", "portfolio", "acquisition", "syndicated", "tranche", "senior",
    "junior", "guaranteed", "government", "backed", "premium", "offset", "introductory", "legacy",
    "migrated", "restructured", "forborne", "watchlist"};
constexpr std::string_view kSectorLetters = "GCFKLAHNMIJQPDERSBOTU";

struct Tables {
  Skewed country{kCountryCount, 1.3};
  Skewed product{kProductCount, 1.5};
  Skewed portfolio{std::size(kPortfolios), 1.2};
  Skewed grade{std::size(kGrades), 1.8};
  Skewed long_term{std::size(kLongTerms), 1.0};
  Skewed short_term{std::size(kShortTerms), 1.5};
  Skewed frequency{std::size(kFrequencies), 0.3};
  Skewed source{std::size(kSources), 1.0};
  Skewed suffix{std::size(kBranchSuffixes), 1.0};
  Skewed word{std::size(kWords), 2.0};
  Skewed sector{kSectorLetters.size(), 1.5};
  Skewed sector_number{40, 1.0};
  Skewed payment_day{7, 0.6};
  Skewed phrase{12, 1.0};
  std::array<std::uint8_t, kCountryCount> country_currency{};
  Tables() {
    for (std::size_t i = 0; i < kCountryCount; ++i)
      country_currency[i] = static_cast<std::uint8_t>(currency_index(kCountries[i].currency));
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// ---- the table ----

ColumnType type_of(ColumnKind kind, int length = 0, int precision = 0, int scale = 0) {
  ColumnType t;
  t.kind = kind;
  t.length = length;
  t.precision = precision;
  t.scale = scale;
  return t;
}

// Generous bound on one row (longest description + names + numbers), so the writer can format
// a whole row without checking space field by field.
constexpr std::size_t kMaxRowBytes = 2048;
constexpr std::size_t kBufferBytes = 4 << 20;

// Values at or below these fit their declared numeric(p,s).
constexpr uint64_t kMaxCents = 900'000'000'000'000'000ULL;  // numeric(20,2): 18 integer digits
constexpr uint64_t kMaxLtvUnits = 9'999'999;                // numeric(7,4)

// A bijection on [0, 2^bits): scatters sequential numbers without collisions.
uint64_t scramble(uint64_t x, int bits, uint64_t key) {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const int shift = bits / 2 + 1;
  for (int round = 0; round < 3; ++round) {
    key = mix64(key);
    x = (x + key) & mask;
    x ^= x >> shift;
    x = (x * (key | 1)) & mask;
    x ^= x >> shift;
  }
  return x;
}

// Which assets a day lists: `count` distinct indexes out of [0, universe), in increasing order
// (Knuth's selection sampling). Extracts are usually sorted by key, and consecutive days share
// most of their assets, like a daily snapshot of a loan book.
class DaySelection {
 public:
  DaySelection(uint64_t universe, uint64_t count, uint64_t key)
      : r_{key}, universe_(std::max(universe, count)), needed_(count) {}
  uint64_t next() {
    for (;; ++candidate_) {
      if (r_.below(universe_ - candidate_) < needed_) {
        --needed_;
        return candidate_++;
      }
    }
  }

 private:
  SplitMix r_;
  uint64_t universe_, needed_, candidate_ = 0;
};

class RowWriter {
 public:
  RowWriter(const SampleDataOptions& o, uint64_t universe)
      : t_(tables()),
        delim_(o.delimiter),
        year_(o.year),
        month_(o.month),
        rng_(o.seed),
        universe_(universe),
        customer_bits_(std::max(8, static_cast<int>(std::bit_width(universe)))),
        asset_salt_(mix64(o.seed ^ 0xa55e7a55e7ULL)),
        day_salt_(mix64(o.seed ^ 0xda7eda7eULL)) {
    month_start_ = days_from_civil(year_, month_, 1);
    char* p = bad_date_;
    p = put2(p, static_cast<unsigned>(year_ / 100));
    put2(p, static_cast<unsigned>(year_ % 100));
    std::memcpy(bad_date_ + 4, "-02-30", 6);
    std::memcpy(bad_date_id_, bad_date_, 4);
    std::memcpy(bad_date_id_ + 4, "0230", 4);
  }

  DaySelection select(int day, uint64_t count) const {
    return DaySelection(universe_, count,
                        mix64(day_salt_ ^ (0x5e1ULL << 40) ^ static_cast<uint64_t>(day)));
  }

  void start_day(int day) {
    if (day == day_) return;
    day_ = day;
    today_ = month_start_ + day - 1;
    put_date(date_, today_);
    std::memcpy(date_id_, date_, 4);
    std::memcpy(date_id_ + 4, date_ + 5, 2);
    std::memcpy(date_id_ + 6, date_ + 8, 2);
    batch_len_ = static_cast<std::size_t>(
        put_uint(batch_, static_cast<uint64_t>(year_) * 10'000'000 +
                             static_cast<uint64_t>(month_ * 100'000 + day * 1000) +
                             day_salt_ % 1000) -
        batch_);
    SplitMix r{mix64(day_salt_ ^ static_cast<uint64_t>(today_))};
    for (std::size_t i = 0; i < kCurrencyCount; ++i) {
      const double rate = kCurrencies[i].per_eur * (1.0 + 0.004 * r.normal());
      fx_units_[i] = i == 0 ? 1'000'000 : static_cast<uint64_t>(rate * 1e6);
    }
    batch_start_ = 19 * 3600 + static_cast<unsigned>(r.below(90 * 60));
  }

  char* write_header(char* p) const {
    bool first = true;
    for (const auto& c : sample_columns()) {
      if (!first) *p++ = delim_;
      first = false;
      p = put_str(p, c.name);
    }
    *p++ = '\n';
    return p;
  }

  // `position` is the row's place in its day, which drives the batch clock.
  char* write_row(char* p, uint64_t idx, uint64_t position, bool bad_date, bool ragged) {
    const char d = delim_;
    SplitMix a{mix64(asset_salt_ ^ idx)};
    const uint64_t flags = rng_.next();  // one draw decides every NULL on the row
    auto is_null = [flags](int slot) { return ((flags >> (10 * slot)) & 1023) < 307; };

    if (bad_date) {
      p = put_str(p, {bad_date_, 10});
      *p++ = d;
      p = put_str(p, {bad_date_id_, 8});
    } else {
      p = put_str(p, {date_, 10});
      *p++ = d;
      p = put_str(p, {date_id_, 8});
    }
    *p++ = d;

    // Each asset owns a disjoint bucket of ids and buckets spread out as idx grows, so ids are
    // unique but denser at the low end, like a book that grew over years.
    p = put_uint(p, 100'000'000'000ULL + idx * 97 + ((idx * idx) >> 12) + a.below(97));
    *p++ = d;
    p = put_uint(p, 3'000'000'000ULL + idx * 13 + a.below(13));
    *p++ = d;
    // About half the customers hold two loans; customer numbers are unrelated to loan order.
    const uint64_t customer =
        a.below(2) ? idx >> 1 : (idx >> 1) + (uint64_t{1} << (customer_bits_ - 1));
    p = put_uint(p, 40'000'000ULL + scramble(customer, customer_bits_, asset_salt_) * 7 +
                        mix64(customer ^ asset_salt_) % 7);
    *p++ = d;

    const unsigned ci = t_.country(a.next());
    const Country& country = kCountries[ci];
    unsigned cur = t_.country_currency[ci];
    if (a.below(100) < 3) cur = cur == 0 ? kUsd : 0;
    const unsigned pi = t_.product(a.next());
    const Product& product = kProducts[pi];
    const unsigned grade = t_.grade(a.next());
    const unsigned other_portfolio = t_.portfolio(a.next());
    const unsigned portfolio = a.below(10) == 0 ? other_portfolio : product.portfolio;

    p = put_str(p, "LE-");
    p = put_str(p, country.iso);
    p = put_str(p, "01");
    *p++ = d;

    p = put_str(p, kPortfolios[portfolio]);
    *p++ = d;
    p = put_str(p, country.region);
    *p++ = d;
    p = put_str(p, country.iso);
    *p++ = d;
    p = put_str(p, kCurrencies[cur].code);
    *p++ = d;
    p = put_str(p, product.code);
    *p++ = d;
    p = put_str(p, kGrades[grade]);
    *p++ = d;

    // Amounts in local currency: log-normal around the product's median; most are round sums.
    double loan =
        product.median_eur * kCurrencies[cur].per_eur * det_exp(product.sigma * a.normal());
    uint64_t loan_cents = static_cast<uint64_t>(loan * 100.0);
    if (a.below(10) < 8) {
      const uint64_t unit = product.long_term ? 100000 : 10000;
      loan_cents = (loan_cents / unit + 1) * unit;
    }
    loan_cents = std::clamp<uint64_t>(loan_cents, 10000, kMaxCents / 4);
    loan = static_cast<double>(loan_cents);
    uint64_t collateral_cents = 0;
    if (product.secured) {
      collateral_cents = static_cast<uint64_t>(loan * (0.85 + 1.3 * a.unit()));
      if (a.below(10) < 8) collateral_cents = (collateral_cents / 100000 + 1) * 100000;
    }

    // Quoted rates: mostly whole basis points, some in eighths, a few computed to the micro.
    double rate = product.base_rate + 0.35 * kGradeRank[grade] + 0.6 * a.normal();
    rate = std::clamp(rate, 0.1, 35.0);
    uint64_t rate_micro = static_cast<uint64_t>(rate * 1e6);
    const uint64_t quote = a.below(10);
    if (quote < 7)
      rate_micro = rate_micro / 10000 * 10000;
    else if (quote < 9)
      rate_micro = rate_micro / 125000 * 125000 + 125000;

    const unsigned term = product.long_term ? kLongTerms[t_.long_term(a.next())]
                                            : kShortTerms[t_.short_term(a.next())];
    const uint64_t max_age = std::min<uint64_t>(uint64_t{term} * 30, 15 * 365);
    // The book grew over time: more young loans than old ones.
    const double age = a.unit();
    const int64_t origination =
        month_start_ - 30 - static_cast<int64_t>(age * age * static_cast<double>(max_age));
    const int64_t maturity = add_months(origination, term);

    double fraction;  // of the loan still outstanding
    if (product.revolving) {
      fraction = std::clamp(0.1 + 0.85 * a.unit() + 0.03 * rng_.normal(), 0.0, 1.0);
    } else {
      const double left = 1.0 - static_cast<double>(today_ - origination) /
                                    static_cast<double>(maturity - origination);
      // Annuities repay slowly at first; the curve bends more for long, expensive loans.
      const double bend = std::min(0.8, rate / 100.0 * term / 24.0);
      fraction = left <= 0 ? 0.0 : left * (1.0 + bend * (1.0 - left));
    }
    const uint64_t balance_cents = static_cast<uint64_t>(loan * fraction);
    const double balance = static_cast<double>(balance_cents);

    p = put_fixed(p, loan_cents, 2);
    *p++ = d;
    p = put_fixed(p, balance_cents, 2);
    *p++ = d;
    p = put_fixed(p, collateral_cents, 2);
    *p++ = d;
    p = put_fixed(p, rate_micro, 6);
    *p++ = d;
    uint64_t ltv = 0;  // percent, to two decimals, in the column's 10^-4 units
    if (collateral_cents != 0)
      ltv = std::min<uint64_t>(
          kMaxLtvUnits,
          static_cast<uint64_t>(balance * 1e4 / static_cast<double>(collateral_cents)) * 100);
    p = put_fixed(p, ltv, 4);
    *p++ = d;
    p = put_uint(p, term);
    *p++ = d;

    // Delinquent assets fall one day further behind each day of the month; a few others are a
    // few days late by accident.
    unsigned dpd = 0;
    const uint64_t arrears_base = a.below(120);
    if (a.below(100) < 7)
      dpd = static_cast<unsigned>(arrears_base) + static_cast<unsigned>(day_) - 1;
    else if (rng_.below(200) == 0)
      dpd = 1 + static_cast<unsigned>(rng_.below(29));
    p = put_uint(p, dpd);
    *p++ = d;
    *p++ = dpd < 30 ? '1' : dpd < 90 ? '2' : '3';  // IFRS 9 stage
    *p++ = d;
    p = put_date(p, origination);
    *p++ = d;
    p = put_date(p, maturity);
    *p++ = d;
    p = put_str(p, balance_cents > 0 ? std::string_view("true") : std::string_view("false"));
    *p++ = d;

    // Payments fall on the asset's payment day of the month.
    static constexpr int kPaymentDays[] = {1, 15, 28, 5, 10, 20, 25};
    const int payment_day = kPaymentDays[t_.payment_day(a.next())];
    const int64_t due_by = today_ - dpd;
    const CivilDate c = civil_from_days(static_cast<DayNumber>(due_by));
    const int64_t paid =
        c.day >= payment_day ? due_by - (c.day - payment_day) : previous_month_day(c, payment_day);
    const unsigned since_payment = static_cast<unsigned>(today_ - paid);
    if (!is_null(0))
      p = put_fixed(p, static_cast<uint64_t>(balance * rate / 36500.0 * since_payment), 2);
    *p++ = d;
    if (!is_null(1)) {
      const double lgd = product.secured ? 0.2 : 0.45;
      p = put_fixed(p, static_cast<uint64_t>(balance * kGradePd[grade] / 10000.0 * lgd), 2);
    }
    *p++ = d;
    if (!is_null(2)) p = put_date(p, paid);
    *p++ = d;
    const unsigned frequency = t_.frequency(a.next());
    p = put_str(p, kFrequencies[product.business || a.below(30) == 0 ? frequency : 0]);
    *p++ = d;
    const unsigned sector_letter = t_.sector(a.next());
    const unsigned sector_number = 1 + t_.sector_number(a.next());
    if (product.business && !is_null(3)) {
      *p++ = kSectorLetters[sector_letter];
      p = put2(p, sector_number);
    }
    *p++ = d;
    // A handful of officers per branch.
    const unsigned city = static_cast<unsigned>(a.below(2));
    const unsigned suffix = t_.suffix(a.next());
    const uint64_t branch = (ci * 2 + city) * std::size(kBranchSuffixes) + suffix;
    const uint64_t officer = 10000 + mix64(branch * 8 + a.below(8) + asset_salt_) % 90000;
    if (!is_null(4)) p = put_uint(p, officer);
    *p++ = d;
    const double score = std::clamp(690.0 + 60.0 * a.normal(), 303.0, 847.0);
    if (!is_null(5)) p = put_uint(p, static_cast<uint64_t>(score) - 3 + rng_.below(7));
    *p++ = d;
    if (rng_.below(100) < 85) {
      p = put_str(p, "0.00");
    } else {
      p = put_fixed(p, static_cast<uint64_t>(2500.0 * det_exp(rng_.normal())), 2);
    }
    *p++ = d;
    p = put_fixed(p, fx_units_[cur], 6);
    *p++ = d;
    p = put_str(p, "EUR");
    *p++ = d;
    p = put_str(p, country.iso == "US" ? std::string_view("USGAAP") : std::string_view("IFRS9"));
    *p++ = d;
    *p++ = d;  // LEGACYREF: retired, always empty

    // Descriptions come from a few phrasings per product, as if typed from templates.
    SplitMix phrase{mix64(pi * 64 + t_.phrase(a.next()))};
    const unsigned words = 3 + static_cast<unsigned>(phrase.below(5));
    for (unsigned i = 0; i < words; ++i) {
      if (i) *p++ = ' ';
      p = put_str(p, kWords[t_.word(phrase.next())]);
    }
    *p++ = d;
    p = put_str(p, country.city[city]);
    *p++ = ' ';
    p = put_str(p, kBranchSuffixes[suffix]);
    *p++ = d;
    const unsigned other_source = t_.source(a.next());
    p = put_str(p, kSources[a.below(8) == 0 ? other_source : kPortfolioSource[portfolio]]);
    *p++ = d;
    p = put_str(p, {batch_, batch_len_});
    if (ragged) {
      *p++ = '\n';
      return p;
    }
    *p++ = d;
    // Most rows carry the nightly batch's clock; some were touched during the business day.
    unsigned seconds = batch_start_ + static_cast<unsigned>(position / 1500);
    if (rng_.below(10) == 0) seconds = 8 * 3600 + static_cast<unsigned>(rng_.below(10 * 3600));
    p = put_str(p, {date_, 10});
    *p++ = ' ';
    p = put_time(p, std::min(seconds, 86399u));
    *p++ = '\n';
    return p;
  }

  // Relative row counts per day: weekdays 1 ± 4%, weekends 0.9 ± 2%, so every day stays within
  // ±10% of the mean. Skipped days get 0.
  std::vector<double> day_weights(const SampleDataOptions& o, int days) const {
    std::vector<double> w(static_cast<std::size_t>(days) + 1, 0.0);
    for (int day = 1; day <= days; ++day) {
      if (std::find(o.skip_days.begin(), o.skip_days.end(), day) != o.skip_days.end()) continue;
      SplitMix r{mix64(day_salt_ ^ (0x77ULL << 32) ^ static_cast<uint64_t>(day))};
      const int64_t weekday = ((month_start_ + day - 1) % 7 + 10) % 7;  // 0 = Monday
      w[static_cast<std::size_t>(day)] =
          weekday >= 5 ? 0.9 + 0.04 * (r.unit() - 0.5) : 1.0 + 0.08 * (r.unit() - 0.5);
    }
    return w;
  }

 private:
  const Tables& t_;
  char delim_;
  int year_;
  int month_;
  Xoshiro256 rng_;
  uint64_t universe_;
  int customer_bits_;
  uint64_t asset_salt_, day_salt_;
  int64_t month_start_ = 0, today_ = 0;
  int day_ = 0;
  unsigned batch_start_ = 0;
  char date_[10] = {}, date_id_[8] = {}, bad_date_[10] = {}, bad_date_id_[8] = {};
  char batch_[24] = {};
  std::size_t batch_len_ = 0;
  std::array<uint64_t, kCurrencyCount> fx_units_{};
};

// Characters the data itself contains; a delimiter among them would split fields.
bool usable_delimiter(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80 || u < 0x20) return c == '\t';
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return false;
  return std::string_view(" -.:\"'\\").find(c) == std::string_view::npos;
}

void validate(const SampleDataOptions& o) {
  if ((o.rows == 0) == (o.target_bytes == 0))
    throw usage_error("sample data needs exactly one of a row count and a target size",
                      fmt::format("rows={} target_bytes={}", o.rows, o.target_bytes),
                      "Give either --rows or --size.");
  if (o.month < 1 || o.month > 12 || o.year < 1900 || o.year > 9000)
    throw usage_error(fmt::format("sample data month {:04}-{:02} is out of range", o.year, o.month),
                      {}, "Use a year between 1900 and 9000 and a month 1-12.");
  const int days = days_in_month(o.year, o.month);
  for (int day : o.skip_days)
    if (day < 1 || day > days)
      throw usage_error(
          fmt::format("cannot skip day {}: {:04}-{:02} has days 1-{}", day, o.year, o.month, days));
  std::vector<int> skipped = o.skip_days;
  std::sort(skipped.begin(), skipped.end());
  if (std::unique(skipped.begin(), skipped.end()) - skipped.begin() == days)
    throw usage_error("every day of the month is skipped; the file would have no rows");
  if (!usable_delimiter(o.delimiter))
    throw usage_error(
        fmt::format("'{}' cannot delimit sample data: the values contain it", o.delimiter), {},
        "Use a tab, ',', '|' or ';'.");
}

// Owns the output descriptor and buffer; removes a half-written regular file on failure.
class Output {
 public:
  Output(std::filesystem::path path, ProgressSink& progress, std::uint64_t total)
      : path_(std::move(path)),
        progress_(progress),
        total_(total),
        buffer_(std::make_unique<char[]>(kBufferBytes)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("could not create sample data file", errno);
    struct stat st {};
    regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  }
  ~Output() {
    if (fd_ >= 0) ::close(fd_);
    // Only regular files: the target may be a device such as /dev/full or /dev/null.
    if (!done_ && regular_) ::unlink(path_.c_str());
  }

  char* pos() const { return pos_; }
  // A pointer with room for at least one row.
  char* reserve(char* p) {
    pos_ = p;
    if (static_cast<std::size_t>(buffer_.get() + kBufferBytes - p) < kMaxRowBytes) flush();
    return pos_;
  }
  std::uint64_t bytes(const char* p) const {
    return flushed_ + static_cast<uint64_t>(p - buffer_.get());
  }
  void set_rows(std::uint64_t rows) { rows_ = rows; }

  void flush() {
    const char* q = buffer_.get();
    while (q < pos_) {
      const ssize_t n = ::write(fd_, q, static_cast<std::size_t>(pos_ - q));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("could not write sample data file", errno);
      }
      q += n;
      flushed_ += static_cast<uint64_t>(n);
    }
    pos_ = buffer_.get();
    progress_.update({"generate", path_.native(), flushed_, total_, rows_});
  }

  void finish(char* p) {
    pos_ = p;
    flush();
    const int fd = fd_;
    fd_ = -1;
    // Network file systems report a failed write-back only here.
    if (::close(fd) != 0) fail("could not write sample data file", errno);
    done_ = true;
  }

 private:
  [[noreturn]] void fail(const char* what, int err) {
    throw runtime_error(what, fmt::format("{}: {}", path_.native(), errno_text(err)),
                        err == ENOSPC ? "Free some space or choose a smaller size."
                                      : "Check that the directory exists and is writable.");
  }

  std::filesystem::path path_;
  ProgressSink& progress_;
  std::uint64_t total_;
  std::unique_ptr<char[]> buffer_;
  char* pos_ = buffer_.get();
  int fd_ = -1;
  bool regular_ = false;
  bool done_ = false;
  std::uint64_t flushed_ = 0, rows_ = 0;
};

// Splits `rows` over the days in proportion to their weights (largest remainder, so the sum is
// exact).
std::vector<uint64_t> split_rows(uint64_t rows, const std::vector<double>& w) {
  double total = 0;
  for (double x : w) total += x;
  std::vector<uint64_t> counts(w.size(), 0);
  std::vector<std::pair<double, std::size_t>> remainders;
  uint64_t assigned = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double exact = static_cast<double>(rows) * w[i] / total;
    counts[i] = static_cast<uint64_t>(exact);
    assigned += counts[i];
    if (w[i] > 0) remainders.emplace_back(exact - static_cast<double>(counts[i]), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  for (std::size_t i = 0; assigned < rows; ++i, ++assigned)
    ++counts[remainders[i % remainders.size()].second];
  return counts;
}

std::string human_bytes(uint64_t b) {
  if (b >= (uint64_t{1} << 30))
    return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1 << 30));
  if (b >= (uint64_t{1} << 20))
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  return fmt::format("{} bytes", b);
}

}  // namespace

const std::vector<ColumnSpec>& sample_columns() {
  using K = ColumnKind;
  static const std::vector<ColumnSpec> columns = {
      {"RECORDDATE", type_of(K::date), true},
      {"RECORDDATEID", type_of(K::integer), true},
      {"ASSETID", type_of(K::bigint), true},
      {"LOANID", type_of(K::bigint), true},
      {"CUSTOMERID", type_of(K::bigint), true},
      {"LEGALENTITY", type_of(K::varchar, 10), false},
      {"PORTFOLIOCODE", type_of(K::varchar, 8), false},
      {"REGIONCODE", type_of(K::varchar, 8), false},
      {"COUNTRY", type_of(K::character, 2), false},
      {"CURRENCYCODE", type_of(K::character, 3), false},
      {"PRODUCTCODE", type_of(K::varchar, 12), false},
      {"RISKGRADE", type_of(K::varchar, 3), false},
      {"LOANVALUE", type_of(K::numeric, 0, 20, 2), false},
      {"OUTSTANDINGBALANCE", type_of(K::numeric, 0, 20, 2), false},
      {"COLLATERALVALUE", type_of(K::numeric, 0, 20, 2), false},
      {"INTERESTRATE", type_of(K::numeric, 0, 9, 6), false},
      {"LTV", type_of(K::numeric, 0, 7, 4), false},
      {"TERMMONTHS", type_of(K::smallint), false},
      {"DAYSPASTDUE", type_of(K::integer), false},
      {"IFRS9STAGE", type_of(K::smallint), false},
      {"ORIGINATIONDATE", type_of(K::date), false},
      {"MATURITYDATE", type_of(K::date), false},
      {"ISACTIVE", type_of(K::boolean), false},
      {"ACCRUEDINTEREST", type_of(K::numeric, 0, 20, 2), false},
      {"PROVISIONAMOUNT", type_of(K::numeric, 0, 20, 2), false},
      {"LASTPAYMENTDATE", type_of(K::date), false},
      {"PAYMENTFREQUENCY", type_of(K::varchar, 10), false},
      {"SECTORCODE", type_of(K::varchar, 4), false},
      {"OFFICERID", type_of(K::integer), false},
      {"CREDITSCORE", type_of(K::smallint), false},
      {"FEESAMOUNT", type_of(K::numeric, 0, 20, 2), false},
      {"EXCHANGERATE", type_of(K::numeric, 0, 12, 6), false},
      {"REPORTINGCURRENCY", type_of(K::character, 3), false},
      {"ACCOUNTINGBASIS", type_of(K::varchar, 8), false},
      {"LEGACYREF", type_of(K::varchar, 20), false},
      {"DESCRIPTION", type_of(K::text), false},
      {"BRANCHNAME", type_of(K::varchar, 60), false},
      {"SOURCESYSTEM", type_of(K::varchar, 10), false},
      {"BATCHID", type_of(K::bigint), false},
      {"UPDATEDAT", type_of(K::timestamp), false},
  };
  return columns;
}

TableSpec sample_table_spec(const std::string& table_name, const std::string& file_pattern,
                            bool header) {
  TableSpec t;
  t.table = table_name.empty() ? "FACT_LENDING_SAMPLE" : table_name;
  t.feed.file_pattern = file_pattern;
  t.feed.format = FileFormat::tsv;
  t.feed.header = header;
  t.feed.delimiter = '\t';
  t.date_column = "RECORDDATEID";
  t.columns = sample_columns();
  t.duplicate_key = {"RECORDDATEID", "ASSETID"};
  return t;
}

SampleDataResult generate_sample_data(const std::filesystem::path& out,
                                      const SampleDataOptions& options, ProgressSink& progress) {
  validate(options);
  const int days = days_in_month(options.year, options.month);
  const std::vector<double> weights = RowWriter(options, 1).day_weights(options, days);
  const double max_weight = *std::max_element(weights.begin(), weights.end());
  double weight_left = 0;
  for (double w : weights) weight_left += w;

  std::vector<uint64_t> counts;
  double average_row = 0;
  uint64_t expected_rows = options.rows;
  if (options.rows) {
    counts = split_rows(options.rows, weights);
  } else {
    // Size the first rows of a scratch writer to plan the month; later days correct the plan
    // from the real average.
    RowWriter probe(options, options.target_bytes / 300 + 16);
    int first_day = 1;
    while (weights[static_cast<std::size_t>(first_day)] == 0) ++first_day;
    probe.start_day(first_day);
    constexpr uint64_t kProbeRows = 2000;
    DaySelection selection = probe.select(first_day, kProbeRows);
    std::vector<char> scratch(kMaxRowBytes);
    uint64_t probe_bytes = 0;
    for (uint64_t k = 0; k < kProbeRows; ++k)
      probe_bytes += static_cast<uint64_t>(
          probe.write_row(scratch.data(), selection.next(), k, false, false) - scratch.data());
    average_row = static_cast<double>(probe_bytes) / kProbeRows;
    expected_rows = static_cast<uint64_t>(static_cast<double>(options.target_bytes) / average_row);
  }
  // Room for the busiest day plus some, so each day leaves a few assets out.
  const uint64_t universe =
      static_cast<uint64_t>(static_cast<double>(expected_rows) * max_weight / weight_left * 1.125) +
      16;
  RowWriter writer(options, universe);

  progress.begin("generate", out.native(), options.target_bytes);
  try {
    Output output(out, progress, options.target_bytes);
    char* p = output.reserve(output.pos());
    if (options.header) p = writer.write_header(p);
    const uint64_t header_bytes = output.bytes(p);

    uint64_t line = options.header ? 1 : 0;
    uint64_t rows = 0;
    bool have_previous = false;
    uint64_t previous_asset = 0;
    int previous_day = 0;
    for (int day = 1; day <= days; ++day) {
      const double weight = weights[static_cast<std::size_t>(day)];
      if (weight == 0) continue;
      uint64_t planned;
      if (options.rows) {
        planned = counts[static_cast<std::size_t>(day)];
      } else {
        const uint64_t written = output.bytes(p);
        if (rows > 0)
          average_row = static_cast<double>(written - header_bytes) / static_cast<double>(rows);
        const double bytes_left = options.target_bytes > written
                                      ? static_cast<double>(options.target_bytes - written)
                                      : 0.0;
        planned = static_cast<uint64_t>(bytes_left / average_row * weight / weight_left + 0.5);
      }
      weight_left -= weight;
      writer.start_day(day);
      DaySelection selection = writer.select(day, planned);
      for (uint64_t k = 0; k < planned; ++k) {
        p = output.reserve(p);
        ++line;
        uint64_t asset = selection.next();
        int row_day = day;
        if (line == options.duplicate_line && have_previous) {
          asset = previous_asset;
          row_day = previous_day;
        }
        writer.start_day(row_day);
        p = writer.write_row(p, asset, k, line == options.bad_date_line,
                             line == options.ragged_line);
        writer.start_day(day);
        output.set_rows(++rows);
        previous_asset = asset;
        previous_day = row_day;
        have_previous = true;
      }
    }
    const uint64_t bytes = output.bytes(p);
    output.finish(p);
    progress.end(true, fmt::format("{} rows, {}", rows, human_bytes(bytes)));
    return {rows, bytes};
  } catch (const Error& e) {
    progress.end(false, e.primary());
    throw;
  }
}

}  // namespace sluice
