-- A node claims several due work items with one UPDATE and finds them again by the claim's token.
ALTER TABLE work_items ADD COLUMN claim_token VARCHAR(64);
CREATE INDEX ix_work_items_claim ON work_items (claim_token);
