-- Messages stored in one transaction (a batch of webhook deliveries) took the transaction's start
-- time, so their order fell to their random-tailed ids: a thread could show the customer's second
-- message before the first. The wall clock at insertion keeps the order they were stored in.
ALTER TABLE messages ALTER COLUMN created_at SET DEFAULT clock_timestamp();
