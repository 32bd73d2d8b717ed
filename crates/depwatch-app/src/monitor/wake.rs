//! Noticing that the machine slept: the monotonic clock stops while a laptop is suspended
//! (Linux `CLOCK_MONOTONIC`, macOS `mach_absolute_time`), the wall clock does not. When the
//! wall clock moved much further than the monotonic clock between two samples, the machine was
//! asleep in between, webhooks sent meanwhile were lost, and a catch-up pass is due now rather
//! than at the next scheduled poll (whose timer also stood still).

use std::time::{Duration, Instant, SystemTime};

/// Both clocks read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSample {
    pub monotonic: Instant,
    pub wall: SystemTime,
}

impl ClockSample {
    /// The clocks now.
    pub fn now() -> ClockSample {
        ClockSample { monotonic: Instant::now(), wall: SystemTime::now() }
    }
}

/// How long the machine was suspended between `before` and `after`, when the wall clock ran
/// ahead of the monotonic clock by more than `threshold`; `None` otherwise.
///
/// A wall clock set backwards (NTP correction, time zone tools) is never a suspension, and
/// small forward corrections stay under `threshold`.
pub fn suspended_for(
    before: &ClockSample,
    after: &ClockSample,
    threshold: Duration,
) -> Option<Duration> {
    let monotonic = after.monotonic.saturating_duration_since(before.monotonic);
    let wall = after.wall.duration_since(before.wall).ok()?;
    let gap = wall.checked_sub(monotonic)?;
    (gap > threshold).then_some(gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(base: &ClockSample, monotonic_s: u64, wall_s: i64) -> ClockSample {
        let wall = if wall_s >= 0 {
            base.wall + Duration::from_secs(wall_s.unsigned_abs())
        } else {
            base.wall - Duration::from_secs(wall_s.unsigned_abs())
        };
        ClockSample { monotonic: base.monotonic + Duration::from_secs(monotonic_s), wall }
    }

    #[test]
    fn a_wall_clock_jump_beyond_the_threshold_is_a_suspension() {
        let t0 = ClockSample::now();
        let threshold = Duration::from_secs(60);
        // Awake: both clocks advance together (with a little drift).
        assert_eq!(suspended_for(&t0, &sample(&t0, 30, 30), threshold), None);
        assert_eq!(suspended_for(&t0, &sample(&t0, 30, 35), threshold), None);
        // Asleep for an hour between two 30 s heartbeats.
        assert_eq!(
            suspended_for(&t0, &sample(&t0, 30, 3630), threshold),
            Some(Duration::from_secs(3600))
        );
        // Exactly at the threshold is not enough.
        assert_eq!(suspended_for(&t0, &sample(&t0, 30, 90), threshold), None);
        assert_eq!(
            suspended_for(&t0, &sample(&t0, 30, 91), threshold),
            Some(Duration::from_secs(61))
        );
    }

    #[test]
    fn a_wall_clock_set_back_or_a_slow_wall_clock_is_not_a_suspension() {
        let t0 = ClockSample::now();
        let threshold = Duration::from_secs(60);
        assert_eq!(suspended_for(&t0, &sample(&t0, 30, -3600), threshold), None);
        assert_eq!(suspended_for(&t0, &sample(&t0, 300, 10), threshold), None);
        // Samples taken out of order (monotonic earlier) count as no monotonic time.
        let earlier = ClockSample { monotonic: t0.monotonic, wall: t0.wall };
        let later =
            ClockSample { monotonic: t0.monotonic, wall: t0.wall + Duration::from_secs(61) };
        assert_eq!(suspended_for(&later, &earlier, threshold), None);
        assert_eq!(suspended_for(&earlier, &later, threshold), Some(Duration::from_secs(61)));
    }
}
