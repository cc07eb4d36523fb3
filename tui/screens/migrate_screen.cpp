// Migrate: a migration job of the config, and what to do with it (plan, run, verify, compare,
// status), as a background `sluice --batch migrate ACTION JOB` whose printed result the job's screen
// shows; the session log keeps the same line.

#include <fmt/format.h>

#include "tui/backend.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

struct Action {
  const char* name;
  const char* what;
};

const Action kActions[] = {
    {"plan", "Types, fidelity, values that will not fit and the DDL; changes nothing"},
    {"run", "Copy in parallel chunks (incremental tables: what changed past the mark); run again to resume"},
    {"dry-run", "What a run would insert, update and delete in each table; writes nothing"},
    {"verify", "Read the source again and compare every row with the target"},
    {"compare", "The target's existing tables against the plan, schema only"},
    {"status", "The newest run: each table's rows and chunks; incremental tables' marks and recent syncs"},
};

class MigrateScreen final : public Screen {
 public:
  explicit MigrateScreen(Menu& menu) : Screen(menu) {
    const auto& jobs = menu.settings().migrations;
    job_ = form_.add({Field::choice, "Migration", "", jobs.empty() ? std::vector<std::string>{"(none in the config)"} : jobs, {}});
    std::vector<std::string> names, hints;
    for (const auto& a : kActions) names.push_back(a.name), hints.push_back(a.what);
    action_ = form_.add({Field::choice, "Action", "", names, hints});
    table_ = form_.add({Field::text, "Table", "", {}, {"One source table; empty: all of the migration's"}});
    restart_ = form_.add({Field::choice, "Restart", "", {"no", "yes"},
                          {"Resume an unfinished run", "Abandon an unfinished run (its staging tables are dropped) and start over"}});
    start_ = form_.add({Field::button, "Start", "", {}, {"Runs in the background; its result opens when it ends"}});
  }
  std::string title() const override { return "Migrate"; }

  void tick() override {
    launch_.open_when_started(menu_);
    // The chosen job's incremental tables and marks, read on the backend thread (never here).
    const std::string job = menu_.settings().migrations.empty() ? "" : form_.field(job_).chosen_text();
    if (job != marks_job_ && !marks_.valid()) {
      marks_job_ = job;
      marks_lines_.clear();
      if (!job.empty() && !menu_.settings().config_path.empty())
        marks_ = menu_.backend().submit([config = menu_.settings().config_path, job](Services& s) {
          return s.sync_marks ? s.sync_marks(config, job) : std::vector<std::string>{};
        });
    }
    if (ready(marks_)) {
      try {
        marks_lines_ = marks_.get();
      } catch (const std::exception& e) {
        marks_lines_ = {std::string("marks: ") + e.what()};
      }
      if (marks_job_ != job) marks_job_.clear();  // chosen meanwhile: read again
    }
  }

  void draw(Terminal& t, int top, int height) override {
    form_.field(restart_).visible = form_.field(action_).chosen == 1;
    const int below = top + 1 + form_.draw(t, top + 1, 2, t.cols() - 4) + 1;
    for (std::size_t i = 0; i < marks_lines_.size() && below + static_cast<int>(i) < top + height - 2; ++i)
      t.text(below + static_cast<int>(i), 2, marks_lines_[i], t.cols() - 4, i == 0 ? Style::title : Style::normal);
    if (menu_.settings().migrations.empty())
      t.text(top + height - 2, 2, "The config has no migrations: add one under migrations: (README, \"Migrating tables\").",
             t.cols() - 4, Style::dim);
    else
      t.text(top + height - 1, 2, "Tables of a SQLite file, a PostgreSQL database or Snowflake, copied into PostgreSQL.", t.cols() - 4,
             Style::dim);
  }

  bool key(const Key& k, int page) override {
    (void)page;
    int pressed = -1;
    if (k.kind == Key::escape || !form_.key(k, pressed)) return false;
    if (pressed == start_) start();
    return true;
  }
  bool typing() const override { return form_.editing_text(); }
  HelpLines help() const override {
    return {{"Up/Down Tab", "move between fields"}, {"Left/Right", "change a choice"}, {"Enter", "start"},
            {"", "plan changes nothing; run can be stopped (Jobs, cancel) and resumed by running it again; verify and "
                 "compare exit 3 when they find a difference."}};
  }

 private:
  void start() {
    if (menu_.settings().migrations.empty()) {
      menu_.status("the config has no migrations", true);
      return;
    }
    const std::string job = form_.field(job_).chosen_text();
    const std::string action = form_.field(action_).chosen_text();
    BatchCommand c;
    c.args = action == "dry-run" ? std::vector<std::string>{"migrate", "run", job, "--dry-run"}
                                 : std::vector<std::string>{"migrate", action, job};
    const std::string table = form_.field(table_).value;
    if (!table.empty() && action != "status") c.args.insert(c.args.end(), {"--table", table});
    if (action == "run" && form_.field(restart_).chosen == 1) c.args.push_back("--restart");
    c.title = fmt::format("Migrate {} {}{}", action, job, table.empty() ? "" : " (" + table + ")");
    launch_.set(menu_.start(std::move(c)));
  }

  Form form_;
  int job_, action_, table_, restart_, start_;
  PendingLaunch launch_;
  std::future<std::vector<std::string>> marks_;
  std::string marks_job_;
  std::vector<std::string> marks_lines_;
};

}  // namespace

std::unique_ptr<Screen> make_migrate_screen(Menu& menu) { return std::make_unique<MigrateScreen>(menu); }

}  // namespace sluice::tui
