-- While a broadcast is on air its row is touched every few seconds with the time and the peak
-- audience so far, so a broadcast cut by a crash is closed at the next start with its real
-- length and peak instead of zero.

ALTER TABLE broadcasts ADD COLUMN seen_ms INTEGER;
