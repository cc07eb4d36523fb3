// SnowflakeWarehouse against the SQL API emulator: typed bindings in and jsonv2 decoded out, the
// statement handle and DML counts, upper-case catalog names, and the buffered transaction (bound
// values rendered as literals, one BEGIN ... COMMIT request; nothing sent on rollback).
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "app/config.h"
#include "tests/support/snowflake_fixture.h"
#include "warehouse/snowflake/snowflake_warehouse.h"

namespace sluice::test {
namespace {

class SnowflakeWarehouseTest : public SnowflakeFixture {
 protected:
  void SetUp() override {
    SnowflakeFixture::SetUp();
    write_config(daily_yaml("DAILY"));
    config_model_ = load_config(config_);
    w_ = SnowflakeWarehouse::open(*config_model_.connections.at("snow").snowflake());
    exec(fmt::format("CREATE TABLE {} (\"ID\" numeric(38,0), \"NOTE\" text, \"DAY\" date)", pg_table("T")));
  }
  Config config_model_;
  std::unique_ptr<SnowflakeWarehouse> w_;
};

TEST_F(SnowflakeWarehouseTest, TypedBindingsInDecodedTextOut) {
  SqlParams p(w_->dialect());
  const std::string sql = fmt::format("SELECT {}, {}, {}, {}", p.add("it's: a \\ value"), p.add(std::int64_t{20240131}),
                                      p.add("2024-01-31", SqlType::date), p.add(std::nullopt, SqlType::date));
  const SqlResult r = w_->query(sql, p.list());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.text(0, 0), "it's: a \\ value");
  EXPECT_EQ(r.integer(0, 1), 20240131);
  EXPECT_EQ(r.text(0, 2), "2024-01-31");  // DATE: days since 1970 on the wire, ISO here
  EXPECT_TRUE(r.is_null(0, 3));
  EXPECT_FALSE(r.statement_id.empty());
  // Each value with its type; the numbers follow the order the values were added in, which
  // fmt::format does not fix (hence :n placeholders, not ?).
  const auto sent = sf_->requests("op", "submit").back();
  std::vector<nlohmann::json> bound;
  for (const auto& [n, b] : sent["bindings"].items()) bound.push_back(b);
  auto has = [&](const nlohmann::json& b) { return std::find(bound.begin(), bound.end(), b) != bound.end(); };
  EXPECT_TRUE(has({{"type", "FIXED"}, {"value", "20240131"}})) << sent.dump();
  EXPECT_TRUE(has({{"type", "DATE"}, {"value", std::to_string(19753LL * 86400000)}})) << sent.dump();
  EXPECT_TRUE(has({{"type", "DATE"}, {"value", nullptr}})) << sent.dump();
  EXPECT_TRUE(has({{"type", "TEXT"}, {"value", "it's: a \\ value"}})) << sent.dump();
}

TEST_F(SnowflakeWarehouseTest, DmlCountsCatalogNamesAndTimeTravelErrors) {
  SqlParams p(w_->dialect());
  const std::string ins = fmt::format("INSERT INTO {} VALUES ({}, {}, {})", w_->dialect().qualified(schema_, "t"), p.add(std::int64_t{1}),
                                      p.add("a"), p.add("2024-01-01", SqlType::date));
  EXPECT_EQ(w_->query(ins, p.list()).affected, 1u);
  EXPECT_EQ(w_->columns(schema_, "t"), (std::vector<std::string>{"ID", "NOTE", "DAY"}));
  EXPECT_TRUE(w_->columns(schema_, "nope").empty());
  const SqlResult del = w_->query(fmt::format("DELETE FROM {}", w_->dialect().qualified(schema_, "t")));
  EXPECT_EQ(del.affected, 1u);
  sf_->control("POST", "time_travel", nlohmann::json{{"retention_seconds", 0}});
  SqlParams q(w_->dialect());
  const std::string tt = fmt::format("SELECT count(*) FROM {}", w_->dialect().before_statement(w_->dialect().qualified(schema_, "t"),
                                                                                             q.add(del.statement_id)));
  try {
    w_->query(tt, q.list());
    ADD_FAILURE() << "expected the retention error";
  } catch (const Error& e) {
    EXPECT_TRUE(w_->dialect().is_time_travel_expired(e)) << e.primary();
  }
  sf_->control("POST", "time_travel", nlohmann::json{{"retention_seconds", nullptr}});
  EXPECT_EQ(w_->query(tt, q.list()).integer(0, 0), 1);
}

TEST_F(SnowflakeWarehouseTest, ATransactionIsOneRequestWithTheValuesAsLiterals) {
  const std::string t = w_->dialect().qualified(schema_, "t");
  const auto before = sf_->requests("op", "submit").size();
  w_->begin();
  EXPECT_TRUE(w_->in_transaction());
  SqlParams a(w_->dialect());
  w_->query(fmt::format("INSERT INTO {} VALUES ({}, {}, {})", t, a.add(std::int64_t{7}), a.add("it's :1 and \\\\ here"),
                        a.add("2024-02-29", SqlType::date)),
            a.list());
  SqlParams b(w_->dialect());
  w_->query(fmt::format("UPDATE {} SET \"NOTE\" = \"NOTE\" || {} WHERE \"ID\" = {}", t, b.add("!"), b.add(std::int64_t{7})), b.list());
  EXPECT_EQ(sf_->requests("op", "submit").size(), before);  // nothing sent yet
  w_->commit();
  EXPECT_FALSE(w_->in_transaction());
  const auto sent = sf_->requests("op", "submit");
  ASSERT_EQ(sent.size(), before + 1);
  const std::string text = sent.back()["statement"];
  EXPECT_TRUE(text.starts_with("BEGIN;\n")) << text;
  EXPECT_TRUE(text.ends_with("COMMIT;\n")) << text;
  EXPECT_FALSE(sent.back().contains("bindings"));
  ASSERT_EQ(w_->transaction_results().size(), 2u);
  EXPECT_EQ(w_->transaction_results()[0].affected, 1u);
  EXPECT_EQ(w_->transaction_results()[1].affected, 1u);
  EXPECT_EQ(scalar(fmt::format("SELECT \"ID\" || '|' || \"NOTE\" || '|' || \"DAY\" FROM {}", pg_table("T"))),
            "7|it's :1 and \\\\ here!|2024-02-29");

  w_->begin();
  w_->query(fmt::format("DELETE FROM {}", t));
  w_->rollback();
  EXPECT_EQ(sf_->requests("op", "submit").size(), before + 1);
  EXPECT_EQ(count("T"), 1);
}

}  // namespace
}  // namespace sluice::test
