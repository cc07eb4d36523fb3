// .gz and .zst files load into exactly the table the plain file gives; a truncated one fails cleanly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadCompressed : public LoadFixture {
 protected:
  void SetUp() override {
    LoadFixture::SetUp();
    write_config(tables_yaml());
    std::filesystem::create_directories(dir_ / "plain");
    SampleDataOptions o;
    o.rows = 12000;
    plain_ = generate(o, "plain/factLending_20240101-20240131.tsv");
  }
  std::string tables_yaml() {
    std::string y;
    for (const char* t : {"PLAIN", "GZ", "ZST"}) {
      const TableSpec s = sample_table_spec(t, "factLending_{date_range}.tsv", false);
      y += "  - table: " + s.table + "\n    file_pattern: \"" + s.feed.file_pattern + "\"\n    date_column: RECORDDATEID\n    columns:\n";
      for (const auto& c : s.columns) y += "      - { name: " + c.name + ", type: \"" + to_string(c.type) + "\" }\n";
    }
    return y;
  }
  RunResult load(const std::filesystem::path& file, const std::string& table) {
    return run({"--batch", "load", "--files", file.string(), "--table", table, "--create"});
  }
  std::filesystem::path plain_;
};

TEST_F(LoadCompressed, GzipAndZstdGiveTheSameTable) {
  std::filesystem::create_directories(dir_ / "gz");
  std::filesystem::create_directories(dir_ / "zst");
  const auto gz = dir_ / "gz" / "factLending_20240101-20240131.tsv.gz";
  const auto zst = dir_ / "zst" / "factLending_20240101-20240131.tsv.zst";
  ASSERT_EQ(std::system(("gzip -c " + plain_.string() + " > " + gz.string()).c_str()), 0);
  ASSERT_EQ(std::system(("zstd -q -c " + plain_.string() + " > " + zst.string()).c_str()), 0);

  ASSERT_EQ(load(plain_, "PLAIN").exit_code, 0);
  auto r = load(gz, "GZ");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = load(zst, "ZST");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("gz"), 12000);
  EXPECT_EQ(digest("plain"), digest("gz"));
  EXPECT_EQ(digest("plain"), digest("zst"));
  EXPECT_EQ(scalar("SELECT string_agg(compression, ',' ORDER BY id) FROM " + schema_ + ".sluice_load_history"), "none,gzip,zstd");
}

TEST_F(LoadCompressed, TruncatedGzipFailsWithAClearErrorAndLoadsNothing) {
  std::filesystem::create_directories(dir_ / "gz");
  const auto gz = dir_ / "gz" / "factLending_20240101-20240131.tsv.gz";
  ASSERT_EQ(std::system(("gzip -c " + plain_.string() + " > " + gz.string()).c_str()), 0);
  std::filesystem::resize_file(gz, std::filesystem::file_size(gz) / 2);
  const auto r = load(gz, "GZ");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("gzip data in"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("gz"));
}

TEST_F(LoadCompressed, TruncatedZstdFailsWithAClearErrorAndLoadsNothing) {
  std::filesystem::create_directories(dir_ / "zst");
  const auto zst = dir_ / "zst" / "factLending_20240101-20240131.tsv.zst";
  ASSERT_EQ(std::system(("zstd -q -c " + plain_.string() + " > " + zst.string()).c_str()), 0);
  std::filesystem::resize_file(zst, std::filesystem::file_size(zst) - 100);
  const auto r = load(zst, "ZST");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("zstd data in"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("zst"));
}

}  // namespace
}  // namespace sluice::test
