//! The checks that decide whether a case met its expectation: the outcome classes, that the
//! handshakes negotiated what the case asked for, and that resumption happened exactly when
//! asked.

use crate::measure::{Outcome, Recorder};
use crate::scenario::{Case, Expectation, ResumptionMode};

/// Judges a recorder against an expectation: (met, explanation).
pub fn judge(expect: Expectation, r: &Recorder) -> (bool, String) {
    let n = r.attempts();
    if n == 0 {
        return (false, "no measured attempts".into());
    }
    match expect {
        Expectation::Accept => {
            let ok = r.count(Outcome::Accepted);
            if ok == n {
                (true, format!("all {n} accepted"))
            } else {
                (
                    false,
                    format!(
                        "{ok} of {n} accepted; also {}",
                        others(r, &|o| o == Outcome::Accepted)
                    ),
                )
            }
        }
        Expectation::Reject(Some(want)) => {
            let hit = r.count(want);
            if hit == n {
                (true, format!("all {n} rejected with {want}"))
            } else {
                (
                    false,
                    format!(
                        "{hit} of {n} rejected with {want}; also {}",
                        others(r, &|o| o == want)
                    ),
                )
            }
        }
        Expectation::Reject(None) => judge_server_rejection(r, n),
        Expectation::Record => judge_record(r, n),
    }
}

/// The outcomes `wanted` does not take, with their counts (`reset 2, timeout 1`).
fn others(r: &Recorder, wanted: &dyn Fn(Outcome) -> bool) -> String {
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|&&o| !wanted(o) && r.count(o) > 0)
        .map(|&o| format!("{o} {}", r.count(o)))
        .collect();
    parts.join(", ")
}

/// `reject` with no class: every one of the `n` attempts rejected by the server.
fn judge_server_rejection(r: &Recorder, n: u64) -> (bool, String) {
    // An alert before the client's Certificate keeps its class but judged no
    // certificate: it is no rejection of the credential. (The count holds resets too,
    // which are no rejection anyway, so it only ever takes away what is not one.)
    let early = r.evidence.refused_before_certificate;
    let rejected: u64 = Outcome::ALL
        .iter()
        .filter(|o| o.is_server_rejection())
        .map(|&o| r.count(o))
        .sum::<u64>()
        .saturating_sub(early);
    if rejected == n {
        (true, format!("all {n} rejected by the server"))
    } else if early > 0 {
        (
            false,
            format!(
                "{rejected} of {n} rejected by the server; {early} refused before the client's Certificate (no certificate verdict): {}",
                others(r, &|_| false)
            ),
        )
    } else {
        (
            false,
            format!(
                "{rejected} of {n} rejected by the server; also {}",
                others(r, &|o| o.is_server_rejection())
            ),
        )
    }
}

/// `record`: met when every one of the `n` attempts got the same verdict.
fn judge_record(r: &Recorder, n: u64) -> (bool, String) {
    let verdicts: Vec<Outcome> = Outcome::ALL
        .iter()
        .copied()
        .filter(|&o| r.count(o) > 0)
        .collect();
    match verdicts.as_slice() {
        [one] if *one == Outcome::Accepted || one.is_server_rejection() => {
            (true, format!("recorded: all {n} {one}"))
        }
        _ => (
            false,
            format!("no single verdict to record: {}", others(r, &|_| false)),
        ),
    }
}

/// A problem when any handshake negotiated a version, suite or group the case did not ask for
/// (e.g. a post-quantum group when the case pinned X25519).
pub fn negotiation_problem(case: &Case, r: &Recorder) -> Option<String> {
    let tls = &case.tls;
    let mut problems = Vec::new();
    for (n, count) in &r.negotiated {
        let version_ok = tls
            .versions
            .iter()
            .any(|&v| v.negotiated_name() == n.version);
        let suite_ok = tls.suites.is_empty() || tls.suites.iter().any(|s| s.name() == n.suite);
        let group_ok = match n.group {
            None => true,
            Some(g) => {
                tls.groups.is_empty() || tls.groups.iter().any(|&k| k.negotiated_name() == g)
            }
        };
        if !(version_ok && suite_ok && group_ok) {
            problems.push(format!(
                "{count} handshakes negotiated {}/{}/{}, which the case did not ask for",
                n.version,
                n.suite,
                n.group.unwrap_or("no group")
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// A problem when resumption did not happen as asked: a session offered but not resumed (the
/// server declined it), a handshake that was to resume with no session left to offer (the
/// client says so where it can tell), a resumption nobody asked for, or a resuming case in
/// which no handshake offered a session.
pub fn resumption_problem(case: &Case, r: &Recorder) -> Option<String> {
    let accepted = r.count(Outcome::Accepted);
    let mut problems = Vec::new();
    if case.tls.resumption == ResumptionMode::Off {
        if r.resumed > 0 {
            problems.push(format!(
                "{} handshakes resumed although resumption is off",
                r.resumed
            ));
        }
    } else {
        if r.missed_resumption > 0 {
            problems.push(format!(
                "{} of {} handshakes that offered a session did not resume",
                r.missed_resumption, r.meant_to_resume
            ));
        }
        if r.no_session > 0 {
            problems.push(format!(
                "{} handshakes that were to resume found no session to offer (the client had used every ticket the server sent, or concurrent attempts of one identity took them)",
                r.no_session
            ));
        }
        if r.unplanned_resumption > 0 {
            problems.push(format!(
                "{} handshakes resumed without offering a session",
                r.unplanned_resumption
            ));
        }
        if accepted > 0 && r.meant_to_resume == 0 {
            problems.push("no measured handshake offered a session (is the warm-up long enough for the pool?)".into());
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_that_judged_no_certificate_do_not_meet_a_reject() {
        let mut r = Recorder::default();
        r.outcomes[Outcome::UnknownCa.index()] = 2;
        assert!(judge(Expectation::Reject(None), &r).0);
        // Two alerts before the client's Certificate (a version mismatch).
        r.outcomes[Outcome::ProtocolVersion.index()] = 2;
        r.evidence.refused_before_certificate = 2;
        let (met, why) = judge(Expectation::Reject(None), &r);
        assert!(!met);
        assert!(
            why.contains("2 refused before the client's Certificate"),
            "{why}"
        );
        // Asked for by name, the alert is what the scenario wants.
        r.outcomes[Outcome::UnknownCa.index()] = 0;
        assert!(judge(Expectation::Reject(Some(Outcome::ProtocolVersion)), &r).0);
        // A server that never asked for a certificate rejected nothing.
        let mut r = Recorder::default();
        r.outcomes[Outcome::RefusedWithoutCertRequest.index()] = 3;
        assert!(!judge(Expectation::Reject(None), &r).0);
    }
}
