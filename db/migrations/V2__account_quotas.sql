-- Per-account storage quotas; 0 means unlimited.
ALTER TABLE accounts ADD COLUMN quota_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN quota_files BIGINT NOT NULL DEFAULT 0;
