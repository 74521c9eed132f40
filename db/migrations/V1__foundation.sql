-- Ferry foundation schema. Runs unchanged on MySQL 8.x, MariaDB 10.11+ and H2 in MySQL mode.
-- Times are UTC, DATETIME(6). Secrets are sealed with the master key (never stored here) and base64-encoded.

CREATE TABLE accounts (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    username      VARCHAR(64)  NOT NULL,
    password_hash VARCHAR(255),
    home          VARCHAR(512) NOT NULL,
    permissions   VARCHAR(255) NOT NULL,
    enabled       BOOLEAN      NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    version       BIGINT       NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_accounts_username UNIQUE (username)
);

CREATE TABLE account_keys (
    id          BIGINT        NOT NULL AUTO_INCREMENT,
    account_id  BIGINT        NOT NULL,
    key_type    VARCHAR(64)   NOT NULL,
    public_key  VARCHAR(4096) NOT NULL,
    fingerprint VARCHAR(128)  NOT NULL,
    comment     VARCHAR(255),
    created_at  DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_account_keys_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT uk_account_keys_fingerprint UNIQUE (account_id, fingerprint)
);

CREATE TABLE admin_users (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    username      VARCHAR(64)  NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(32)  NOT NULL,
    enabled       BOOLEAN      NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_admin_users_username UNIQUE (username)
);

CREATE TABLE host_keys (
    id            BIGINT        NOT NULL AUTO_INCREMENT,
    algorithm     VARCHAR(64)   NOT NULL,
    master_key_id VARCHAR(32)   NOT NULL,
    sealed_key    VARCHAR(8000) NOT NULL,
    fingerprint   VARCHAR(128)  NOT NULL,
    created_at    DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_host_keys_algorithm UNIQUE (algorithm)
);

CREATE TABLE transfers (
    id             BIGINT        NOT NULL AUTO_INCREMENT,
    node           VARCHAR(128)  NOT NULL,
    protocol       VARCHAR(16)   NOT NULL,
    session_id     VARCHAR(64)   NOT NULL,
    account        VARCHAR(64)   NOT NULL,
    path           VARCHAR(1024) NOT NULL,
    direction      VARCHAR(16)   NOT NULL,
    start_offset   BIGINT        NOT NULL,
    bytes          BIGINT        NOT NULL,
    sha256         VARCHAR(64),
    started_at     DATETIME(6)   NOT NULL,
    ended_at       DATETIME(6)   NOT NULL,
    outcome        VARCHAR(16)   NOT NULL,
    error          VARCHAR(1024),
    client_address VARCHAR(64)   NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX ix_transfers_account_started ON transfers (account, started_at);
CREATE INDEX ix_transfers_outcome_started ON transfers (outcome, started_at);
CREATE INDEX ix_transfers_started ON transfers (started_at);
