//! How long recordings are kept: at most `keep_days` days, and at most `max_total_bytes` in
//! all, the oldest finished ones removed first. A recording being written is never removed;
//! it counts towards the total, so the finished ones make room for it.

/// The limits (`[recordings] keep_days`, `max_total_mib`); 0 means none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub keep_days: u64,
    pub max_total_bytes: u64,
}

/// A finished recording as retention sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kept {
    pub id: i64,
    pub started_ms: u64,
    pub bytes: u64,
}

impl Retention {
    /// Which of `finished` (oldest first) go, at `now_ms`, when all recordings hold `total`
    /// bytes.
    pub fn doomed(&self, finished: &[Kept], mut total: u64, now_ms: u64) -> Vec<i64> {
        let too_old =
            (self.keep_days > 0).then(|| now_ms.saturating_sub(self.keep_days * 24 * 3600 * 1000));
        let mut doomed = Vec::new();
        for recording in finished {
            let old = too_old.is_some_and(|before| recording.started_ms < before);
            let over = self.max_total_bytes > 0 && total > self.max_total_bytes;
            if !(old || over) {
                // Oldest first: nothing later is older, and the total is within bounds.
                break;
            }
            doomed.push(recording.id);
            total = total.saturating_sub(recording.bytes);
        }
        doomed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 3600 * 1000;

    fn kept(id: i64, days_ago: u64, bytes: u64) -> Kept {
        Kept {
            id,
            started_ms: (100 * DAY).saturating_sub(days_ago * DAY),
            bytes,
        }
    }

    #[test]
    fn recordings_past_their_days_go_and_the_rest_stay() {
        let rule = Retention {
            keep_days: 30,
            max_total_bytes: 0,
        };
        let finished = [
            kept(1, 40, 10),
            kept(2, 31, 10),
            kept(3, 29, 10),
            kept(4, 1, 10),
        ];
        assert_eq!(rule.doomed(&finished, 40, 100 * DAY), vec![1, 2]);
    }

    #[test]
    fn over_the_total_the_oldest_go_until_it_fits() {
        let rule = Retention {
            keep_days: 0,
            max_total_bytes: 100,
        };
        let finished = [kept(1, 9, 30), kept(2, 8, 30), kept(3, 7, 30)];
        // 150 in all (60 of them in a recording still being written): two must go.
        assert_eq!(rule.doomed(&finished, 150, 100 * DAY), vec![1, 2]);
        assert_eq!(rule.doomed(&finished, 100, 100 * DAY), Vec::<i64>::new());
    }

    #[test]
    fn without_limits_everything_stays() {
        let rule = Retention {
            keep_days: 0,
            max_total_bytes: 0,
        };
        assert!(
            rule.doomed(&[kept(1, 9999, 1 << 40)], 1 << 40, 100 * DAY)
                .is_empty()
        );
    }
}
