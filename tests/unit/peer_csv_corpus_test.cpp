// Every file of the peer CSV corpus (DuckDB's CSV test files; not part of this repository, see
// corpus_dir) read the way a user reads a file that has no config yet, `sluice analyze --json`
// (sniffer, Splitter, scanner), against a reference reading computed here: Python's csv module
// with the corpus manifest's dialect (tests/support/csv_reference.py). Sluice must take the
// manifest's delimiter (and quoting, where the file has quotes), and read as many rows, with the
// same number of fields each, as Python does. Files sluice reads differently on purpose are in
// deliberate_differences() with the reason and a check of what sluice does instead; each is
// listed in docs/csv-dialects.md.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using nlohmann::json;

// $SLUICE_PEER_CSV when set, else the shared corpus next to the repository, else its usual place;
// empty when the corpus (its manifest.tsv) is not there.
std::filesystem::path corpus_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("SLUICE_PEER_CSV"); env && *env) {
    candidates.emplace_back(env);
  } else {
    candidates.push_back(std::filesystem::path(SLUICE_SOURCE_DIR) / ".." / "shared" / "corpus" / "peer-csv");
    candidates.emplace_back("/work/shared/corpus/peer-csv");
  }
  for (const auto& c : candidates)
    if (std::filesystem::is_regular_file(c / "manifest.tsv")) return c;
  return {};
}

constexpr const char* kPython = "/usr/bin/python3";

// The reference: per file its manifest dialect and Python's number of fields per record.
json python_reading(const std::filesystem::path& corpus) {
  const std::string command = std::string(kPython) + " '" + SLUICE_SOURCE_DIR + "/tests/support/csv_reference.py' '" +
                              corpus.string() + "'";
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (::pclose(p) != 0) return json();
  }
  return json::parse(out, nullptr, false);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What sluice should report for a file Python read as `fields` (fields per record, 0 for a blank
// line), given how sluice took the file: Python's records with sluice's rules for blank lines
// (docs/csv-dialects.md). Blank lines at the end are not rows; with a header, neither are blank
// lines before it, nor the header itself; a blank line inside the data is a row, with no fields,
// or one NULL field in a one-column file (as PostgreSQL's COPY reads it).
struct Reading {
  std::uint64_t rows = 0;
  std::map<std::string, std::uint64_t> field_counts;  // as in the JSON: "fields" -> rows
};

Reading expected_reading(const std::vector<int>& fields, bool header, int columns) {
  std::size_t first = 0, last = fields.size();
  while (last > first && fields[last - 1] == 0) --last;
  if (header) {
    while (first < last && fields[first] == 0) ++first;
    if (first < last) ++first;
  }
  Reading r;
  for (std::size_t i = first; i < last; ++i) {
    const int n = fields[i] == 0 && columns == 1 ? 1 : fields[i];
    ++r.field_counts[std::to_string(n)];
    ++r.rows;
  }
  return r;
}

Reading sluice_reading(const json& j) {
  Reading r;
  r.rows = j.at("rows").get<std::uint64_t>();
  for (const auto& [fields, rows] : j.at("field_counts").items()) r.field_counts[fields] = rows.get<std::uint64_t>();
  return r;
}

std::string describe(const Reading& r) {
  std::string s = std::to_string(r.rows) + " rows;";
  for (const auto& [fields, rows] : r.field_counts) s += " " + fields + " fields: " + std::to_string(rows) + ";";
  return s;
}

test::RunResult analyze(const std::filesystem::path& file) {
  test::TempDir state("sluice-peer-csv");
  test::RunOptions o;
  o.env = {{"XDG_STATE_HOME", (state / "state").string()}, {"XDG_CONFIG_HOME", (state / "config").string()}};
  o.cwd = state.path();
  return test::run_sluice({"--progress", "none", "analyze", file.string(), "--json"}, o);
}

// A file sluice reads differently from Python's csv module on purpose: why, and a check that
// sluice does what docs/csv-dialects.md says instead.
struct Deliberate {
  std::string reason;
  std::function<void(const test::RunResult&, const std::vector<int>& python_fields)> check;
};

void refused_as_utf16(const test::RunResult& r, const std::vector<int>&) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("does not look like delimited text"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("UTF-16"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iconv -f UTF-16 -t UTF-8"), std::string::npos) << r.err;
}

const std::map<std::string, Deliberate>& deliberate_differences() {
  static const std::map<std::string, Deliberate> list = {
      {"encodings__utf16.csv",
       {"UTF-16 with a byte order mark: sluice reads UTF-8 (or latin-1) and refuses it with a hint to convert; "
        "Python read its bytes as latin-1 here",
        refused_as_utf16}},
      {"invalid_utf8.csv",
       {"UTF-16LE with a byte order mark (the name is DuckDB's): refused as UTF-16, like encodings__utf16.csv",
        refused_as_utf16}},
      {"one_r_n_two.csv",
       {"CR CR LF is one line end to sluice (a CRLF file converted twice), so there are no blank lines between the "
        "rows; Python's csv module reads a CR, then an empty CRLF line. Both read the same 3 values",
        [](const test::RunResult& r, const std::vector<int>& python) {
          ASSERT_EQ(r.exit_code, 0) << r.err;
          const json j = json::parse(r.out);
          std::uint64_t values = 0;
          for (const int n : python) values += n > 0;
          const bool header = j.at("syntax").at("header");
          EXPECT_EQ(j.at("rows").get<std::uint64_t>() + (header ? 1 : 0), values);
          EXPECT_EQ(j.at("column_count"), 1);
          EXPECT_TRUE(j.at("qc").at("findings").empty()) << j.at("qc").dump();
          // No CR is left in a value (or in the name the header gives): each is one of the words.
          const json& column = j.at("columns")[0];
          for (const std::string& seen : {column.at("min").get<std::string>(), column.at("max").get<std::string>(),
                                         header ? column.at("name").get<std::string>() : std::string("one")})
            EXPECT_TRUE(seen == "one" || seen == "two" || seen == "three") << seen;
        }}},
  };
  return list;
}

class PeerCsvCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = corpus_dir();
    if (corpus_.empty())
      GTEST_SKIP() << "the peer CSV corpus (a directory with manifest.tsv) is not at $SLUICE_PEER_CSV, nor at "
                      "../shared/corpus/peer-csv next to the repository, nor at /work/shared/corpus/peer-csv: "
                      "set SLUICE_PEER_CSV to it to run this test";
    if (!std::filesystem::exists(kPython)) GTEST_SKIP() << kPython << " is missing: it computes the reference reading";
    reference_ = python_reading(corpus_);
    ASSERT_TRUE(reference_.is_object() && !reference_.empty()) << "tests/support/csv_reference.py failed on " << corpus_;
  }

  std::filesystem::path corpus_;
  json reference_;
};

