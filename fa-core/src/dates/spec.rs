//! What the grammar read from a phrase, before it is placed on the calendar: the pieces are kept
//! apart (a day, a time, a repetition) because each can come in any order ("at 9 tomorrow",
//! "tomorrow at 9") and only their combination has a meaning.

use chrono::{TimeDelta, Weekday};

use super::error::Fail;

/// Before or after noon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Meridiem {
    Am,
    Pm,
}

/// A part of the day named in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Period {
    Morning,
    Afternoon,
    Evening,
    Night,
}

impl Period {
    /// The hour the period means when no time is given.
    pub fn default_hour(self) -> u32 {
        match self {
            Self::Morning => 9,
            Self::Afternoon => 15,
            Self::Evening => 19,
            Self::Night => 20,
        }
    }

    /// How a bare hour is read inside the period: "evening at 7" is 19:00.
    pub fn meridiem(self) -> Meridiem {
        match self {
            Self::Morning => Meridiem::Am,
            Self::Afternoon | Self::Evening | Self::Night => Meridiem::Pm,
        }
    }
}

/// A time of day as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// Hours and minutes, validated: hour 1–12 with a meridiem, 0–23 without.
    At {
        hour: u32,
        minute: u32,
        meridiem: Option<Meridiem>,
        /// A bare 1–11 without am/pm or a leading zero: could be morning or evening.
        either_half: bool,
    },
    Noon,
    /// 00:00 at the end of the day it is on.
    Midnight,
}

impl Clock {
    /// Hour and minute on the 24-hour clock, reading a bare hour as written (morning) unless
    /// `period` says otherwise. Midnight is 00:00 (callers move it to the next day).
    pub fn hour_minute(self, period: Option<Period>) -> (u32, u32) {
        match self {
            Self::Noon => (12, 0),
            Self::Midnight => (0, 0),
            Self::At {
                hour,
                minute,
                meridiem,
                ..
            } => {
                let meridiem = meridiem.or_else(|| {
                    // A period only turns a 12-hour reading into a 24-hour one; "evening at
                    // 19" is already unambiguous.
                    period
                        .filter(|_| (1..=12).contains(&hour))
                        .map(Period::meridiem)
                });
                let hour = match meridiem {
                    Some(Meridiem::Am) if hour == 12 => 0,
                    Some(Meridiem::Pm) if hour < 12 => hour + 12,
                    _ => hour,
                };
                (hour, minute)
            }
        }
    }
}

/// Which day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Day {
    Today,
    Tomorrow,
    InTwoDays,
    /// A weekday; `skip_today` for "next friday".
    Weekday {
        weekday: Weekday,
        skip_today: bool,
    },
    /// A day of the month, maybe with a month and a year; validated against the month's length
    /// (February counted as 29 days) but not against the year.
    Date {
        year: Option<i32>,
        month: Option<u32>,
        day: u32,
    },
    /// "in 3 days", "in 2 months": calendar steps on the wall clock.
    Later {
        months: u32,
        days: u32,
    },
}

/// How often a recurrence repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Freq {
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Freq {
    pub fn rrule_name(self) -> &'static str {
        match self {
            Self::Minutely => "MINUTELY",
            Self::Hourly => "HOURLY",
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }
}

/// The repeating part of a phrase. The day of the month and the month, when given, stay in
/// [`Spec::day`] as a [`Day::Date`], so "every month on the 15th" and "on the 15th of every
/// month" read alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Recur {
    /// `None` until a later piece settles it ("on mondays" is weekly).
    pub freq: Option<Freq>,
    pub interval: u32,
    pub weekdays: Vec<Weekday>,
    /// "last friday of the month": (-1, Fri).
    pub nth: Option<(i8, Weekday)>,
}

impl Recur {
    pub fn every(freq: Freq, interval: u32) -> Self {
        Self {
            freq: Some(freq),
            interval,
            weekdays: Vec::new(),
            nth: None,
        }
    }

    pub fn on_weekdays(interval: u32, weekdays: Vec<Weekday>) -> Self {
        Self {
            freq: Some(Freq::Weekly),
            interval,
            weekdays,
            nth: None,
        }
    }
}

/// Everything read from one phrase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Spec {
    pub time: Option<Clock>,
    pub period: Option<Period>,
    /// "tonight" without a time rolls over to tomorrow once 20:00 has passed.
    pub tonight: bool,
    pub day: Option<Day>,
    /// Further weekdays after a [`Day::Weekday`] ("on tuesday and friday"); only a repetition
    /// can use them.
    pub more_weekdays: Vec<Weekday>,
    /// "in 2 hours": real elapsed time, not wall-clock time.
    pub offset: Option<TimeDelta>,
    pub recur: Option<Recur>,
}

impl Spec {
    pub fn set_day(&mut self, day: Day) -> Result<(), Fail> {
        if self.day.is_some() || self.offset.is_some() {
            return Err(Fail::invalid("it names more than one day")
                .hint("one day, e.g. \"friday at 9\" or \"on the 3rd at 10\""));
        }
        self.day = Some(day);
        Ok(())
    }

    pub fn set_time(&mut self, clock: Clock) -> Result<(), Fail> {
        if self.time.is_some() {
            return Err(Fail::invalid("it names more than one time of day")
                .hint("one time, e.g. \"tomorrow at 9\""));
        }
        self.time = Some(clock);
        Ok(())
    }

    pub fn set_period(&mut self, period: Period) -> Result<(), Fail> {
        if self.period.is_some_and(|p| p != period) {
            return Err(Fail::invalid("it names two parts of the day")
                .hint("one, e.g. \"tomorrow morning\" or \"tonight\""));
        }
        self.period = Some(period);
        Ok(())
    }

    pub fn set_offset(&mut self, offset: TimeDelta) -> Result<(), Fail> {
        if self.offset.is_some() || self.day.is_some() {
            return Err(Fail::invalid("it names more than one amount of time")
                .hint("one, e.g. \"in 1 hour 30 minutes\""));
        }
        self.offset = Some(offset);
        Ok(())
    }

    pub fn set_recur(&mut self, recur: Recur) -> Result<(), Fail> {
        if self.recur.is_some() {
            return Err(Fail::invalid("it repeats in two different ways")
                .hint("one repetition, e.g. \"every monday and thursday at 18:00\""));
        }
        self.recur = Some(recur);
        Ok(())
    }
}
