-- The W3C trace context of the transaction that wrote the row, copied into its stream entry so that consumers
-- continue the same trace. Null for rows written outside any trace (and for every row from before this script).
alter table outbox add column traceparent text;
