-- A repository the inventory no longer lists (deleted on the server, or the credentials lost
-- access) stays with its history but leaves the perimeter; its open findings are closed with
-- the reason `repository removed`. Listed again, it comes back (NULL).
ALTER TABLE repository ADD COLUMN removed_at INTEGER;
