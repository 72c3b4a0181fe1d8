-- The booking team's phone number, a trust setting (issue 15): the patient's offer pages tell a
-- patient whose link cannot be used, or who has answered, to phone the referring trust's booking
-- team, and now say the number instead of "it is on the letter". Written as people read it
-- ("01632 960 101"): digits and single spaces, a UK number of 10 or 11 digits starting with 0, so
-- the page can also make a tel: link of it. Null: the pages fall back to the letter's number.
-- The hours are optional words ("Monday to Friday, 9am to 5pm").
ALTER TABLE "trust"
    ADD COLUMN "booking_phone" TEXT,
    ADD COLUMN "booking_phone_hours" TEXT,
    ADD CONSTRAINT "trust_booking_phone_check"
        CHECK ("booking_phone" ~ '^0[0-9]+( [0-9]+)*$' AND length(replace("booking_phone", ' ', '')) BETWEEN 10 AND 11),
    ADD CONSTRAINT "trust_booking_phone_hours_check" CHECK (length("booking_phone_hours") BETWEEN 1 AND 100);
