//! Aggregation of samples: HDR histograms (never a growing list of samples), outcome counters,
//! byte sums and negotiated-parameter counts. Each load worker owns one recorder; they are
//! merged when the load ends, so recording takes no lock.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::{EvidenceCounts, Intervals, Negotiated, Outcome, Sample};

/// Highest latency the histograms track: one hour, in microseconds.
const MAX_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Bounds are constants that hdrhistogram accepts (low 1, high >= 2, sigfig 3).
    Histogram::new_with_bounds(1, MAX_US, 3).unwrap_or_else(|_| unreachable_histogram())
}

#[cold]
fn unreachable_histogram() -> Histogram<u64> {
    // Only reachable if the constant bounds above were invalid; an auto-resizing histogram
    // keeps recording correct in that case too.
    let mut h = Histogram::new(3).unwrap_or_else(|_| panic!("hdrhistogram rejects sigfig 3"));
    h.auto(true);
    h
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_US)
}

/// Counters and histograms for one case (or one worker's share of it).
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Headline latency of accepted handshakes.
    pub latency: Histogram<u64>,
    /// Headline latency of accepted full (not resumed) handshakes.
    pub latency_full: Histogram<u64>,
    /// Headline latency of accepted resumed handshakes.
    pub latency_resumed: Histogram<u64>,
    /// Time to verdict of handshakes the server rejected.
    pub rejection_latency: Histogram<u64>,
    /// TCP connect phase (every attempt that connected).
    pub connect: Histogram<u64>,
    /// TLS handshake phase at the client (every attempt that completed it).
    pub handshake: Histogram<u64>,
    /// Handshake done to first reply byte (accepted handshakes).
    pub response: Histogram<u64>,
    /// Count per outcome, indexed by [`Outcome::index`].
    pub outcomes: [u64; Outcome::COUNT],
    /// Verdict evidence over the attempts whose client observed it.
    pub evidence: EvidenceCounts,
    /// Count per HTTP status that was not 2xx (whatever class the reply got).
    pub http_errors: Vec<(u16, u64)>,
    /// Sum of bytes sent over measured attempts.
    pub bytes_sent: u64,
    /// Sum of bytes received over measured attempts.
    pub bytes_received: u64,
    /// Count per negotiated parameter set.
    pub negotiated: Vec<(Negotiated, u64)>,
    /// Accepted handshakes in which the client offered a session.
    pub meant_to_resume: u64,
    /// Accepted handshakes that resumed.
    pub resumed: u64,
    /// Accepted handshakes that offered a session but did not resume.
    pub missed_resumption: u64,
    /// Accepted handshakes that resumed without the client offering a session.
    pub unplanned_resumption: u64,
    /// Accepted handshakes that were to resume but whose client found no session to offer
    /// (no ticket replaced the one used, or concurrent attempts of the identity took them):
    /// full handshakes, counted in neither `meant_to_resume` nor `missed_resumption`.
    pub no_session: u64,
    /// Attempts that ended inside the measurement window (for throughput).
    pub completed_in_window: u64,
    /// When the last measured attempt ended.
    pub last_end: Option<Instant>,
    /// The measured window in slices (inactive until the engine gives it an origin).
    pub intervals: Intervals,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            latency: new_histogram(),
            latency_full: new_histogram(),
            latency_resumed: new_histogram(),
            rejection_latency: new_histogram(),
            connect: new_histogram(),
            handshake: new_histogram(),
            response: new_histogram(),
            outcomes: [0; Outcome::COUNT],
            evidence: EvidenceCounts::default(),
            http_errors: Vec::new(),
            bytes_sent: 0,
            bytes_received: 0,
            negotiated: Vec::new(),
            meant_to_resume: 0,
            resumed: 0,
            missed_resumption: 0,
            unplanned_resumption: 0,
            no_session: 0,
            completed_in_window: 0,
            last_end: None,
            intervals: Intervals::default(),
        }
    }
}

