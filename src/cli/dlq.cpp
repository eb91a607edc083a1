// giia dlq list | inspect | replay | purge: on-call's view of DLQ_EVENTS.
// Looking never consumes; a replayed message leaves the DLQ only after its
// republish was acknowledged; purge asks for --yes.
#include "core/events/dlq.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/codec/cloudevents.hpp"
#include "adapters/nats/jetstream.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "core/common/duration.hpp"
#include "core/common/time.hpp"

namespace giia::cli {
namespace {

using nlohmann::json;

struct DlqOptions {
  std::string nats_url;
  std::string output = "text";
  std::vector<std::uint64_t> sequences;
  bool all = false;
  std::uint64_t from_sequence = 0;
  std::uint64_t to_sequence = 0;
  std::string subject;
  std::string type;
  std::string organization;
  std::string since;
  std::optional<std::size_t> limit;
  bool dry_run = false;
  std::string rate;
  int max_replays = 3;
  bool yes = false;
};

enum class Action { kList, kInspect, kReplay, kPurge };

std::string Rfc3339(std::time_t t) {
  return giia::Rfc3339(std::chrono::system_clock::from_time_t(t));
}

// --since: a duration back from now ("2h") or an RFC 3339 UTC time.
Result<std::string> SinceTime(const std::string& since) {
  if (since.empty()) return std::string();
  if (auto d = ParseDuration(since)) {
    return Rfc3339(std::time(nullptr) - static_cast<std::time_t>(d->count() / 1000));
  }
  if (since.size() == 20 && since[4] == '-' && since[10] == 'T' && since.back() == 'Z') {
    return since;
  }
  return InvalidArgument("--since", "--since \"" + since +
                                        "\" is neither a duration (2h) nor a UTC time "
                                        "(2026-11-22T10:00:00Z)");
}

// --rate: "50" or "50/s" messages per second.
Result<double> Rate(const std::string& rate) {
  if (rate.empty()) return 0.0;
  std::string number = rate;
  if (number.ends_with("/s")) number.resize(number.size() - 2);
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || value <= 0) {
    return InvalidArgument("--rate", "--rate \"" + rate + "\" is not a rate such as 50/s");
  }
  return value;
}

json LetterJson(const events::StoredLetter& s) {
  const events::DeadLetter& l = s.letter;
  return {{"sequence", s.sequence},
          {"failed_at", s.failed_at},
          {"subject", l.original_subject},
          {"consumer", l.consumer},
          {"attempts", l.attempts},
          {"error", l.error},
          {"event_type", l.event_type},
          {"event_id", l.event_id},
          {"organization", l.organization},
          {"replay_count", l.replay_count},
          {"stream", l.stream},
          {"stream_sequence", l.stream_sequence}};
}

void PrintLetters(CommandEnv& env, const std::vector<events::StoredLetter>& letters) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(letters.size());
  for (const auto& s : letters) {
    rows.push_back({std::to_string(s.sequence), s.failed_at, s.letter.original_subject,
                    s.letter.consumer, std::to_string(s.letter.attempts), s.letter.error});
  }
  std::ostringstream table;
  PrintTable(table, {"SEQ", "FAILED AT", "SUBJECT", "CONSUMER", "ATTEMPTS", "ERROR"}, rows);
  env.output.out << env.redactor.Apply(table.str());
}

