-- Settings an administrator changes at runtime (through the API); every node applies them without a restart.
CREATE TABLE runtime_settings (
    name           VARCHAR(64)    NOT NULL,
    setting_value  VARCHAR(2048)  NOT NULL,
    updated_at     DATETIME(6)    NOT NULL,
    updated_by     VARCHAR(128)   NOT NULL,
    PRIMARY KEY (name)
);
