//! The bounds a built-in server's settings must keep, checked the same way whether they came
//! as flags or in the runner's settings file: every violation is collected, each naming the
//! setting (as the flag a person typed, or the file's key), the limit and the value found.

use std::time::Duration;

use crate::scenario::{MAX_DURATION, MIN_INTERVAL};

/// How a setting is named in an error: as the flag a person typed or as the settings file's key.
#[derive(Clone, Copy)]
pub enum Spelling {
    /// `--crl-reload`.
    Flag,
    /// `` `crl_reload` ``.
    FileKey,
}

/// The violations found so far.
pub struct Limits {
    spelling: Spelling,
    problems: Vec<String>,
}

impl Limits {
    /// No violation yet; settings named with `spelling`.
    pub fn new(spelling: Spelling) -> Self {
        Self {
            spelling,
            problems: Vec::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        match self.spelling {
            Spelling::Flag => format!("--{}", key.replace('_', "-")),
            Spelling::FileKey => format!("`{key}`"),
        }
    }

    /// A reload or refresh interval, when set: from [`MIN_INTERVAL`] to [`MAX_DURATION`] (a
    /// zero interval panics in the timer task and the server would silently never reload).
    pub fn interval(&mut self, key: &str, value: Option<Duration>) {
        if let Some(d) = value.filter(|d| *d < MIN_INTERVAL || *d > MAX_DURATION) {
            let problem = format!(
                "{}: expected an interval from {} to {}, found {}",
                self.name(key),
                show(MIN_INTERVAL),
                show(MAX_DURATION),
                show(d)
            );
            self.problems.push(problem);
        }
    }

    /// A timeout or cache lifetime: at most [`MAX_DURATION`], and above zero unless `zero_ok`.
    pub fn duration(&mut self, key: &str, d: Duration, zero_ok: bool) {
        if (d.is_zero() && !zero_ok) || d > MAX_DURATION {
            let low = if zero_ok { "0s" } else { "above 0s" };
            let problem = format!(
                "{}: expected a duration {low} and at most {}, found {}",
                self.name(key),
                show(MAX_DURATION),
                show(d)
            );
            self.problems.push(problem);
        }
    }

    /// A violation described by `what` (after the setting's name), when `broken`.
    pub fn check(&mut self, broken: bool, key: &str, what: impl FnOnce() -> String) {
        if broken {
            let problem = format!("{}{}", self.name(key), what());
            self.problems.push(problem);
        }
    }

    /// Every violation, one per line.
    ///
    /// # Errors
    /// When there was any.
    pub fn finish(self) -> Result<(), String> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems.join("\n"))
        }
    }
}

fn show(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}
