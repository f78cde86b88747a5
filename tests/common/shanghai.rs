//! Days and hours in Asia/Shanghai, where the communities are: today by the
//! test's clock, an hour on a day as an instant, and moving the clock to it.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use domain::Clock;

use super::World;

/// Asia/Shanghai (no daylight saving time, so a fixed +08:00 is exact).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// `hh:mm` on `day` in Asia/Shanghai, as an instant.
pub fn shanghai_time(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    shanghai().from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap()).single().unwrap().with_timezone(&Utc)
}

impl World {
    /// The day it is now in Asia/Shanghai, by the test's clock.
    pub fn today(&self) -> NaiveDate {
        self.app.clock.now().with_timezone(&shanghai()).date_naive()
    }

    /// The day `n` days after [`World::today`].
    pub fn in_days(&self, n: i64) -> NaiveDate {
        self.today() + Duration::days(n)
    }

    pub fn tomorrow(&self) -> NaiveDate {
        self.in_days(1)
    }

    /// Moves the app clock forward to `hh:mm` on `day`, Asia/Shanghai.
    pub fn move_clock_to(&self, day: NaiveDate, hour: u32, minute: u32) {
        let target = shanghai_time(day, hour, minute);
        let now = self.app.clock.now();
        assert!(target > now, "the clock only moves forward ({now} → {target})");
        self.app.clock.advance(target - now);
    }
}
