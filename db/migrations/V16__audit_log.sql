-- Every administrative change, through the REST API or the web console: who, when, from where, what was asked
-- (secrets removed), how it ended, and the resource before and after where the API can tell.
CREATE TABLE audit_log (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME(6)   NOT NULL,
    actor       VARCHAR(64)   NOT NULL,
    address     VARCHAR(64)   NOT NULL,
    node        VARCHAR(64)   NOT NULL,
    channel     VARCHAR(8)    NOT NULL,
    method      VARCHAR(8)    NOT NULL,
    target      VARCHAR(512)  NOT NULL,
    status      INT           NOT NULL,
    outcome     VARCHAR(1024),
    request     TEXT,
    before_state TEXT,
    after_state TEXT
);
CREATE INDEX ix_audit_log_at ON audit_log (at);
CREATE INDEX ix_audit_log_actor ON audit_log (actor, at);
