-- Per-account client address rules: comma-separated addresses or CIDR blocks. A login from a denied address, or
-- (when the allow list is set) from an address it does not list, is refused, whatever the protocol or edge.
ALTER TABLE accounts ADD COLUMN allowed_addresses VARCHAR(2048);
ALTER TABLE accounts ADD COLUMN denied_addresses VARCHAR(2048);
