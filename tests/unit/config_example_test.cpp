// The example config `sluice config init` writes: it parses, targets the embedded server, its
// commented-out settings are valid once enabled, and writing it never clobbers a file by accident.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::ScopedEnv;

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example's convention: "#key: value" (no space after #, or two or more for nested lines) is a
// setting to enable by deleting the #; "# text" is prose.
std::string enable_commented_settings(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    const size_t hash = line.find_first_not_of(' ');
    if (hash != std::string::npos && line[hash] == '#' && hash + 1 < line.size() &&
        (line[hash + 1] != ' ' || line.compare(hash + 1, 2, "  ") == 0))
      line.erase(hash, 1);
    out += line + "\n";
  }
  return out;
}

class ConfigExampleFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sluice-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(ConfigExample, ParsesAndTargetsTheEmbeddedServer) {
  const Config c = parse_config(example_config_text(), "sluice.yaml");
  EXPECT_EQ(c.target, "local");
  ASSERT_EQ(c.connections.size(), 1u);
  EXPECT_TRUE(c.target_connection().postgres()->embedded);
  ASSERT_EQ(c.tables.size(), 1u);
  EXPECT_EQ(c.tables[0].table, "FACT_LENDING");
  EXPECT_EQ(c.tables[0].feed.null_marker, "\\N");
  EXPECT_EQ(c.tables[0].duplicate_key, (std::vector<std::string>{"RECORDDATEID", "ASSETID"}));
}

TEST(ConfigExample, CommentedOutSettingsAreValidOnceEnabled) {
  const ScopedEnv home("HOME", "/home/loader");
  const std::string enabled = enable_commented_settings(example_config_text());
  ASSERT_NE(enabled, example_config_text());
  const Config c = parse_config(enabled, "sluice.yaml");
  EXPECT_EQ(c.target, "local");
  ASSERT_EQ(c.connections.size(), 4u);
  EXPECT_EQ(c.connections.at("legacy").sqlite()->path, "/home/loader/data/legacy.db");
  ASSERT_EQ(c.migrations.size(), 1u);
  EXPECT_EQ(c.migrations[0].source, "legacy");
  EXPECT_EQ(c.migrations[0].target, "local");
  EXPECT_EQ(c.migrations[0].tables.size(), 3u);
  EXPECT_TRUE(c.migrations[0].tables[1].exclude);
  EXPECT_EQ(c.migrations[0].tables[2].mode, MigrationMode::append);
  EXPECT_EQ(c.connections.at("prod_pg").postgres()->dsn, "host=db.internal dbname=analytics user=loader");
  const SnowflakeConnection& snow = *c.connections.at("snow").snowflake();
  EXPECT_EQ(snow.auth.private_key_file, "/home/loader/.snowflake/loader.p8");
  EXPECT_EQ(snow.stage.url, "s3://my-bucket/sluice/");
  EXPECT_EQ(c.tables.at(0).connection, "prod_pg");
  EXPECT_EQ(c.tables.at(0).feed.delimiter, '\t');
}

TEST(ConfigExample, MatchesTheFileInEtc) {
  EXPECT_EQ(read_file(fs::path(SLUICE_SOURCE_DIR) / "etc/sluice.example.yaml"), example_config_text());
}

TEST_F(ConfigExampleFile, WritesTheExampleAndRefusesToOverwriteWithoutForce) {
  const fs::path path = dir_ / "sub" / "config.yaml";  // the parent is created
  write_example_config(path, false);
  EXPECT_EQ(read_file(path), example_config_text());
  EXPECT_EQ(load_config(path).target, "local");

  std::ofstream(path) << "# mine\n";
  try {
    write_example_config(path, false);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), path.string() + " already exists");
    EXPECT_NE(e.hint().find("--force"), std::string::npos);
  }
  EXPECT_EQ(read_file(path), "# mine\n");

  write_example_config(path, true);
  EXPECT_EQ(read_file(path), example_config_text());
}

}  // namespace
}  // namespace sluice
