//! Hybrid logical clocks: "which edit of a row came last" across terminals
//! whose wall clocks disagree.
//!
//! A stamp is wall-clock milliseconds shifted left by 16 bits plus a
//! counter, so it follows real time when clocks agree and still moves
//! forward when they do not. Ties between devices break by device id.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hlc(pub i64);

impl Hlc {
    pub const ZERO: Hlc = Hlc(0);

    /// The next stamp after `last` at wall time `now_ms`.
    pub fn tick(last: Hlc, now_ms: i64) -> Hlc {
        Hlc((now_ms.max(0) << 16).max(last.0 + 1))
    }

    /// The wall-clock milliseconds of the stamp.
    pub fn millis(self) -> i64 {
        self.0 >> 16
    }
}

/// A versioned write: its stamp and the device (or `central`) that made it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Version {
    pub hlc: Hlc,
    pub origin: String,
}

impl Version {
    /// Last writer wins: `self` replaces `current` only if it is newer.
    pub fn wins_over(&self, current: &Version) -> bool {
        (self.hlc, &self.origin) > (current.hlc, &current.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_stamp_follows_the_clock_and_never_goes_back() {
        let a = Hlc::tick(Hlc::ZERO, 1_000);
        assert_eq!(a.millis(), 1_000);
        let b = Hlc::tick(a, 1_000);
        assert!(b > a && b.millis() == 1_000);
        let c = Hlc::tick(b, 500);
        assert!(c > b, "a clock that jumps back still moves forward");
    }

    #[test]
    fn ties_break_by_origin() {
        let v = |hlc, origin: &str| Version { hlc: Hlc(hlc), origin: origin.into() };
        assert!(v(2, "a").wins_over(&v(1, "z")));
        assert!(v(1, "b").wins_over(&v(1, "a")));
        assert!(!v(1, "a").wins_over(&v(1, "a")));
    }

    proptest! {
        #[test]
        fn ticks_are_strictly_increasing(times in proptest::collection::vec(0i64..1_000_000, 1..50)) {
            let mut last = Hlc::ZERO;
            for t in times {
                let next = Hlc::tick(last, t);
                prop_assert!(next > last);
                last = next;
            }
        }
    }
}
