-- Insights at scale (issue 19): the figures behind each insights chart, computed by the worker on a
-- schedule and on demand, so the pages and GET /v1/insights/{chart} read one small row instead of
-- passing over every referral. One row per kind of figures and scope ('group', or the referring
-- trust's ODS code; the what-if is per specialty, group-wide). Aggregate counts only, as the live
-- queries gave them: the disclosure rule is applied when they are drawn, as before.
CREATE TABLE "insight_figures" (
    "kind" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "figures" JSONB NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "compute_ms" INTEGER NOT NULL,

    CONSTRAINT "insight_figures_pkey" PRIMARY KEY ("kind", "scope")
);
