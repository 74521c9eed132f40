-- Expected files (issue #24): "a file matching PATTERN arrives in FOLDER of ACCOUNT by TIME on DAYS (ZONE)" and
-- "a delivery to PARTNER succeeds by TIME on DAYS (ZONE)". The primary judges each deadline once it has passed; the
-- unique (expectation, due_at) row makes that judgement happen once cluster-wide, whichever node tries it.
CREATE TABLE expectations (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    name         VARCHAR(64)    NOT NULL,
    kind         VARCHAR(16)    NOT NULL,
    account      VARCHAR(64),
    folder       VARCHAR(512),
    pattern      VARCHAR(256),
    partner      VARCHAR(64),
    due_time     VARCHAR(5)     NOT NULL,
    days         VARCHAR(32)    NOT NULL,
    time_zone    VARCHAR(64)    NOT NULL,
    enabled      BOOLEAN        NOT NULL,
    created_at   DATETIME(3)    NOT NULL,
    updated_at   DATETIME(3)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_expectations_name UNIQUE (name)
);

-- One row per judged deadline (UTC); removed with its expectation.
CREATE TABLE expectation_checks (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    expectation  VARCHAR(64)    NOT NULL,
    due_at       DATETIME(3)    NOT NULL,
    met          BOOLEAN        NOT NULL,
    checked_at   DATETIME(3)    NOT NULL,
    node_id      VARCHAR(128)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_expectation_checks_due UNIQUE (expectation, due_at)
);

-- Who is mailed about an event: one row per event, comma-separated addresses.
CREATE TABLE notification_rules (
    event_type   VARCHAR(32)    NOT NULL,
    recipients   VARCHAR(2048)  NOT NULL,
    updated_at   DATETIME(3)    NOT NULL,
    PRIMARY KEY (event_type)
);

-- What was notified, for the console and the API; old rows are purged (ferry.notify.keep-events).
CREATE TABLE notification_events (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    event_type   VARCHAR(32)    NOT NULL,
    subject      VARCHAR(256)   NOT NULL,
    message      VARCHAR(4000)  NOT NULL,
    at           DATETIME(3)    NOT NULL,
    node_id      VARCHAR(128)   NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_notification_events_at ON notification_events (at);
CREATE INDEX ix_notification_events_event ON notification_events (event_type, at);