TEST_F(PeerCsvCorpus, EveryFileReadsAsPythonsCsvModuleReadsIt) {
  for (const auto& [name, ref] : reference_.items()) {
    if (deliberate_differences().count(name)) continue;
    SCOPED_TRACE(name);
    const auto file = corpus_ / name;
    const auto r = analyze(file);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    const json& syntax = j.at("syntax");
    const std::string quote = ref.at("quote");
    EXPECT_EQ(syntax.at("delimiter"), ref.at("delimiter"));
    // Quoting matters only where the file has a quote character (a gzip file's quotes are in its
    // compressed bytes, and its manifest says it has none).
    if (quote == "none") {
      EXPECT_FALSE(syntax.at("quoted"));
    } else if (slurp(file).find(quote) != std::string::npos) {
      EXPECT_TRUE(syntax.at("quoted"));
    }
    const Reading expected = expected_reading(ref.at("fields").get<std::vector<int>>(), syntax.at("header"),
                                              j.at("column_count").get<int>());
    EXPECT_EQ(describe(sluice_reading(j)), describe(expected)) << "header: " << syntax.at("header");
  }
}

TEST_F(PeerCsvCorpus, FilesReadDifferentlyOnPurposeGetTheDocumentedBehaviour) {
  for (const auto& [name, why] : deliberate_differences()) {
    SCOPED_TRACE(name + ": " + why.reason);
    ASSERT_TRUE(reference_.contains(name)) << "not in the corpus any more: drop it from the list and the docs";
    why.check(analyze(corpus_ / name), reference_.at(name).at("fields").get<std::vector<int>>());
  }
}

}  // namespace
}  // namespace sluice
