-- Who did each step, in people's words: the name the person's token (or console sign-in) carried,
-- beside the id, role and trust already recorded. Null for the system and for events before this.
ALTER TABLE "timeline_event" ADD COLUMN "actor_name" TEXT;
