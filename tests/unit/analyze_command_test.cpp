// sluice analyze and sluice config generate, driven through the real binary (and, for the names
// and the round trip, the functions behind them). Expected values are computed from the file
// independently of the profiler.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/commands/commands.h"
#include "app/config.h"
#include "core/progress.h"
#include "operations/analyze_operation.h"
#include "operations/file_selection.h"
#include "operations/sample_data.h"
#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using nlohmann::json;
using Row = std::vector<std::string>;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Row split(const std::string& line, char d = '\t') {
  Row out;
  std::size_t start = 0;
  for (std::size_t i; (i = line.find(d, start)) != std::string::npos; start = i + 1) out.push_back(line.substr(start, i - start));
  out.push_back(line.substr(start));
  return out;
}

std::vector<Row> read_rows(const std::filesystem::path& p, bool header) {
  std::vector<Row> rows;
  std::istringstream in(slurp(p));
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first && header) {
      first = false;
      continue;
    }
    first = false;
    rows.push_back(split(line));
  }
  return rows;
}

// Tokens of a table line: cells are separated by two or more spaces.
std::vector<std::string> cells(const std::string& line) {
  static const std::regex gap(R"(\s{2,})");
  std::vector<std::string> out;
  for (std::sregex_token_iterator it(line.begin(), line.end(), gap, -1), end; it != end; ++it)
    if (!it->str().empty()) out.push_back(*it);
  return out;
}

std::string line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

// Whether an inferred type holds every value the declared one is meant for (no wider).
bool fits(const ColumnType& inferred, const ColumnType& declared) {
  using K = ColumnKind;
  auto rank = [](K k) { return k == K::smallint ? 1 : k == K::integer ? 2 : k == K::bigint ? 3 : 0; };
  if (inferred.is_integer() && declared.is_integer()) return rank(inferred.kind) <= rank(declared.kind);
  if (inferred.kind == K::numeric && declared.kind == K::numeric)
    return inferred.scale <= declared.scale && inferred.precision - inferred.scale <= declared.precision - declared.scale;
  if (inferred.kind == K::varchar && declared.is_textual())
    return declared.kind == K::text || inferred.length <= declared.length;
  return inferred.kind == declared.kind;
}

// The entry's comments as one line (config generate wraps them): "# a\n  # b" -> "# a b".
std::string unwrapped(std::string yaml) {
  for (std::size_t at; (at = yaml.find("\n  # ")) != std::string::npos;) yaml.replace(at, 5, " ");
  return yaml;
}

class AnalyzeTest : public ::testing::Test {
 protected:
  test::RunResult run(std::vector<std::string> args) {
    test::RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()},
             {"XDG_DATA_HOME", (dir_ / "data").string()},
             {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
    o.cwd = dir_.path();
    args.insert(args.begin(), {"--progress", "none"});
    return test::run_sluice(args, o);
  }

  std::filesystem::path sample(const std::string& name, std::uint64_t rows, bool header, std::uint64_t bad_date_line = 0) {
    SampleDataOptions o;
    o.rows = rows;
    o.header = header;
    o.bad_date_line = bad_date_line;
    NullProgress progress;
    generate_sample_data(dir_ / name, o, progress);
    return dir_ / name;
  }

  test::TempDir dir_{"sluice-analyze"};
};

