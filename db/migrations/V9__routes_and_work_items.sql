-- Routes (a file uploaded into an account's folder goes on to a partner) and the durable work queue that carries
-- out every delivery (and, once every delivery of an upload is done, the routes' action on the source file): an item is written before the upload that caused it is acknowledged, claimed by one node at a
-- time with a lease (database time), retried with backoff, and kept as failed for an administrator to resubmit.
CREATE TABLE routes (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    name         VARCHAR(64)    NOT NULL,
    account      VARCHAR(64)    NOT NULL,
    path_glob    VARCHAR(512)   NOT NULL,
    partner      VARCHAR(64)    NOT NULL,
    remote_name  VARCHAR(512)   NOT NULL,
    post_action  VARCHAR(16)    NOT NULL,
    enabled      BOOLEAN        NOT NULL,
    created_at   DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_routes_name UNIQUE (name)
);

CREATE TABLE work_items (
    id               BIGINT         NOT NULL AUTO_INCREMENT,
    kind             VARCHAR(16)    NOT NULL,
    route            VARCHAR(64)    NOT NULL,
    upload_id        BIGINT         NOT NULL,
    post_action      VARCHAR(16)    NOT NULL,
    post_done        BOOLEAN        NOT NULL,
    account          VARCHAR(64)    NOT NULL,
    path             VARCHAR(1024)  NOT NULL,
    partner          VARCHAR(64)    NOT NULL,
    remote_name      VARCHAR(1024)  NOT NULL,
    sha256           VARCHAR(64),
    state            VARCHAR(16)    NOT NULL,
    attempts         INT            NOT NULL,
    max_attempts     INT            NOT NULL,
    next_attempt_at  DATETIME(3)    NOT NULL,
    claimed_by       VARCHAR(128),
    lease_until      DATETIME(3),
    last_error       VARCHAR(1024),
    created_at       DATETIME(3)    NOT NULL,
    updated_at       DATETIME(3)    NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX ix_work_items_due ON work_items (state, next_attempt_at);
CREATE INDEX ix_work_items_upload ON work_items (upload_id);
