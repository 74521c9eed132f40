-- FTPS: the TLS certificate every node presents (sealed with the master key, like the SSH host keys), and the TLS
-- protocol and cipher of each FTPS transfer.
CREATE TABLE tls_certificates (
    id             BIGINT        NOT NULL AUTO_INCREMENT,
    name           VARCHAR(64)   NOT NULL,
    master_key_id  VARCHAR(32)   NOT NULL,
    sealed_pkcs12  VARCHAR(8000) NOT NULL,
    fingerprint    VARCHAR(128)  NOT NULL,
    not_after      DATETIME(6)   NOT NULL,
    created_at     DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_tls_certificates_name UNIQUE (name)
);

ALTER TABLE transfers ADD COLUMN tls VARCHAR(128);
