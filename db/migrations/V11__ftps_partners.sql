-- FTPS partners: explicit or implicit TLS, and how Ferry trusts the server's certificate: pinned by its SHA-256
-- fingerprint, or checked against the administrator's CA certificates (PEM), or against the JVM's trusted CAs.
-- SFTP partners keep their pinned host key; FTPS partners have none (an empty host_key).
ALTER TABLE partners ADD COLUMN ftps_mode VARCHAR(16);
ALTER TABLE partners ADD COLUMN tls_pin VARCHAR(128);
ALTER TABLE partners ADD COLUMN tls_trusted TEXT;
