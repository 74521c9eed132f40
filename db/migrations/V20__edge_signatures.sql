-- The partners' key signatures edges forwarded (issue 19): each earns one ticket, on any node, once. The digest is
-- SHA-256 of the SSH session identifier the partner signed and its user name; nothing secret is kept.
CREATE TABLE edge_signatures (
    digest    CHAR(64)      NOT NULL,
    username  VARCHAR(255)  NOT NULL,
    edge      VARCHAR(64)   NOT NULL,
    used_at   DATETIME(6)   NOT NULL,
    PRIMARY KEY (digest)
);
