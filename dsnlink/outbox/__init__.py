"""The durable job queue (outbox): jobs written in the transaction that calls for them."""
