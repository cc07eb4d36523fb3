// Table entries: required keys, formats and their defaults, delimiters, columns and their types,
// date and duplicate-key columns, file pattern placeholders.
#include <gtest/gtest.h>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;

// One table entry starting on line 2; `extra` lines (indented 4) go after its columns (line 5 on).
std::string table(const std::string& extra, const std::string& pattern = "a_{month}.tsv") {
  return "tables:\n"
         "  - table: A\n"
         "    file_pattern: \"" + pattern + "\"\n"
         "    columns: [{ name: Day, type: date }, { name: id, type: bigint }]\n" +
         extra;
}

TEST(ConfigTables, AFullEntryParses) {
  const Config c = parse_config(R"yaml(tables:
  - table: FACT_LENDING
    file_pattern: "factLendingBenchmark_{date_range}.tsv"
    format: csv
    header: true
    delimiter: ";"
    quote: "'"
    null_marker: '\N'
    date_column: recorddateid
    date_format: "%Y%m%d"
    columns:
      - { name: RECORDDATE,   type: date }
      - { name: RECORDDATEID, type: integer }
      - { name: ASSETID,      type: bigint, required: true }
      - { name: LOANVALUE,    type: "numeric(20,2)" }
    duplicate_key: [recorddateid, ASSETID]
)yaml", "t.yaml");
  ASSERT_EQ(c.tables.size(), 1u);
  const TableSpec& t = c.tables[0];
  EXPECT_EQ(t.table, "FACT_LENDING");
  EXPECT_EQ(t.connection, "");
  EXPECT_EQ(t.feed.file_pattern, "factLendingBenchmark_{date_range}.tsv");
  EXPECT_EQ(t.feed.format, FileFormat::csv);
  EXPECT_TRUE(t.feed.header);
  EXPECT_EQ(t.feed.delimiter, ';');
  EXPECT_EQ(t.feed.quote, '\'');
  EXPECT_EQ(t.feed.null_marker, "\\N");
  EXPECT_EQ(t.date_column, "RECORDDATEID");  // the column's own spelling
  EXPECT_EQ(t.date_column_index(), 1);
  EXPECT_EQ(t.date_format, "%Y%m%d");
  ASSERT_EQ(t.columns.size(), 4u);
  EXPECT_EQ(t.columns[0].name, "RECORDDATE");
  EXPECT_EQ(t.columns[0].type.kind, ColumnKind::date);
  EXPECT_FALSE(t.columns[0].required);
  EXPECT_EQ(t.columns[2].type.kind, ColumnKind::bigint);
  EXPECT_TRUE(t.columns[2].required);
  EXPECT_EQ(to_string(t.columns[3].type), "numeric(20,2)");
  EXPECT_EQ(t.duplicate_key, (std::vector<std::string>{"RECORDDATEID", "ASSETID"}));
  EXPECT_EQ(t.position.str(), "t.yaml:2:5");
}

TEST(ConfigTables, DefaultsDependOnTheFormat) {
  Config c = parse_config(table(""), "t.yaml");
  const TableSpec& tsv = c.tables.at(0);
  EXPECT_EQ(tsv.feed.format, FileFormat::tsv);
  EXPECT_EQ(tsv.feed.delimiter, '\t');
  EXPECT_FALSE(tsv.feed.header);
  EXPECT_EQ(tsv.feed.null_marker, "");
  EXPECT_EQ(tsv.date_column, "");
  EXPECT_TRUE(tsv.duplicate_key.empty());

  EXPECT_EQ(parse_config(table("    format: csv\n"), "t.yaml").tables.at(0).feed.delimiter, ',');
  EXPECT_EQ(parse_config(table("    format: csv\n"), "t.yaml").tables.at(0).feed.quote, '"');
  EXPECT_EQ(parse_config(table("    format: auto\n"), "t.yaml").tables.at(0).feed.format,
            FileFormat::auto_detect);
  EXPECT_EQ(parse_config(table("    format: auto\n"), "t.yaml").tables.at(0).feed.delimiter, '\t');
}

TEST(ConfigTables, FormatMustBeTsvCsvOrAuto) {
  const Error e = parse_error(table("    format: xlsx\n"));
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "unknown format \"xlsx\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:13");
  EXPECT_EQ(e.hint(), "Expected tsv, csv or auto");
}

