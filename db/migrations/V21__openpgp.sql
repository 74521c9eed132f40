-- OpenPGP keys: partners' public keys (to encrypt to, to verify their signatures) and Ferry's own key pairs (to sign,
-- to decrypt what partners send). An own key's secret part is kept without its passphrase, sealed with the master key
-- and bound to its name and fingerprint; the public part is stored armored as imported.
CREATE TABLE pgp_keys (
    id             BIGINT         NOT NULL AUTO_INCREMENT,
    name           VARCHAR(64)    NOT NULL,
    partner        VARCHAR(64),
    kind           VARCHAR(8)     NOT NULL,
    fingerprint    VARCHAR(64)    NOT NULL,
    user_ids       VARCHAR(1024)  NOT NULL,
    algorithm      VARCHAR(32)    NOT NULL,
    key_created_at DATETIME(6)    NOT NULL,
    expires_at     DATETIME(6),
    public_key     TEXT           NOT NULL,
    master_key_id  VARCHAR(32),
    sealed_secret  TEXT,
    imported_at    DATETIME(6)    NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uk_pgp_keys_name UNIQUE (name)
);

-- A copy route may transform the file with OpenPGP on its way ("encrypt KEY [sign KEY]" or "decrypt [verify KEY]");
-- each of its work items carries the step as it was when the upload arrived.
ALTER TABLE routes ADD COLUMN pgp VARCHAR(200);
ALTER TABLE work_items ADD COLUMN step VARCHAR(200);

-- A file Ferry made from another (decrypted, encrypted) names the transfer-log row of its original.
ALTER TABLE transfers ADD COLUMN derived_from BIGINT;
