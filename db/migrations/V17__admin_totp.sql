-- optional TOTP second factor (RFC 6238) for administrators: the secret sealed with the master key, and the last
-- time step a code was accepted for (a code is good once)
ALTER TABLE admin_users ADD COLUMN totp_secret VARCHAR(255);
ALTER TABLE admin_users ADD COLUMN totp_last_step BIGINT;