impl Recorder {
    /// Records one measured attempt (throughput is counted by the engine, see
    /// [`Recorder::completed_in_window`]).
    pub fn record(&mut self, sample: &Sample) {
        self.outcomes[sample.outcome.index()] += 1;
        let latency = micros(sample.latency());
        if sample.outcome == Outcome::Accepted {
            self.intervals.record_accepted(sample.end, latency);
        } else {
            let rejection = sample.outcome.is_server_rejection().then_some(latency);
            self.intervals.record_not_accepted(sample.end, rejection);
        }
        if sample.outcome == Outcome::Accepted {
            let _ = self.latency.record(latency);
            let resumed = sample.negotiated.is_some_and(|n| n.resumed);
            if resumed {
                let _ = self.latency_resumed.record(latency);
                self.resumed += 1;
            } else {
                let _ = self.latency_full.record(latency);
            }
            match (sample.meant_to_resume, resumed) {
                (true, true) => self.meant_to_resume += 1,
                (true, false) => {
                    self.meant_to_resume += 1;
                    self.missed_resumption += 1;
                }
                (false, true) => self.unplanned_resumption += 1,
                (false, false) => {}
            }
            if sample.evidence.session_found == Some(false) {
                self.no_session += 1;
            }
        } else if sample.outcome.is_server_rejection() {
            let _ = self.rejection_latency.record(latency);
        }
        if let Some(d) = sample.connect_phase() {
            let _ = self.connect.record(micros(d));
        }
        if let Some(d) = sample.handshake_phase() {
            let _ = self.handshake.record(micros(d));
        }
        if sample.outcome == Outcome::Accepted {
            if let Some(d) = sample.response_phase() {
                let _ = self.response.record(micros(d));
            }
        }
        if let Some(status) = sample.http_status.filter(|s| !(200..300).contains(s)) {
            bump(&mut self.http_errors, status, 1);
        }
        let resumed = sample.negotiated.is_some_and(|n| n.resumed);
        self.evidence
            .record(&sample.evidence, sample.outcome, resumed);
        self.bytes_sent += sample.bytes_sent;
        self.bytes_received += sample.bytes_received;
        if let Some(n) = sample.negotiated {
            bump(&mut self.negotiated, n, 1);
        }
        self.last_end = self.last_end.max(Some(sample.end));
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Recorder) {
        for (mine, theirs) in [
            (&mut self.latency, &other.latency),
            (&mut self.latency_full, &other.latency_full),
            (&mut self.latency_resumed, &other.latency_resumed),
            (&mut self.rejection_latency, &other.rejection_latency),
            (&mut self.connect, &other.connect),
            (&mut self.handshake, &other.handshake),
            (&mut self.response, &other.response),
        ] {
            // Same bounds on both sides, so adding cannot fail.
            let _ = mine.add(theirs);
        }
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes) {
            *a += b;
        }
        self.evidence.merge(&other.evidence);
        for &(status, n) in &other.http_errors {
            bump(&mut self.http_errors, status, n);
        }
        for &(neg, n) in &other.negotiated {
            bump(&mut self.negotiated, neg, n);
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.meant_to_resume += other.meant_to_resume;
        self.resumed += other.resumed;
        self.missed_resumption += other.missed_resumption;
        self.unplanned_resumption += other.unplanned_resumption;
        self.no_session += other.no_session;
        self.completed_in_window += other.completed_in_window;
        self.last_end = self.last_end.max(other.last_end);
        self.intervals.merge(&other.intervals);
    }

    /// Total measured attempts.
    pub fn attempts(&self) -> u64 {
        self.outcomes.iter().sum()
    }

    /// Counts `n` attempts of class `from` as class `to` instead (at most as many as `from`
    /// has): used when a peer's verdict arrives out of band, like nginx's error log behind an
    /// HTTP 400.
    pub fn reclassify(&mut self, from: Outcome, to: Outcome, n: u64) {
        let n = n.min(self.outcomes[from.index()]);
        self.outcomes[from.index()] -= n;
        self.outcomes[to.index()] += n;
    }

    /// Count of one outcome.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome.index()]
    }
}

fn bump<K: PartialEq>(counts: &mut Vec<(K, u64)>, key: K, n: u64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, c)) => *c += n,
        None => counts.push((key, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(outcome: Outcome, ms: u64) -> Sample {
        let mut s = Sample::begin(Instant::now());
        s.connected = Some(s.start + Duration::from_millis(1));
        s.tls_done = Some(s.start + Duration::from_millis(2));
        s.first_byte = Some(s.start + Duration::from_millis(ms));
        s.end = s.start + Duration::from_millis(ms + 1);
        s.outcome = outcome;
        s
    }

    #[test]
    fn accepted_and_rejected_go_to_their_histograms() {
        let mut r = Recorder::default();
        r.record(&sample(Outcome::Accepted, 3));
        r.record(&sample(Outcome::UnknownCa, 3));
        r.record(&sample(Outcome::Timeout, 3));
        assert_eq!(r.latency.len(), 1);
        assert_eq!(r.rejection_latency.len(), 1);
        assert_eq!(r.attempts(), 3);
        assert_eq!(r.count(Outcome::UnknownCa), 1);
        // Accepted latency ends at the first byte (3 ms), not at the end (4 ms).
        let p = r.latency.max();
        assert!((2990..=3010).contains(&p), "{p}");
    }

    #[test]
    fn merge_adds_everything() {
        let mut a = Recorder::default();
        let mut b = Recorder::default();
        a.record(&sample(Outcome::Accepted, 2));
        a.completed_in_window += 1;
        b.record(&sample(Outcome::Accepted, 5));
        b.completed_in_window += 1;
        a.merge(&b);
        assert_eq!(a.latency.len(), 2);
        assert_eq!(a.completed_in_window, 2);
    }
}