TEST_F(AnalyzeTest, SampleFileJsonMatchesTheFile) {
  const auto file = sample("factLending_20240101-20240131.tsv", 20000, true);
  const auto r = run({"analyze", file.string(), "--json", "--workers", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const auto rows = read_rows(file, true);
  const auto& spec = sample_columns();

  EXPECT_EQ(j.at("rows").get<std::uint64_t>(), 20000u);
  EXPECT_EQ(j.at("column_count").get<std::size_t>(), spec.size());
  EXPECT_EQ(j.at("syntax").at("format"), "tsv");
  EXPECT_EQ(j.at("syntax").at("delimiter"), "\t");
  EXPECT_EQ(j.at("syntax").at("header"), true);
  EXPECT_GE(j.at("sniff").at("confidence").get<double>(), 0.9);
  EXPECT_EQ(j.at("malformed_rows"), 0);
  EXPECT_EQ(j.at("qc").at("findings").size(), 0u);

  const auto& cols = j.at("columns");
  ASSERT_EQ(cols.size(), spec.size());
  for (std::size_t c = 0; c < spec.size(); ++c) {
    const auto& col = cols[c];
    EXPECT_EQ(col.at("name"), spec[c].name);
    std::uint64_t nulls = 0;
    std::set<std::string> distinct;
    for (const auto& row : rows) {
      nulls += row[c].empty();
      if (!row[c].empty()) distinct.insert(row[c]);
    }
    EXPECT_EQ(col.at("nulls").get<std::uint64_t>(), nulls) << spec[c].name;
    EXPECT_EQ(col.at("values").get<std::uint64_t>(), rows.size() - nulls) << spec[c].name;
    EXPECT_NEAR(col.at("distinct").get<double>(), static_cast<double>(distinct.size()),
                std::max(0.035 * static_cast<double>(distinct.size()), 0.5))
        << spec[c].name;
    const auto inferred = parse_column_type(col.at("observed_type").get<std::string>());
    ASSERT_TRUE(inferred) << col.at("observed_type");
    if (nulls < rows.size()) {
      EXPECT_TRUE(fits(*inferred, spec[c].type)) << spec[c].name << ": " << col.at("observed_type") << " vs "
                                                 << to_string(spec[c].type);
    }
    // The proposal takes every value the observed type does, and more.
    const auto proposed = parse_column_type(col.at("proposed_type").get<std::string>());
    ASSERT_TRUE(proposed) << col.at("proposed_type");
    const TypeFit fit = compare_column_types(*inferred, *proposed);
    EXPECT_TRUE(fit == TypeFit::same || fit == TypeFit::holds) << spec[c].name << ": " << col.at("proposed_type");
  }
  auto col = [&](const std::string& name) {
    for (const auto& c : cols)
      if (c.at("name") == name) return c;
    return json();
  };
  EXPECT_EQ(col("RECORDDATE").at("observed_type"), "date");
  EXPECT_EQ(col("RECORDDATE").at("min"), "2024-01-01");
  EXPECT_EQ(col("RECORDDATE").at("max"), "2024-01-31");
  EXPECT_EQ(col("RECORDDATE").at("distinct"), 31);
  EXPECT_EQ(col("RECORDDATEID").at("observed_type"), "integer");
  EXPECT_EQ(col("RECORDDATEID").at("proposed_type"), "bigint");
  EXPECT_EQ(col("RECORDDATEID").at("min"), "20240101");
  EXPECT_EQ(col("RECORDDATEID").at("all_dates"), true);
  EXPECT_EQ(col("ISACTIVE").at("observed_type"), "boolean");
  EXPECT_EQ(col("UPDATEDAT").at("observed_type"), "timestamp");
  EXPECT_EQ(col("LEGACYREF").at("observed_type"), "text");  // always empty
  EXPECT_EQ(col("BRANCHNAME").at("proposed_type"), "text");
  EXPECT_EQ(col("LEGACYREF").at("nulls"), 20000);

  // Min/max computed here: integers and cents numerically, names by bytes.
  auto column_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < spec.size(); ++i)
      if (spec[i].name == name) return i;
    return spec.size();
  };
  const std::size_t term = column_of("TERMMONTHS"), loan = column_of("LOANVALUE"), branch = column_of("BRANCHNAME");
  long long term_min = 1 << 30, term_max = -1, cents_max = -1;
  std::string loan_max, branch_min, branch_max;
  for (const auto& row : rows) {
    term_min = std::min(term_min, std::stoll(row[term]));
    term_max = std::max(term_max, std::stoll(row[term]));
    std::string digits = row[loan];
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    if (std::stoll(digits) > cents_max) {
      cents_max = std::stoll(digits);
      loan_max = row[loan];
    }
    if (branch_min.empty() || row[branch] < branch_min) branch_min = row[branch];
    branch_max = std::max(branch_max, row[branch]);
  }
  EXPECT_EQ(col("TERMMONTHS").at("min"), std::to_string(term_min));
  EXPECT_EQ(col("TERMMONTHS").at("max"), std::to_string(term_max));
  EXPECT_EQ(col("LOANVALUE").at("max"), loan_max);
  EXPECT_EQ(col("BRANCHNAME").at("min"), branch_min);
  EXPECT_EQ(col("BRANCHNAME").at("max"), branch_max);

  // The date column is inferred, and its rows per day are exact.
  const auto& date = j.at("date_column");
  EXPECT_EQ(date.at("name"), "RECORDDATE");
  EXPECT_EQ(date.at("inferred"), true);
  std::map<std::string, std::uint64_t> per_day;
  for (const auto& row : rows) ++per_day[row[0]];
  ASSERT_EQ(date.at("rows_per_day").size(), 31u);
  for (const auto& [day, n] : per_day) EXPECT_EQ(date.at("rows_per_day").at(day).get<std::uint64_t>(), n) << day;
  EXPECT_EQ(date.at("rows_without_date"), 0);
}

