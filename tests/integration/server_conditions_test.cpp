// The server's own conditions are reported as what they are, with what to do: a full disk is not
// a bad value in the file. The server here lives on a small tmpfs of its own, so the load fills it.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>

#include "app/commands/commands.h"
#include "tests/support/load_fixture.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

// A tmpfs of `megabytes` mounted on the cluster's directory for the life of the object; the server
// is stopped and the file system unmounted before the directory is removed. Needs root.
class SmallDisk {
 public:
  SmallDisk(TempCluster& cluster, int megabytes) : cluster_(cluster) {
    const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
    mounted_ = ::mount("tmpfs", cluster.dir().c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (!mounted_) return;
    try {
      cluster_.server().stop();
    } catch (...) {
    }
    ::umount2(cluster_.dir().c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }

 private:
  TempCluster& cluster_;
  bool mounted_ = false;
};

class ServerConditions : public LoadFixture {};

TEST_F(ServerConditions, AFullDiskIsSaidAsSuchAndNothingIsLoaded) {
  TempCluster cluster("sluice-full");
  SmallDisk disk(cluster, 100);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (and a system that allows it)";
  cluster.server().start();

  // A config whose target is that server, and a month bigger than what is left on its disk.
  const TableSpec spec = sample_table_spec("FACT_LENDING", "factLending_{date_range}.tsv", false);
  const std::string yaml = embedded_config_yaml(spec);
  config_ = dir_ / "sluice.yaml";
  std::ofstream(config_) << "target: small\nconnections:\n  small: { type: postgres, dsn: \""
                         << cluster.server().conninfo() << "\" }\n"
                         << yaml.substr(yaml.find("tables:\n"));
  SampleDataOptions o;
  o.target_bytes = 120'000'000;
  generate(o, "factLending_20240101-20240131.tsv");

  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("the PostgreSQL server is out of disk space"), std::string::npos) << said;
  EXPECT_NE(said.find("Free space on the server's disk"), std::string::npos) << said;
  EXPECT_NE(said.find("Nothing was loaded"), std::string::npos) << said;
  EXPECT_EQ(said.find("rejected a value"), std::string::npos) << said;
  EXPECT_EQ(said.find("(table created)"), std::string::npos) << said;

  auto conn = pg::Connection::open(cluster.server().conninfo());
  EXPECT_EQ(conn.query("SELECT count(*) FROM pg_tables WHERE tablename = 'fact_lending'").get_int(0, 0), 0);
}

}  // namespace
}  // namespace sluice::test