TEST(ConfigTables, DelimiterIsOneCharacterAndBackslashTIsATab) {
  auto delimiter = [](const std::string& line) {
    return parse_config(table("    " + line + "\n"), "t.yaml").tables.at(0).feed.delimiter;
  };
  EXPECT_EQ(delimiter(R"(delimiter: "\t")"), '\t');  // YAML unescapes it
  EXPECT_EQ(delimiter(R"(delimiter: '\t')"), '\t');  // two characters, taken as a tab
  EXPECT_EQ(delimiter(R"(delimiter: "|")"), '|');
  EXPECT_EQ(delimiter("delimiter: ;"), ';');

  Error e = parse_error(table("    delimiter: \"||\"\n"));
  EXPECT_EQ(e.primary(), "delimiter must be one character (not a line break)");
  EXPECT_EQ(e.detail(), "t.yaml:5:16");
  e = parse_error(table("    delimiter: \"\\n\"\n"));
  EXPECT_EQ(e.primary(), "delimiter must be one character (not a line break)");
  e = parse_error(table("    delimiter: \"\"\n"));
  EXPECT_EQ(e.primary(), "key \"delimiter\" is empty");
  EXPECT_EQ(e.detail(), "t.yaml:5:16");
}

TEST(ConfigTables, QuoteIsForCsvOnlyAndDiffersFromTheDelimiter) {
  Error e = parse_error(table("    quote: \"'\"\n"));
  EXPECT_EQ(e.primary(), "quote applies only to csv files");
  EXPECT_EQ(e.detail(), "t.yaml:5:12");

  e = parse_error(table("    format: csv\n    quote: \",\"\n"));
  EXPECT_EQ(e.primary(), "quote and delimiter are the same character");
  EXPECT_EQ(e.detail(), "t.yaml:6:12");

  EXPECT_EQ(parse_config(table("    format: auto\n    quote: \"'\"\n"), "t.yaml").tables.at(0).feed.quote, '\'');
}

TEST(ConfigTables, ColumnsAreRequiredAndNotEmpty) {
  Error e = parse_error("tables:\n  - table: A\n    file_pattern: a.tsv\n");
  EXPECT_EQ(e.primary(), "missing key \"columns\" in table entry");
  EXPECT_EQ(e.detail(), "t.yaml:2:5");

  e = parse_error("tables:\n  - table: A\n    file_pattern: a.tsv\n    columns: []\n");
  EXPECT_EQ(e.primary(), "table \"A\" has no columns");
  EXPECT_EQ(e.detail(), "t.yaml:4:14");
}

TEST(ConfigTables, NumericWithScaleAbovePrecisionSaysSo) {
  const Error e = parse_error(R"y(tables:
  - table: A
    file_pattern: a.tsv
    columns:
      - { name: amount, type: "numeric(2,5)" }
)y");
  EXPECT_NE(e.primary().find("the scale 5 is greater than the precision 2"), std::string::npos) << e.primary();
  EXPECT_NE(e.primary().find("column \"amount\""), std::string::npos) << e.primary();
  EXPECT_EQ(e.detail(), "t.yaml:5:31");
}

TEST(ConfigTables, EveryErrorOfTheFileIsReportedInOneRun) {
  const Error e = parse_error(R"y(connections:
  db: { type: postgres, embedded: true, shema: x }
tables:
  - table: A
    file_pattern: "a_{mnth}.tsv"
    formatt: csv
    columns:
      - { name: id, type: bigint }
      - { name: amount, type: "numeric(2,5)" }
  - table: B
    file_pattern: b.tsv
    date_column: nope
    columns: [{ name: day, type: date }]
  - table: C
    file_pattern: c.tsv
    low_days: sometimes
    columns: [{ name: day, type: date }]
)y");
  EXPECT_EQ(e.primary(), "6 errors in t.yaml") << e.report();
  for (const char* expected : {
           "t.yaml:2:41: unknown key \"shema\" in postgres connection \"db\" (did you mean \"schema\"?)",
           "t.yaml:5:19: unknown placeholder \"{mnth}\" in file_pattern",
           "t.yaml:6:5: unknown key \"formatt\" in table entry",
           "t.yaml:9:31: in \"numeric(2,5)\" the scale 5 is greater than the precision 2",
           "t.yaml:12:18: date_column \"nope\" is not a column of table \"B\"",
           "t.yaml:16:15: low_days must be fail or warn, not \"sometimes\"",
       })
    EXPECT_NE(e.detail().find(expected), std::string::npos) << expected << "\n" << e.detail();
}

TEST(ConfigTables, UnknownColumnTypeListsTheTypes) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    columns:
      - { name: id, type: bigint }
      - { name: amount, type: money }
)");
  EXPECT_EQ(e.primary(), "unknown type \"money\" for column \"amount\"");
  EXPECT_EQ(e.detail(), "t.yaml:6:31");
  EXPECT_EQ(e.hint(), "accepted types: " + std::string(kColumnTypeList));
}

TEST(ConfigTables, ColumnNamesAreUniqueIgnoringCase) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    columns:
      - { name: id, type: bigint }
      - { name: ID, type: text }
)");
  EXPECT_EQ(e.primary(), "column \"ID\" appears twice in table \"A\"");
  EXPECT_EQ(e.detail(), "t.yaml:6:9");
}

