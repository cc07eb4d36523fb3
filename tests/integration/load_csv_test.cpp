// CSV with a header, quoted delimiters, doubled quotes and newlines inside quotes loads exactly;
// a value the server rejects is reported at its file line and table.column.
#include <gtest/gtest.h>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadCsv : public LoadFixture {
 protected:
  void SetUp() override {
    LoadFixture::SetUp();
    write_config(
        "  - table: PEOPLE\n"
        "    file_pattern: \"people_{month}.csv\"\n"
        "    format: csv\n"
        "    header: true\n"
        "    date_column: DAY\n"
        "    columns:\n"
        "      - { name: DAY, type: date }\n"
        "      - { name: ID, type: integer, required: true }\n"
        "      - { name: NOTE, type: text }\n"
        "      - { name: AMOUNT, type: \"numeric(10,2)\" }\n");
  }
  std::string month_rows(int skip_day = 0, const std::string& bad_amount_day = "") {
    std::string s;
    for (int d = 1; d <= 31; ++d) {
      if (d == skip_day) continue;
      char day[16];
      std::snprintf(day, sizeof day, "2024-01-%02d", d);
      s += std::string(day) + "," + std::to_string(d) + ",plain," + (bad_amount_day == day ? "12.5x" : "1.50") + "\r\n";
    }
    return s;
  }
};

TEST_F(LoadCsv, QuotedFieldsLoadExactly) {
  std::string csv = "day,id,note,amount\r\n";
  csv += "2024-01-01,1,\"a, b\",10.25\r\n";
  csv += "2024-01-01,2,\"she said \"\"hi\"\"\",\r\n";
  csv += "2024-01-01,3,\"two\nlines\",3\r\n";
  csv += "2024-01-01,4,C:\\path\\x,4\r\n";
  csv += "2024-01-01,5,\"\",5\r\n";
  dir_.write("people_2024-01.csv", csv + month_rows(1));
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("people"), 5 + 30);
  EXPECT_EQ(scalar("SELECT note FROM " + schema_ + ".people WHERE id = 1"), "a, b");
  EXPECT_EQ(scalar("SELECT note FROM " + schema_ + ".people WHERE id = 2"), "she said \"hi\"");
  EXPECT_EQ(scalar("SELECT note FROM " + schema_ + ".people WHERE id = 3"), "two\nlines");
  EXPECT_EQ(scalar("SELECT note FROM " + schema_ + ".people WHERE id = 4"), "C:\\path\\x");
  EXPECT_EQ(scalar("SELECT note IS NULL FROM " + schema_ + ".people WHERE id = 5"), "f");
  EXPECT_EQ(scalar("SELECT amount IS NULL FROM " + schema_ + ".people WHERE id = 2"), "t");
}

TEST_F(LoadCsv, HeaderThatDoesNotMatchFailsQc) {
  dir_.write("people_2024-01.csv", "day,ident,note,amount\r\n" + month_rows());
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("the header row does not match"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("people"));
}

TEST_F(LoadCsv, FileQcCatchesAValueTheColumnTypeRejects) {
  // After the header (line 1) and a row with a quoted newline (lines 2-3), day N is on line N + 3.
  std::string csv = "day,id,note,amount\n2024-01-01,100,\"x\ny\",1\n" + month_rows(0, "2024-01-20");
  dir_.write("people_2024-01.csv", csv);
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("type: 1 value that the column's type does not accept"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("missing_days"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("people_2024-01.csv:23:21 (field 4): AMOUNT: not a number  |  \"12.5x\""), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("people"));
}

TEST_F(LoadCsv, ServerRejectedValueIsReportedAtFileLineAndColumn) {
  // With --qc none the server is the one to refuse the value; the report still names file:line.
  std::string csv = "day,id,note,amount\n2024-01-01,100,\"x\ny\",1\n" + month_rows(0, "2024-01-20");
  dir_.write("people_2024-01.csv", csv);
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create", "--qc", "none"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("people_2024-01.csv:23: the server rejected a value"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PEOPLE.AMOUNT (field 4)"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("people"));
}

}  // namespace
}  // namespace sluice::test
