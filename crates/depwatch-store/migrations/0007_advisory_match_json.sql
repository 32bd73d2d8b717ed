-- What matching reads: each non-withdrawn record without its display-only fields, minified.
-- A RustSec record is mostly its Markdown `details` and `references`; without them a
-- lockfile scan reads and parses about 4x fewer bytes. A table of its own, because SQLite
-- reaches a column stored after `raw_json` only by walking raw_json's overflow pages.
-- `advisory.raw_json` stays the record as imported (for display). The import statement
-- computes `json` with the same json_remove paths.
CREATE TABLE advisory_match (
    advisory_id TEXT PRIMARY KEY REFERENCES advisory (id) ON DELETE CASCADE,
    json        TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO advisory_match (advisory_id, json)
SELECT id, json_remove(raw_json, '$.details', '$.references', '$.related', '$.upstream',
                       '$.credits')
FROM advisory
WHERE withdrawn = 0 AND json_valid(raw_json);
