//! Central's sense of the time, for the rules that depend on it.
//!
//! Whether a session has been open too long or a device silent too long is
//! judged against `Central::clock`, never read from the system inside a
//! rule. The service runs on the system clock; tests and the end-to-end
//! suite run on a shifted one they move forward in-process ("nine hours
//! later") instead of waiting. Database timestamps (sessions of HQ accounts,
//! throttles) keep PostgreSQL's own clock: moving this one moves only what
//! the rules see.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The time as central's rules see it.
#[derive(Debug)]
pub enum Clock {
    /// The system's time.
    System,
    /// The system's time plus an offset in milliseconds that only grows or
    /// is set, for tests.
    Shifted(AtomicI64),
}

/// The system clock cannot be moved.
#[derive(Debug, thiserror::Error)]
#[error("the system clock cannot be moved; run central with a shifted clock")]
pub struct Unmovable;

impl Clock {
    /// The system's time plus nothing, until moved.
    pub fn shifted() -> Clock {
        Clock::Shifted(AtomicI64::new(0))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Shifted(offset) => Utc::now() + Duration::milliseconds(offset.load(Ordering::SeqCst)),
        }
    }

    /// Moves a shifted clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) -> Result<(), Unmovable> {
        match self {
            Clock::System => Err(Unmovable),
            Clock::Shifted(offset) => {
                offset.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
                Ok(())
            }
        }
    }

    /// Sets a shifted clock so that it reads `at` now.
    pub fn set(&self, at: DateTime<Utc>) -> Result<(), Unmovable> {
        match self {
            Clock::System => Err(Unmovable),
            Clock::Shifted(offset) => {
                offset.store((at - Utc::now()).num_milliseconds(), Ordering::SeqCst);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_moves_forward_and_the_system_clock_does_not() {
        let clock = Clock::shifted();
        let before = Utc::now();
        clock.advance(Duration::hours(9)).unwrap();
        assert!(clock.now() >= before + Duration::hours(9));
        let at = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        clock.set(at).unwrap();
        // The offset is kept in whole milliseconds.
        assert!(clock.now() > at - Duration::milliseconds(1) && clock.now() < at + Duration::days(1));
        assert!(Clock::System.advance(Duration::hours(1)).is_err());
        assert!(Clock::System.now() < before + Duration::hours(1));
    }
}
