// Reading the file itself: YAML syntax errors, the document's shape, missing/unreadable files.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with the fixture.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sluice-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(ConfigSyntax, TabIndentationIsAUsageErrorWithPosition) {
  const Error e = parse_error("target: local\n\tconnections: {}\n");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "invalid YAML: illegal tab when looking for indentation");
  EXPECT_EQ(e.detail(), "t.yaml:2:1");
  EXPECT_NE(e.hint().find("indentation"), std::string::npos);
}

TEST(ConfigSyntax, UnclosedFlowListIsAUsageErrorWithPosition) {
  const Error e = parse_error("tables:\n  - table: A\n    duplicate_key: [A, B\n");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary().rfind("invalid YAML: ", 0), 0u) << e.primary();
  EXPECT_EQ(e.detail().rfind("t.yaml:", 0), 0u) << e.detail();
}

TEST(ConfigSyntax, TheDocumentMustBeAMapping) {
  const Error e = parse_error("- a\n- b\n");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "the config must be a mapping with target, connections and tables");
  EXPECT_EQ(e.detail(), "t.yaml:1:1");
}

TEST(ConfigSyntax, ASelfReferencingAliasIsAnErrorNotACrash) {
  const Error e = parse_error("tables: &x\n  - *x\n");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "the config nests too deeply");
}

TEST(ConfigSyntax, AliasesMayShareColumnLists) {
  const Config c = parse_config(R"(tables:
  - { table: A, file_pattern: a.tsv, columns: &cols [{ name: id, type: bigint }] }
  - { table: B, file_pattern: b.tsv, columns: *cols }
)", "t.yaml");
  EXPECT_EQ(c.tables.at(1).columns.at(0).name, "id");
}

TEST(ConfigSyntax, AnEmptyFileIsTheEmbeddedDefault) {
  const Config c = parse_config("# nothing yet\n", "t.yaml");
  EXPECT_EQ(c.path, "t.yaml");
  EXPECT_EQ(c.target, "local");
  ASSERT_EQ(c.connections.size(), 1u);
  EXPECT_TRUE(c.connections.at("local").postgres()->embedded);
  EXPECT_TRUE(c.tables.empty());
}

TEST_F(ConfigFile, LoadsAFileAndNamesItInErrors) {
  const fs::path path = dir_ / "sluice.yaml";
  std::ofstream(path) << "tables:\n  - table: A\n    file_pattern: a.tsv\n    colums: []\n";
  try {
    load_config(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.detail(), path.string() + ":4:5");
    EXPECT_EQ(e.hint(), "did you mean \"columns\"?");
  }

  std::ofstream(path) << "target: local\n";
  EXPECT_THROW(load_config(path), Error);  // target names no connection
  std::ofstream(path) << "connections: { local: { type: postgres, embedded: true } }\n";
  const Config c = load_config(path);
  EXPECT_EQ(c.path, path.string());
  EXPECT_EQ(c.target, "local");
}

TEST_F(ConfigFile, AMissingFileHintsAtConfigInit) {
  const fs::path path = dir_ / "nope.yaml";
  try {
    load_config(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "config file " + path.string() + " does not exist");
    EXPECT_NE(e.hint().find("sluice config init"), std::string::npos) << e.hint();
  }
}

TEST_F(ConfigFile, ADirectoryIsAUsageError) {
  try {
    load_config(dir_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "config file " + dir_.string() + " is a directory");
  }
}

}  // namespace
}  // namespace sluice
