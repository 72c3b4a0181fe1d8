-- The staff console's search by family name with date of birth (GET /console/search): one index
-- probe per search instead of a scan of every patient record. An expression index (lower-cased
-- name, as people type it), so it lives here and not in schema.prisma, like the partial indexes.
CREATE INDEX "patient_family_name_dob_idx" ON "patient" (lower("family_name"), "date_of_birth");
