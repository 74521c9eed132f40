-- API tokens for scripts and Prometheus: a bearer secret shown once, of which only the SHA-256 is kept (256 random
-- bits: a plain hash is as strong as a slow one and costs nothing per request), a scope (read or full), an expiry.
-- Revoking sets revoked_at; the row stays for the record.
CREATE TABLE api_tokens (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL,
    token_hash  VARCHAR(64)  NOT NULL,
    scope       VARCHAR(8)   NOT NULL,
    created_by  VARCHAR(64)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL,
    revoked_at  DATETIME(6)  NULL,
    CONSTRAINT uq_api_tokens_hash UNIQUE (token_hash)
);
