-- Each waiting-list upload stages its rows in a table of its own, in this schema, dropped when the
-- import ends (completed or failed). One shared staging table, emptied by a DELETE per batch, kept
-- every applied row as a dead tuple until vacuum got to it (149 MB after an upload of 817,072 rows;
-- vacuum cannot remove them while an older transaction, another trust's upload still streaming,
-- holds its snapshot), and the statistics a huge import left made the next import's batch DELETE a
-- nested loop: 4.9 s for 5,000 rows instead of 0.34 s (bench/staging-cleanup.mjs,
-- docs/benchmarks.md). A dropped table returns its space at once, and an import reads only its own
-- rows. The tables are made by the API at upload time (it needs CREATE on this schema).
CREATE SCHEMA IF NOT EXISTS "waiting_list_staging";

-- An import now reads its staged rows in row order from the last one applied, instead of deleting
-- them batch by batch: this is where it has got to (committed with each batch).
ALTER TABLE "waiting_list_import" ADD COLUMN "applied_through_row" INTEGER NOT NULL DEFAULT 0;

-- Imports still waiting in the old staging table when this runs cannot be carried over row by row
-- without repeating the work they stand for: they end, saying so, and the trust uploads again.
UPDATE "waiting_list_import"
SET "status" = 'failed', "finished_at" = now(),
    "failure_reason" = 'The import was stopped by an upgrade of crosstrust before it finished; rows applied so far are kept. Upload the file again.'
WHERE "status" IN ('queued', 'running');
DROP TABLE "waiting_list_import_row";
