#include "adapters/postgres/outbox.hpp"

#include <thread>

#include "adapters/codec/cloudevents.hpp"

namespace giia::pg {
namespace {

// Statements for each schema. The schema is one of two fixed names chosen by
// an enum, never input; every value is a parameter.
struct OutboxSql {
  const char* insert;
  const char* lock;
  const char* pending_batch;
  const char* mark_sent;
  const char* note_failure;
  const char* purge;
  const char* backlog;
  const char* seen;
  const char* remember;
};

#define GIIA_OUTBOX_SQL(schema, lock_key)                                                        \
  OutboxSql {                                                                                    \
    "INSERT INTO " schema                                                                        \
    ".outbox (event_id, subject, event_type, aggregate_type, aggregate_id, organization_id, "    \
    "payload) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",                                       \
        "SELECT pg_try_advisory_xact_lock(" lock_key ")",                                        \
        "SELECT seq, event_id, subject, payload::text, aggregate_id FROM " schema                \
        ".outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",                              \
        "UPDATE " schema                                                                         \
        ".outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL "          \
        "WHERE seq = ANY($1::bigint[])",                                                         \
        "UPDATE " schema ".outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",  \
        "DELETE FROM " schema ".outbox WHERE published_at < now() - make_interval(secs => $1)",  \
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM " schema \
        ".outbox WHERE published_at IS NULL",                                                    \
        "SELECT 1 FROM " schema ".processed_events WHERE consumer = $1 AND event_id = $2::uuid", \
        "INSERT INTO " schema                                                                    \
        ".processed_events (consumer, event_id) VALUES ($1, $2::uuid) ON CONFLICT DO NOTHING"    \
  }

const OutboxSql& Sql(OutboxSchema schema) {
  static const OutboxSql kAuth = GIIA_OUTBOX_SQL("auth", "7266840212101");
  static const OutboxSql kCatalog = GIIA_OUTBOX_SQL("catalog", "7266840212102");
  return schema == OutboxSchema::kAuth ? kAuth : kCatalog;
}

#undef GIIA_OUTBOX_SQL

}  // namespace

OutboxInsert OutboxInsertOf(OutboxSchema schema, const events::Event& event) {
  return {Sql(schema).insert,
          {event.id, event.Subject(), event.type, event.aggregate_type, event.aggregate_id,
           event.organization_id.empty() ? Param(std::nullopt) : Param(event.organization_id),
           codec::EncodeCloudEvent(event)}};
}

Status PgOutboxWriter::Store(const events::Event& event) {
  OutboxInsert insert = OutboxInsertOf(schema_, event);
  auto r = conn_.Exec(insert.sql, insert.params);
  if (!r) return tl::unexpected(r.error());
  ++stored_;
  return Ok();
}

Result<events::OutboxSource::Batch> PgOutboxSource::RelayBatch(std::size_t limit,
                                                               const PublishFn& publish) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  Connection& conn = **lease;
  const OutboxSql& sql = Sql(schema_);
  Batch batch;
  Status status = InTransaction(conn, [&]() -> Status {
    auto locked = conn.Exec(sql.lock);
    if (!locked) return tl::unexpected(locked.error());
    if (!locked->Bool(0, 0)) {
      batch.busy = true;
      return Ok();
    }
    auto rows = conn.Exec(sql.pending_batch, {static_cast<std::int64_t>(limit)});
    if (!rows) return tl::unexpected(rows.error());
    std::vector<events::OutboxRecord> records;
    records.reserve(rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
      records.push_back({rows->Int(i, 0), rows->Text(i, 1), rows->Text(i, 2), rows->Text(i, 3),
                         rows->Text(i, 4)});
    }
    batch.read = records.size();
    if (records.empty()) return Ok();
    auto sent = publish(records);
    batch.sent = sent ? *sent : 0;
    if (!sent) batch.error = sent.error();
    if (batch.sent > 0) {
      std::string seqs = "{";
      for (std::size_t i = 0; i < batch.sent; ++i) {
        seqs += (i ? "," : "") + std::to_string(records[i].seq);
      }
      seqs += "}";
      if (auto r = conn.Exec(sql.mark_sent, {seqs}); !r) return tl::unexpected(r.error());
    }
    if (batch.sent < records.size()) {
      if (!batch.error) {
        batch.error = Error{ErrorCode::kUnavailable, "the broker stopped acknowledging", ""};
      }
      auto r = conn.Exec(sql.note_failure, {records[batch.sent].seq, batch.error->message});
      if (!r) return tl::unexpected(r.error());
    }
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  return batch;
}

Result<std::int64_t> PgOutboxSource::Purge(std::chrono::seconds retention) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto r = (*lease)->Exec(Sql(schema_).purge, {static_cast<std::int64_t>(retention.count())});
  if (!r) return tl::unexpected(r.error());
  return r->affected;
}

Result<events::OutboxSource::Backlog> PgOutboxSource::Pending() {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto r = (*lease)->Exec(Sql(schema_).backlog);
  if (!r) return tl::unexpected(r.error());
  return Backlog{r->Int(0, 0), std::stod(r->Text(0, 1))};
}

Result<bool> PgProcessedEvents::Seen(const std::string& consumer, const std::string& event_id) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto r = (*lease)->Exec(Sql(schema_).seen, {consumer, event_id});
  if (!r) return tl::unexpected(r.error());
  return !r->empty();
}

Status PgProcessedEvents::Remember(const std::string& consumer, const std::string& event_id) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto r = (*lease)->Exec(Sql(schema_).remember, {consumer, event_id});
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

}  // namespace giia::pg