TEST_F(AnalyzeTest, TextOutputOfASmallCsv) {
  const auto file = dir_.write("people.csv",
                               "id,name,amount,day\n"
                               "1,\"Smith, John\",12.50,2024-01-01\n"
                               "2,,7.25,2024-01-01\n"
                               "3,\"Doe, Jane\",,2024-01-03\n");
  const auto r = run({"analyze", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& out = r.out;
  EXPECT_NE(out.find("  read as  csv, delimiter ,, header yes, quote \"\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  sniffed  confidence 80%: delimiter ,: 100% of 4 rows have 4 fields, with 2 quoted fields;"), std::string::npos) << out;
  EXPECT_NE(out.find("  rows     3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  columns  4\n"), std::string::npos) << out;
  EXPECT_EQ(cells(line_starting(out, "  #")),
            (std::vector<std::string>{"#", "column", "observed", "proposed", "nulls", "min", "max", "~distinct"}));
  EXPECT_EQ(cells(line_starting(out, "  1  ")),
            (std::vector<std::string>{"1", "id", "smallint", "bigint", "0 (0.0%)", "1", "3", "3"}));
  EXPECT_EQ(cells(line_starting(out, "  2  ")),
            (std::vector<std::string>{"2", "name", "varchar(11)", "text", "1 (33.3%)", "Doe, Jane", "Smith, John", "2"}));
  EXPECT_EQ(cells(line_starting(out, "  3  ")),
            (std::vector<std::string>{"3", "amount", "numeric(4,2)", "numeric(18,2)", "1 (33.3%)", "7.25", "12.50", "2"}));
  EXPECT_EQ(cells(line_starting(out, "  4  ")),
            (std::vector<std::string>{"4", "day", "date", "date", "0 (0.0%)", "2024-01-01", "2024-01-03", "2"}));
  EXPECT_NE(out.find("observed: the narrowest type that holds every value of this file; proposed: the type to declare"),
            std::string::npos) << out;
  EXPECT_NE(out.find("  rows per day of day (inferred: the first column with a date in every row):\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    2024-01-01             2  " + std::string(40, '#') + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    2024-01-02             0  \n"), std::string::npos) << out;
  EXPECT_NE(out.find("    2024-01-03             1  " + std::string(20, '#') + "\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("findings"), std::string::npos) << out;
}

TEST_F(AnalyzeTest, StructureFindingsAreShownButDoNotFail) {
  const auto file = dir_.write("ragged.tsv", "A\tB\n1\t2\n3\n4\t5\n");
  const auto r = run({"analyze", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("rows"), 3);
  EXPECT_EQ(j.at("malformed_rows"), 1);
  ASSERT_EQ(j.at("qc").at("findings").size(), 1u);
  EXPECT_EQ(j.at("qc").at("findings")[0].at("check"), "column_count");
  EXPECT_EQ(j.at("qc").at("findings")[0].at("examples")[0].at("line"), 3);
  EXPECT_EQ(j.at("columns")[1].at("values"), 2);  // the short row has no B
}

TEST_F(AnalyzeTest, ByteOrderMarkIsNotData) {
  const auto with_header = dir_.write("bom.csv", "\xEF\xBB\xBFID;NAME;DAY\r\n1;\"a;b\";2024-01-01\r\n2;c;2024-01-02\r\n");
  auto r = run({"analyze", with_header.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j.at("syntax").at("bom"), true);
  EXPECT_EQ(j.at("syntax").at("crlf"), true);
  EXPECT_EQ(j.at("syntax").at("delimiter"), ";");
  EXPECT_EQ(j.at("columns")[0].at("name"), "ID");
  EXPECT_EQ(j.at("columns")[1].at("max"), "c");
  EXPECT_EQ(j.at("qc").at("findings").size(), 0u) << r.out;  // no header mismatch

  const auto headerless = dir_.write("bom.txt", "\xEF\xBB\xBF" "5|x\n6|y\n7|z\n");
  r = run({"analyze", headerless.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j.at("columns")[0].at("observed_type"), "smallint");
  EXPECT_EQ(j.at("columns")[0].at("min"), "5");
}

TEST_F(AnalyzeTest, DateColumnOptionAndGzip) {
  const auto plain = sample("loans.tsv", 3000, false);
  const std::string text = slurp(plain);
  const auto gz = dir_ / "loans.tsv.gz";
  gzFile f = gzopen(gz.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);

  const auto r = run({"analyze", gz.string(), "--json", "--date-column", "21"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("compression"), "gzip");
  EXPECT_EQ(j.at("rows"), 3000);
  EXPECT_EQ(j.at("syntax").at("header"), false);
  EXPECT_EQ(j.at("columns")[0].at("name"), "col1");
  const auto& date = j.at("date_column");
  EXPECT_EQ(date.at("name"), "col21");  // ORIGINATIONDATE
  EXPECT_EQ(date.at("inferred"), false);
  std::map<std::string, std::uint64_t> per_day;
  for (const auto& row : read_rows(plain, false)) ++per_day[row[20]];
  ASSERT_EQ(date.at("rows_per_day").size(), per_day.size());
  for (const auto& [day, n] : per_day) EXPECT_EQ(date.at("rows_per_day").at(day).get<std::uint64_t>(), n) << day;
}

TEST_F(AnalyzeTest, WithTableRunsItsFileQcInTheSamePass) {
  const auto config = dir_.write("sluice.yaml", embedded_config_yaml(sample_table_spec("FACT_LENDING", "fact_{date_range}.tsv", false)));
  const auto good = sample("fact_20240101-20240131.tsv", 4000, false);
  auto r = run({"--config", config.string(), "analyze", good.string(), "--table", "FACT_LENDING"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  read as  table FACT_LENDING: tsv, delimiter tab, header no\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  rows per day of RECORDDATEID (the date_column of table FACT_LENDING):\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  QC       passed (table FACT_LENDING)\n"), std::string::npos) << r.out;
  EXPECT_EQ(cells(line_starting(r.out, "   1  "))[1], "RECORDDATE");

  const auto bad = sample("fact_20240201-20240229.tsv", 4000, false, 7);
  r = run({"--config", config.string(), "analyze", bad.string(), "--table", "FACT_LENDING"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("  QC findings (table FACT_LENDING):\n"), std::string::npos) << r.out;
  // The file is February's but generated for January: every row is out of range, and line 7 is no date at all.
  EXPECT_NE(r.out.find("    ERROR date_unparseable: 1 row with a value in RECORDDATEID that is not a valid date"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(bad.string() + ":7:"), std::string::npos) << r.out;

  r = run({"--config", config.string(), "analyze", bad.string(), "--table", "FACT_LENDING", "--json"});
  EXPECT_EQ(r.exit_code, 3);
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("exit_code"), 3);
  EXPECT_EQ(j.at("qc").at("table_checks"), true);
  EXPECT_EQ(j.at("qc").at("passed"), false);
  EXPECT_EQ(j.at("table"), "FACT_LENDING");
  EXPECT_EQ(j.at("malformed_rows"), 0);  // a bad date is not a wrong number of fields
  EXPECT_EQ(j.at("date_column").at("rows_without_date"), 1);
}

TEST_F(AnalyzeTest, WithTableChecksValuesAgainstTheDeclaredTypes) {
  const auto config = dir_.write("types.yaml",
                                 "target: local\n"
                                 "connections:\n  local: { type: postgres, embedded: true }\n"
                                 "tables:\n"
                                 "  - table: CODES\n    file_pattern: \"codes.tsv\"\n"
                                 "    columns:\n      - { name: ID, type: smallint }\n      - { name: CODE, type: \"varchar(2)\" }\n");
  const auto file = dir_.write("codes.tsv", "1\tab\n2\tabc\n");
  const auto r = run({"--config", config.string(), "analyze", file.string(), "--table", "CODES", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j.at("qc").at("findings").size(), 1u) << r.out;
  EXPECT_EQ(j.at("qc").at("findings")[0].at("check"), "type");
  EXPECT_EQ(j.at("qc").at("findings")[0].at("examples")[0].at("line"), 2);
  EXPECT_EQ(j.at("columns")[1].at("observed_type"), "varchar(3)");  // what the file needs
}

TEST_F(AnalyzeTest, UsageErrors) {
  const auto file = dir_.write("x.tsv", "A\tB\n1\t2\n");
  auto r = run({"analyze", file.string(), "--date-column", "NOPE"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: --date-column NOPE is not a column of x.tsv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the columns are: A, B"), std::string::npos) << r.err;

  r = run({"analyze", (dir_ / "missing.tsv").string()});
  EXPECT_EQ(r.exit_code, 2);

  const auto archive = dir_.write("x.zip", std::string("PK\x03\x04\x01\x02\0\0abc", 11));
  r = run({"analyze", archive.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not look like delimited text"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a zip archive"), std::string::npos) << r.err;
}

// ---- config generate ----

TEST(ConfigGenerate, TableNamesAndPatternsFromFileNames) {
  EXPECT_EQ(table_name_for_file("factLending_20240101-20240131.tsv"), "FACT_LENDING");
  EXPECT_EQ(table_name_for_file("factLending_2024-01.csv.gz"), "FACT_LENDING");
  EXPECT_EQ(table_name_for_file("XMLData_20240115.tsv"), "XML_DATA");
  EXPECT_EQ(table_name_for_file("dim customer (v2).txt.zst"), "DIM_CUSTOMER_V2");
  EXPECT_EQ(table_name_for_file("2024-01.tsv"), "TABLE");
  EXPECT_EQ(table_name_for_file("202401_sales.tsv"), "SALES");

  auto p = file_pattern_for_file("factLending_20240101-20240131.tsv.gz");
  EXPECT_EQ(p.pattern, "factLending_{date_range}.tsv");
  EXPECT_TRUE(p.has_placeholder);
  p = file_pattern_for_file("sales_2024-01.csv");
  EXPECT_EQ(p.pattern, "sales_{month}.csv");
  p = file_pattern_for_file("sales_20240131.csv");
  EXPECT_EQ(p.pattern, "sales_20240131.csv");
  EXPECT_FALSE(p.has_placeholder);
  EXPECT_NE(p.note.find("the date \"20240131\" in the file name has no file_pattern placeholder"), std::string::npos);
}

class ConfigGenerateTest : public AnalyzeTest {};

TEST_F(ConfigGenerateTest, EntryParsesAndRoundTripsToTheSamplesTypes) {
  const auto file = sample("factLending_20240101-20240131.tsv", 5000, true);
  const auto r = run({"config", "generate", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string yaml = "target: local\nconnections:\n  local: { type: postgres, embedded: true }\ntables:\n" + r.out;
  const Config config = parse_config(yaml, "generated.yaml");
  ASSERT_EQ(config.tables.size(), 1u);
  const TableSpec& t = config.tables[0];
  EXPECT_EQ(t.table, "FACT_LENDING");
  EXPECT_EQ(t.feed.file_pattern, "factLending_{date_range}.tsv");
  EXPECT_EQ(t.feed.format, FileFormat::tsv);
  EXPECT_EQ(t.feed.delimiter, '\t');
  EXPECT_TRUE(t.feed.header);
  EXPECT_EQ(t.date_column, "RECORDDATE");
  EXPECT_TRUE(t.duplicate_key.empty());
  const auto& spec = sample_columns();
  ASSERT_EQ(t.columns.size(), spec.size());
  for (std::size_t i = 0; i < spec.size(); ++i) {
    EXPECT_EQ(t.columns[i].name, spec[i].name);
    const ColumnType& proposed = t.columns[i].type;
    if (spec[i].name == "LEGACYREF") {
      EXPECT_EQ(to_string(proposed), "text");  // always empty
    } else if (spec[i].type.kind == ColumnKind::numeric) {
      // The sample declares more digits than its values use: the proposal has its own headroom.
      EXPECT_EQ(proposed.kind, ColumnKind::numeric) << spec[i].name;
      EXPECT_EQ(proposed.scale, spec[i].type.scale) << spec[i].name;
      EXPECT_GE(proposed.precision, 18) << spec[i].name;
    } else {
      // Never a length from the longest value, never integer: the table the sample declares for
      // these columns fits in the proposal.
      const TypeFit fit = compare_column_types(spec[i].type, proposed);
      EXPECT_TRUE(fit == TypeFit::same || fit == TypeFit::holds) << spec[i].name << ": " << to_string(proposed);
      EXPECT_NE(proposed.kind, ColumnKind::varchar) << spec[i].name;
      EXPECT_NE(proposed.kind, ColumnKind::integer) << spec[i].name;
    }
  }
  EXPECT_NE(r.out.find("# CHECK: column LEGACYREF is always empty: typed text."), std::string::npos) << r.out;

  // The file is selected for the table by its pattern, with the range from its name.
  const auto selected = select_files(config, {file.string()}, "");
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0].table, &config.tables[0]);
  ASSERT_TRUE(selected[0].expected_range);
  EXPECT_EQ(selected[0].expected_range->str(), "2024-01-01..2024-01-31");
}

TEST_F(ConfigGenerateTest, WholeConfigValidatesAndItsFileQcPasses) {
  const auto file = sample("factLending_20240101-20240131.tsv", 3000, true);
  const auto out = dir_ / "etc" / "generated.yaml";
  auto r = run({"config", "generate", file.string(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote " + out.string() + " (1 table)"), std::string::npos);
  r = run({"config", "generate", file.string(), "-o", out.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  r = run({"config", "generate", file.string(), "-o", out.string(), "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = run({"config", "validate", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Config config = load_config(out);
  EXPECT_EQ(config.target, "local");
  // Scan + file QC with the generated entry (no server: --dry-run).
  r = run({"--config", out.string(), "load", "--files", file.string(), "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("QC passed"), std::string::npos) << r.out;
}

TEST_F(ConfigGenerateTest, HeaderlessPipeFileWithNullMarker) {
  std::string text;
  for (int d = 1; d <= 9; ++d)
    text += "2024-03-0" + std::to_string(d) + "|" + std::to_string(100 + d) + "|" + (d % 3 ? std::to_string(d) + ".5" : "\\N") + "|shop " + std::to_string(d) + "\n";
  const auto file = dir_.write("store_sales_2024-03.psv", text);
  const auto r = run({"config", "generate", file.string(), "--table", "STORE_SALES"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    delimiter: \"|\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    null_marker: \"\\\\N\"\n"), std::string::npos) << r.out;
  const Config config = parse_config("target: local\nconnections:\n  local: { type: postgres, embedded: true }\ntables:\n" + r.out, "g.yaml");
  const TableSpec& t = config.tables.at(0);
  EXPECT_EQ(t.table, "STORE_SALES");
  EXPECT_EQ(t.feed.file_pattern, "store_sales_{month}.psv");
  EXPECT_EQ(t.feed.format, FileFormat::tsv);
  EXPECT_EQ(t.feed.delimiter, '|');
  EXPECT_EQ(t.feed.null_marker, "\\N");
  EXPECT_FALSE(t.feed.header);
  EXPECT_EQ(t.date_column, "COL1");
  ASSERT_EQ(t.columns.size(), 4u);
  // Room for next month: bigint, 18 digits, text (the file alone needed smallint, numeric(2,1), varchar(6)).
  EXPECT_EQ(to_string(t.columns[0].type), "date");
  EXPECT_EQ(to_string(t.columns[1].type), "bigint");
  EXPECT_EQ(to_string(t.columns[2].type), "numeric(18,1)");
  EXPECT_EQ(to_string(t.columns[3].type), "text");
}

// A month of payments whose dates are day-first without zero padding (1/2/2024 is 1 February):
// the first value with a day over 12 is on line 14 (13/2/2024, after the header and 12 days).
TEST_F(ConfigGenerateTest, DayFirstDateColumnGetsItsDateFormatFromTheEvidence) {
  std::string text = "PAY_DATE,ACCOUNT,REF,AMOUNT\n";
  for (int d = 1; d <= 29; ++d)
    text += fmt::format("{}/2/2024,{},R{:05},{}\n", d, 1000 + d, d * 37,
                        d % 7 == 0 ? fmt::format("{}.5", d * 3) : fmt::format("{}.{:02}", d * 3, d * 3));
  const auto file = dir_.write("payments_2024-02.csv", text);

  auto r = run({"config", "generate", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    date_column: \"PAY_DATE\"\n    date_format: \"%d/%m/%Y\"\n"), std::string::npos) << r.out;
  EXPECT_NE(unwrapped(r.out).find("date_column PAY_DATE is day-first: 13/2/2024 at line 14 has 13 as its first part"),
            std::string::npos) << r.out;
  const Config config =
      parse_config("target: local\nconnections:\n  local: { type: postgres, embedded: true }\ntables:\n" + r.out, "g.yaml");
  const TableSpec& t = config.tables.at(0);
  EXPECT_EQ(t.date_format, "%d/%m/%Y");
  ASSERT_EQ(t.columns.size(), 4u);
  EXPECT_EQ(to_string(t.columns[0].type), "text");  // PostgreSQL's date reads N/N/YYYY month-first
  EXPECT_EQ(to_string(t.columns[1].type), "bigint");
  EXPECT_EQ(to_string(t.columns[2].type), "text");
  EXPECT_EQ(to_string(t.columns[3].type), "numeric(18,2)");
  // The amounts have 2 decimal places, but every seventh has 1 (21.5 on line 8).
  EXPECT_NE(unwrapped(r.out).find("CHECK: column AMOUNT has 1 to 2 decimal places (21.5 at line 8, 3.03 at line 2)"),
            std::string::npos) << r.out;

  // The entry reads the file: every day of February in its place (a month-first reading would
  // find 1 January .. 12 January and no date at all past them).
  const auto out = dir_ / "payments.yaml";
  ASSERT_EQ(run({"config", "generate", file.string(), "-o", out.string()}).exit_code, 0);
  r = run({"--config", out.string(), "load", "--files", file.string(), "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("QC passed"), std::string::npos) << r.out;

  // analyze names the order and its evidence, and counts the rows per day day-first.
  r = run({"analyze", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& order = j.at("columns")[0].at("date_order");
  EXPECT_EQ(order.at("order"), "day-first");
  EXPECT_EQ(order.at("examples")[0].at("value"), "13/2/2024");
  EXPECT_EQ(order.at("examples")[0].at("line"), 14);
  EXPECT_EQ(order.at("date_formats")[0].at("date_format"), "%d/%m/%Y");
  EXPECT_EQ(j.at("date_column").at("name"), "PAY_DATE");
  EXPECT_EQ(j.at("date_column").at("rows_per_day").size(), 29u);
  EXPECT_EQ(j.at("date_column").at("rows_per_day").at("2024-02-13"), 1);
}

TEST_F(ConfigGenerateTest, AmbiguousDateColumnOffersBothFormatsAndChoosesNeither) {
  std::string text = "VISIT_DATE\tVISITS\n";
  for (int m = 1; m <= 12; ++m) text += fmt::format("{:02}/03/2024\t{}\n", m, m * 11);
  const auto file = dir_.write("visits_20240301.tsv", text);

  auto r = run({"config", "generate", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string yaml = unwrapped(r.out);
  EXPECT_NE(yaml.find("CHECK: column VISIT_DATE is ambiguous: month-first or day-first: 12 values written N/N/YYYY, "
                      "all with both parts <= 12 (e.g. 01/03/2024 at line 2, 02/03/2024 at line 3, 04/03/2024 at line 5)"),
            std::string::npos) << yaml;
  EXPECT_NE(yaml.find("CHECK: date_column VISIT_DATE needs a date_format"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("    # date_format: \"%m/%d/%Y\"    # month-first\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("    # date_format: \"%d/%m/%Y\"    # day-first\n"), std::string::npos) << yaml;
  const Config config =
      parse_config("target: local\nconnections:\n  local: { type: postgres, embedded: true }\ntables:\n" + r.out, "g.yaml");
  const TableSpec& t = config.tables.at(0);
  EXPECT_EQ(t.date_column, "VISIT_DATE");
  EXPECT_EQ(t.date_format, "");  // a person chooses
  EXPECT_EQ(to_string(t.columns[0].type), "text");

  r = run({"analyze", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    VISIT_DATE: ambiguous: month-first or day-first: 12 values"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("as a date_column: date_format \"%m/%d/%Y\" (month-first) or \"%d/%m/%Y\" (day-first)"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    CHECK: column VISIT_DATE is ambiguous"), std::string::npos) << r.out;
  EXPECT_EQ(cells(line_starting(r.out, "  1  ")).at(2), "date");  // observed: PostgreSQL would take them month-first
  EXPECT_EQ(cells(line_starting(r.out, "  1  ")).at(3), "text");  // proposed
}

TEST_F(ConfigGenerateTest, TimestampColumnIsTheDateColumn) {
  std::string text = "EVENT_AT\tKIND\n";
  for (int d = 1; d <= 31; ++d) {
    text += fmt::format("2024-01-{:02} 13:45:00\topen\n", d);
    text += fmt::format("2024-01-{:02}T23:59:59\tclose\n", d);
  }
  const auto file = dir_.write("events_2024-01.tsv", text);
  const auto out = dir_ / "events.yaml";
  auto r = run({"config", "generate", file.string(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Config config = load_config(out);
  const TableSpec& t = config.tables.at(0);
  EXPECT_EQ(t.date_column, "EVENT_AT");
  EXPECT_EQ(to_string(t.columns[0].type), "timestamp");
  // File QC reads every row on its timestamp's date: two a day, no day missing.
  r = run({"--config", out.string(), "load", "--files", file.string(), "--dry-run", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out);
  const json& loaded = summary.at("files").at(0);
  EXPECT_EQ(loaded.at("qc_findings").size(), 0u) << r.out;
  ASSERT_EQ(loaded.at("rows_per_day").size(), 31u) << r.out;
  for (const auto& [day, rows] : loaded.at("rows_per_day").items()) EXPECT_EQ(rows, 2) << day;
}

TEST_F(ConfigGenerateTest, SameTableFromTwoFilesIsRefused) {
  const auto a = dir_.write("sales_2024-01.tsv", "DAY\tN\n2024-01-01\t1\n");
  const auto b = dir_.write("sales_2024-02.tsv", "DAY\tN\n2024-02-01\t1\n");
  const auto r = run({"config", "generate", a.string(), b.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("would both become table SALES"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice
