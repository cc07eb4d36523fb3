// What the table should hold by the load history: loads minus deletes, over the days the entries
// touching the requested range cover (widened until closed).
#include <gtest/gtest.h>

#include "warehouse/load_history.h"
#include "operations/warehouse_session.h"

namespace sluice {
namespace {

HistoryRow entry(std::int64_t id, const char* op, std::int64_t loaded, std::int64_t deleted, const char* from, const char* to) {
  HistoryRow h;
  h.id = id;
  h.operation = op;
  h.rows_loaded = loaded;
  h.rows_deleted = deleted;
  h.range = DateRange{*parse_iso_day(from), *parse_iso_day(to)};
  return h;
}

DateRange range(const char* from, const char* to) { return {*parse_iso_day(from), *parse_iso_day(to)}; }

TEST(HistoryExpectation, OneMonthLoadMinusAPartialDelete) {
  const std::vector<HistoryRow> h{entry(1, "load", 3100, 0, "2024-01-01", "2024-01-31"),
                                  entry(2, "delete", 0, 100, "2024-01-05", "2024-01-06")};
  const auto e = expected_by_history(h, range("2024-01-01", "2024-01-31"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->expected_rows, 3000);
  EXPECT_EQ(e->loads, 1);
  EXPECT_EQ(e->deletes, 1);
  EXPECT_EQ(e->range->str(), "2024-01-01..2024-01-31");
}

TEST(HistoryExpectation, ARangeInsideALoadWidensToTheWholeLoad) {
  const std::vector<HistoryRow> h{entry(1, "load", 3100, 0, "2024-01-01", "2024-01-31"),
                                  entry(2, "load", 2900, 0, "2024-02-01", "2024-02-29")};
  const auto e = expected_by_history(h, range("2024-01-10", "2024-01-12"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->range->str(), "2024-01-01..2024-01-31");
  EXPECT_EQ(e->expected_rows, 3100);
}

TEST(HistoryExpectation, ADeleteAcrossTwoMonthsPullsInBoth) {
  const std::vector<HistoryRow> h{entry(1, "load", 3100, 0, "2024-01-01", "2024-01-31"),
                                  entry(2, "load", 2900, 0, "2024-02-01", "2024-02-29"),
                                  entry(3, "delete", 0, 500, "2024-01-20", "2024-02-05"),
                                  entry(4, "load", 3000, 0, "2024-03-01", "2024-03-31")};
  const auto e = expected_by_history(h, range("2024-02-01", "2024-02-29"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->range->str(), "2024-01-01..2024-02-29");
  EXPECT_EQ(e->expected_rows, 3100 + 2900 - 500);
}

TEST(HistoryExpectation, RestoresAreRecordsNotCounts) {
  const std::vector<HistoryRow> h{entry(1, "load", 3100, 0, "2024-01-01", "2024-01-31"),
                                  entry(3, "restore", 3100, 0, "2024-01-01", "2024-01-31")};
  EXPECT_EQ(expected_by_history(h, std::nullopt)->expected_rows, 3100);
}

TEST(HistoryExpectation, NothingRecordedForTheRange) {
  const std::vector<HistoryRow> h{entry(1, "load", 3100, 0, "2024-01-01", "2024-01-31")};
  EXPECT_FALSE(expected_by_history(h, range("2024-03-01", "2024-03-31")));
  EXPECT_FALSE(expected_by_history({}, std::nullopt));
  // A delete from a table sluice never loaded: no baseline.
  EXPECT_FALSE(expected_by_history({entry(2, "delete", 0, 100, "2024-01-01", "2024-01-31")}, std::nullopt));
}

}  // namespace
}  // namespace sluice
