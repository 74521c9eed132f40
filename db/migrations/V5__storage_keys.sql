-- The keys that encrypt files at rest, kept in the database sealed with the master key (like the SSH host keys), so
-- every node of a cluster reads what any node wrote. The newest row is the active key.
CREATE TABLE storage_keys (
    id             VARCHAR(64)   NOT NULL,
    master_key_id  VARCHAR(32)   NOT NULL,
    sealed_key     VARCHAR(512)  NOT NULL,
    created_at     DATETIME(6)   NOT NULL,
    PRIMARY KEY (id)
);