void RunDlq(Action action, DlqOptions o, CommandEnv& env) {
  auto since = SinceTime(o.since);
  if (!since) return env.Fail(since.error(), true);
  auto rate = Rate(o.rate);
  if (!rate) return env.Fail(rate.error(), true);
  events::LetterFilter filter;
  filter.sequences.insert(o.sequences.begin(), o.sequences.end());
  filter.from_sequence = o.from_sequence;
  filter.to_sequence = o.to_sequence;
  filter.subject = o.subject;
  filter.event_type = o.type;
  filter.organization = o.organization;
  filter.since = *since;
  filter.limit = o.limit;
  if ((action == Action::kReplay || action == Action::kPurge) && filter.Empty() && !o.all) {
    return env.Fail(InvalidArgument("SEQ",
                                    "say which messages: sequence numbers, filters "
                                    "(--subject, --type, --organization, --since) or --all")
                        .value(),
                    true);
  }
  if (action == Action::kPurge && !o.yes && !o.dry_run) {
    return env.Fail(
        InvalidArgument("--yes", "purge deletes dead letters for good; add --yes to confirm")
            .value(),
        true);
  }

  Env flags;
  Env flag_names;
  if (!o.nats_url.empty()) {
    flags["NATS_URL"] = o.nats_url;
    flag_names["NATS_URL"] = "--nats-url";
  }
  auto loaded = env.Load("auth", flags, flag_names);
  if (!loaded) return;
  nats::NatsOptions nats_options;
  nats_options.url = loaded->config.nats_url;
  nats_options.name = "giia-dlq";
  auto js = nats::JetStream::Connect(nats_options);
  if (!js) {
    Error e = js.error();
    if (e.code == ErrorCode::kUnavailable)
      e.message += "; check " + loaded->Value("NATS_URL").Describe();
    return env.Fail(e, e.code == ErrorCode::kInvalidArgument);
  }
  nats::JetStreamDeadLetterStore store(**js);
  const bool json_out = o.output == "json";

  if (action == Action::kInspect) {
    auto got = store.Get(o.sequences.front());
    if (!got) return env.Fail(got.error());
    if (!got->has_value()) {
      return env.Fail(Error{ErrorCode::kNotFound,
                            "no dead letter at sequence " + std::to_string(o.sequences.front()),
                            "SEQ"});
    }
    const events::StoredLetter& s = **got;
    if (json_out) {
      json out = LetterJson(s);
      out["headers"] = json::object();
      for (const auto& [k, v] : s.headers) out["headers"][k] = v;
      // A payload nested too deep to print is shown as a string.
      json payload = codec::JsonDepth(s.payload) <= codec::kMaxPrettyDepth
                         ? json::parse(s.payload, nullptr, false)
                         : json(json::value_t::discarded);
      out["payload"] = payload.is_discarded() ? json(s.payload) : payload;
      env.output.Line(out.dump(2, ' ', false, json::error_handler_t::replace));
      return;
    }
    env.output.Line("sequence " + std::to_string(s.sequence) + " on " + s.subject);
    for (const auto& [k, v] : s.headers) {
      env.output.Line("  " + events::Escaped(k) + ": " + events::Escaped(v, 4096));
    }
    env.output.Line("payload:");
    env.output.Line(codec::PrettyJson(s.payload));
    return;
  }

  auto all = store.List();
  if (!all && all.error().code == ErrorCode::kNotFound) {
    all = std::vector<events::StoredLetter>{};  // no DLQ stream yet: nothing ever failed
  }
  if (!all) return env.Fail(all.error());

  if (action == Action::kList) {
    auto letters = events::Select(*all, filter);
    auto summary = events::Summarize(letters);
    if (json_out) {
      json out = {{"total", letters.size()}, {"messages", json::array()}};
      for (const auto& s : letters) out["messages"].push_back(LetterJson(s));
      out["summary"] = {{"by_error", summary.by_error}, {"by_subject", summary.by_subject}};
      env.output.Line(out.dump(2));
      return;
    }
    PrintLetters(env, letters);
    env.output.Line("");
    env.output.Line(std::to_string(letters.size()) + " dead letter(s)");
    for (const auto& [what, counts] :
         {std::pair{"by error", &summary.by_error}, {"by subject", &summary.by_subject}}) {
      if (counts->empty()) continue;
      env.output.Line(std::string(what) + ":");
      for (const auto& [key, n] : *counts) env.output.Line("  " + std::to_string(n) + "  " + key);
    }
    return;
  }

  if (action == Action::kPurge) {
    auto letters = events::Select(*all, filter);
    std::vector<std::uint64_t> sequences;
    sequences.reserve(letters.size());
    for (const auto& s : letters) sequences.push_back(s.sequence);
    // All deletes at once; a dry run deletes nothing.
    const std::vector<Status> removed =
        o.dry_run ? std::vector<Status>(letters.size(), Ok()) : store.Remove(sequences);
    json out = {{"dry_run", o.dry_run}, {"purged", json::array()}};
    std::optional<Error> first_error;
    for (std::size_t i = 0; i < letters.size(); ++i) {
      const auto& s = letters[i];
      if (i >= removed.size() || !removed[i]) {
        if (!first_error) {
          first_error = i < removed.size() ? removed[i].error()
                                           : Error{ErrorCode::kInternal, "no answer", ""};
        }
        continue;
      }
      if (!o.dry_run) {
        loaded->log->info("audit: dlq purge seq={} subject={} consumer={}", s.sequence,
                          s.letter.original_subject, s.letter.consumer);
      }
      out["purged"].push_back(s.sequence);
      if (!json_out) {
        env.output.Line(std::string(o.dry_run ? "would purge " : "purged ") +
                        std::to_string(s.sequence) + " " + s.letter.original_subject);
      }
    }
    if (json_out) env.output.Line(out.dump(2));
    if (first_error) return env.Fail(*first_error);
    return;
  }

  // Replay.
  events::ReplayOptions replay;
  replay.dry_run = o.dry_run;
  replay.max_replays = o.max_replays;
  const char* user = std::getenv("USER");
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  replay.by = std::string(user != nullptr ? user : "unknown") + "@" + host;
  // $USER and the host name go into a header: no control characters.
  std::erase_if(replay.by, [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  // Only to the service's own streams (never DLQ_EVENTS): the original
  // subject is a header anyone who can write to the DLQ could forge.
  replay.subjects.clear();
  for (const nats::StreamSpec& stream : nats::DefaultStreams()) {
    if (stream.name == "DLQ_EVENTS") continue;
    replay.subjects.insert(replay.subjects.end(), stream.subjects.begin(), stream.subjects.end());
  }
  if (*rate > 0) {
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / *rate));
    auto next =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    replay.pace = [interval, next] {
      std::this_thread::sleep_until(*next);  // rate limiting, not synchronisation
      *next += interval;
    };
  }
  events::ReplayDeadLetters replayer(store);
  auto report = replayer.Run(filter, replay);
  if (!report) return env.Fail(report.error());
  for (const auto& s : report->replayed) {
    if (!o.dry_run) {
      loaded->log->info("audit: dlq replay seq={} subject={} consumer={} replay={} by={}",
                        s.sequence, s.letter.original_subject, s.letter.consumer,
                        s.letter.replay_count + 1, replay.by);
    }
  }
  if (json_out) {
    json out = {{"dry_run", o.dry_run},
                {"replayed", json::array()},
                {"quarantined", json::array()},
                {"failed", json::array()}};
    for (const auto& s : report->replayed) out["replayed"].push_back(LetterJson(s));
    for (const auto& s : report->quarantined) out["quarantined"].push_back(LetterJson(s));
    for (const auto& [s, e] : report->failed) {
      json f = LetterJson(s);
      f["replay_error"] = e.message;
      out["failed"].push_back(f);
    }
    env.output.Line(out.dump(2));
  } else {
    for (const auto& s : report->replayed) {
      env.output.Line(std::string(o.dry_run ? "would replay " : "replayed ") +
                      std::to_string(s.sequence) + " to " + s.letter.original_subject);
    }
    for (const auto& s : report->quarantined) {
      env.output.Line("quarantined " + std::to_string(s.sequence) + " (already replayed " +
                      std::to_string(s.letter.replay_count) + " times; left in the DLQ)");
    }
    for (const auto& [s, e] : report->failed) {
      env.output.Line("failed " + std::to_string(s.sequence) + ": " + e.message);
    }
    if (report->replayed.empty() && report->quarantined.empty() && report->failed.empty()) {
      env.output.Line("no dead letters matched");
    }
  }
  if (!report->failed.empty()) {
    env.output.Error(std::to_string(report->failed.size()) +
                     " message(s) could not be replayed and stay in the DLQ");
    env.exit_code = ExitCodeFor(report->failed.front().second.code, false);
  }
}

