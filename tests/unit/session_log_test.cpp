// The menu's session log is a shell script of the equivalent commands: words quoted so sh reads
// them back exactly, saved copies runnable.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "jobs/launcher.h"
#include "jobs/session_log.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

std::string sh_echo(const std::string& line) {
  // What sh makes of the words: one per line.
  const std::string cmd = "sh -c 'printf \"%s\\n\" \"$@\"' sh " + line;
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  return out;
}

TEST(SessionLog, QuotedWordsReadBackExactly) {
  const std::vector<std::string> words{"load", "--base-path", "/data/month files", "--files", "it's;$(rm -rf x)`y`", "--qc", "file"};
  const std::string line = shell_line(words);
  std::string expected;
  for (const auto& w : words) expected += w + "\n";
  EXPECT_EQ(sh_echo(line), expected);
  EXPECT_EQ(shell_quote("2024-01"), "2024-01");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(SessionLog, CommandsAreAppendedAndSavedAsAnExecutableScript) {
  test::TempDir dir;
  {
    SessionLog log(dir / "s" / "session.sh");
    log.append("sluice --batch report");
    log.append("sluice --batch validate --month 2024-01");
    EXPECT_EQ(log.commands().size(), 2u);
    log.save_as(dir / "saved.sh");
  }
  std::ifstream in(dir / "saved.sh");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_NE(text.find("\nsluice --batch report\nsluice --batch validate --month 2024-01\n"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "saved.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  // Reopened, the log knows its commands (the menu's Session log screen after a restart).
  SessionLog again(dir / "s" / "session.sh");
  EXPECT_EQ(again.commands().size(), 2u);
}

TEST(SessionLog, SavingWhereNothingCanBeWrittenSaysWhere) {
  test::TempDir dir;
  SessionLog log(dir / "session.sh");
  try {
    log.save_as("/nonexistent-dir/x.sh");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.primary().find("/nonexistent-dir/x.sh"), std::string::npos);
  }
}

}  // namespace
}  // namespace sluice