TEST(ConfigTables, DateColumnMustBeAColumn) {
  const Error e = parse_error(table("    date_column: when\n"));
  EXPECT_EQ(e.primary(), "date_column \"when\" is not a column of table \"A\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:18");
  EXPECT_EQ(e.hint(), "columns: Day, id");
}

TEST(ConfigTables, DuplicateKeyColumnsMustBeColumns) {
  const Error e = parse_error(table("    duplicate_key: [day, asset]\n"));
  EXPECT_EQ(e.primary(), "duplicate_key column \"asset\" is not a column of table \"A\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:26");
  EXPECT_EQ(e.hint(), "columns: Day, id");

  EXPECT_EQ(parse_config(table("    duplicate_key: [day, ID]\n"), "t.yaml").tables.at(0).duplicate_key,
            (std::vector<std::string>{"Day", "id"}));
}

TEST(ConfigTables, FilePatternHasAtMostOneKnownPlaceholder) {
  EXPECT_NO_THROW(parse_config(table("", "plain.tsv"), "t.yaml"));
  EXPECT_NO_THROW(parse_config(table("", "x_{date_range}.tsv"), "t.yaml"));

  Error e = parse_error(table("", "x_{day}.tsv"));
  EXPECT_EQ(e.primary(), "unknown placeholder \"{day}\" in file_pattern");
  EXPECT_EQ(e.detail(), "t.yaml:3:19");
  EXPECT_NE(e.hint().find("{month}"), std::string::npos);
  EXPECT_NE(e.hint().find("{date_range}"), std::string::npos);

  e = parse_error(table("", "x_{month}_{date_range}.tsv"));
  EXPECT_EQ(e.primary(), "file_pattern has more than one placeholder");
  e = parse_error(table("", "x_{month}_{month}.tsv"));
  EXPECT_EQ(e.primary(), "file_pattern has more than one placeholder");
  e = parse_error(table("", "x_{month.tsv"));
  EXPECT_EQ(e.primary(), "unclosed \"{\" in file_pattern");
}

TEST(ConfigTables, DateFormatTakesYearMonthDayAndLiterals) {
  const std::string date = "    date_column: day\n";
  EXPECT_EQ(parse_config(table(date + "    date_format: \"%d/%m/%Y\"\n"), "t.yaml").tables.at(0).date_format,
            "%d/%m/%Y");

  Error e = parse_error(table(date + "    date_format: \"%Y-%m-%d %H\"\n"));
  EXPECT_EQ(e.primary(), "unsupported directive \"%H\" in date_format");
  EXPECT_EQ(e.detail(), "t.yaml:6:18");
  e = parse_error(table(date + "    date_format: \"%Y%m\"\n"));
  EXPECT_EQ(e.primary(), "date_format must contain %Y, %m and %d once each");
  e = parse_error(table(date + "    date_format: \"%Y%m%d%\"\n"));
  EXPECT_EQ(e.primary(), "unsupported directive \"%\" in date_format");

  e = parse_error(table("    date_format: \"%Y%m%d\"\n"));
  EXPECT_EQ(e.primary(), "date_format without date_column");
  EXPECT_EQ(e.detail(), "t.yaml:5:18");
}

TEST(ConfigTables, TableNamesAreUniqueIgnoringCase) {
  const Error e = parse_error(R"(tables:
  - { table: Sales, file_pattern: a.tsv, columns: [{ name: x, type: text }] }
  - { table: SALES, file_pattern: b.tsv, columns: [{ name: x, type: text }] }
)");
  EXPECT_EQ(e.primary(), "table \"SALES\" is listed twice");
  EXPECT_EQ(e.detail(), "t.yaml:3:5");
  EXPECT_NE(e.hint().find("t.yaml:2:5"), std::string::npos) << e.hint();
}

TEST(ConfigTables, BooleansAreTrueOrFalse) {
  EXPECT_TRUE(parse_config(table("    header: yes\n"), "t.yaml").tables.at(0).feed.header);
  EXPECT_FALSE(parse_config(table("    header: False\n"), "t.yaml").tables.at(0).feed.header);
  const Error e = parse_error(table("    header: 1\n"));
  EXPECT_EQ(e.primary(), "key \"header\" must be true or false, not \"1\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:13");
}

TEST(ConfigTables, UnquotedNullMarkerNullIsExplained) {
  const Error e = parse_error(table("    null_marker: NULL\n"));
  EXPECT_EQ(e.primary(), "key \"null_marker\" has no value");
  EXPECT_EQ(e.detail(), "t.yaml:5:5");
  EXPECT_NE(e.hint().find("quote them"), std::string::npos);
  EXPECT_EQ(parse_config(table("    null_marker: \"NULL\"\n"), "t.yaml").tables.at(0).feed.null_marker, "NULL");
}

