// What scripts rely on: every JSON output is valid JSON whatever bytes the data holds, a failure
// under --json is still a JSON object with the error and the exit code, the options work in any
// position, and --json is --format json on every command that prints a result.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class MachineOutput : public LoadFixture {
 protected:
  // A latin-1 export (no encoding: in the config): "Café" and "Zürich" as single bytes.
  std::filesystem::path latin1_file(const std::string& name) {
    const auto path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << "2024-01-01\t1\tplain\n"
        << "2024-01-02\t2\tCaf\xe9\n"
        << "2024-01-03\t3\tZ\xfcrich\n";
    return path;
  }
  void write_latin1_config() {
    write_config(
        "  - table: SHOPS\n"
        "    file_pattern: \"shops_{month}.tsv\"\n"
        "    date_column: DAY\n"
        "    low_days: warn\n"
        "    columns:\n"
        "      - { name: DAY, type: date }\n"
        "      - { name: ID, type: integer }\n"
        "      - { name: NAME, type: text }\n");
  }
  static nlohmann::json parse(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not valid JSON:\n" << text;
    return j;
  }
  static const nlohmann::json* finding(const nlohmann::json& findings, const std::string& check) {
    for (const auto& f : findings)
      if (f["check"] == check) return &f;
    return nullptr;
  }
};

TEST_F(MachineOutput, LoadJsonOfALatin1FileIsValidAndNamesTheBadBytes) {
  write_latin1_config();
  const auto file = latin1_file("shops_2024-01.tsv");
  const auto r = run({"--batch", "load", "--files", file.string(), "--create", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.err.find("bug in sluice"), std::string::npos) << r.err;
  const auto j = parse(r.out);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["committed"], false);
  const auto* f = finding(j["files"][0]["qc_findings"], "invalid_utf8");
  ASSERT_NE(f, nullptr) << j.dump(2);
  EXPECT_EQ((*f)["count"], 2);
  EXPECT_EQ((*f)["examples"][0]["line"], 2);
  // The byte is named, as text: \xe9.
  EXPECT_NE((*f)["examples"][0]["value"].get<std::string>().find("\\xe9"), std::string::npos) << f->dump();
  EXPECT_FALSE(table_exists("shops"));
}

TEST_F(MachineOutput, AnalyzeJsonOfALatin1FileIsValid) {
  const auto file = latin1_file("export.tsv");
  const auto r = run({"analyze", file.string(), "--json"});
  const auto j = parse(r.out);
  ASSERT_TRUE(j.is_object()) << r.out << r.err;
  EXPECT_EQ(j["rows"], 3) << r.out;
  std::string all = j.dump();  // every string in it is UTF-8 now, or dump() would have thrown
  EXPECT_NE(all.find("Caf\\\\xe9"), std::string::npos) << all;
}

TEST_F(MachineOutput, AFileNameThatIsNotUtf8GivesValidJsonThatSaysSo) {
  write_latin1_config();
  const auto file = latin1_file("shops_2024-01.tsv");
  const auto odd = dir_ / "r\xe9sum\xe9.tsv";
  std::filesystem::copy_file(file, odd);
  const auto r = run({"analyze", odd.string(), "--json"});
  const auto j = parse(r.out);
  ASSERT_TRUE(j.is_object()) << r.out << r.err;
  ASSERT_TRUE(j.contains("encoding_note")) << r.out;
  EXPECT_NE(j["encoding_note"].get<std::string>().find("not UTF-8"), std::string::npos);
  EXPECT_NE(j["file"].get<std::string>().find("r\\xe9sum\\xe9.tsv"), std::string::npos) << j["file"];
}

TEST_F(MachineOutput, FailuresUnderJsonAreJsonObjectsWithTheErrorAndExitCode) {
  write_sample_config();
  // load with nothing to load
  const auto none = run({"--batch", "load", "--month", "2024-03", "--base-path", dir_.path().string(), "--json"});
  EXPECT_EQ(none.exit_code, 2);
  auto j = parse(none.out);
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("no files to load"), std::string::npos) << none.out;
  EXPECT_NE(j["error"]["hint"].get<std::string>().find("file_pattern"), std::string::npos) << none.out;

  // restore of a job that does not exist
  const auto restore = run({"--batch", "restore", "987654", "--format", "json"});
  EXPECT_EQ(restore.exit_code, 2) << restore.out << restore.err;
  j = parse(restore.out);
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());

  // a usage error found by the option parser
  const auto bad = run({"--batch", "validate", "--frobnicate", "--json"});
  EXPECT_EQ(bad.exit_code, 2);
  j = parse(bad.out);
  EXPECT_EQ(j["exit_code"], 2);

  // --json with another --format contradicts it
  const auto both = run({"--batch", "validate", "--json", "--format", "csv"});
  EXPECT_EQ(both.exit_code, 2);
  j = parse(both.out);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("contradict"), std::string::npos) << both.out;
}

TEST_F(MachineOutput, GlobalOptionsWorkAfterTheCommand) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 500;
  generate(o, "factLending_20240101-20240131.tsv");
  RunOptions env;
  env.env = {{"XDG_STATE_HOME", (dir_ / "state").string()}, {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
  // No --config in front: it comes last, after the command's own options, as people type it.
  const auto r = run_sluice({"load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create",
                             "--progress", "none", "--config", config_.string(), "--batch", "--format", "json"},
                            env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = parse(r.out);
  EXPECT_EQ(j["committed"], true);
  EXPECT_EQ(count("fact_lending"), 500);
  // --progress none came after the command and was obeyed: no progress lines, only notes.
  EXPECT_EQ(r.err.find("MB/s"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\"event\""), std::string::npos) << r.err;

  // The same for the warehouse commands and the short -c.
  const auto v = run_sluice({"report", "--json", "-c", config_.string(), "--batch"}, env);
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(parse(v.out)["summary"]["total_rows"], 500);
}

TEST_F(MachineOutput, JsonIsOfferedByEveryCommandThatPrintsAResult) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 300;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"analyze", file.string(), "--json"},
           {"analyze", file.string(), "--format", "json"},
           {"compress", file.string(), "-o", (dir_ / "out.zst").string(), "--json"},
           {"config", "validate", config_.string(), "--json"},
           {"jobs", "--json"},
           {"--batch", "load", "--files", file.string(), "--create", "--format", "json"},
           {"validate", "--json", "--no-record"},
           {"report", "--format", "json"},
           {"compare", file.string(), "--json"},
           {"--batch", "delete", "--month", "2024-01", "--dry-run", "--json"},
       }) {
    const auto r = run(args);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << args[0] << ": " << r.out << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args[0] << " " << args[1] << " printed no JSON:\n" << r.out << r.err;
  }
}

}  // namespace
}  // namespace sluice::test
