-- A route may copy the file within the storage (into a folder of the same or another account) instead of sending
-- it to a partner: copy_to is "[account:]/folder", and partner is empty for such routes.
ALTER TABLE routes ADD COLUMN copy_to VARCHAR(512);
