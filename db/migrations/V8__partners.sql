-- Partners: the remote endpoints Ferry connects to (deliveries, pulls). Secrets are sealed with the master key.
CREATE TABLE partners (
    id                        BIGINT         NOT NULL AUTO_INCREMENT,
    name                      VARCHAR(64)    NOT NULL,
    protocol                  VARCHAR(16)    NOT NULL,
    host                      VARCHAR(255)   NOT NULL,
    port                      INT            NOT NULL,
    username                  VARCHAR(128)   NOT NULL,
    master_key_id             VARCHAR(32)    NOT NULL,
    sealed_password           VARCHAR(2048),
    sealed_private_key        TEXT,
    host_key                  VARCHAR(128)   NOT NULL,
    remote_dir                VARCHAR(1024)  NOT NULL,
    connect_timeout_seconds   INT            NOT NULL,
    transfer_timeout_seconds  INT            NOT NULL,
    max_parallel              INT            NOT NULL,
    created_at                DATETIME(6)    NOT NULL,
    updated_at                DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_partners_name UNIQUE (name)
);
