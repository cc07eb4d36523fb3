// Findings as every command prints them and as the menu reads them back from a job's JSON: the
// same findings, the hint included, in one layout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "output/findings_output.h"

namespace sluice {
namespace {

std::vector<Finding> two_findings() {
  Finding type = make_finding(Check::type, 12);
  type.examples.push_back({3, 14, 2, "x1", "ID: not an integer"});
  Finding days = make_finding(Check::missing_days, 2, fmt::arg("range", "2024-01-01..2024-01-31"));
  days.details.push_back("2024-01-05..2024-01-06 (2 days)");
  return {type, days};
}

TEST(FindingsOutput, TheMenuReadsBackWhatTheCommandWrote) {
  const auto findings = two_findings();
  const nlohmann::json j = findings_json(findings);
  EXPECT_EQ(j[0]["check"], "type");
  EXPECT_EQ(j[0]["hint"], std::string(check_info(Check::type).hint));
  const auto back = findings_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(render_findings("f.tsv", back), render_findings("f.tsv", findings));
}

TEST(FindingsOutput, TextSaysWhereAndWhatToDo) {
  EXPECT_EQ(render_findings("f.tsv", two_findings()),
            "    ERROR type: 12 values that the column's type does not accept\n"
            "      f.tsv:3:14 (field 2): ID: not an integer  |  \"x1\"\n"
            "      ... and 11 more\n"
            "      HINT: Fix the values in the file, or declare the column with a type that takes them.\n"
            "    ERROR missing_days: 2 days of 2024-01-01..2024-01-31 have no rows\n"
            "      2024-01-05..2024-01-06 (2 days)\n"
            "      HINT: A day without rows is usually a day the export missed: check the source for those days.\n");
}

TEST(FindingsOutput, ACheckThisBuildDoesNotKnowIsLeftOut) {
  nlohmann::json j = findings_json(two_findings());
  j[0]["check"] = "from_a_newer_sluice";
  const auto back = findings_from_json(j);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].check, Check::missing_days);
}

}  // namespace
}  // namespace sluice
