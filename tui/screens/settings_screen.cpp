// Settings: the config file, where the month's files are, and the default QC; remembered in the
// job store for the next session.
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

struct Checked {
  MenuSettings settings;
  std::string error;
};

class SettingsScreen final : public Screen {
 public:
  explicit SettingsScreen(Menu& menu) : Screen(menu) {
    const MenuSettings& s = menu.settings();
    config_ = form_.add({Field::text, "Config file", s.config_path, {}, {"The YAML file with the tables and connections"}});
    base_ = form_.add({Field::text, "Base path", s.base_path, {}, {"Where Load looks for the month's files"}});
    Field qc{Field::choice, "Default QC", "", {"file", "warehouse", "none"},
             {"Loads check every value while reading the file", "Loads check the rows in a staging table",
              "Loads check the structure only"}};
    qc.chosen = s.default_qc == "warehouse" ? 1 : s.default_qc == "none" ? 2 : 0;
    qc_ = form_.add(qc);
    save_ = form_.add({Field::button, "Save", "", {}, {"Check the config and remember these settings"}});
  }
  std::string title() const override { return "Settings"; }

  void tick() override {
    if (!ready(saving_)) return;
    Checked c = saving_.get();
    if (!c.error.empty()) {
      menu_.status(c.error, true);
      return;
    }
    menu_.settings() = std::move(c.settings);
    menu_.status("Saved.");
  }

  void draw(Terminal& t, int top, int height) override {
    form_.draw(t, top + 1, 2, t.cols() - 4);
    t.text(top + height - 1, 2, fmt::format("Session log: {}", menu_.settings().config_path.empty() ? "" : "see Session log"),
           t.cols() - 4, Style::dim);
  }

  bool key(const Key& k, int page) override {
    (void)page;
    int pressed = -1;
    if (k.kind == Key::escape || !form_.key(k, pressed)) return false;
    if (pressed == save_) save();
    return true;
  }
  bool typing() const override { return form_.editing_text(); }
  HelpLines help() const override {
    return {{"Save", "checks the config file and remembers the settings (job store preferences)"}};
  }

 private:
  void save() {
    MenuSettings next = menu_.settings();
    next.config_path = form_.field(config_).value;
    next.base_path = form_.field(base_).value;
    next.default_qc = form_.field(qc_).chosen_text();
    saving_ = menu_.backend().submit([next](Services& s) mutable {
      Checked c;
      std::error_code ec;
      if (!std::filesystem::is_directory(next.base_path, ec)) {
        c.error = fmt::format("Base path {} is not a directory.", next.base_path);
        return c;
      }
      try {
        const Config config = s.read_config(next.config_path);
        next.config_path = std::filesystem::absolute(next.config_path).string();
        next.config_error.clear();
        take_config_names(next, config);
      } catch (const Error& e) {
        c.error = "The config cannot be used: " + e.primary();
        return c;
      }
      s.store.set_preference("config_path", next.config_path);
      s.store.set_preference("base_path", next.base_path);
      s.store.set_preference("default_qc", next.default_qc);
      s.launcher.set_global_args({"--config", next.config_path});
      c.settings = std::move(next);
      return c;
    });
  }

  Form form_;
  int config_, base_, qc_, save_;
  std::future<Checked> saving_;
};

class SessionScreen final : public Screen {
 public:
  explicit SessionScreen(Menu& menu) : Screen(menu) { reload(); }
  std::string title() const override { return "Session log"; }

  void tick() override {
    if (ready(reading_)) {
      auto [path, commands] = reading_.get();
      path_ = path;
      if (commands.empty()) commands.push_back("(no action yet: what you start from the menu appears here as a command)");
      view_.set_lines(std::move(commands));
    }
    if (ready(saving_)) {
      const std::string error = saving_.get();
      menu_.status(error.empty() ? "Saved to " + save_path_ : error, !error.empty());
    }
    if (!reading_.valid() && ++ticks_ % 10 == 0) reload();
  }

  void draw(Terminal& t, int top, int height) override {
    t.text(top, 1, "This session as a script: " + path_, t.cols() - 2, Style::title);
    view_.draw(t, top + 1, 1, height - 3, t.cols() - 2);
    if (saving_prompt_) {
      t.text(top + height - 1, 1, "Save as: ", 9, Style::key);
      t.text(top + height - 1, 10, save_path_ + "_", t.cols() - 11, Style::selected, true);
    } else {
      t.text(top + height - 1, 1, "s: save as a script (run it later with sh FILE)", t.cols() - 2, Style::dim);
    }
  }

  bool key(const Key& k, int page) override {
    if (saving_prompt_) {
      if (k.kind == Key::escape) saving_prompt_ = false;
      else if (k.kind == Key::enter) {
        saving_prompt_ = false;
        const std::string to = save_path_;
        saving_ = menu_.backend().submit([to](Services& s) {
          try {
            s.session.save_as(to);
            return std::string();
          } catch (const Error& e) {
            return e.primary();
          }
        });
      } else {
        edit_text(save_path_, k);
      }
      return true;
    }
    if (k.is('s')) {
      saving_prompt_ = true;
      if (save_path_.empty()) save_path_ = (std::filesystem::path(menu_.settings().base_path) / "sluice-session.sh").string();
      return true;
    }
    return view_.key(k, page);
  }
  bool typing() const override { return saving_prompt_; }
  HelpLines help() const override {
    return {{"s", "save the session as a script"}, {"", "Each line is the sluice --batch command an action ran."}};
  }

 private:
  void reload() {
    reading_ = menu_.backend().submit([](Services& s) { return std::make_pair(s.session.path().string(), s.session.commands()); });
  }

  TextView view_;
  std::future<std::pair<std::string, std::vector<std::string>>> reading_;
  std::future<std::string> saving_;
  std::string path_, save_path_;
  bool saving_prompt_ = false;
  int ticks_ = 0;
};

}  // namespace

std::unique_ptr<Screen> make_settings_screen(Menu& menu) { return std::make_unique<SettingsScreen>(menu); }
std::unique_ptr<Screen> make_session_screen(Menu& menu) { return std::make_unique<SessionScreen>(menu); }

}  // namespace sluice::tui
