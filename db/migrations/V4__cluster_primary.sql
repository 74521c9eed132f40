-- The cluster's primary role: a lease in the database with a fencing token that only grows, and the history of
-- every role change. Times are the database's own (CURRENT_TIMESTAMP(3)), never a node's clock.
CREATE TABLE cluster_leases (
    name           VARCHAR(64)   NOT NULL,
    holder         VARCHAR(128),
    token          BIGINT        NOT NULL,
    expires_at     DATETIME(3)   NOT NULL,
    handoff_to     VARCHAR(128),
    handoff_until  DATETIME(3),
    PRIMARY KEY (name)
);

CREATE TABLE cluster_role_changes (
    id                   BIGINT        NOT NULL AUTO_INCREMENT,
    lease                VARCHAR(64)   NOT NULL,
    node_id              VARCHAR(128)  NOT NULL,
    token                BIGINT        NOT NULL,
    change_type          VARCHAR(16)   NOT NULL,
    reason               VARCHAR(255)  NOT NULL,
    previous_expires_at  DATETIME(3),
    valid_until          DATETIME(3),
    changed_at           DATETIME(3)   NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX ix_cluster_role_changes_lease ON cluster_role_changes (lease, id);