void AddCommon(CLI::App* cmd, DlqOptions& o) {
  cmd->add_option("--nats-url", o.nats_url, "NATS URL (default: NATS_URL)")->type_name("URL");
  cmd->add_option("--output", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
}

void AddFilters(CLI::App* cmd, DlqOptions& o) {
  cmd->add_option("--subject", o.subject, "Original subject; a trailing .> matches a prefix");
  cmd->add_option("--type", o.type, "Event type, e.g. user.registered");
  cmd->add_option("--organization", o.organization, "Organization id");
  cmd->add_option("--since", o.since, "Failed within DURATION (2h) or since a UTC time")
      ->type_name("WHEN");
  cmd->add_option("--from-seq", o.from_sequence, "DLQ sequence numbers from N")->type_name("N");
  cmd->add_option("--to-seq", o.to_sequence, "DLQ sequence numbers up to N")->type_name("N");
  cmd->add_option("--limit,--max", o.limit, "At most N messages")->type_name("N");
}

}  // namespace

void RegisterDlq(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<DlqOptions>();
  CLI::App* dlq = app.add_subcommand(
      "dlq", "See why events failed and replay them (DLQ_EVENTS); looking never consumes");
  dlq->require_subcommand(1);
  dlq->footer(HelpFooter("giia dlq list --since 2h --subject 'auth.>'"));

  CLI::App* list = dlq->add_subcommand("list", "Dead letters with a summary by error and subject");
  AddCommon(list, *o);
  AddFilters(list, *o);
  list->footer(HelpFooter("giia dlq list --type user.registered --output json"));
  list->callback([o, &env] { RunDlq(Action::kList, *o, env); });

  CLI::App* inspect = dlq->add_subcommand("inspect", "Headers and payload of one dead letter");
  AddCommon(inspect, *o);
  inspect->add_option("SEQ", o->sequences, "The DLQ sequence number")->required()->expected(1);
  inspect->footer(HelpFooter("giia dlq inspect 42"));
  inspect->callback([o, &env] { RunDlq(Action::kInspect, *o, env); });

  CLI::App* replay = dlq->add_subcommand(
      "replay",
      "Republish dead letters to their original subject; each leaves the DLQ once acknowledged");
  AddCommon(replay, *o);
  AddFilters(replay, *o);
  replay->add_option("SEQ", o->sequences, "DLQ sequence numbers");
  replay->add_flag("--all", o->all, "Every dead letter (that the filters select)");
  replay->add_flag("--dry-run", o->dry_run, "Print what would be replayed; change nothing");
  replay->add_option("--rate", o->rate, "At most N messages a second, e.g. 50/s")->type_name("N/s");
  replay
      ->add_option("--max-replays", o->max_replays,
                   "Leave a message that was replayed this often in place (loop guard)")
      ->check(CLI::PositiveNumber);
  replay->footer(HelpFooter("giia dlq replay --subject auth.user.registered --rate 20/s"));
  replay->callback([o, &env] { RunDlq(Action::kReplay, *o, env); });

  CLI::App* purge = dlq->add_subcommand("purge", "Delete dead letters for good");
  AddCommon(purge, *o);
  AddFilters(purge, *o);
  purge->add_option("SEQ", o->sequences, "DLQ sequence numbers");
  purge->add_flag("--all", o->all, "Every dead letter (that the filters select)");
  purge->add_flag("--dry-run", o->dry_run, "Print what would be purged; change nothing");
  purge->add_flag("--yes", o->yes, "Confirm");
  purge->footer(HelpFooter("giia dlq purge 17 18 --yes"));
  purge->callback([o, &env] { RunDlq(Action::kPurge, *o, env); });
}

}  // namespace giia::cli
