-- Cluster events as administrators see them: role changes and members lost, as reported by the nodes.
CREATE TABLE cluster_events (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    event_type   VARCHAR(32)    NOT NULL,
    node_id      VARCHAR(128)   NOT NULL,
    reported_by  VARCHAR(128)   NOT NULL,
    token        BIGINT         NOT NULL,
    reason       VARCHAR(255)   NOT NULL,
    occurred_at  DATETIME(3)    NOT NULL,
    PRIMARY KEY (id)
);
