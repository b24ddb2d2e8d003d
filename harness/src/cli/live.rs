//! Live progress on a terminal (indicatif): the current case, handshakes done, the current
//! rate, rejections and errors, and the running p99. Drawn on stderr (stdout carries results);
//! the runner shows it only when stdout is a terminal and `--quiet` is off; `NO_COLOR` drops
//! the colours.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::measure::{LiveStats, ProgressSink};

/// A spinner line for one case.
#[derive(Debug)]
pub struct LiveBar {
    bar: ProgressBar,
    /// The previous snapshot's (elapsed, attempts), for the current rate.
    last: Mutex<Option<(Duration, u64)>>,
}

impl LiveBar {
    /// A spinner labelled `label` (e.g. `[2/9] valid-open-loop`) on stderr.
    pub fn new(label: String) -> Self {
        let colour = std::env::var_os("NO_COLOR").is_none();
        let template = if colour {
            "{spinner:.cyan} {prefix:.bold} {msg}"
        } else {
            "{spinner} {prefix} {msg}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(style);
        bar.set_prefix(label);
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar,
            last: Mutex::new(None),
        }
    }

    /// What the runner calls to make each case's bar.
    pub fn progress() -> crate::runner::LiveProgress {
        crate::runner::LiveProgress(Arc::new(|label| Arc::new(LiveBar::new(label))))
    }

    /// The text for a snapshot (without the label).
    pub fn message(&self, s: &LiveStats) -> String {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let rate = match *last {
            Some((t, n)) if s.elapsed > t => {
                (s.attempts.saturating_sub(n)) as f64 / (s.elapsed - t).as_secs_f64()
            }
            _ => 0.0,
        };
        *last = Some((s.elapsed, s.attempts));
        let phase = if s.measuring { "measuring" } else { "warm-up" };
        let p99 = s.p99_us.map_or("-".to_string(), |us| {
            format!("{:.2} ms", us as f64 / 1000.0)
        });
        format!(
            "{phase} {:>5.1}s  {} done  {rate:.0}/s  accepted {}  rejected {}  errors {}  p99 {p99}",
            s.elapsed.as_secs_f64(),
            s.attempts,
            s.accepted,
            s.rejected,
            s.errors
        )
    }
}

impl ProgressSink for LiveBar {
    fn update(&self, stats: &LiveStats) {
        let msg = self.message(stats);
        self.bar.set_message(msg);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_has_the_figures_and_the_current_rate() {
        let bar = LiveBar::new("[1/1] x".into());
        let mut s = LiveStats {
            elapsed: Duration::from_secs(1),
            measuring: true,
            attempts: 100,
            accepted: 98,
            rejected: 1,
            errors: 1,
            p99_us: Some(3210),
        };
        let first = bar.message(&s);
        assert!(first.contains("100 done"), "{first}");
        assert!(first.contains("p99 3.21 ms"), "{first}");
        s.elapsed = Duration::from_secs(2);
        s.attempts = 600;
        let second = bar.message(&s);
        assert!(second.contains("500/s"), "{second}");
        bar.finish();
    }
}
