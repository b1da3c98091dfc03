-- Whether the channel's broadcasts are made in the quality ladder ([renditions] ladder): 1, or
-- 0 when its owner turned it off (every viewer then gets the source alone).

ALTER TABLE channels ADD COLUMN ladder INTEGER NOT NULL DEFAULT 1;
