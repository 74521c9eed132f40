-- Edge gateways the cluster trusts. An edge logs in to a node's internal listener with its name and a secret; only
-- the secret's SHA-256 is kept. Revoking sets revoked_at: the edge's logins and open sessions end.
CREATE TABLE edges (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL,
    secret_hash VARCHAR(64)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    revoked_at  DATETIME(6)  NULL,
    CONSTRAINT uq_edges_name UNIQUE (name)
);

-- Which edge relayed a partner's session (null: the partner connected to the node directly).
ALTER TABLE transfers ADD COLUMN edge VARCHAR(64);
