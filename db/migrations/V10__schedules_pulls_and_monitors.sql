-- Schedules (cron fires that pull from or push to a partner), what pulls fetched (so a re-run never fetches a file
-- twice), and folder monitors (files other systems put into a shared folder, taken in once when stable).

-- A work item's group: the items whose source file shares one post-action (all deliveries of one upload, or the
-- delivery of one file a push sent). Items of older rows belonged to their upload.
ALTER TABLE work_items ADD COLUMN group_key VARCHAR(128);
UPDATE work_items SET group_key = CONCAT('upload-', upload_id);
CREATE INDEX ix_work_items_group ON work_items (group_key);

CREATE TABLE schedules (
    id             BIGINT        NOT NULL AUTO_INCREMENT,
    name           VARCHAR(64)   NOT NULL,
    kind           VARCHAR(8)    NOT NULL,
    cron           VARCHAR(128)  NOT NULL,
    time_zone      VARCHAR(64)   NOT NULL,
    partner        VARCHAR(64)   NOT NULL,
    account        VARCHAR(64)   NOT NULL,
    folder         VARCHAR(512)  NOT NULL,
    file_glob      VARCHAR(256)  NOT NULL,
    delete_remote  BOOLEAN       NOT NULL,
    post_action    VARCHAR(16)   NOT NULL,
    misfire        VARCHAR(16)   NOT NULL,
    enabled        BOOLEAN       NOT NULL,
    next_fire_at   DATETIME(3)   NOT NULL,
    created_at     DATETIME(3)   NOT NULL,
    updated_at     DATETIME(3)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_schedules_name UNIQUE (name)
);

-- One row per fire: the unique key is what makes a fire happen at most once, whichever node, token or retry.
CREATE TABLE schedule_fires (
    id             BIGINT        NOT NULL AUTO_INCREMENT,
    schedule       VARCHAR(64)   NOT NULL,
    fire_time      DATETIME(3)   NOT NULL,
    outcome        VARCHAR(16)   NOT NULL,
    missed         INT           NOT NULL,
    items          INT           NOT NULL,
    node_id        VARCHAR(128)  NOT NULL,
    fencing_token  BIGINT        NOT NULL,
    fired_at       DATETIME(3)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_schedule_fires UNIQUE (schedule, fire_time)
);

-- A file a pull fetched: partner, remote path, size and modification time (hashed into record_key, unique).
CREATE TABLE pull_records (
    id           BIGINT         NOT NULL AUTO_INCREMENT,
    record_key   CHAR(64)       NOT NULL,
    partner      VARCHAR(64)    NOT NULL,
    remote_path  VARCHAR(1024)  NOT NULL,
    size         BIGINT         NOT NULL,
    mtime        BIGINT         NOT NULL,
    sha256       VARCHAR(64)    NOT NULL,
    account      VARCHAR(64)    NOT NULL,
    local_path   VARCHAR(1024)  NOT NULL,
    work_item    BIGINT         NOT NULL,
    fetched_at   DATETIME(3)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_pull_records UNIQUE (record_key)
);

CREATE TABLE folder_monitors (
    id              BIGINT        NOT NULL AUTO_INCREMENT,
    name            VARCHAR(64)   NOT NULL,
    folder          VARCHAR(512)  NOT NULL,
    file_glob       VARCHAR(256)  NOT NULL,
    account         VARCHAR(64)   NOT NULL,
    target_folder   VARCHAR(512)  NOT NULL,
    stable_seconds  INT           NOT NULL,
    enabled         BOOLEAN       NOT NULL,
    created_at      DATETIME(3)   NOT NULL,
    updated_at      DATETIME(3)   NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_folder_monitors_name UNIQUE (name)
);

-- A file a monitor took in: monitor, path, size and modification time (hashed into taken_key, unique).
CREATE TABLE monitor_taken (
    id          BIGINT         NOT NULL AUTO_INCREMENT,
    taken_key   CHAR(64)       NOT NULL,
    monitor     VARCHAR(64)    NOT NULL,
    path        VARCHAR(1024)  NOT NULL,
    size        BIGINT         NOT NULL,
    mtime       BIGINT         NOT NULL,
    taken_at    DATETIME(3)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_monitor_taken UNIQUE (taken_key)
);
