// DLQ header parsing (core/events/dlq.cpp ReadLetterHeaders): each input line
// is a header "Name: value" of a dead letter as the broker hands it over. The
// headers are anybody's who can publish to the DLQ stream; whatever they say,
// the counts stay in 0..kMaxLetterCount (so count + 1 is defined), every
// header is kept for `dlq inspect`, and a filter made of the letter's own
// fields selects it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/events/dlq.hpp"
#include "fuzz_check.hpp"

using giia::events::LetterFilter;
using giia::events::StoredLetter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::size_t start = 0; start < in.size();) {
    std::size_t end = in.find('\n', start);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view line = in.substr(start, end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      headers.emplace_back(std::string(line), "");
    } else {
      std::string_view value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    start = end + 1;
  }
  const auto copy = headers;
  StoredLetter s = giia::events::ReadLetterHeaders(headers);
  GIIA_FUZZ_CHECK(s.headers == copy);
  GIIA_FUZZ_CHECK(s.letter.replay_count >= 0);
  GIIA_FUZZ_CHECK(s.letter.replay_count <= giia::events::kMaxLetterCount);
  GIIA_FUZZ_CHECK(s.letter.attempts >= 0);
  GIIA_FUZZ_CHECK(s.letter.attempts <= giia::events::kMaxLetterCount);
  s.sequence = 7;

  LetterFilter f;
  f.sequences = {7};
  f.subject = s.letter.original_subject;
  f.event_type = s.letter.event_type;
  f.organization = s.letter.organization;
  f.since = s.failed_at;
  GIIA_FUZZ_CHECK(giia::events::Matches(s, f));
  f.limit = 0;
  GIIA_FUZZ_CHECK(giia::events::Select({s}, f).empty());
  const auto summary = giia::events::Summarize({s, s});
  GIIA_FUZZ_CHECK(summary.by_error.at(s.letter.error) == 2);
  return 0;
}
