//! PIN attempt throttling, with the foundation spec's numbers.
//!
//! Per device: 5 failed attempts within a minute → wait until the oldest of
//! them is a minute old; 10 failures within 15 minutes → the device is locked
//! for 15 minutes. The caller persists attempts and lockouts (PostgreSQL on
//! central, SQLite on a terminal) and asks this module what they mean.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures_per_minute: usize,
    pub lockout_threshold: usize,
    pub lockout_window: Duration,
    pub lockout_duration: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            max_failures_per_minute: 5,
            lockout_threshold: 10,
            lockout_window: Duration::minutes(15),
            lockout_duration: Duration::minutes(15),
        }
    }
}

/// Whether a device may try a PIN now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Too many failures in the last minute; try again after the seconds.
    SlowDown {
        retry_after_secs: i64,
    },
    /// The device is locked; try again after the seconds.
    Locked {
        retry_after_secs: i64,
    },
}

impl Verdict {
    pub fn retry_after_secs(self) -> Option<i64> {
        match self {
            Verdict::Allowed => None,
            Verdict::SlowDown { retry_after_secs } | Verdict::Locked { retry_after_secs } => {
                Some(retry_after_secs)
            }
        }
    }
}

fn ceil_secs(d: Duration) -> i64 {
    let ms = d.num_milliseconds().max(0);
    ((ms + 999) / 1000).max(1)
}

impl ThrottlePolicy {
    /// The window of failures the caller must load to judge an attempt.
    pub fn lookback(&self) -> Duration {
        self.lockout_window.max(Duration::minutes(1))
    }

    /// Judges an attempt at `now`, given the device's lock (if any) and the
    /// times of its failures within [`ThrottlePolicy::lookback`].
    pub fn check(
        &self,
        now: DateTime<Utc>,
        locked_until: Option<DateTime<Utc>>,
        failures: &[DateTime<Utc>],
    ) -> Verdict {
        if let Some(until) = locked_until.filter(|u| *u > now) {
            return Verdict::Locked { retry_after_secs: ceil_secs(until - now) };
        }
        let minute_ago = now - Duration::minutes(1);
        let mut recent: Vec<DateTime<Utc>> = failures.iter().copied().filter(|t| *t > minute_ago).collect();
        if recent.len() >= self.max_failures_per_minute {
            recent.sort();
            // Allowed again once enough of them have aged out of the minute.
            let pivot = recent[recent.len() - self.max_failures_per_minute];
            return Verdict::SlowDown { retry_after_secs: ceil_secs(pivot + Duration::minutes(1) - now) };
        }
        Verdict::Allowed
    }

    /// After a failure at `now`, given the failures within the lockout window
    /// *including* this one: the time the device is locked until, if it is.
    pub fn lock_after_failure(&self, now: DateTime<Utc>, failures_in_window: usize) -> Option<DateTime<Utc>> {
        (failures_in_window >= self.lockout_threshold).then(|| now + self.lockout_duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn four_failures_in_a_minute_still_allow_a_fifth_try() {
        let p = ThrottlePolicy::default();
        let failures = [t(0), t(10), t(20), t(30)];
        assert_eq!(p.check(t(40), None, &failures), Verdict::Allowed);
    }

    #[test]
    fn five_failures_in_a_minute_ask_to_wait_until_the_oldest_ages_out() {
        let p = ThrottlePolicy::default();
        let failures = [t(0), t(10), t(20), t(30), t(40)];
        assert_eq!(p.check(t(45), None, &failures), Verdict::SlowDown { retry_after_secs: 15 });
        assert_eq!(p.check(t(61), None, &failures), Verdict::Allowed);
    }

    #[test]
    fn the_tenth_failure_in_fifteen_minutes_locks_for_fifteen_minutes() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.lock_after_failure(t(0), 9), None);
        assert_eq!(p.lock_after_failure(t(0), 10), Some(t(15 * 60)));
        assert_eq!(p.check(t(60), Some(t(900)), &[]), Verdict::Locked { retry_after_secs: 840 });
        assert_eq!(p.check(t(900), Some(t(900)), &[]), Verdict::Allowed);
    }
}