TEST(ConfigTables, EncodingsAndTheirSpellings) {
  EXPECT_EQ(parse_config(table(""), "t.yaml").tables[0].feed.encoding, TextEncoding::utf8);
  EXPECT_EQ(parse_config(table("    encoding: latin-1\n"), "t.yaml").tables[0].feed.encoding, TextEncoding::latin1);
  EXPECT_EQ(parse_config(table("    encoding: windows-1252\n"), "t.yaml").tables[0].feed.encoding,
            TextEncoding::windows1252);
  EXPECT_EQ(parse_config(table("    encoding: cp1252\n"), "t.yaml").tables[0].feed.encoding, TextEncoding::windows1252);
  const Error e = parse_error(table("    encoding: ebcdic\n"));
  EXPECT_EQ(e.primary(), "unknown encoding \"ebcdic\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:15");
  EXPECT_EQ(e.hint(), "Expected utf-8, latin-1 or windows-1252 (what Excel and Windows tools call ANSI).");
}

// The entry sluice writes (config generate, the demo, the tests' fixtures) is read back as the
// table it was written from: every key, and values holding quotes, backslashes, tabs and "${".
void expect_same_table(const TableSpec& a, const TableSpec& b) {
  EXPECT_EQ(a.table, b.table);
  EXPECT_EQ(a.connection, b.connection);
  EXPECT_EQ(a.date_column, b.date_column);
  EXPECT_EQ(a.date_format, b.date_format);
  EXPECT_EQ(a.duplicate_key, b.duplicate_key);
  EXPECT_EQ(a.low_days_fail, b.low_days_fail);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    EXPECT_EQ(a.columns[i].name, b.columns[i].name);
    EXPECT_EQ(to_string(a.columns[i].type), to_string(b.columns[i].type));
    EXPECT_EQ(a.columns[i].required, b.columns[i].required);
  }
  EXPECT_EQ(a.feed.file_pattern, b.feed.file_pattern);
  EXPECT_EQ(a.feed.format, b.feed.format);
  EXPECT_EQ(a.feed.header, b.feed.header);
  EXPECT_EQ(a.feed.delimiter, b.feed.delimiter);
  EXPECT_EQ(a.feed.quote, b.feed.quote);
  EXPECT_EQ(a.feed.null_marker, b.feed.null_marker);
  EXPECT_EQ(a.feed.encoding, b.feed.encoding);
  EXPECT_EQ(a.feed.backslash_escapes, b.feed.backslash_escapes);
}

TEST(ConfigTables, AWrittenEntryReadsBackAsTheSameTable) {
  TableSpec csv;
  csv.table = "Sales \"EU\" ${REGION}";
  csv.connection = "pg";
  csv.feed.file_pattern = "/in/sa\\les_{month}.csv";
  csv.feed.format = FileFormat::csv;
  csv.feed.header = true;
  csv.feed.delimiter = ';';
  csv.feed.quote = '\'';
  csv.feed.null_marker = "N/A";
  csv.feed.encoding = TextEncoding::windows1252;
  csv.columns = {{"Day", *parse_column_type("date"), true},
                 {"amount \"net\"", *parse_column_type("numeric(12,2)"), false},
                 {"note\tx", *parse_column_type("text"), false}};
  csv.date_column = "Day";
  csv.date_format = "%d.%m.%Y";
  csv.duplicate_key = {"Day", "amount \"net\""};
  csv.low_days_fail = false;

  TableSpec tsv;
  tsv.table = "T";
  tsv.feed.file_pattern = "t_{date_range}.tsv";
  tsv.feed.delimiter = '|';
  tsv.feed.null_marker = "\\N";
  tsv.feed.encoding = TextEncoding::latin1;
  tsv.feed.backslash_escapes = true;
  tsv.columns = {{"id", *parse_column_type("bigint"), false}};

  TableSpec detected;
  detected.table = "D";
  detected.feed.file_pattern = "d_{month}.dat";
  detected.feed.format = FileFormat::auto_detect;
  detected.columns = {{"id", *parse_column_type("bigint"), false}};

  for (const TableSpec* t : {&csv, &tsv, &detected}) {
    const std::string yaml = "connections:\n  pg: { type: postgres, dsn: \"dbname=x\" }\ntarget: pg\ntables:\n" +
                             table_config_yaml(*t);
    SCOPED_TRACE(yaml);
    const Config c = parse_config(yaml, "t.yaml");
    ASSERT_EQ(c.tables.size(), 1u);
    expect_same_table(c.tables[0], *t);
  }
}

}  // namespace
}  // namespace sluice
